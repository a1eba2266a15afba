//! Sales: a fixed team of reps works handed-off leads first come, first
//! served, so the wait grows when handoffs exceed capacity. A touch is a
//! contact attempt: it reaches the buyer or nobody. A conversation is
//! welcome (trust grows, the buyer may advance a stage at once) or not
//! (resistance grows; the buyer may go dark). After enough touches without
//! a welcome conversation the lead is recycled to marketing.

use crate::model::outcome::Cause;
use crate::model::outreach::TouchFactors;
use crate::sim::event::EventKind;
use crate::sim::rng::chance;
use crate::sim::rules::Ending;

use super::{JourneyRecorder, Sim};

impl<R: JourneyRecorder> Sim<'_, R> {
    /// A touch is ready: it goes to the rep who is free first (lowest index on
    /// ties), so touches are served first come, first served and the wait
    /// grows when handed-off leads exceed capacity.
    pub(super) fn assign_rep(&mut self, t: f64, b: usize) {
        if self.s.outreach.unlimited_capacity {
            self.touch(t, b);
            return;
        }
        let (mut best, mut free_at) = (0, f64::INFINITY);
        for (i, &f) in self.rep_free_at.iter().enumerate() {
            if f < free_at {
                best = i;
                free_at = f;
            }
        }
        let start = t.max(free_at);
        self.rep_free_at[best] = start + self.s.outreach.touch_duration_days;
        if start == t && self.queue.next_time().is_none_or(|next| next > t) {
            // The touch would be the very next event: make it now. Same
            // order of operations as going through the queue, one event less.
            self.touch(t, b);
            return;
        }
        let (buyer, epoch) = (b as u32, self.buyers[b].sales_epoch);
        self.queue.push(start, EventKind::Touch { buyer, epoch });
    }

    /// A rep tries to reach buyer `b`. Most attempts reach nobody: that
    /// costs rep time, not trust. A conversation is welcome (trust grows,
    /// the buyer may move on at once, and if it is still framing its
    /// requirements we help frame them) or the buyer says "not now"
    /// (resistance grows and it may go dark), and keeps saying it until it
    /// enters another stage. After too many touches in a row without a
    /// welcome conversation the lead is recycled.
    pub(super) fn touch(&mut self, t: f64, b: usize) {
        let s = self.s;
        let o = &s.outreach;
        let r = &s.response;
        let cohort = self.buyers[b].in_cohort;
        if cohort {
            self.tally.touches += 1;
        }
        let buyer = &mut self.buyers[b];
        if !buyer.first_touch_done {
            buyer.first_touch_done = true;
            if cohort {
                self.tally.first_touches += 1;
                self.tally.response_days_sum += t - buyer.handoff_at;
            }
        }
        // A buyer who raised a hand asked to talk: while its interest is
        // warm it picks up, and its first conversation is as welcome as its
        // interest has stayed warm, whatever its stage.
        let interest = if buyer.raise_pending {
            o.interest(t - buyer.raised_at)
        } else {
            0.0
        };
        let reached = if buyer.raise_pending {
            chance(
                &mut buyer.sales_rng,
                o.reach_probability + (1.0 - o.reach_probability) * interest,
            )
        } else {
            self.reach.draw(&mut buyer.sales_rng)
        };
        if !reached {
            self.unanswered(t, b);
            return;
        }
        // Only a conversation shows that the account was never a prospect:
        // until then a poor-fit lead costs rep time like any other.
        if !buyer.fit {
            self.close(t, b, Ending::PoorFit);
            return;
        }
        let segment = buyer.segment as usize;
        let stage = buyer.stage as usize;
        let approach = &o.by_segment[segment];
        let alignment = s.segments[segment].values.alignment(&approach.scores);
        let (readiness, warmth) = if buyer.raise_pending {
            buyer.raise_pending = false;
            (1.0, interest)
        } else {
            (self.readiness[segment * self.s.stages.len() + stage], 1.0)
        };
        let factors = TouchFactors {
            readiness,
            fit: 1.0 - r.alignment_weight * (1.0 - alignment),
            warmth,
            openness: 1.0 - buyer.resistance,
        };
        // A buyer who said "not now" in this stage says it again.
        let pushed = buyer.declined;
        let p_welcome = if pushed {
            0.0
        } else {
            factors.welcome_probability()
        };
        if chance(&mut buyer.sales_rng, p_welcome) {
            if cohort {
                self.tally.welcome += 1;
            }
            buyer.trust += r.trust_gain * alignment * (1.0 - buyer.trust);
            buyer.alignment = alignment;
            buyer.risk_support = s.segments[segment].values.risk_support(&approach.scores);
            buyer.unanswered = 0;
            buyer.engaged = true;
            buyer.framed |= stage <= s.decision.framing_stage;
            let advance =
                stage < self.last_stage && self.advance_on_welcome[segment].draw(&mut buyer.sales_rng);
            let due = EventKind::TouchDue {
                buyer: b as u32,
                epoch: buyer.sales_epoch,
            };
            self.queue.push(t + o.follow_up_every_days, due);
            if advance {
                self.enter_next_stage(t, b);
            }
        } else {
            // Pushing on after a "not now" is as pushy as selling gets,
            // whatever the approach.
            let pushiness = if buyer.declined { 1.0 } else { approach.pushiness };
            // A prospect's "not now" stands; an engaged buyer's does not
            // (it already talks with us, one bad call is not an answer).
            buyer.declined = !buyer.engaged;
            buyer.resistance += r.resistance_gain * pushiness * (1.0 - buyer.resistance);
            let p_dark = r.go_dark_base + r.go_dark_per_resistance * buyer.resistance;
            if chance(&mut buyer.sales_rng, p_dark) {
                let cause = if pushed {
                    Cause::PushedPastNo
                } else {
                    unwelcome_cause(&factors)
                };
                self.close(t, b, Ending::WentDark(cause));
                return;
            }
            self.unanswered(t, b);
        }
    }

    /// A touch without a welcome conversation: recycle the lead after too
    /// many in a row, otherwise try again after the touch spacing.
    fn unanswered(&mut self, t: f64, b: usize) {
        let o = &self.s.outreach;
        let buyer = &mut self.buyers[b];
        buyer.unanswered = buyer.unanswered.saturating_add(1);
        if u32::from(buyer.unanswered) >= o.max_unanswered_touches {
            self.recycle(t, b);
        } else {
            let due = EventKind::TouchDue {
                buyer: b as u32,
                epoch: buyer.sales_epoch,
            };
            self.queue.push(t + o.touch_spacing_days, due);
        }
    }
}

/// The proximate cause of an unwelcome touch: whichever factor of the welcome
/// probability was smallest (ties go to the earlier factor).
pub fn unwelcome_cause(f: &TouchFactors) -> Cause {
    let mut cause = Cause::PrematureHandoff;
    let mut worst = f.readiness;
    if f.fit < worst {
        cause = Cause::ApproachMismatch;
        worst = f.fit;
    }
    if f.warmth < worst {
        cause = Cause::SlowResponse;
    }
    cause
}
