//! Marketing's hold on a lead: periodic touchpoints that nurture (trust
//! grows with the content's alignment to the buyer's values) and read a
//! noisy lead score, and the handoff policy that decides when the lead goes
//! to sales (at once, after a delay, at a score threshold, at a stage gate,
//! or when the buyer raises a hand).

use rand_distr::{Distribution, StandardNormal};

use crate::model::handoff::HandoffPolicy;
use crate::model::marketing::score_signal;
use crate::sim::buyer::Owner;
use crate::sim::event::EventKind;
use crate::sim::rng::chance;

use super::{JourneyRecorder, Sim};

impl<R: JourneyRecorder> Sim<'_, R> {
    /// Schedules buyer `b`'s next marketing touchpoint, if touchpoints can
    /// change anything.
    pub(super) fn schedule_marketing_touch(&mut self, t: f64, b: usize) {
        if !self.touchpoints_matter {
            return;
        }
        let (buyer, epoch) = (b as u32, self.buyers[b].marketing_epoch);
        self.queue.push(
            t + self.s.marketing.touch_every_days,
            EventKind::MarketingTouch { buyer, epoch },
        );
    }

    /// The handoff policy takes on a lead marketing holds: on capture, and
    /// when a lead that sales recycled is released after its hold. The same
    /// rule for a fresh and a recycled lead, under every policy: hand off at
    /// once (`immediate`), a fixed time later (`delay`), or when the check
    /// passes (now, or at a later stage entry or touchpoint).
    pub(super) fn apply_handoff_policy(&mut self, t: f64, b: usize) {
        match self.s.handoff {
            HandoffPolicy::Immediate => self.handoff(t, b),
            HandoffPolicy::Delay { days } => {
                let (buyer, epoch) = (b as u32, self.buyers[b].marketing_epoch);
                self.queue.push(t + days, EventKind::Handoff { buyer, epoch });
            }
            _ => self.marketing_check(t, b, true),
        }
    }

    /// Sales gives up on buyer `b`: the lead goes back to marketing, which
    /// holds it (nurturing, if it nurtures) for the recycle hold before the
    /// handoff policy applies to it again.
    pub(super) fn recycle(&mut self, t: f64, b: usize) {
        let buyer = &mut self.buyers[b];
        buyer.owner = Owner::Marketing;
        buyer.held = true;
        // Whatever hand it raised has had its answer.
        buyer.raise_pending = false;
        buyer.sales_epoch = buyer.sales_epoch.wrapping_add(1);
        if buyer.in_cohort {
            self.tally.recycled += 1;
        }
        let (id, epoch) = (b as u32, buyer.marketing_epoch);
        self.queue.push(
            t + self.s.marketing.recycle_hold_days,
            EventKind::Release { buyer: id, epoch },
        );
        self.schedule_marketing_touch(t, b);
    }

    /// The recycle hold of buyer `b` ends.
    pub(super) fn release(&mut self, t: f64, b: usize) {
        self.buyers[b].held = false;
        self.apply_handoff_policy(t, b);
    }

    /// Handoff checks made while marketing holds the lead: on capture, on
    /// stage entry and at touchpoints (`fresh_score` reads a new score).
    /// A held lead is not checked.
    pub(super) fn marketing_check(&mut self, t: f64, b: usize, fresh_score: bool) {
        let s = self.s;
        let n_stages = s.stages.len();
        let buyer = &mut self.buyers[b];
        if buyer.held {
            return;
        }
        let stage = buyer.stage as usize;
        let hand_off = match s.handoff {
            HandoffPolicy::ScoreThreshold { threshold } if fresh_score => {
                let noise: f64 = StandardNormal.sample(&mut buyer.marketing_rng);
                score_signal(stage, n_stages, buyer.fit) + s.marketing.score_noise_sd * noise >= threshold
            }
            HandoffPolicy::StageGate { .. } => s.handoff.gate_open_at(stage),
            HandoffPolicy::BuyerInitiated { propensity } => {
                let p = HandoffPolicy::hand_raise_probability(
                    propensity,
                    s.stages[stage].receptivity,
                    buyer.trust,
                );
                let raised = chance(&mut buyer.marketing_rng, p);
                if raised {
                    // Asking to talk is news: an earlier "not now" no longer
                    // stands.
                    buyer.raised_at = t;
                    buyer.raise_pending = true;
                    buyer.declined = false;
                }
                raised
            }
            _ => false,
        };
        if hand_off {
            self.handoff(t, b);
        }
    }

    /// A marketing touchpoint: nurture content, then a handoff check.
    pub(super) fn marketing_touch(&mut self, t: f64, b: usize) {
        let s = self.s;
        let m = &s.marketing;
        let buyer = &mut self.buyers[b];
        if m.nurture {
            let alignment = s.segments[buyer.segment as usize].values.alignment(&m.content);
            buyer.trust += m.trust_gain * alignment * (1.0 - buyer.trust);
            if buyer.alignment == 0.0 {
                buyer.alignment = alignment;
            }
            if buyer.in_cohort {
                self.tally.nurture_touches += 1;
            }
        }
        // Stage gates are checked on stage entry; touchpoints read scores and
        // give buyers a chance to raise a hand.
        if !matches!(s.handoff, HandoffPolicy::StageGate { .. }) {
            self.marketing_check(t, b, true);
        }
        if self.buyers[b].owner == Owner::Marketing {
            self.schedule_marketing_touch(t, b);
        }
    }

    /// Marketing hands buyer `b` to sales: the first touch falls due after
    /// the first-response time.
    pub(super) fn handoff(&mut self, t: f64, b: usize) {
        let s = self.s;
        let buyer = &mut self.buyers[b];
        buyer.owner = Owner::Sales;
        buyer.marketing_epoch = buyer.marketing_epoch.wrapping_add(1);
        buyer.handoff_at = t;
        buyer.unanswered = 0;
        buyer.first_touch_done = false;
        if buyer.in_cohort {
            self.tally.handoffs_by_stage[buyer.stage as usize] += 1;
        }
        if s.outreach.reps > 0 {
            let due = EventKind::TouchDue {
                buyer: b as u32,
                epoch: buyer.sales_epoch,
            };
            self.queue.push(t + s.outreach.first_response_days, due);
        }
    }
}
