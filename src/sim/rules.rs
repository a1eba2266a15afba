//! The model's per-stay and per-decision rules, written once and called by
//! both ways of simulating a replication: event by event
//! ([`crate::sim::replication`]) and whole journeys of independent buyers
//! ([`crate::sim::fast_path`]). Each rule is a small `#[inline(always)]`
//! function, so the fast path's hot loop pays nothing for the call.
//!
//! * how long a stay lasts ([`dwell_scale`]);
//! * how a stay ends: a poor-fit lead is purged after its first stay,
//!   otherwise the buyer may stall out, and after the last stage it decides
//!   ([`StayEnd::draw`]);
//! * how the buyer decides ([`choose`]);
//! * when a gate hands a lead to sales
//!   ([`HandoffPolicy::gate_open_at`](crate::model::handoff::HandoffPolicy::gate_open_at));
//! * what a journey's ending counts: outcome, cause, decision, the stages it
//!   reached, and a won deal's revenue and cycle ([`Ending`],
//!   [`Tally::count_ending`], [`Tally::count_won`]), including buyers still
//!   open at the end.

use crate::model::decision::DecisionModel;
use crate::model::outcome::{Cause, Outcome};
use crate::model::scenario::Scenario;
use crate::sim::metrics::{Tally, cycle_bin};
use crate::sim::rng::{BuyerRng, Chance, StreamFamily, uniform};

/// Days per unit of sampled dwell for a buyer in `stage` of `segment` with
/// `trust`: the stage mean, stretched by the segment's pace and shortened by
/// trust.
#[inline]
pub(crate) fn dwell_scale(s: &Scenario, stage: usize, segment: usize, trust: f64) -> f64 {
    s.stages[stage].mean_days * s.segments[segment].pace / (1.0 + s.marketing.dwell_speedup * trust)
}

/// How a stay in a stage ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StayEnd {
    /// A poor-fit lead: purged.
    PoorFit,
    /// The buyer stalled out of the journey.
    Stalled,
    /// The last stage is done: the buyer decides.
    Decides,
    /// The buyer moves on to the next stage.
    Advances,
}

impl StayEnd {
    /// The end of a stay, for a lead that is (`fit`) or is not a real
    /// prospect, in a stage whose stall is `stall`; `last` if the stage is
    /// the funnel's last.
    ///
    /// A poor-fit account never had a real need: its journey goes nowhere
    /// and the lead is purged at the end of its first stay, with no draw.
    /// Otherwise the buyer stalls out with the stage's stall probability
    /// (one draw from its journey stream); if it does not, it decides after
    /// the last stage and moves on after any other.
    #[inline(always)]
    pub fn draw(fit: bool, stall: Chance, last: bool, rng: &mut BuyerRng) -> Self {
        if !fit {
            StayEnd::PoorFit
        } else if stall.draw(rng) {
            StayEnd::Stalled
        } else if last {
            StayEnd::Decides
        } else {
            StayEnd::Advances
        }
    }
}

/// The buyer's choice at the decision, given the choice probabilities of
/// (us, competitor, no decision): one uniform draw from the buyer's own
/// decision stream, so the choice does not depend on how many journey draws
/// came before it.
#[inline(always)]
pub(crate) fn choose(decision: &StreamFamily, buyer: u64, probabilities: [f64; 3]) -> Outcome {
    let mut rng = decision.buyer_rng(buyer);
    DecisionModel::choose_with(probabilities, uniform(&mut rng))
}

/// How a buyer's journey ended, as the tally counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Still open when the run ended.
    Open,
    /// Stalled out of the journey.
    Stalled,
    /// A poor-fit lead, purged after its first stay or at its first touch.
    PoorFit,
    /// Reached the decision and chose (us, a competitor or the status quo).
    Chose(Outcome),
    /// Went dark after an unwelcome touch, for this proximate cause.
    WentDark(Cause),
}

impl Ending {
    /// The ending's outcome and loss cause, and whether the buyer decided.
    #[inline]
    pub fn counted_as(self) -> (Outcome, Option<Cause>, bool) {
        match self {
            Ending::Open => (Outcome::Open, None, false),
            Ending::Stalled => (Outcome::NoDecision, Some(Cause::BuyerStalled), false),
            Ending::PoorFit => (Outcome::Disqualified, Some(Cause::PoorFitLead), false),
            Ending::Chose(outcome) => (outcome, outcome.decision_cause(), true),
            Ending::WentDark(cause) => (Outcome::WentDark, Some(cause), false),
        }
    }
}

impl Tally {
    /// Counts `n` cohort journeys that ended with `ending` in stage `last`.
    /// A journey reached every stage up to its last: stages only move
    /// forward, one at a time, and a lead captured at stage `k` counts as
    /// having reached the stages before `k`.
    #[inline]
    pub(crate) fn count_ending(&mut self, ending: Ending, last: usize, n: u64) {
        let (outcome, cause, decided) = ending.counted_as();
        self.outcomes[outcome as usize] += n;
        if let Some(cause) = cause {
            self.causes[cause as usize] += n;
        }
        self.decided += if decided { n } else { 0 };
        for reached in &mut self.reached[..=last] {
            *reached += n;
        }
    }

    /// Counts a decision's revenue and sales cycle (`cycle_days` from
    /// capture) if it is a `won` cohort deal. Branch-free: a lost deal adds
    /// zeros (`x + 0.0 == x`, so the sums are those of won deals), so a
    /// random choice steers no branch.
    #[inline(always)]
    pub(crate) fn count_won(&mut self, won: bool, deal_value: f64, cycle_days: f64) {
        self.revenue += if won { deal_value } else { 0.0 };
        self.cycle_days_sum += if won { cycle_days } else { 0.0 };
        self.cycle_histogram[cycle_bin(cycle_days)] += u32::from(won);
    }
}
