//! Where buyers come from: each channel's leads arrive as a Poisson process
//! or in dated bursts (a trade show: a Poisson number of leads spread
//! uniformly over its days; a scheduled rate's period; a replayed date's
//! exact count), and each arrival captures one lead.
//!
//! Capturing draws who the lead is (stage, segment, fit, deal value) from
//! the buyer's own journey stream, numbered in capture order. Then either
//! the buyer is stored and its journey runs through the event queue, or,
//! when buyers are independent, its whole journey is walked at once by the
//! fast path ([`crate::sim::fast_path`]).

use rand_distr::{Distribution, Exp1, Poisson};

use crate::model::channel::{Arrivals, BurstKind};
use crate::model::handoff::HandoffPolicy;
use crate::model::scenario::Scenario;
use crate::sim::buyer::{Buyer, Owner};
use crate::sim::event::EventKind;
use crate::sim::fast_path::Capture;
use crate::sim::rng::{BuyerRng, uniform};
use crate::sim::rules::Ending;

use super::{JourneyRecorder, Sim};

/// Every channel's lead rate, if all of them are Poisson processes.
pub(super) fn poisson_rates(s: &Scenario) -> Option<Vec<f64>> {
    s.channels
        .iter()
        .map(|ch| match ch.arrivals {
            Arrivals::Poisson { leads_per_day } => Some(leads_per_day),
            Arrivals::Bursts(_) => None,
        })
        .collect()
}

impl<R: JourneyRecorder> Sim<'_, R> {
    /// Schedules every channel's first Poisson arrival and all its bursts.
    pub(super) fn schedule_arrivals(&mut self) {
        for (c, ch) in self.s.channels.iter().enumerate() {
            match &ch.arrivals {
                Arrivals::Poisson { leads_per_day } => {
                    let dt: f64 = Exp1.sample(&mut self.arrivals);
                    let channel = c as u32;
                    self.queue
                        .push(dt / leads_per_day, EventKind::Arrival { channel });
                }
                Arrivals::Bursts(bursts) => {
                    for (i, b) in bursts.iter().enumerate() {
                        let (channel, burst) = (c as u32, i as u32);
                        self.queue.push(b.day, EventKind::Burst { channel, burst });
                    }
                }
            }
        }
    }

    /// A Poisson arrival of channel `channel`: captures a lead and schedules
    /// the channel's next arrival.
    #[inline]
    pub(super) fn arrival(&mut self, t: f64, channel: u32) {
        let c = channel as usize;
        self.capture(t, c);
        if let Arrivals::Poisson { leads_per_day } = self.s.channels[c].arrivals {
            let dt: f64 = Exp1.sample(&mut self.arrivals);
            self.queue
                .push(t + dt / leads_per_day, EventKind::Arrival { channel });
        }
    }

    /// Burst `i` of channel `c` starts: draws how many leads it brings and
    /// schedules their captures over its days.
    pub(super) fn burst(&mut self, t: f64, c: usize, i: usize) {
        if let Arrivals::Bursts(bursts) = &self.s.channels[c].arrivals {
            let burst = bursts[i];
            if burst.kind == BurstKind::Date {
                for _ in 0..burst.mean_leads as u64 {
                    self.queue.push(t, EventKind::Capture { channel: c as u32 });
                }
                return;
            }
            if burst.kind == BurstKind::Event && self.in_window(t) {
                self.tally.events_in_window[c] += 1;
            }
            let n = Poisson::new(burst.mean_leads).map_or(0.0, |p| p.sample(&mut self.arrivals)) as u64;
            for _ in 0..n {
                let at = t + uniform(&mut self.arrivals) * burst.duration_days;
                self.queue.push(at, EventKind::Capture { channel: c as u32 });
            }
        }
    }

    /// The independent path's arrivals when every channel is a Poisson
    /// process: the event queue would hold one pending arrival per channel,
    /// so the earliest of those few is found directly. Draws, order (ties go
    /// to the arrival scheduled first, as in the queue) and the event count
    /// are the queue's.
    pub(super) fn merge_poisson_arrivals(&mut self, rates: &[f64]) {
        // The generator in a local (registers) while capturing, which never
        // touches it; events are counted once at the end.
        let (mut arrivals, end) = (self.arrivals.clone(), self.end);
        // Per channel: (time of its next arrival, when it was scheduled).
        let mut next: Vec<(f64, u64)> = rates
            .iter()
            .enumerate()
            .map(|(c, rate)| {
                let dt: f64 = Exp1.sample(&mut arrivals);
                (dt / rate, c as u64)
            })
            .collect();
        let mut scheduled = rates.len() as u64;
        loop {
            let mut c = 0;
            for (i, n) in next.iter().enumerate().skip(1) {
                if n.0 < next[c].0 || (n.0 == next[c].0 && n.1 < next[c].1) {
                    c = i;
                }
            }
            let t = next[c].0;
            if t > end {
                break;
            }
            self.capture(t, c);
            let dt: f64 = Exp1.sample(&mut arrivals);
            next[c] = (t + dt / rates[c], scheduled);
            scheduled += 1;
        }
        // One event per arrival.
        self.tally.events_processed += scheduled - rates.len() as u64;
        self.arrivals = arrivals;
    }

    /// Captures a lead of channel `c` at day `t`.
    pub(super) fn capture(&mut self, t: f64, c: usize) {
        let s = self.s;
        let ch = &s.channels[c];
        // Buyers are numbered in capture order; the number names their streams.
        let id = self.captured;
        self.captured += 1;
        let mut journey_rng = self.streams.journey.buyer_rng(id);
        let stage = ch.stage_mix.draw(&mut journey_rng);
        let segment = ch.segment_mix.draw(&mut journey_rng);
        let fit = self.fit[c].draw(&mut journey_rng);
        let deal_value = s.segments[segment].deal_value.sample(&mut journey_rng);
        let in_cohort = self.in_window(t);
        if in_cohort {
            self.tally.leads[c] += 1;
        }
        if self.journeys.is_some() {
            let journey = Capture {
                at: t,
                stage,
                segment,
                fit,
                deal_value,
                in_cohort,
            };
            self.whole_journey(journey, journey_rng, id);
            return;
        }
        self.open_count[stage] += 1;
        self.open_value[stage] += deal_value;
        self.buyers.push(Buyer {
            captured_at: t,
            handoff_at: 0.0,
            deal_value,
            trust: 0.0,
            resistance: 0.0,
            raised_at: t,
            alignment: 0.0,
            risk_support: 0.0,
            journey_rng,
            marketing_rng: self.streams.marketing.buyer_rng(id),
            sales_rng: self.streams.sales.buyer_rng(id),
            journey_epoch: 0,
            marketing_epoch: 0,
            sales_epoch: 0,
            stage: stage as u8,
            segment: segment as u8,
            channel: c as u8,
            unanswered: 0,
            owner: Owner::Marketing,
            fit,
            in_cohort,
            engaged: false,
            framed: false,
            raise_pending: ch.hand_raisers,
            declined: false,
            held: false,
            first_touch_done: false,
        });
        let b = id as usize;
        self.recorder.stage_entered(id as u32, stage, t);
        if s.marketing.screen_poor_fit && !fit {
            // Marketing qualifies the lead before anything else happens.
            self.close(t, b, Ending::PoorFit);
            return;
        }
        self.schedule_advance(t, b);
        if ch.hand_raisers && matches!(s.handoff, HandoffPolicy::BuyerInitiated { .. }) {
            // The lead was captured raising its hand.
            self.handoff(t, b);
        } else {
            self.apply_handoff_policy(t, b);
        }
        if self.buyers[b].owner == Owner::Marketing {
            // Marketing holds the lead instead of passing the raised hand
            // on: that hand is not answered, and the lead is handed off
            // later as any other.
            self.buyers[b].raise_pending = false;
            self.schedule_marketing_touch(t, b);
        }
    }

    /// The independent path: a captured buyer's whole journey, walked and
    /// counted by [`crate::sim::fast_path::WholeJourneys::walk`].
    fn whole_journey(&mut self, c: Capture, rng: BuyerRng, id: u64) {
        self.journeys
            .as_mut()
            .expect("the independent path has its state")
            .walk(&c, rng, id, &mut self.tally);
    }
}
