//! Whole journeys of independent buyers: the engine's fast path.
//!
//! When buyers cannot affect one another ([`crate::engine::independent_buyers`]:
//! nobody calls, nothing nurtures, handoffs draw nothing), a buyer's journey
//! is a function of its own random streams, so it is walked from capture to
//! its end in one go instead of through the event queue. The walk makes the
//! event-driven path's draws from the same streams with the same arithmetic,
//! so counts are identical (`tests/fast_path.rs`).
//!
//! The open pipeline is counted from each stay's interval rather than by
//! snapshot events: a stay adds `[1, deal value]` at the first snapshot that
//! sees it and subtracts it at the first that does not, and prefix sums give
//! the snapshots. A snapshot at day `T` runs before buyer events at exactly
//! `T`, so it sees a stay that started before `T` and ends at `T` or later:
//! snapshots `snapshots_up_to(start)` up to, not including,
//! `snapshots_up_to(end)`. Writes are unconditional (about half the stays
//! see no snapshot; a branch on it would mispredict).
//!
//! This is the hot loop of the floor benchmark, so its state is kept apart
//! from the rest of the simulation and small.

use crate::decision::DecisionModel;
use crate::handoff::HandoffPolicy;
use crate::outcome::{Cause, Outcome};
use crate::rng::{BuyerRng, Chance, StreamFamily, uniform};
use crate::scenario::Scenario;
use crate::stage::Stage;

/// A buyer as captured: what the walk starts from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Capture {
    /// Capture day.
    pub at: f64,
    /// Stage at capture.
    pub stage: usize,
    /// Segment index.
    pub segment: usize,
    /// Real prospect (else disqualified after the first stay).
    pub fit: bool,
    /// Deal value.
    pub deal_value: f64,
    /// Captured inside the measurement window.
    pub in_cohort: bool,
}

/// How a walked journey ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JourneyEnd {
    /// Outcome ([`Outcome::Open`] if still open when the run ends).
    pub outcome: Outcome,
    /// Proximate cause of a loss.
    pub cause: Option<Cause>,
    /// Whether the buyer reached the decision and chose.
    pub decided: bool,
    /// Day of the ending (of the last stage exit when open).
    pub at: f64,
    /// The furthest stage reached.
    pub stage: usize,
    /// Stays that ended (each is one event of the event-driven path).
    pub stays: u64,
}

/// The fast path's constants and accumulators for one replication.
pub(crate) struct WholeJourneys<'a> {
    stages: &'a [Stage],
    /// Days per unit of sampled dwell, per segment and stage (row-major by
    /// segment): nobody nurtures or calls, so trust stays 0.
    unit_dwell_days: Vec<f64>,
    /// Per stage, the stall at its end, followed by as many certain ends:
    /// a poor-fit lead's journey ends after its first stay, and reading it
    /// from `stall[n..]` keeps that test out of the loop. (The draw it
    /// spends comes from a stream nobody reads again.)
    stall: Vec<Chance>,
    /// End of the followed period: stays that end later stay open.
    end: f64,
    /// Snapshot days followed by +∞ ([`snapshots_up_to`]).
    bounds: Vec<f64>,
    /// [`per_day_rounded_down`] of the snapshot spacing.
    per_snapshot_day: f64,
    /// Per snapshot (plus one past the last) and stage, `[count, value]`
    /// differences: one 16-byte update per stay boundary (counts of ±1 are
    /// exact in `f64` up to 2^53).
    open_diff: Vec<[f64; 2]>,
    /// The buyers' decision streams.
    decision: StreamFamily,
    /// Choice probabilities of a buyer nobody touched: the same for every
    /// decision, so computed once.
    untouched_choice: [f64; 3],
    /// First stage at which marketing hands a lead to sales (0: immediate).
    handoff_gate: usize,
    /// Cohort buyers by the furthest stage they reached.
    furthest_stage: Vec<u64>,
}

impl<'a> WholeJourneys<'a> {
    /// The fast path for one replication of `s`; `unit_dwell_days(stage,
    /// segment)` is the engine's dwell scale for an untouched buyer, so both
    /// paths draw identical dwell times.
    pub fn new(
        s: &'a Scenario,
        end: f64,
        decision: StreamFamily,
        untouched_choice: [f64; 3],
        unit_dwell_days: impl Fn(usize, usize) -> f64,
    ) -> Self {
        let n = s.stages.len();
        let days = s.snapshot_days();
        Self {
            stages: &s.stages,
            unit_dwell_days: (0..s.segments.len())
                .flat_map(|seg| (0..n).map(move |st| (st, seg)))
                .map(|(st, seg)| unit_dwell_days(st, seg))
                .collect(),
            stall: s
                .stages
                .iter()
                .map(|st| Chance::new(st.stall_probability))
                .chain(s.stages.iter().map(|_| Chance::new(1.0)))
                .collect(),
            end,
            open_diff: vec![[0.0; 2]; (days.len() + 1) * n],
            bounds: days.into_iter().chain([f64::INFINITY]).collect(),
            per_snapshot_day: per_day_rounded_down(s.snapshot_every_days),
            decision,
            untouched_choice,
            handoff_gate: match s.handoff {
                HandoffPolicy::StageGate { stage } => stage,
                _ => 0, // immediate: handed off on capture
            },
            furthest_stage: vec![0; n],
        }
    }

    /// Walks buyer `id`'s journey from capture `c`, drawing from its
    /// journey stream `rng` (already past the capture draws), and counts
    /// its stays in the pipeline. Returns how it ended; the stage reach and
    /// handoff of cohort buyers are counted here too ([`Self::finish`]).
    #[inline(always)]
    pub fn walk(&mut self, c: &Capture, mut rng: BuyerRng, id: u64) -> JourneyEnd {
        // Locals, so the loop keeps its slices and constants in registers.
        let n = self.stages.len();
        let stages = &self.stages[..n];
        let scales = &self.unit_dwell_days[c.segment * n..][..n];
        let stall = &self.stall[if c.fit { 0 } else { n }..][..n];
        let (bounds, per_day, end) = (&self.bounds[..], self.per_snapshot_day, self.end);
        let diff = &mut self.open_diff[..];
        let mut t = c.at;
        // The pipeline differences: a stay adds `open` at (first snapshot
        // that sees it, stage) and takes it away at (first snapshot that does
        // not); at a stage change the second cell is beside the first.
        let open = [1.0, c.deal_value];
        add(&mut diff[snapshots_up_to(bounds, per_day, t) * n + c.stage], open);
        // A loop over the stages, not an open one: indices below `n` need
        // no bounds checks.
        let (outcome, cause, decided, stage) = 'walk: {
            for stage in c.stage..n {
                let exit = t + stages[stage].dwell.sample_unit(&mut rng) * scales[stage];
                if exit > end {
                    // Never reached: seen by every snapshot from here on.
                    sub(&mut diff[(bounds.len() - 1) * n + stage], open);
                    break 'walk (Outcome::Open, None, false, stage);
                }
                // A stay's end is the next stay's start: one lookup per step.
                let cell = snapshots_up_to(bounds, per_day, exit) * n + stage;
                t = exit;
                let ending = if stall[stage].draw(&mut rng) {
                    Some(if c.fit {
                        (Outcome::NoDecision, Some(Cause::BuyerStalled), false)
                    } else {
                        (Outcome::Disqualified, Some(Cause::PoorFitLead), false)
                    })
                } else if stage == n - 1 {
                    let mut decision_rng = self.decision.buyer_rng(id);
                    let outcome =
                        DecisionModel::choose_with(self.untouched_choice, uniform(&mut decision_rng));
                    Some((outcome, outcome.decision_cause(), true))
                } else {
                    None
                };
                if let Some((outcome, cause, decided)) = ending {
                    sub(&mut diff[cell], open);
                    break 'walk (outcome, cause, decided, stage);
                }
                // Not the last stage, so the next stage's cell is in the row.
                let [this, next] = &mut diff[cell..cell + 2] else {
                    unreachable!("a two-cell slice")
                };
                sub(this, open);
                add(next, open);
            }
            unreachable!("the last stage ends every journey that reaches it")
        };
        // Every stay but an open one ended.
        let stays = (stage - c.stage + 1) as u64 - u64::from(outcome == Outcome::Open);
        if c.in_cohort {
            // The buyer reached every stage up to `stage` ([`Self::finish`]).
            self.furthest_stage[stage] += 1;
        }
        JourneyEnd {
            outcome,
            cause,
            decided,
            at: t,
            stage,
            stays,
        }
    }

    /// The stage at which a buyer captured in `capture_stage` is handed off,
    /// and so counted if its journey reaches it.
    #[inline]
    pub fn handoff_stage(&self, capture_stage: usize) -> usize {
        capture_stage.max(self.handoff_gate)
    }

    /// Adds the pipeline snapshots (`[k * stages + s]`) and cohort stage
    /// reach counted so far.
    pub fn finish(&self, snap_count: &mut [u32], snap_value: &mut [f64], reached: &mut [u64]) {
        let n = self.stages.len();
        let mut reached_or_further = 0;
        for st in (0..n).rev() {
            reached_or_further += self.furthest_stage[st];
            reached[st] += reached_or_further;
        }
        let (mut count, mut value) = (vec![0.0; n], vec![0.0; n]);
        for (k, (counts, values)) in snap_count
            .chunks_exact_mut(n)
            .zip(snap_value.chunks_exact_mut(n))
            .enumerate()
        {
            for st in 0..n {
                let [dc, dv] = self.open_diff[k * n + st];
                count[st] += dc;
                value[st] += dv;
                counts[st] = count[st] as u32;
                values[st] = value[st];
            }
        }
    }
}

/// Adds `[count, value]` to a pipeline difference cell.
#[inline(always)]
fn add(cell: &mut [f64; 2], d: [f64; 2]) {
    cell[0] += d[0];
    cell[1] += d[1];
}

/// Subtracts `[count, value]` from a pipeline difference cell.
#[inline(always)]
fn sub(cell: &mut [f64; 2], d: [f64; 2]) {
    cell[0] -= d[0];
    cell[1] -= d[1];
}

/// `1 / every` rounded down by 16 ulps, for [`snapshots_up_to`]: with it,
/// `t × per_day` never lands above the true `t / every` (three roundings of
/// at most ½ ulp each are covered), so the estimate is never one too many.
pub(crate) fn per_day_rounded_down(every: f64) -> f64 {
    (1.0 / every) * (1.0 - 16.0 * f64::EPSILON)
}

/// Number of snapshot days `<= t`, where `bounds` is the days (day `k` at
/// `k × every`) followed by +∞, `per_day` is [`per_day_rounded_down`] and
/// `0 ≤ t <` the last day + `every` (true of every stay boundary: stays are
/// followed to the end of the run, and the last snapshot is the last day
/// `k × every` before it; the loader allows at most 100,000 snapshots).
///
/// The estimate is `x = t × per_day` rounded down, or one short: it is
/// never high (`per_day` is), and is short when `t` is within a few ulps
/// above a snapshot day or when `x` is a whole number (below). One
/// comparison fixes it; the compiler makes that a select.
#[inline]
pub(crate) fn snapshots_up_to(bounds: &[f64], per_day: f64, t: f64) -> usize {
    // `y = (x − ½) + 1.5 × 2^52` is in [2^52, 2^53), where doubles are the
    // whole numbers, so `y` is `x − ½` rounded to a whole number — `⌊x⌋`,
    // or `x − 1` when `x` is whole (a tie, to even) — plus 1.5 × 2^52, whose
    // low 32 bits are zero. (`x − ½` is exact for `x ≥ ¼`; below, it
    // rounds to 0 either way.) Four instructions where a saturating `as`
    // cast takes six, and no `unsafe`: a `t` out of range only gives an
    // index the look-up rejects.
    const ONE_AND_A_HALF_2_POW_52: f64 = 6_755_399_441_055_744.0;
    let k = ((t * per_day - 0.5) + ONE_AND_A_HALF_2_POW_52).to_bits() as u32 as usize + 1;
    if bounds[k] <= t { k + 1 } else { k }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_index_equals_a_binary_search() {
        for every in [30.0, 7.0, 0.1, 1.0 / 3.0, 13.7, 365.25, 0.01] {
            let days: Vec<f64> = (0..=3000).map(|k| k as f64 * every).collect();
            let bounds: Vec<f64> = days.iter().copied().chain([f64::INFINITY]).collect();
            let mut probes = vec![0.0, days[3000] + every.next_down()];
            for &d in &days {
                let (mut below, mut above) = (d, d);
                for _ in 0..24 {
                    (below, above) = (below.next_down(), above.next_up());
                    probes.extend([below, above]);
                }
                probes.extend([d, d + every / 2.0]);
                // Where `t × per_day` is a whole number, the estimate is
                // one short (a tie rounded to even).
                let whole = (d / every).round() / per_day_rounded_down(every);
                let (mut below, mut above) = (whole, whole);
                for _ in 0..4 {
                    (below, above) = (below.next_down(), above.next_up());
                    probes.extend([below, above]);
                }
                probes.push(whole);
            }
            for t in probes.into_iter().filter(|t| *t >= 0.0) {
                let expected = days.partition_point(|&d| d <= t);
                let got = snapshots_up_to(&bounds, per_day_rounded_down(every), t);
                assert_eq!(got, expected, "every {every}, t {t}");
            }
        }
    }
}
