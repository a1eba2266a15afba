//! One replication as a discrete-event simulation.
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
//! The state of a replication (`Sim`) and its event loop live here; what
//! each event does is split by concern, one file each:
//!
//! | file | concern |
//! | --- | --- |
//! | `arrivals.rs` | channels (Poisson processes and dated bursts) and capturing a lead |
//! | `journey.rs` | the buyer's own journey: stays, advancing, stalling, deciding, closing |
//! | `marketing.rs` | nurture touchpoints, lead scores and the handoff decision |
//! | `sales.rs` | reps, the first-come-first-served touch queue and touch responses |
//! | `tally.rs` | buyers still open at the end, and the open pipeline at snapshots |
//! | `recorder.rs` | every buyer's stage history, for exported CRM histories |
//!
//! The model's per-stay and per-decision rules, and what a journey's ending
//! counts, are in `sim/rules.rs`, shared with the fast path: when
//! buyers cannot affect one another ([`independent_buyers`]), captured
//! journeys are walked whole by [`crate::sim::fast_path`] instead.
//!
//! # Guarantees
//! A replication is a pure function of (scenario, seed, replication index):
//! every draw comes from a stream named in [`crate::sim::rng`], and same-time
//! events are processed in scheduling order ([`crate::sim::event`]).

mod arrivals;
mod journey;
mod marketing;
mod recorder;
mod sales;
mod tally;

pub use recorder::{Journey, JourneyRecorder, simulate_history};
pub use sales::unwelcome_cause;

use crate::model::decision::DecisionInputs;
use crate::model::handoff::HandoffPolicy;
use crate::model::scenario::Scenario;
use crate::model::stage::Stage;
use crate::sim::buyer::{Buyer, Owner};
use crate::sim::event::{EventKind, EventQueue};
use crate::sim::fast_path::WholeJourneys;
use crate::sim::metrics::Tally;
use crate::sim::rng::{Chance, SimRng, Stream, StreamFamily};

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
        && !s.marketing.screen_poor_fit
        && matches!(
            s.handoff,
            HandoffPolicy::Immediate | HandoffPolicy::StageGate { .. }
        )
}

/// The per-buyer stream families of one replication.
struct BuyerStreams {
    journey: StreamFamily,
    marketing: StreamFamily,
    sales: StreamFamily,
    decision: StreamFamily,
}

/// The state of one replication.
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
    /// Per segment and stage (`segment × stages + stage`), the readiness
    /// factor of a conversation's welcome probability,
    /// `receptivity^(0.5 + pushiness)` for the segment's approach: constant
    /// for the run, so computed once instead of a `powf` per touch.
    readiness: Vec<f64>,
    /// Per segment, P(advance at once | welcome) for its approach.
    advance_on_welcome: Vec<Chance>,
    /// Whether a contact attempt reaches the buyer.
    reach: Chance,
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
                )
            }),
            captured: 0,
            streams,
            snapshot_days: s.snapshot_days(),
            readiness: s
                .outreach
                .by_segment
                .iter()
                .flat_map(|a| s.stages.iter().map(|st| st.receptivity.powf(0.5 + a.pushiness)))
                .collect(),
            advance_on_welcome: s
                .outreach
                .by_segment
                .iter()
                .map(|a| Chance::new((s.response.advance_on_welcome * (0.5 + a.pushiness)).min(1.0)))
                .collect(),
            reach: Chance::new(s.outreach.reach_probability),
            fit: s.channels.iter().map(|c| Chance::new(c.fit)).collect(),
            stall: s.stages.iter().map(Stage::stall).collect(),
            touchpoints_matter: s.marketing.nurture
                || matches!(
                    s.handoff,
                    HandoffPolicy::ScoreThreshold { .. } | HandoffPolicy::BuyerInitiated { .. }
                ),
        }
    }

    /// Whether day `t` is in the measurement window (leads captured then
    /// are the cohort).
    fn in_window(&self, t: f64) -> bool {
        t >= self.window_start && t < self.window_end
    }

    /// Runs to the end; returns the replication's result and the finished
    /// simulation (for the recorder and the buyers).
    fn run(mut self) -> (Replication, Self) {
        if self.journeys.is_some() {
            // Open buyers are counted per snapshot from their stays, so no
            // snapshot event is scheduled.
            if let Some(rates) = arrivals::poisson_rates(self.s) {
                self.merge_poisson_arrivals(&rates);
                return self.finish();
            }
        }
        self.schedule_arrivals();
        if self.journeys.is_none() {
            self.schedule_snapshots();
        }

        while let Some(ev) = self.queue.pop() {
            if ev.time() > self.end {
                break;
            }
            self.tally.events_processed += 1;
            let t = ev.time();
            // A buyer event acts only if the buyer's state has not moved on
            // since it was scheduled (same epoch, same owner).
            match ev.kind {
                EventKind::Arrival { channel } => self.arrival(t, channel),
                EventKind::Burst { channel, burst } => self.burst(t, channel as usize, burst as usize),
                EventKind::Capture { channel } => self.capture(t, channel as usize),
                EventKind::Advance { buyer, epoch } => {
                    let b = buyer as usize;
                    if self.buyers[b].journey_epoch == epoch && self.buyers[b].owner != Owner::Closed {
                        self.end_of_dwell(t, b);
                    }
                }
                EventKind::MarketingTouch { buyer, epoch } => {
                    let b = buyer as usize;
                    let buyer = &self.buyers[b];
                    if buyer.marketing_epoch == epoch && buyer.owner == Owner::Marketing {
                        self.marketing_touch(t, b);
                    }
                }
                EventKind::Handoff { buyer, epoch } => {
                    let b = buyer as usize;
                    let buyer = &self.buyers[b];
                    if buyer.marketing_epoch == epoch && buyer.owner == Owner::Marketing {
                        self.handoff(t, b);
                    }
                }
                EventKind::Release { buyer, epoch } => {
                    let b = buyer as usize;
                    let buyer = &self.buyers[b];
                    if buyer.marketing_epoch == epoch && buyer.owner == Owner::Marketing {
                        self.release(t, b);
                    }
                }
                EventKind::TouchDue { buyer, epoch } => {
                    let b = buyer as usize;
                    let buyer = &self.buyers[b];
                    if buyer.sales_epoch == epoch && buyer.owner == Owner::Sales {
                        self.assign_rep(t, b);
                    }
                }
                EventKind::Touch { buyer, epoch } => {
                    let b = buyer as usize;
                    let buyer = &self.buyers[b];
                    if buyer.sales_epoch == epoch && buyer.owner == Owner::Sales {
                        self.touch(t, b);
                    }
                }
                EventKind::Snapshot { index } => self.snapshot(index as usize),
            }
        }
        self.finish()
    }

    /// The replication's result once every event is processed.
    fn finish(mut self) -> (Replication, Self) {
        if let Some(journeys) = &self.journeys {
            journeys.finish(&mut self.tally, &mut self.snap_count, &mut self.snap_value);
        }
        self.tally_open();
        self.tally.buyers = self.captured;
        let replication = Replication {
            tally: std::mem::take(&mut self.tally),
            pipeline_count: std::mem::take(&mut self.snap_count),
            pipeline_value: std::mem::take(&mut self.snap_value),
        };
        (replication, self)
    }
}
