//! The simulation engine: one replication as a discrete-event simulation,
//! and many replications in parallel.
//!
//! # What happens to a buyer
//!
//! ```text
//!  channel ──capture──▶ [stage k] ──dwell──▶ [stage k+1] ─ … ─▶ [deciding] ──▶ won / competitor / no decision
//!                          │  stall ──▶ no decision      ▲ welcome touch may advance at once
//!        marketing holds ──┤  touchpoints: nurture (trust ↑, dwell ↓), lead score
//!                          │  handoff policy ──▶ sales queue ──rep free──▶ touch
//!                          │                     welcome: trust ↑ · unwelcome: resistance ↑, may go dark
//!                          └─ poor fit ──▶ disqualified
//! ```
//!
//! # Guarantees
//! * A replication is a pure function of (scenario, seed, replication index):
//!   every draw comes from a stream named in [`crate::sim::rng`], and same-time
//!   events are processed in scheduling order ([`crate::sim::event`]).
//! * [`run`] gives bit-identical results for any number of threads: each
//!   replication is independent, and results are reduced serially in
//!   replication order, a chunk at a time, so memory holds one small row per
//!   replication plus constant-size pipeline sketches.

use rand_distr::{Distribution, Exp1, Poisson, StandardNormal};
use rayon::prelude::*;

use crate::model::channel::Arrivals;
use crate::model::decision::DecisionInputs;
use crate::model::handoff::HandoffPolicy;
use crate::model::marketing::score_signal;
use crate::model::outcome::{Cause, Outcome};
use crate::model::outreach::TouchFactors;
use crate::model::scenario::Scenario;
use crate::model::stage::Stage;
use crate::model::values::MINIMISES_RISK;
use crate::sim::buyer::{Buyer, Owner};
use crate::sim::event::{EventKind, EventQueue};
use crate::sim::fast_path::{Capture, WholeJourneys};
use crate::sim::metrics::{CYCLE_BINS, Tally, cycle_bin, metric_names, metric_row};
use crate::sim::rng::{BuyerRng, Chance, SimRng, Stream, StreamFamily, chance, uniform};
use crate::sim::stats::{Estimate, P2Quantile, Summary};

/// Result of one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    /// Counters.
    pub tally: Tally,
    /// Pipeline snapshots: for snapshot `k` and stage `s`, open buyers at
    /// `[k * stages + s]`.
    pub pipeline_count: Vec<u32>,
    /// Pipeline value (sum of deal values of open buyers), same layout.
    pub pipeline_value: Vec<f64>,
}

/// Simulates replication `replication` of `s`.
///
/// When buyers cannot affect one another ([`independent_buyers`]), each
/// buyer's whole journey is simulated at capture and only arrivals go
/// through the event queue; otherwise every event does. Both follow the
/// same random streams and the same event order, so counts are identical;
/// sums of money and days may differ in the last bits (they are added in
/// another order).
pub fn simulate_replication(s: &Scenario, replication: u64) -> Replication {
    Sim::new(s, replication, (), independent_buyers(s)).run().0
}

/// [`simulate_replication`] with every event through the event queue, even
/// when buyers are independent: the reference the fast path is tested
/// against.
pub fn simulate_replication_event_driven(s: &Scenario, replication: u64) -> Replication {
    Sim::new(s, replication, (), false).run().0
}

/// Whether buyers in `s` never affect one another: nobody calls (so there
/// is no capacity queue and no touch), marketing touchpoints change nothing
/// (no nurture, no score or hand-raise readings), and handoffs need no
/// random draw (`immediate` or `stage_gate`). A buyer's journey is then a
/// function of its own random streams alone.
pub fn independent_buyers(s: &Scenario) -> bool {
    s.outreach.reps == 0
        && !s.marketing.nurture
        && matches!(
            s.handoff,
            HandoffPolicy::Immediate | HandoffPolicy::StageGate { .. }
        )
}

/// Every channel's lead rate, if all of them are Poisson processes.
fn poisson_rates(s: &Scenario) -> Option<Vec<f64>> {
    s.channels
        .iter()
        .map(|ch| match ch.arrivals {
            Arrivals::Poisson { leads_per_day } => Some(leads_per_day),
            Arrivals::Bursts(_) => None,
        })
        .collect()
}

/// Receives every buyer's stage entries and ending as they happen, in event
/// order. The engine is generic over it, so the aggregate-only path (`()`)
/// costs nothing.
pub trait JourneyRecorder {
    /// Buyer `buyer` entered `stage` at day `t` (on capture, then on each
    /// advance).
    fn stage_entered(&mut self, buyer: u32, stage: usize, t: f64);
    /// Buyer `buyer` left the journey with `outcome` at day `t`.
    fn closed(&mut self, buyer: u32, outcome: Outcome, t: f64);
}

impl JourneyRecorder for () {
    #[inline(always)]
    fn stage_entered(&mut self, _: u32, _: usize, _: f64) {}
    #[inline(always)]
    fn closed(&mut self, _: u32, _: Outcome, _: f64) {}
}

/// One simulated buyer's record, as a CRM would hold it.
#[derive(Clone, Debug, PartialEq)]
pub struct Journey {
    /// Channel index that captured the buyer.
    pub channel: usize,
    /// Segment index.
    pub segment: usize,
    /// Deal value (the opportunity amount).
    pub deal_value: f64,
    /// Stage entries `(stage, day)` in order; the first is the capture.
    pub entries: Vec<(usize, f64)>,
    /// How and when the buyer left the journey; `None` if still open.
    pub closed: Option<(Outcome, f64)>,
}

/// The per-buyer stream families of one replication.
struct BuyerStreams {
    journey: StreamFamily,
    marketing: StreamFamily,
    sales: StreamFamily,
    decision: StreamFamily,
}

/// Stage entries and ending of one buyer, while recording.
type Recorded = (Vec<(usize, f64)>, Option<(Outcome, f64)>);

#[derive(Default)]
struct Journeys(Vec<Recorded>);

impl JourneyRecorder for Journeys {
    fn stage_entered(&mut self, buyer: u32, stage: usize, t: f64) {
        let b = buyer as usize;
        if b == self.0.len() {
            self.0.push((Vec::new(), None));
        }
        self.0[b].0.push((stage, t));
    }
    fn closed(&mut self, buyer: u32, outcome: Outcome, t: f64) {
        self.0[buyer as usize].1 = Some((outcome, t));
    }
}

/// The stage history of every buyer captured in replication `replication`
/// of `s`, as a CRM exported at the end of the measurement window would
/// hold it: warm-up and window, nothing after (buyers still undecided then
/// are open). Buyers appear in capture order.
pub fn simulate_history(s: &Scenario, replication: u64) -> Vec<Journey> {
    let mut sim = Sim::new(s, replication, Journeys::default(), false);
    sim.end = sim.window_end;
    let (_, sim) = sim.run();
    let recorded = sim.recorder.0;
    sim.buyers
        .iter()
        .zip(recorded)
        .map(|(b, (entries, closed))| Journey {
            channel: b.channel as usize,
            segment: b.segment as usize,
            deal_value: b.deal_value,
            entries,
            closed,
        })
        .collect()
}

struct Sim<'a, R> {
    recorder: R,
    s: &'a Scenario,
    queue: EventQueue,
    buyers: Vec<Buyer>,
    rep_free_at: Vec<f64>,
    arrivals: SimRng,
    tally: Tally,
    open_count: Vec<u32>,
    open_value: Vec<f64>,
    snap_count: Vec<u32>,
    snap_value: Vec<f64>,
    window_start: f64,
    window_end: f64,
    end: f64,
    last_stage: usize,
    /// Per stage, the readiness factor of a touch's welcome probability,
    /// `receptivity^(0.5 + pushiness)`: constant for the run, so computed
    /// once instead of a `powf` per touch.
    readiness: Vec<f64>,
    /// Per channel, whether a lead is a real prospect (drawn on every
    /// capture).
    fit: Vec<Chance>,
    /// Per stage, a stall at its end (drawn on every stay).
    stall: Vec<Chance>,
    /// `Some` when buyers are independent: each journey is then simulated
    /// whole at capture ([`Sim::whole_journey`]) and no buyer is stored.
    journeys: Option<WholeJourneys<'a>>,
    /// Buyers captured so far.
    captured: u64,
    /// The replication's per-buyer stream families, derived once.
    streams: BuyerStreams,
    /// Snapshot days.
    snapshot_days: Vec<f64>,
    /// Whether marketing touchpoints can change anything: they send nurture
    /// content, read a score or give a buyer a chance to raise a hand. When
    /// none applies they are not scheduled at all (they would draw no random
    /// number and change no state, so results are the same either way).
    touchpoints_matter: bool,
}

impl<'a, R: JourneyRecorder> Sim<'a, R> {
    fn new(s: &'a Scenario, rep: u64, recorder: R, independent: bool) -> Self {
        let n_stages = s.stages.len();
        let n_snap = s.snapshot_days().len();
        let window = s.window();
        let streams = BuyerStreams {
            journey: s.seed.streams(rep, Stream::Journey),
            marketing: s.seed.streams(rep, Stream::Marketing),
            sales: s.seed.streams(rep, Stream::Sales),
            decision: s.seed.streams(rep, Stream::Decision),
        };
        Self {
            recorder,
            s,
            // About eight events per buyer (capture, stage changes, touches);
            // one when journeys are simulated whole at capture.
            queue: EventQueue::new(
                window.followed_until_day,
                if independent { 1.0 } else { 8.0 } * s.expected_buyers_per_replication(),
            ),
            buyers: Vec::new(),
            rep_free_at: vec![0.0; s.outreach.reps as usize],
            arrivals: s.seed.replication_rng(rep, Stream::Arrivals),
            tally: Tally::new(s),
            open_count: vec![0; n_stages],
            open_value: vec![0.0; n_stages],
            snap_count: vec![0; n_snap * n_stages],
            snap_value: vec![0.0; n_snap * n_stages],
            window_start: window.start_day,
            window_end: window.end_day,
            end: window.followed_until_day,
            last_stage: n_stages - 1,
            journeys: independent.then(|| {
                WholeJourneys::new(
                    s,
                    window.followed_until_day,
                    streams.decision,
                    s.decision.probabilities(DecisionInputs::default()),
                    |stage, segment| dwell_scale(s, stage, segment, 0.0),
                )
            }),
            captured: 0,
            streams,
            snapshot_days: s.snapshot_days(),
            readiness: s
                .stages
                .iter()
                .map(|st| st.receptivity.powf(0.5 + s.outreach.approach.pushiness))
                .collect(),
            fit: s.channels.iter().map(|c| Chance::new(c.fit)).collect(),
            stall: s.stages.iter().map(Stage::stall).collect(),
            touchpoints_matter: s.marketing.nurture
                || matches!(
                    s.handoff,
                    HandoffPolicy::ScoreThreshold { .. } | HandoffPolicy::BuyerInitiated { .. }
                ),
        }
    }

    fn in_window(&self, t: f64) -> bool {
        t >= self.window_start && t < self.window_end
    }

    /// Runs to the end; returns the replication's result and the finished
    /// simulation (for the recorder and the buyers).
    fn run(mut self) -> (Replication, Self) {
        let s = self.s;
        if self.journeys.is_some() {
            // Open buyers are counted per snapshot from their stage intervals.
            self.tally.events_processed += self.snapshot_days.len() as u64;
            if let Some(rates) = poisson_rates(s) {
                self.merge_poisson_arrivals(&rates);
                return self.finish();
            }
        }
        for (c, ch) in s.channels.iter().enumerate() {
            match &ch.arrivals {
                Arrivals::Poisson { leads_per_day } => {
                    let dt: f64 = Exp1.sample(&mut self.arrivals);
                    self.queue
                        .push(dt / leads_per_day, EventKind::Arrival, 0, 0, c as u32);
                }
                Arrivals::Bursts(bursts) => {
                    for (i, b) in bursts.iter().enumerate() {
                        self.queue.push(b.day, EventKind::Burst, i as u32, 0, c as u32);
                    }
                }
            }
        }
        if self.journeys.is_none() {
            for (k, &day) in self.snapshot_days.iter().enumerate() {
                self.queue.push(day, EventKind::Snapshot, 0, 0, k as u32);
            }
        }

        while let Some(ev) = self.queue.pop() {
            if ev.time() > self.end {
                break;
            }
            self.tally.events_processed += 1;
            let t = ev.time();
            let b = ev.buyer as usize;
            match ev.kind {
                EventKind::Arrival => {
                    let c = ev.aux as usize;
                    self.capture(t, c);
                    if let Arrivals::Poisson { leads_per_day } = s.channels[c].arrivals {
                        let dt: f64 = Exp1.sample(&mut self.arrivals);
                        self.queue
                            .push(t + dt / leads_per_day, EventKind::Arrival, 0, 0, ev.aux);
                    }
                }
                EventKind::Burst => {
                    let c = ev.aux as usize;
                    if let Arrivals::Bursts(bursts) = &s.channels[c].arrivals {
                        let burst = bursts[b];
                        if self.in_window(t) {
                            self.tally.events_in_window[c] += 1;
                        }
                        let n = Poisson::new(burst.mean_leads).map_or(0.0, |p| p.sample(&mut self.arrivals))
                            as u64;
                        for _ in 0..n {
                            let at = t + uniform(&mut self.arrivals) * burst.duration_days;
                            self.queue.push(at, EventKind::Capture, 0, 0, ev.aux);
                        }
                    }
                }
                EventKind::Capture => self.capture(t, ev.aux as usize),
                EventKind::Advance => {
                    if self.buyers[b].journey_epoch == ev.epoch && self.buyers[b].owner != Owner::Closed {
                        self.end_of_dwell(t, b);
                    }
                }
                EventKind::MarketingTouch => {
                    let buyer = &self.buyers[b];
                    if buyer.marketing_epoch == ev.epoch && buyer.owner == Owner::Marketing {
                        self.marketing_touch(t, b);
                    }
                }
                EventKind::Handoff => {
                    let buyer = &self.buyers[b];
                    if buyer.marketing_epoch == ev.epoch && buyer.owner == Owner::Marketing {
                        self.handoff(t, b);
                    }
                }
                EventKind::TouchDue => {
                    let buyer = &self.buyers[b];
                    if buyer.sales_epoch == ev.epoch && buyer.owner == Owner::Sales {
                        self.assign_rep(t, b);
                    }
                }
                EventKind::Touch => {
                    let buyer = &self.buyers[b];
                    if buyer.sales_epoch == ev.epoch && buyer.owner == Owner::Sales {
                        self.touch(t, b);
                    }
                }
                EventKind::Snapshot => {
                    let n = self.open_count.len();
                    let k = ev.aux as usize;
                    self.snap_count[k * n..(k + 1) * n].copy_from_slice(&self.open_count);
                    self.snap_value[k * n..(k + 1) * n].copy_from_slice(&self.open_value);
                }
            }
        }
        self.finish()
    }

    /// The independent path's arrivals when every channel is a Poisson
    /// process: the event queue would hold one pending arrival per channel,
    /// so the earliest of those few is found directly. Draws, order (ties go
    /// to the arrival scheduled first, as in the queue) and the event count
    /// are the queue's.
    fn merge_poisson_arrivals(&mut self, rates: &[f64]) {
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

    /// The replication's result once every event is processed.
    fn finish(mut self) -> (Replication, Self) {
        if let Some(journeys) = &self.journeys {
            journeys.finish(&mut self.tally, &mut self.snap_count, &mut self.snap_value);
        }
        // Cohort leads still undecided are open pipeline, never dropped.
        for b in &self.buyers {
            if b.in_cohort && b.owner != Owner::Closed {
                self.tally.outcomes[Outcome::Open as usize] += 1;
            }
        }
        let replication = Replication {
            tally: std::mem::take(&mut self.tally),
            pipeline_count: std::mem::take(&mut self.snap_count),
            pipeline_value: std::mem::take(&mut self.snap_value),
        };
        (replication, self)
    }

    fn capture(&mut self, t: f64, c: usize) {
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
        if in_cohort {
            for r in &mut self.tally.reached[..=stage] {
                *r += 1;
            }
        }
        self.open_count[stage] += 1;
        self.open_value[stage] += deal_value;
        self.buyers.push(Buyer {
            captured_at: t,
            handoff_at: 0.0,
            deal_value,
            trust: 0.0,
            resistance: 0.0,
            warmth: 1.0,
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
            first_touch_done: false,
        });
        let b = id as usize;
        self.recorder.stage_entered(id as u32, stage, t);
        self.schedule_advance(t, b);
        match s.handoff {
            HandoffPolicy::Immediate => self.handoff(t, b),
            HandoffPolicy::Delay { days } => {
                self.queue.push(t + days, EventKind::Handoff, id as u32, 0, 0);
                self.schedule_marketing_touch(t, b);
            }
            _ => {
                self.marketing_check(t, b, true);
                if self.buyers[b].owner == Owner::Marketing {
                    self.schedule_marketing_touch(t, b);
                }
            }
        }
    }

    /// The independent path: a captured buyer's whole journey, walked and
    /// counted by [`WholeJourneys::walk`].
    fn whole_journey(&mut self, c: Capture, rng: BuyerRng, id: u64) {
        self.journeys
            .as_mut()
            .expect("the independent path has its state")
            .walk(&c, rng, id);
    }

    fn schedule_advance(&mut self, t: f64, b: usize) {
        let s = self.s;
        let buyer = &mut self.buyers[b];
        let stage = &s.stages[buyer.stage as usize];
        let scale = dwell_scale(s, buyer.stage as usize, buyer.segment as usize, buyer.trust);
        let dwell = stage.dwell.sample_unit(&mut buyer.journey_rng) * scale;
        self.queue
            .push(t + dwell, EventKind::Advance, b as u32, buyer.journey_epoch, 0);
    }

    fn schedule_marketing_touch(&mut self, t: f64, b: usize) {
        if !self.touchpoints_matter {
            return;
        }
        let e = self.buyers[b].marketing_epoch;
        self.queue.push(
            t + self.s.marketing.touch_every_days,
            EventKind::MarketingTouch,
            b as u32,
            e,
            0,
        );
    }

    /// End of the buyer's own dwell: stall, decide, or move on.
    fn end_of_dwell(&mut self, t: f64, b: usize) {
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

    fn enter_next_stage(&mut self, t: f64, b: usize) {
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

    /// Counts a decision made at `t` by a buyer captured at `captured_at`
    /// (revenue and cycle time when won) and returns the loss's cause.
    fn tally_decision(
        &mut self,
        t: f64,
        captured_at: f64,
        deal_value: f64,
        in_cohort: bool,
        outcome: Outcome,
    ) -> Option<Cause> {
        if in_cohort {
            self.tally.decided += 1;
            if outcome == Outcome::Won {
                self.tally.revenue += deal_value;
                let cycle = t - captured_at;
                self.tally.cycle_days_sum += cycle;
                self.tally.cycle_histogram[cycle_bin(cycle)] += 1;
            }
        }
        outcome.decision_cause()
    }

    fn close(&mut self, t: f64, b: usize, outcome: Outcome, cause: Option<Cause>) {
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

    /// Counts how a buyer's journey ended (cohort buyers only).
    fn tally_ending(&mut self, in_cohort: bool, outcome: Outcome, cause: Option<Cause>) {
        if in_cohort {
            self.tally.outcomes[outcome as usize] += 1;
            if let Some(c) = cause {
                self.tally.causes[c as usize] += 1;
            }
        }
    }

    /// Handoff checks made while marketing holds the lead: on capture, on
    /// stage entry and at touchpoints (`fresh_score` reads a new score).
    fn marketing_check(&mut self, t: f64, b: usize, fresh_score: bool) {
        let s = self.s;
        let n_stages = s.stages.len();
        let buyer = &mut self.buyers[b];
        let stage = buyer.stage as usize;
        let hand_off = match s.handoff {
            HandoffPolicy::ScoreThreshold { threshold } if fresh_score => {
                let noise: f64 = StandardNormal.sample(&mut buyer.marketing_rng);
                score_signal(stage, n_stages, buyer.fit) + s.marketing.score_noise_sd * noise >= threshold
            }
            HandoffPolicy::StageGate { stage: gate } => stage >= gate,
            HandoffPolicy::BuyerInitiated { propensity } => {
                let p = HandoffPolicy::hand_raise_probability(
                    propensity,
                    s.stages[stage].receptivity,
                    buyer.trust,
                );
                chance(&mut buyer.marketing_rng, p)
            }
            _ => false,
        };
        if hand_off {
            self.handoff(t, b);
        }
    }

    fn marketing_touch(&mut self, t: f64, b: usize) {
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

    fn handoff(&mut self, t: f64, b: usize) {
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
            let e = buyer.sales_epoch;
            self.queue.push(
                t + s.outreach.first_response_days,
                EventKind::TouchDue,
                b as u32,
                e,
                0,
            );
        }
    }

    /// A touch is ready: it goes to the rep who is free first (lowest index on
    /// ties), so touches are served first come, first served and the wait
    /// grows when handed-off leads exceed capacity.
    fn assign_rep(&mut self, t: f64, b: usize) {
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
        let e = self.buyers[b].sales_epoch;
        self.queue.push(start, EventKind::Touch, b as u32, e, 0);
    }

    fn touch(&mut self, t: f64, b: usize) {
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
            self.close(t, b, Outcome::Disqualified, Some(Cause::PoorFitLead));
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
            let e = buyer.sales_epoch;
            self.queue
                .push(t + o.follow_up_every_days, EventKind::TouchDue, b as u32, e, 0);
            if advance {
                self.enter_next_stage(t, b);
            }
        } else {
            buyer.resistance += r.resistance_gain * o.approach.pushiness * (1.0 - buyer.resistance);
            let p_dark = r.go_dark_base + r.go_dark_per_resistance * buyer.resistance;
            if chance(&mut buyer.sales_rng, p_dark) {
                let cause = unwelcome_cause(&factors);
                self.close(t, b, Outcome::WentDark, Some(cause));
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
                let e = buyer.sales_epoch;
                self.queue
                    .push(t + o.touch_spacing_days, EventKind::TouchDue, b as u32, e, 0);
            }
        }
    }
}

/// Days per unit of sampled dwell for a buyer in `stage` of `segment` with
/// `trust`: the stage mean, stretched by the segment's pace and shortened by
/// trust. One formula for both paths, so they draw identical dwell times.
#[inline]
fn dwell_scale(s: &Scenario, stage: usize, segment: usize, trust: f64) -> f64 {
    s.stages[stage].mean_days * s.segments[segment].pace / (1.0 + s.marketing.dwell_speedup * trust)
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

/// Hooks the engine calls while running; every method has an empty default.
/// Methods may be called from several threads at once.
pub trait RunObserver: Sync {
    /// A replication finished (in any order).
    fn replication_finished(&self) {}
    /// Checked between chunks of replications; return `true` to stop early.
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that does nothing.
pub struct Silent;
impl RunObserver for Silent {}

/// Pipeline bands per snapshot and stage.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineBand {
    /// Snapshot day.
    pub day: f64,
    /// Stage index.
    pub stage: usize,
    /// Open buyers: mean, p05, p50, p95 across replications.
    pub count: [f64; 4],
    /// Open pipeline value: mean, p05, p50, p95 across replications.
    pub value: [f64; 4],
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Metric names (columns of `rows`).
    pub names: Vec<String>,
    /// One row per replication, in replication order (empty when the run
    /// was made with [`Rows::Drop`]).
    pub rows: Vec<Vec<f64>>,
    /// One estimate per metric.
    pub estimates: Vec<Estimate>,
    /// Pipeline bands (snapshot-major, then stage).
    pub pipeline: Vec<PipelineBand>,
    /// Replications finished (fewer than requested if cancelled).
    pub completed: u32,
    /// Total events processed over all replications.
    pub events: u64,
    /// Won deals by sales-cycle length summed over replications, in bins of
    /// [`CYCLE_BIN_DAYS`](crate::sim::metrics::CYCLE_BIN_DAYS) days (the last bin
    /// holds everything longer).
    pub cycle_histogram: Vec<u64>,
}

impl RunResult {
    /// The estimate of a metric by name.
    pub fn estimate(&self, name: &str) -> Option<&Estimate> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.estimates[i])
    }
}

/// Replications simulated in parallel before their results are folded in.
/// Bounds memory; does not affect results.
const CHUNK: u32 = 64;

/// Whether a run keeps every replication's metric row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// Keep them: for the replications table and paired comparisons.
    Keep,
    /// Drop them once summarised: memory no longer grows with the
    /// replication count (estimates are the same either way).
    Drop,
}

/// Runs all replications of `s` in parallel on the current rayon pool,
/// keeping every replication's row.
pub fn run(s: &Scenario, observer: &dyn RunObserver) -> RunResult {
    run_with(s, observer, Rows::Keep)
}

/// Runs all replications of `s` in parallel on the current rayon pool.
/// Estimates are built while the results stream in ([`Summary`]), so they
/// do not depend on `rows`.
pub fn run_with(s: &Scenario, observer: &dyn RunObserver, keep: Rows) -> RunResult {
    let names = metric_names(s);
    let days = s.snapshot_days();
    let n_stages = s.stages.len();
    let cells = days.len() * n_stages;
    let mut rows = Vec::new();
    let mut summaries = vec![Summary::new(); names.len()];
    let mut completed = 0u32;
    let mut count_sum = vec![0.0; cells];
    let mut value_sum = vec![0.0; cells];
    let new_sketch = || [P2Quantile::new(0.05), P2Quantile::new(0.5), P2Quantile::new(0.95)];
    let mut count_q: Vec<_> = (0..cells).map(|_| new_sketch()).collect();
    let mut value_q: Vec<_> = (0..cells).map(|_| new_sketch()).collect();
    let mut events = 0;
    let mut cycle_histogram = vec![0u64; CYCLE_BINS];
    let mut start = 0;
    while start < s.replications && !observer.cancelled() {
        let end = (start + CHUNK).min(s.replications);
        let chunk: Vec<Replication> = (start..end)
            .into_par_iter()
            .map(|rep| {
                let r = simulate_replication(s, u64::from(rep));
                observer.replication_finished();
                r
            })
            .collect();
        // Serial fold in replication order: thread-count independent.
        for r in chunk {
            events += r.tally.events_processed;
            for (h, &c) in cycle_histogram.iter_mut().zip(&r.tally.cycle_histogram) {
                *h += u64::from(c);
            }
            let row = metric_row(s, &r.tally);
            for (summary, &x) in summaries.iter_mut().zip(&row) {
                summary.push(x);
            }
            if keep == Rows::Keep {
                rows.push(row);
            }
            completed += 1;
            for i in 0..cells {
                let c = f64::from(r.pipeline_count[i]);
                let v = r.pipeline_value[i];
                count_sum[i] += c;
                value_sum[i] += v;
                count_q[i].iter_mut().for_each(|q| q.push(c));
                value_q[i].iter_mut().for_each(|q| q.push(v));
            }
        }
        start = end;
    }
    let estimates = summaries.iter().map(Summary::estimate).collect();
    let n = f64::from(completed.max(1));
    let q = |s: &[P2Quantile; 3], i: usize| s[i].value().unwrap_or(f64::NAN);
    let pipeline = (0..cells)
        .map(|i| PipelineBand {
            day: days[i / n_stages],
            stage: i % n_stages,
            count: [
                count_sum[i] / n,
                q(&count_q[i], 0),
                q(&count_q[i], 1),
                q(&count_q[i], 2),
            ],
            value: [
                value_sum[i] / n,
                q(&value_q[i], 0),
                q(&value_q[i], 1),
                q(&value_q[i], 2),
            ],
        })
        .collect();
    RunResult {
        names,
        rows,
        estimates,
        pipeline,
        completed,
        events,
        cycle_histogram,
    }
}
