//! Every buyer's stage history, as a CRM holds it: the engine reports stage
//! entries and endings to a [`JourneyRecorder`] as they happen. The
//! aggregate-only replication records nothing (`()`), at no cost;
//! [`simulate_history`] keeps every buyer's record.

use crate::model::outcome::Outcome;
use crate::model::scenario::Scenario;

use super::Sim;

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
