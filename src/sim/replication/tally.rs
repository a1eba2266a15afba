//! What a replication counts as journeys end — outcomes, loss causes,
//! decisions, revenue and cycle times of won deals, leads still open at the
//! end — and the open pipeline (buyers and deal value per stage) at each
//! snapshot day. Only cohort buyers (captured in the measurement window)
//! are counted; the pipeline holds every open buyer.

use crate::model::outcome::{Cause, Outcome};
use crate::sim::buyer::Owner;
use crate::sim::event::EventKind;
use crate::sim::metrics::cycle_bin;

use super::{JourneyRecorder, Sim};

impl<R: JourneyRecorder> Sim<'_, R> {
    /// Schedules the pipeline snapshots.
    pub(super) fn schedule_snapshots(&mut self) {
        for (k, &day) in self.snapshot_days.iter().enumerate() {
            self.queue.push(day, EventKind::Snapshot { index: k as u32 });
        }
    }

    /// Snapshot `k`: copies the open pipeline per stage.
    pub(super) fn snapshot(&mut self, k: usize) {
        let n = self.open_count.len();
        self.snap_count[k * n..(k + 1) * n].copy_from_slice(&self.open_count);
        self.snap_value[k * n..(k + 1) * n].copy_from_slice(&self.open_value);
    }

    /// Counts a decision made at `t` by a buyer captured at `captured_at`
    /// (revenue and cycle time when won) and returns the loss's cause.
    pub(super) fn tally_decision(
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

    /// Counts how a buyer's journey ended (cohort buyers only).
    pub(super) fn tally_ending(&mut self, in_cohort: bool, outcome: Outcome, cause: Option<Cause>) {
        if in_cohort {
            self.tally.outcomes[outcome as usize] += 1;
            if let Some(c) = cause {
                self.tally.causes[c as usize] += 1;
            }
        }
    }

    /// Counts the stored cohort buyers still undecided at the end: open
    /// pipeline, never dropped.
    pub(super) fn tally_open(&mut self) {
        for b in &self.buyers {
            if b.in_cohort && b.owner != Owner::Closed {
                self.tally.outcomes[Outcome::Open as usize] += 1;
            }
        }
    }
}
