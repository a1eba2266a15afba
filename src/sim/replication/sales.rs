//! Sales: a fixed team of reps works handed-off leads first come, first
//! served, so the wait grows when handoffs exceed capacity. Each touch is
//! welcome (trust grows, the buyer may advance a stage at once) or
//! unwelcome (resistance grows; the buyer may go dark, or after enough
//! unanswered touches the lead is recycled to marketing).

use crate::model::outcome::Cause;
use crate::model::outreach::TouchFactors;
use crate::model::values::MINIMISES_RISK;
use crate::sim::buyer::Owner;
use crate::sim::event::EventKind;
use crate::sim::rng::chance;
use crate::sim::rules::Ending;

use super::{JourneyRecorder, Sim};

impl<R: JourneyRecorder> Sim<'_, R> {
    /// A touch is ready: it goes to the rep who is free first (lowest index on
    /// ties), so touches are served first come, first served and the wait
    /// grows when handed-off leads exceed capacity.
    pub(super) fn assign_rep(&mut self, t: f64, b: usize) {
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

    /// A rep touches buyer `b`, and the buyer responds.
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
            let wait = t - buyer.handoff_at;
            buyer.warmth = (-wait / o.cold_after_days).exp();
            if cohort {
                self.tally.first_touches += 1;
                self.tally.response_days_sum += wait;
            }
        }
        if !buyer.fit {
            self.close(t, b, Ending::PoorFit);
            return;
        }
        let segment = &s.segments[buyer.segment as usize];
        let alignment = segment.values.alignment(&o.approach.scores);
        let factors = TouchFactors {
            readiness: self.readiness[buyer.stage as usize],
            fit: 1.0 - r.alignment_weight * (1.0 - alignment),
            warmth: buyer.warmth,
            openness: 1.0 - buyer.resistance,
        };
        if chance(&mut buyer.sales_rng, factors.welcome_probability()) {
            if cohort {
                self.tally.welcome += 1;
            }
            buyer.trust += r.trust_gain * alignment * (1.0 - buyer.trust);
            buyer.alignment = alignment;
            buyer.risk_support = o.approach.scores.0[MINIMISES_RISK];
            buyer.unanswered = 0;
            buyer.engaged = true;
            let advance = (buyer.stage as usize) < self.last_stage
                && chance(&mut buyer.sales_rng, r.advance_on_welcome);
            let due = EventKind::TouchDue {
                buyer: b as u32,
                epoch: buyer.sales_epoch,
            };
            self.queue.push(t + o.follow_up_every_days, due);
            if advance {
                self.enter_next_stage(t, b);
            }
        } else {
            buyer.resistance += r.resistance_gain * o.approach.pushiness * (1.0 - buyer.resistance);
            let p_dark = r.go_dark_base + r.go_dark_per_resistance * buyer.resistance;
            if chance(&mut buyer.sales_rng, p_dark) {
                let cause = unwelcome_cause(&factors);
                self.close(t, b, Ending::WentDark(cause));
                return;
            }
            buyer.unanswered = buyer.unanswered.saturating_add(1);
            if u32::from(buyer.unanswered) >= o.max_unanswered_touches {
                // Sales gives up and recycles the lead to marketing nurture.
                buyer.owner = Owner::Marketing;
                buyer.sales_epoch = buyer.sales_epoch.wrapping_add(1);
                if cohort {
                    self.tally.recycled += 1;
                }
                self.schedule_marketing_touch(t, b);
            } else {
                let due = EventKind::TouchDue {
                    buyer: b as u32,
                    epoch: buyer.sales_epoch,
                };
                self.queue.push(t + o.touch_spacing_days, due);
            }
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
