//! What a replication counts at the end: cohort buyers still open, counted
//! like every other ending ([`crate::sim::rules`]); and the open pipeline
//! (buyers and deal value per stage, every open buyer, cohort or not) at
//! each snapshot day.

use crate::sim::buyer::Owner;
use crate::sim::event::EventKind;
use crate::sim::rules::Ending;

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

    /// Counts the stored cohort buyers still undecided at the end: open
    /// pipeline, never dropped.
    pub(super) fn tally_open(&mut self) {
        for b in &self.buyers {
            if b.in_cohort && b.owner != Owner::Closed {
                self.tally.count_ending(Ending::Open, b.stage as usize, 1);
            }
        }
    }
}
