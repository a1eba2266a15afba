//! Comparing scenarios with common random numbers.
//!
//! Every scenario of a comparison runs with the same seed and replication
//! count, so replication *k* of each faces the same buyers (see
//! [`crate::sim::rng`]). Differences are computed replication by replication
//! (paired), which removes the shared noise: the paired interval is much
//! narrower than the one from two independent means, and comparing a
//! scenario with itself gives exactly zero with a zero-width interval.

use serde::Serialize;

use crate::model::scenario::Scenario;
use crate::sim::engine::RunResult;
use crate::sim::metrics::Metric;
pub use crate::sim::metrics::Unit;
use crate::sim::stats::{Estimate, paired_difference, unpaired_half_width};

/// Metrics compared by default (see [`crate::sim::metrics::CATALOGUE`] for
/// their labels and units).
pub const KEY_METRICS: [&str; 12] = [
    "leads",
    "won",
    "close_rate",
    "win_rate",
    "revenue",
    "total_spend",
    "profit",
    "roi",
    "cost_per_win",
    "cycle_days",
    "response_days",
    "share.went_dark",
];

/// The key metrics worth comparing between `scenarios`: all of
/// [`KEY_METRICS`], less those made of costs when any scenario marks its
/// costs unknown (a difference of placeholders says nothing).
pub fn key_metrics(scenarios: &[&Scenario]) -> Vec<&'static str> {
    let costs_known = scenarios.iter().all(|s| s.costs_known());
    KEY_METRICS
        .into_iter()
        .filter(|m| costs_known || !Metric::made_of_costs(m))
        .collect()
}

/// One metric of a candidate against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairedComparison {
    /// Metric name.
    pub metric: String,
    /// Human label.
    pub label: String,
    /// Unit of the metric.
    pub unit: Unit,
    /// The baseline's estimate.
    pub baseline: Estimate,
    /// The candidate's estimate.
    pub candidate: Estimate,
    /// Paired difference candidate − baseline.
    pub difference: Estimate,
    /// Difference relative to the baseline mean.
    pub relative: Option<f64>,
    /// Half-width of the unpaired 95% interval, for contrast.
    pub unpaired_half_width: Option<f64>,
}

impl PairedComparison {
    /// Half-width of the paired 95% interval.
    pub fn paired_half_width(&self) -> Option<f64> {
        Some((self.difference.ci_high? - self.difference.ci_low?) / 2.0)
    }

    /// Whether the 95% interval of the difference excludes zero.
    pub fn is_clear(&self) -> bool {
        match (self.difference.ci_low, self.difference.ci_high) {
            (Some(lo), Some(hi)) => lo > 0.0 || hi < 0.0,
            _ => false,
        }
    }

    /// How many times narrower the paired interval is than the unpaired one.
    pub fn width_ratio(&self) -> Option<f64> {
        let p = self.paired_half_width()?;
        let u = self.unpaired_half_width?;
        (p > 0.0).then(|| u / p)
    }
}

/// Compares `candidate` with `baseline` on `metrics` (names of the
/// catalogue; others, and metrics the runs did not keep per replication,
/// are skipped).
pub fn compare(baseline: &RunResult, candidate: &RunResult, metrics: &[&str]) -> Vec<PairedComparison> {
    metrics
        .iter()
        .filter_map(|&metric| {
            let info = Metric::find(metric)?;
            let (label, unit) = (info.label.to_owned(), info.unit);
            let ia = baseline.names.iter().position(|n| n == metric)?;
            let ib = candidate.names.iter().position(|n| n == metric)?;
            let a = baseline.column(metric)?;
            let b = candidate.column(metric)?;
            let (ea, eb) = (&baseline.estimates[ia], &candidate.estimates[ib]);
            let difference = paired_difference(&a, &b);
            let relative = match (difference.mean, ea.mean) {
                (Some(d), Some(m)) if m != 0.0 => Some(d / m.abs()),
                _ => None,
            };
            Some(PairedComparison {
                metric: metric.to_owned(),
                label,
                unit,
                baseline: ea.clone(),
                candidate: eb.clone(),
                difference,
                relative,
                unpaired_half_width: unpaired_half_width(ea, eb),
            })
        })
        .collect()
}
