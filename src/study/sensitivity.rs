//! One-at-a-time sensitivity: move each numeric parameter to a lower and a
//! higher value (a relative delta of its size; counts by at least one whole
//! step), and rank parameters by the effect on a metric (the data behind a
//! tornado chart). All runs share random numbers, so the effect of a
//! parameter that does not matter is exactly zero. A parameter that could
//! not be measured is listed as skipped with the reason, never ranked.

use serde::Serialize;

use crate::model::scenario::error::closest;
use crate::model::scenario::overrides::{Override, apply};
use crate::model::scenario::params::{Number, ParamPath, numbers};
use crate::model::scenario::{Origin, Scenario, ScenarioError, spec::ScenarioSpec};
use crate::sim::engine::{Detail, Rows, RunObserver, RunResult};
use crate::sim::shard::Runner;
use crate::sim::stats::{Estimate, paired_difference};

/// Numeric parameters of a spec, as `(path, value)`: every number in the
/// complete spec (defaults included) outside `[simulation]` and the
/// channels' stage and segment mixes. Entries of lists of named tables are
/// addressed by name (`stages.validating.receptivity`).
pub fn numeric_parameters(spec: &ScenarioSpec) -> Vec<(String, Number)> {
    let mut out = numbers(spec);
    // Mixes must keep summing to 1, so their weights cannot move one at a time.
    out.retain(|(p, _)| !p.starts_with("simulation.") && !p.contains("_mix."));
    out
}

/// The effect of one parameter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Effect {
    /// Key path.
    pub parameter: String,
    /// Base value.
    pub base: f64,
    /// The lower value tried (None if invalid, e.g. a negative count or a
    /// probability below 0): always below `base`, whatever its sign.
    pub low: Option<f64>,
    /// The higher value tried (None if invalid, e.g. a probability above 1).
    pub high: Option<f64>,
    /// Metric at the low value minus base (paired; 0 without a low value).
    pub low_minus_base: Estimate,
    /// Metric at the high value minus base (paired; 0 without a high value).
    pub high_minus_base: Estimate,
    /// Metric at high minus at low (paired; base stands in for a side
    /// without a valid value): the ranking quantity. Positive means raising
    /// the parameter raises the metric.
    pub effect: Estimate,
}

impl Effect {
    /// Whether the effect's 95% CI excludes zero (a measured effect
    /// distinguishable from none).
    pub fn clear(&self) -> bool {
        matches!((self.effect.ci_low, self.effect.ci_high), (Some(lo), Some(hi)) if lo > 0.0 || hi < 0.0)
    }
}

/// A parameter that was not measured, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    /// Key path.
    pub parameter: String,
    /// Why it has no effect to rank (for people).
    pub reason: String,
}

/// A sensitivity analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensitivity {
    /// The metric.
    pub metric: String,
    /// Relative perturbation (0.1 = ±10%; counts move by at least 1).
    pub delta: f64,
    /// The metric at the base values.
    pub base: Estimate,
    /// Measured effects, largest |effect| first.
    pub effects: Vec<Effect>,
    /// Parameters not measured, in the order of the parameter list.
    pub skipped: Vec<Skipped>,
}

/// The message for a metric name that does not exist: the closest names and
/// every name, per-item families (`reached.<stage>`, …) shown once.
pub fn unknown_metric(metric: &str, names: &[String]) -> String {
    let mut listed: Vec<String> = Vec::new();
    for n in names {
        let shown = match n.split_once('.') {
            Some((family, _)) => format!("{family}.<…>"),
            None => n.clone(),
        };
        if !listed.contains(&shown) {
            listed.push(shown);
        }
    }
    format!(
        "unknown metric '{metric}'; closest: {}; metrics are: {}",
        closest(metric, names.iter().map(String::as_str)).join(", "),
        listed.join(", ")
    )
}

/// Runs the analysis. `params` empty means every numeric parameter.
///
/// # Errors
/// An unknown parameter or metric, or a base scenario that does not validate.
pub fn run_sensitivity(
    base: &ScenarioSpec,
    params: &[String],
    delta: f64,
    metric: &str,
    runner: &dyn Runner,
    observer: &dyn RunObserver,
) -> Result<Sensitivity, ScenarioError> {
    let all = numeric_parameters(base);
    let chosen: Vec<(String, Number)> = if params.is_empty() {
        all
    } else {
        params
            .iter()
            .map(|p| match all.iter().find(|(q, _)| q == p) {
                Some((_, v)) => Ok((p.clone(), *v)),
                None => Err(ScenarioError::from(
                    Origin::Sensitivity,
                    p,
                    format!(
                        "not a numeric parameter; closest: {}",
                        closest(p, all.iter().map(|(q, _)| q.as_str())).join(", ")
                    ),
                )),
            })
            .collect::<Result<_, _>>()?
    };
    let base_scenario = Scenario::from_spec(base.clone())?;
    // Checked before anything runs, with the names to choose from.
    let names = crate::sim::metrics::metric_names(&base_scenario);
    if !names.iter().any(|n| n == metric) {
        return Err(ScenarioError::from(
            Origin::Metric,
            "",
            unknown_metric(metric, &names),
        ));
    }
    let keep = [metric];
    let base_run = runner.run(&base_scenario, observer, Rows::Only(&keep), Detail::Estimates);
    let col = |r: &RunResult| -> Result<Vec<f64>, ScenarioError> {
        r.column(metric)
            .ok_or_else(|| ScenarioError::from(Origin::Metric, "", unknown_metric(metric, &r.names)))
    };
    let base_col = col(&base_run)?;
    let mut effects = Vec::new();
    let mut skipped = Vec::new();
    let mut skip = |parameter: String, reason: &str| {
        skipped.push(Skipped {
            parameter,
            reason: reason.to_owned(),
        });
    };
    for (path, value) in chosen {
        let (low, high) = value.steps(delta);
        if low.is_none() && high.is_none() {
            skip(path, "value 0: a relative change does nothing");
            continue;
        }
        let side = |v: Option<Number>| -> Result<Option<(f64, Vec<f64>)>, ScenarioError> {
            let Some(v) = v else {
                return Ok(None);
            };
            let ov = Override {
                path: ParamPath::parse(&path).map_err(|e| ScenarioError::from(Origin::Override, &path, e))?,
                value: v.to_value(),
            };
            let (spec, _) = apply(base, &[ov])?;
            match Scenario::from_spec(spec) {
                // Out of the valid range (say a probability above 1): that side is skipped.
                Err(_) => Ok(None),
                Ok(s) => Ok(Some((
                    v.as_f64(),
                    col(&runner.run(&s, observer, Rows::Only(&keep), Detail::Estimates))?,
                ))),
            }
        };
        let low = side(low)?;
        let high = side(high)?;
        if low.is_none() && high.is_none() {
            skip(path, "neither a lower nor a higher value is valid");
            continue;
        }
        let lo_col = low.as_ref().map_or(&base_col, |(_, c)| c);
        let hi_col = high.as_ref().map_or(&base_col, |(_, c)| c);
        let effect = paired_difference(lo_col, hi_col);
        if effect.mean.is_none() {
            skip(path, "the metric is undefined at the values tried");
            continue;
        }
        effects.push(Effect {
            parameter: path,
            base: value.as_f64(),
            low: low.as_ref().map(|(v, _)| *v),
            high: high.as_ref().map(|(v, _)| *v),
            low_minus_base: paired_difference(&base_col, lo_col),
            high_minus_base: paired_difference(&base_col, hi_col),
            effect,
        });
    }
    let size = |e: &Effect| e.effect.mean.map_or(0.0, f64::abs);
    effects.sort_by(|a, b| {
        size(b)
            .total_cmp(&size(a))
            .then_with(|| a.parameter.cmp(&b.parameter))
    });
    Ok(Sensitivity {
        metric: metric.to_owned(),
        delta,
        base: base_run
            .estimate(metric)
            .cloned()
            .unwrap_or_else(Estimate::undefined),
        effects,
        skipped,
    })
}
