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
    /// One row per replication, in replication order, of the metrics in
    /// [`kept`](Self::kept) (see [`Rows`]).
    pub rows: Vec<Vec<f64>>,
    /// The metrics of each of `rows`, in order: all of `names` with
    /// [`Rows::Keep`], none with [`Rows::Drop`].
    pub kept: Vec<String>,
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

    /// Every replication's value of metric `name`, in replication order,
    /// if the run kept it (see [`Rows`]).
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let j = self.kept.iter().position(|n| n == name)?;
        Some(self.rows.iter().map(|row| row[j]).collect())
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

/// Which per-replication metric values a run keeps (estimates are the
/// same either way: they are built while the results stream in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows<'a> {
    /// Every metric: for the replications table.
    Keep,
    /// None: memory does not grow with the replication count.
    Drop,
    /// Only these metrics (names of the run's metrics; others are
    /// ignored): for paired statistics, which need each replication's value
    /// of the metrics they compare, and nothing else.
    Only(&'a [&'a str]),
}

/// Runs all replications of `s` in parallel on the current rayon pool,
/// keeping every replication's row.
pub fn run(s: &Scenario, observer: &dyn RunObserver) -> RunResult {
    run_with(s, observer, Rows::Keep)
}

/// How much of each replication a run folds in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Metric estimates, pipeline bands and the sales-cycle histogram
    /// (what `run`, the report and the console show).
    Full,
    /// Metric estimates only: no pipeline bands or cycle histogram, which
    /// studies of many configurations never show. Estimates are the same
    /// as with [`Detail::Full`]; the run is cheaper and its records smaller.
    Estimates,
}

/// What a run keeps of one replication: everything its result is folded
/// from. A shard of a run stores these, so that merging the shards folds
/// exactly what one machine would have folded.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The replication's index.
    pub replication: u32,
    /// Its metric values, in the order of [`metric_names`].
    pub row: Vec<f64>,
    /// Open buyers per snapshot and stage (snapshot-major).
    pub pipeline_count: Vec<u32>,
    /// Open pipeline value per snapshot and stage (snapshot-major).
    pub pipeline_value: Vec<f64>,
    /// Events processed.
    pub events: u64,
    /// Buyers simulated, warm-up and run-off included.
    pub buyers: u64,
    /// Won deals by sales-cycle length (see [`RunResult::cycle_histogram`]).
    pub cycle_histogram: Vec<u32>,
}

impl Record {
    /// The record of replication `replication` of `s`, simulated as `r`
    /// (without pipeline snapshots and cycle histogram unless `detail` is
    /// [`Detail::Full`]).
    pub fn of(s: &Scenario, replication: u32, r: Replication, detail: Detail) -> Self {
        let full = detail == Detail::Full;
        let keep = |v: Vec<_>| if full { v } else { Vec::new() };
        Self {
            replication,
            row: metric_row(s, &r.tally),
            events: r.tally.events_processed,
            buyers: r.tally.buyers,
            cycle_histogram: keep(r.tally.cycle_histogram),
            pipeline_count: keep(r.pipeline_count),
            pipeline_value: if full { r.pipeline_value } else { Vec::new() },
        }
    }
}

/// Folds records, in replication order, into a [`RunResult`]: running
/// estimates, pipeline sketches and totals, so memory does not grow with
/// the replication count (unless rows are kept).
///
/// The fold is serial and order-dependent (floating-point sums, quantile
/// sketches); feeding it the same records in the same order gives a
/// bit-identical result, whichever machine or thread simulated them.
pub struct Fold {
    names: Vec<String>,
    days: Vec<f64>,
    n_stages: usize,
    /// Positions in a record's row of the metrics kept.
    kept: Vec<usize>,
    rows: Vec<Vec<f64>>,
    summaries: Vec<Summary>,
    completed: u32,
    count_sum: Vec<f64>,
    value_sum: Vec<f64>,
    count_q: Vec<[P2Quantile; 3]>,
    value_q: Vec<[P2Quantile; 3]>,
    events: u64,
    buyers: u64,
    cycle_histogram: Vec<u64>,
}

impl Fold {
    /// An empty fold for runs of `s`, keeping `keep` per replication and
    /// folding in the pipeline and cycle histogram if `detail` says so.
    pub fn new(s: &Scenario, keep: Rows<'_>, detail: Detail) -> Self {
        let names = metric_names(s);
        let kept = match keep {
            Rows::Keep => (0..names.len()).collect(),
            Rows::Drop => Vec::new(),
            Rows::Only(wanted) => (0..names.len())
                .filter(|&j| wanted.contains(&names[j].as_str()))
                .collect(),
        };
        let days = s.snapshot_days();
        let n_stages = s.stages.len();
        let cells = match detail {
            Detail::Full => days.len() * n_stages,
            Detail::Estimates => 0,
        };
        let new_sketch = || [P2Quantile::new(0.05), P2Quantile::new(0.5), P2Quantile::new(0.95)];
        Self {
            summaries: vec![Summary::new(); names.len()],
            names,
            days,
            n_stages,
            kept,
            rows: Vec::new(),
            completed: 0,
            count_sum: vec![0.0; cells],
            value_sum: vec![0.0; cells],
            count_q: (0..cells).map(|_| new_sketch()).collect(),
            value_q: (0..cells).map(|_| new_sketch()).collect(),
            events: 0,
            buyers: 0,
            cycle_histogram: vec![0; CYCLE_BINS],
        }
    }

    /// Folds in the next replication's record.
    ///
    /// # Panics
    /// If the record is shaped for another scenario (metric or pipeline
    /// sizes differ).
    pub fn push(&mut self, r: Record) {
        assert_eq!(r.row.len(), self.names.len(), "a record of another scenario");
        assert_eq!(
            r.pipeline_count.len(),
            self.count_sum.len(),
            "a record of another scenario"
        );
        self.events += r.events;
        self.buyers += r.buyers;
        for (h, &c) in self.cycle_histogram.iter_mut().zip(&r.cycle_histogram) {
            *h += u64::from(c);
        }
        for (summary, &x) in self.summaries.iter_mut().zip(&r.row) {
            summary.push(x);
        }
        for i in 0..self.count_sum.len() {
            let c = f64::from(r.pipeline_count[i]);
            let v = r.pipeline_value[i];
            self.count_sum[i] += c;
            self.value_sum[i] += v;
            self.count_q[i].iter_mut().for_each(|q| q.push(c));
            self.value_q[i].iter_mut().for_each(|q| q.push(v));
        }
        if self.kept.len() == r.row.len() {
            self.rows.push(r.row);
        } else if !self.kept.is_empty() {
            self.rows.push(self.kept.iter().map(|&j| r.row[j]).collect());
        }
        self.completed += 1;
    }

    /// The run's result.
    pub fn finish(self) -> RunResult {
        let estimates = self.summaries.iter().map(Summary::estimate).collect();
        let n = f64::from(self.completed.max(1));
        let q = |s: &[P2Quantile; 3], i: usize| s[i].value().unwrap_or(f64::NAN);
        let n_stages = self.n_stages;
        let pipeline = (0..self.count_sum.len())
            .map(|i| PipelineBand {
                day: self.days[i / n_stages],
                stage: i % n_stages,
                count: [
                    self.count_sum[i] / n,
                    q(&self.count_q[i], 0),
                    q(&self.count_q[i], 1),
                    q(&self.count_q[i], 2),
                ],
                value: [
                    self.value_sum[i] / n,
                    q(&self.value_q[i], 0),
                    q(&self.value_q[i], 1),
                    q(&self.value_q[i], 2),
                ],
            })
            .collect();
        RunResult {
            kept: self.kept.iter().map(|&j| self.names[j].clone()).collect(),
            names: self.names,
            rows: self.rows,
            estimates,
            pipeline,
            completed: self.completed,
            events: self.events,
            buyers: self.buyers,
            cycle_histogram: self.cycle_histogram,
        }
    }
}

/// Simulates replications `range` of `s` in parallel on the current rayon
/// pool, a chunk at a time, and hands their records to `sink` serially in
/// replication order. Stops between chunks when the observer cancels.
pub fn simulate_records(
    s: &Scenario,
    range: std::ops::Range<u32>,
    detail: Detail,
    observer: &dyn RunObserver,
    mut sink: impl FnMut(Record),
) {
    let mut start = range.start;
    while start < range.end && !observer.cancelled() {
        let end = start.saturating_add(CHUNK).min(range.end);
        let chunk: Vec<Record> = (start..end)
            .into_par_iter()
            .map(|rep| {
                let r = Record::of(s, rep, simulate_replication(s, u64::from(rep)), detail);
                observer.replication_finished();
                r
            })
            .collect();
        // Serial hand-over in replication order: thread-count independent.
        chunk.into_iter().for_each(&mut sink);
        start = end;
    }
}

/// Runs all replications of `s` in parallel on the current rayon pool.
/// Estimates are built while the results stream in ([`Fold`]), so they
/// do not depend on `rows`.
pub fn run_with(s: &Scenario, observer: &dyn RunObserver, keep: Rows<'_>) -> RunResult {
    run_detailed(s, observer, keep, Detail::Full)
}

/// [`run_with`] folding in only what `detail` asks for.
pub fn run_detailed(s: &Scenario, observer: &dyn RunObserver, keep: Rows<'_>, detail: Detail) -> RunResult {
    let mut fold = Fold::new(s, keep, detail);
    simulate_records(s, 0..s.replications, detail, observer, |r| fold.push(r));
    fold.finish()
}
