//! The engine's entry point: many replications of a scenario in parallel,
//! folded into estimates and pipeline bands.
//!
//! One replication is simulated by [`crate::sim::replication`] (its names are
//! re-exported here, so `engine::simulate_replication` and `engine::run` sit
//! side by side).
//!
//! # Guarantees
//! [`run`] gives bit-identical results for any number of threads: each
//! replication is a pure function of (scenario, seed, replication index),
//! and results are reduced serially in replication order, a chunk at a time,
//! so memory holds one small row per replication plus constant-size pipeline
//! sketches.

use rayon::prelude::*;

use crate::model::scenario::Scenario;
use crate::sim::metrics::{CYCLE_BINS, metric_names, metric_row};
use crate::sim::stats::{Estimate, P2Quantile, Summary};

pub use crate::sim::replication::{
    Journey, JourneyRecorder, Replication, independent_buyers, simulate_history, simulate_replication,
    simulate_replication_event_driven, unwelcome_cause,
};

/// Hooks the engine calls while running; every method has an empty default.
/// Methods may be called from several threads at once.
pub trait RunObserver: Sync {
    /// A replication finished (in any order).
    fn replication_finished(&self) {}
    /// Checked between chunks of replications; return `true` to stop early.
    fn cancelled(&self) -> bool {
        false
    }
    /// The work now expects `replications` in all (a sequential study
    /// learns its size as it goes).
    fn planned(&self, _replications: u64) {}
    /// A short note on where a sequential study stands, e.g. how many
    /// configurations are still in contention.
    fn status(&self, _note: &str) {}
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
    /// Events processed over all replications (see
    /// [`Tally::events_processed`](crate::sim::metrics::Tally::events_processed):
    /// the fast path walks journeys without events).
    pub events: u64,
    /// Buyers simulated over all replications, warm-up and run-off
    /// included: the throughput measure common to both engine paths.
    pub buyers: u64,
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

    /// The mean of a count the run always reports (`won`, `reached.<stage>`,
    /// `blame.<cause>`, …); 0 when no replication defined it.
    ///
    /// # Panics
    /// If the run reports no metric of that name: a misspelt name is a bug
    /// to catch, not a zero to print.
    pub fn mean_count(&self, name: &str) -> f64 {
        self.estimate(name)
            .unwrap_or_else(|| panic!("no metric named {name:?}"))
            .mean
            .unwrap_or(0.0)
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
    let (mut events, mut buyers) = (0, 0);
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
            buyers += r.tally.buyers;
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
        buyers,
        cycle_histogram,
    }
}
