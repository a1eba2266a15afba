//! The buyer's own journey: a stay in each stage (a dwell drawn from the
//! buyer's journey stream), then a stall out of the journey, a move to the
//! next stage, or — after the last stage — the decision; and closing a
//! journey however it ended.

use crate::model::decision::DecisionInputs;
use crate::model::outcome::{Cause, Outcome};
use crate::model::scenario::Scenario;
use crate::sim::buyer::Owner;
use crate::sim::event::EventKind;
use crate::sim::rng::uniform;

use super::{JourneyRecorder, Sim};

/// Days per unit of sampled dwell for a buyer in `stage` of `segment` with
/// `trust`: the stage mean, stretched by the segment's pace and shortened by
/// trust. One formula for both paths, so they draw identical dwell times.
#[inline]
pub(super) fn dwell_scale(s: &Scenario, stage: usize, segment: usize, trust: f64) -> f64 {
    s.stages[stage].mean_days * s.segments[segment].pace / (1.0 + s.marketing.dwell_speedup * trust)
}

impl<R: JourneyRecorder> Sim<'_, R> {
    /// Draws buyer `b`'s stay in its current stage and schedules its end.
    pub(super) fn schedule_advance(&mut self, t: f64, b: usize) {
        let s = self.s;
        let buyer = &mut self.buyers[b];
        let stage = &s.stages[buyer.stage as usize];
        let scale = dwell_scale(s, buyer.stage as usize, buyer.segment as usize, buyer.trust);
        let dwell = stage.dwell.sample_unit(&mut buyer.journey_rng) * scale;
        let advance = EventKind::Advance {
            buyer: b as u32,
            epoch: buyer.journey_epoch,
        };
        self.queue.push(t + dwell, advance);
    }

    /// End of the buyer's own dwell: stall, decide, or move on.
    pub(super) fn end_of_dwell(&mut self, t: f64, b: usize) {
        let buyer = &mut self.buyers[b];
        if !buyer.fit {
            // A poor-fit account never had a real need: its journey goes
            // nowhere and the lead is purged.
            self.close(t, b, Outcome::Disqualified, Some(Cause::PoorFitLead));
            return;
        }
        let stage = buyer.stage as usize;
        if self.stall[stage].draw(&mut buyer.journey_rng) {
            self.close(t, b, Outcome::NoDecision, Some(Cause::BuyerStalled));
        } else if stage == self.last_stage {
            self.decide(t, b);
        } else {
            self.enter_next_stage(t, b);
        }
    }

    /// Moves buyer `b` to the next stage (at the end of its dwell, or after
    /// a welcome touch) and starts its stay there.
    pub(super) fn enter_next_stage(&mut self, t: f64, b: usize) {
        let buyer = &mut self.buyers[b];
        let from = buyer.stage as usize;
        let to = from + 1;
        buyer.stage = to as u8;
        buyer.journey_epoch = buyer.journey_epoch.wrapping_add(1);
        let (value, cohort) = (buyer.deal_value, buyer.in_cohort);
        self.open_count[from] -= 1;
        self.open_value[from] -= value;
        self.open_count[to] += 1;
        self.open_value[to] += value;
        if cohort {
            self.tally.reached[to] += 1;
        }
        self.recorder.stage_entered(b as u32, to, t);
        self.schedule_advance(t, b);
        if self.buyers[b].owner == Owner::Marketing {
            self.marketing_check(t, b, true);
        }
    }

    /// Buyer `b` ends its last stage and chooses: us, a competitor or the
    /// status quo.
    fn decide(&mut self, t: f64, b: usize) {
        let s = self.s;
        let buyer = &self.buyers[b];
        let inputs = DecisionInputs {
            trust: buyer.trust,
            resistance: buyer.resistance,
            alignment: buyer.alignment,
            risk_support: buyer.risk_support,
            engaged: buyer.engaged,
        };
        // A one-draw stream of its own, so the choice does not depend on how
        // many journey draws came before it.
        let mut rng = self.streams.decision.buyer_rng(b as u64);
        let outcome = s.decision.choose(inputs, uniform(&mut rng));
        let cause = self.tally_decision(t, buyer.captured_at, buyer.deal_value, buyer.in_cohort, outcome);
        self.close(t, b, outcome, cause);
    }

    /// Ends buyer `b`'s journey at `t` with `outcome`: it leaves the open
    /// pipeline and its ending is counted.
    pub(super) fn close(&mut self, t: f64, b: usize, outcome: Outcome, cause: Option<Cause>) {
        self.recorder.closed(b as u32, outcome, t);
        let buyer = &mut self.buyers[b];
        debug_assert!(buyer.owner != Owner::Closed, "a buyer closes once");
        buyer.owner = Owner::Closed;
        let stage = buyer.stage as usize;
        self.open_count[stage] -= 1;
        self.open_value[stage] -= buyer.deal_value;
        let in_cohort = buyer.in_cohort;
        self.tally_ending(in_cohort, outcome, cause);
    }
}
