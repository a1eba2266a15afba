//! Whole journeys of independent buyers: the engine's fast path.
//!
//! When buyers cannot affect one another ([`crate::sim::replication::independent_buyers`]:
//! nobody calls, nothing nurtures, handoffs draw nothing), a buyer's journey
//! is a function of its own random streams, so it is walked from capture to
//! its end in one go instead of through the event queue. The walk makes the
//! event-driven path's draws from the same streams with the same arithmetic,
//! so counts are identical (`tests/fast_path.rs`). (A journey's last stay
//! may spend one draw more, from a stream nobody reads again.)
//!
//! How journeys end is counted in one histogram cell per journey, by
//! capture stage, final stage and `Ending`; the tally's counts (outcomes,
//! causes, decisions, stage reach, handoffs) follow from it at the end of
//! the replication. A random ending would otherwise steer several
//! mispredicted branches per journey.
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

use crate::model::decision::DecisionModel;
use crate::model::handoff::HandoffPolicy;
use crate::model::outcome::{Cause, Outcome};
use crate::model::scenario::Scenario;
use crate::model::stage::Stage;
use crate::sim::metrics::{CYCLE_BINS, Tally, cycle_bin};
use crate::sim::rng::{BuyerRng, Chance, StreamFamily, uniform};

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

/// How a walked journey ended: with the capture and final stages, a cell
/// of [`WholeJourneys`]' endings histogram, from which every count of the
/// tally follows ([`WholeJourneys::finish`]). One branch-free increment per
/// journey instead of several data-dependent branches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Ending {
    /// Still open when the run ended.
    Open = 0,
    /// Stalled out of the journey.
    Stalled = 1,
    /// A poor-fit lead, purged after its first stay.
    PoorFit = 2,
    /// Chose us.
    Won = 3,
    /// Chose a competitor.
    LostToCompetitor = 4,
    /// Reached the decision and kept the status quo.
    StatusQuo = 5,
}

impl Ending {
    /// Every ending, by index.
    const ALL: [Ending; 6] = [
        Ending::Open,
        Ending::Stalled,
        Ending::PoorFit,
        Ending::Won,
        Ending::LostToCompetitor,
        Ending::StatusQuo,
    ];

    /// The ending of a choice at the decision.
    fn chose(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Won => Ending::Won,
            Outcome::LostCompetitor => Ending::LostToCompetitor,
            _ => Ending::StatusQuo,
        }
    }

    /// The outcome, its cause, and whether the buyer decided — as the
    /// event-driven path counts them.
    fn counted_as(self) -> (Outcome, Option<Cause>, bool) {
        let decided = |outcome: Outcome| (outcome, outcome.decision_cause(), true);
        match self {
            Ending::Open => (Outcome::Open, None, false),
            Ending::Stalled => (Outcome::NoDecision, Some(Cause::BuyerStalled), false),
            Ending::PoorFit => (Outcome::Disqualified, Some(Cause::PoorFitLead), false),
            Ending::Won => decided(Outcome::Won),
            Ending::LostToCompetitor => decided(Outcome::LostCompetitor),
            Ending::StatusQuo => decided(Outcome::NoDecision),
        }
    }
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
    /// Cohort buyers by capture stage, final stage and [`Ending`]
    /// (`[(capture × n + final) × 6 + ending]`).
    endings: Vec<u64>,
    /// Revenue and capture-to-won days of won cohort deals, summed in
    /// capture order as the event-driven path sums them.
    revenue: f64,
    cycle_days_sum: f64,
    /// Won cohort deals by sales cycle ([`crate::sim::metrics::CYCLE_BINS`]).
    cycle_histogram: Vec<u32>,
    /// Stays that ended (each is one event of the event-driven path).
    stays: u64,
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
                .map(Stage::stall)
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
            endings: vec![0; n * n * Ending::ALL.len()],
            revenue: 0.0,
            cycle_days_sum: 0.0,
            cycle_histogram: vec![0; CYCLE_BINS],
            stays: 0,
        }
    }

    /// Walks buyer `id`'s journey from capture `c`, drawing from its
    /// journey stream `rng` (already past the capture draws), and counts
    /// its stays in the pipeline and its ending ([`Self::finish`]).
    #[inline(always)]
    pub fn walk(&mut self, c: &Capture, mut rng: BuyerRng, id: u64) {
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
        let (ending, stage) = 'walk: {
            for stage in c.stage..n {
                let exit = t + stages[stage].dwell.sample_unit(&mut rng) * scales[stage];
                if exit > end {
                    // Never reached: seen by every snapshot from here on.
                    sub(&mut diff[(bounds.len() - 1) * n + stage], open);
                    break 'walk (Ending::Open, stage);
                }
                // A stay's end is the next stay's start: one lookup per step.
                let cell = snapshots_up_to(bounds, per_day, exit) * n + stage;
                t = exit;
                let ending = if stall[stage].draw(&mut rng) {
                    Some(if c.fit { Ending::Stalled } else { Ending::PoorFit })
                } else if stage == n - 1 {
                    let mut decision_rng = self.decision.buyer_rng(id);
                    let u = uniform(&mut decision_rng);
                    let outcome = DecisionModel::choose_with(self.untouched_choice, u);
                    // A won cohort deal's revenue and cycle, added without
                    // branching on the (random) choice: zero otherwise
                    // (`x + 0.0 == x`, so the sums are those of won deals).
                    let won = c.in_cohort && outcome == Outcome::Won;
                    let cycle = t - c.at;
                    self.revenue += if won { c.deal_value } else { 0.0 };
                    self.cycle_days_sum += if won { cycle } else { 0.0 };
                    self.cycle_histogram[cycle_bin(cycle)] += u32::from(won);
                    Some(Ending::chose(outcome))
                } else {
                    None
                };
                if let Some(ending) = ending {
                    sub(&mut diff[cell], open);
                    break 'walk (ending, stage);
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
        self.stays += (stage - c.stage + 1) as u64 - u64::from(ending == Ending::Open);
        // Counted without branching on how the journey ended (for cohort
        // buyers: one more, else none).
        let cohort = u64::from(c.in_cohort);
        self.endings[(c.stage * n + stage) * Ending::ALL.len() + ending as usize] += cohort;
    }

    /// Adds what was counted to the replication's tally and pipeline
    /// snapshots (`[k * stages + s]`).
    pub fn finish(&self, tally: &mut Tally, snap_count: &mut [u32], snap_value: &mut [f64]) {
        let n = self.stages.len();
        let cells = self.endings.chunks_exact(Ending::ALL.len()).enumerate();
        for (i, counts) in cells {
            let (captured_in, last) = (i / n, i % n);
            // Handed off on capture or at the gate, if the journey got there.
            let handoff = captured_in.max(self.handoff_gate);
            for (&count, ending) in counts.iter().zip(Ending::ALL) {
                let (outcome, cause, decided) = ending.counted_as();
                tally.outcomes[outcome as usize] += count;
                if let Some(cause) = cause {
                    tally.causes[cause as usize] += count;
                }
                tally.decided += if decided { count } else { 0 };
                // The buyer reached every stage up to its last.
                for reached in &mut tally.reached[..=last] {
                    *reached += count;
                }
                if last >= handoff {
                    tally.handoffs_by_stage[handoff] += count;
                }
            }
        }
        tally.revenue += self.revenue;
        tally.cycle_days_sum += self.cycle_days_sum;
        for (total, &won) in tally.cycle_histogram.iter_mut().zip(&self.cycle_histogram) {
            *total += won;
        }
        tally.events_processed += self.stays;
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
