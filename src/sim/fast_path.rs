//! Whole journeys of independent buyers: the engine's fast path.
//!
//! When buyers cannot affect one another ([`crate::sim::replication::independent_buyers`]:
//! nobody calls, nothing nurtures, handoffs draw nothing), a buyer's journey
//! is a function of its own random streams, so it is walked from capture to
//! its end in one go instead of through the event queue. The walk applies
//! the same model rules as the event-driven path (`sim/rules.rs`: dwell,
//! how a stay ends, the choice, what an ending counts) to the same streams,
//! so counts are identical (`tests/fast_path.rs`).
//!
//! How journeys end is counted in one histogram cell per journey, by
//! capture stage, final stage and ending; the tally's counts (outcomes,
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

use crate::model::handoff::HandoffPolicy;
use crate::model::outcome::Outcome;
use crate::model::scenario::Scenario;
use crate::model::stage::Stage;
use crate::sim::metrics::Tally;
use crate::sim::rng::{BuyerRng, Chance, StreamFamily};
use crate::sim::rules::{Ending, StayEnd, choose, dwell_scale};

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

/// How a walked journey ended, as a slot of [`WholeJourneys`]' endings
/// histogram (with the capture and final stages): one branch-free increment
/// per journey instead of several data-dependent branches. An event-driven
/// journey can also go dark, which needs a touch, so it has no slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Slot {
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

impl Slot {
    /// Every slot, by index.
    const ALL: [Slot; 6] = [
        Slot::Open,
        Slot::Stalled,
        Slot::PoorFit,
        Slot::Won,
        Slot::LostToCompetitor,
        Slot::StatusQuo,
    ];

    /// The slot of a choice at the decision.
    #[inline(always)]
    fn chose(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Won => Slot::Won,
            Outcome::LostCompetitor => Slot::LostToCompetitor,
            _ => Slot::StatusQuo,
        }
    }

    /// The ending counted in this slot.
    fn ending(self) -> Ending {
        match self {
            Slot::Open => Ending::Open,
            Slot::Stalled => Ending::Stalled,
            Slot::PoorFit => Ending::PoorFit,
            Slot::Won => Ending::Chose(Outcome::Won),
            Slot::LostToCompetitor => Ending::Chose(Outcome::LostCompetitor),
            Slot::StatusQuo => Ending::Chose(Outcome::NoDecision),
        }
    }
}

/// The fast path's constants and accumulators for one replication.
pub(crate) struct WholeJourneys<'a> {
    stages: &'a [Stage],
    /// The handoff policy: `immediate` or `stage_gate`, which need no draw.
    handoff: &'a HandoffPolicy,
    /// Days per unit of sampled dwell, per segment and stage (row-major by
    /// segment): nobody nurtures or calls, so trust stays 0.
    unit_dwell_days: Vec<f64>,
    /// Per stage, the stall at its end.
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
    /// Cohort buyers by capture stage, final stage and [`Slot`]
    /// (`[(capture × n + final) × 6 + slot]`).
    endings: Vec<u64>,
}

impl<'a> WholeJourneys<'a> {
    /// The fast path for one replication of `s`, followed until day `end`;
    /// `untouched_choice` is the choice probabilities of a buyer nobody
    /// touched.
    pub fn new(s: &'a Scenario, end: f64, decision: StreamFamily, untouched_choice: [f64; 3]) -> Self {
        let n = s.stages.len();
        let days = s.snapshot_days();
        Self {
            stages: &s.stages,
            handoff: &s.handoff,
            unit_dwell_days: (0..s.segments.len())
                .flat_map(|seg| (0..n).map(move |st| (st, seg)))
                .map(|(st, seg)| dwell_scale(s, st, seg, 0.0))
                .collect(),
            stall: s.stages.iter().map(Stage::stall).collect(),
            end,
            open_diff: vec![[0.0; 2]; (days.len() + 1) * n],
            bounds: days.into_iter().chain([f64::INFINITY]).collect(),
            per_snapshot_day: per_day_rounded_down(s.snapshot_every_days),
            decision,
            untouched_choice,
            endings: vec![0; n * n * Slot::ALL.len()],
        }
    }

    /// Walks buyer `id`'s journey from capture `c`, drawing from its
    /// journey stream `rng` (already past the capture draws), and counts
    /// its stays in the pipeline, its ending ([`Self::finish`]) and, if it
    /// is a won cohort deal, its revenue and cycle in `tally`.
    #[inline(always)]
    pub fn walk(&mut self, c: &Capture, mut rng: BuyerRng, id: u64, tally: &mut Tally) {
        // Locals, so the loop keeps its slices and constants in registers.
        let n = self.stages.len();
        let stages = &self.stages[..n];
        let scales = &self.unit_dwell_days[c.segment * n..][..n];
        let stall = &self.stall[..n];
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
                    break 'walk (Slot::Open, stage);
                }
                // A stay's end is the next stay's start: one lookup per step.
                let cell = snapshots_up_to(bounds, per_day, exit) * n + stage;
                t = exit;
                let ending = match StayEnd::draw(c.fit, stall[stage], stage == n - 1, &mut rng) {
                    StayEnd::Advances => None,
                    StayEnd::Decides => {
                        let outcome = choose(&self.decision, id, self.untouched_choice);
                        let won = c.in_cohort && outcome == Outcome::Won;
                        tally.count_won(won, c.deal_value, t - c.at);
                        Some(Slot::chose(outcome))
                    }
                    StayEnd::Stalled => Some(Slot::Stalled),
                    StayEnd::PoorFit => Some(Slot::PoorFit),
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
        // Counted without branching on how the journey ended (for cohort
        // buyers: one more, else none).
        let cohort = u64::from(c.in_cohort);
        self.endings[(c.stage * n + stage) * Slot::ALL.len() + ending as usize] += cohort;
    }

    /// Adds what was counted to the replication's tally and pipeline
    /// snapshots (`[k * stages + s]`).
    pub fn finish(&self, tally: &mut Tally, snap_count: &mut [u32], snap_value: &mut [f64]) {
        let n = self.stages.len();
        let cells = self.endings.chunks_exact(Slot::ALL.len()).enumerate();
        for (i, counts) in cells {
            let (captured_in, last) = (i / n, i % n);
            // Handed off at the first stage of the journey where the gate is
            // open, if the journey got there.
            let handoff = (captured_in..=last).find(|&stage| self.handoff.gate_open_at(stage));
            for (&count, slot) in counts.iter().zip(Slot::ALL) {
                tally.count_ending(slot.ending(), last, count);
                if let Some(stage) = handoff {
                    tally.handoffs_by_stage[stage] += count;
                }
            }
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
