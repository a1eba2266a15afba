//! The buyer's own journey: a stay in each stage (a dwell drawn from the
//! buyer's journey stream), then a stall out of the journey, a move to the
//! next stage, or — after the last stage — the decision; and closing a
//! journey however it ended.
//!
//! The rules themselves (dwell, how a stay ends, the choice, what an ending
//! counts) are in [`crate::sim::rules`], shared with the fast path.

use crate::model::decision::DecisionInputs;
use crate::model::outcome::Outcome;
use crate::sim::buyer::Owner;
use crate::sim::event::EventKind;
use crate::sim::rules::{Ending, StayEnd, choose, dwell_scale};

use super::{JourneyRecorder, Sim};

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
        let stage = buyer.stage as usize;
        let last = stage == self.last_stage;
        match StayEnd::draw(buyer.fit, self.stall[stage], last, &mut buyer.journey_rng) {
            StayEnd::PoorFit => self.close(t, b, Ending::PoorFit),
            StayEnd::Stalled => self.close(t, b, Ending::Stalled),
            StayEnd::Decides => self.decide(t, b),
            StayEnd::Advances => self.enter_next_stage(t, b),
        }
    }

    /// Moves buyer `b` to the next stage (at the end of its dwell, or after
    /// a welcome touch) and starts its stay there.
    pub(super) fn enter_next_stage(&mut self, t: f64, b: usize) {
        let buyer = &mut self.buyers[b];
        let from = buyer.stage as usize;
        let to = from + 1;
        buyer.stage = to as u8;
        buyer.declined = false;
        buyer.journey_epoch = buyer.journey_epoch.wrapping_add(1);
        let value = buyer.deal_value;
        self.open_count[from] -= 1;
        self.open_value[from] -= value;
        self.open_count[to] += 1;
        self.open_value[to] += value;
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
            framed: buyer.framed,
        };
        let outcome = choose(&self.streams.decision, b as u64, s.decision.probabilities(inputs));
        let won = buyer.in_cohort && outcome == Outcome::Won;
        self.tally.count_won(won, buyer.deal_value, t - buyer.captured_at);
        self.close(t, b, Ending::Chose(outcome));
    }

    /// Ends buyer `b`'s journey at `t`: it leaves the open pipeline and its
    /// ending is counted.
    pub(super) fn close(&mut self, t: f64, b: usize, ending: Ending) {
        let (outcome, _, _) = ending.counted_as();
        self.recorder.closed(b as u32, outcome, t);
        let buyer = &mut self.buyers[b];
        debug_assert!(buyer.owner != Owner::Closed, "a buyer closes once");
        buyer.owner = Owner::Closed;
        let stage = buyer.stage as usize;
        self.open_count[stage] -= 1;
        self.open_value[stage] -= buyer.deal_value;
        if buyer.in_cohort {
            self.tally.count_ending(ending, stage, 1);
        }
    }
}
