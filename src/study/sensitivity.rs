//! One-at-a-time sensitivity: perturb each numeric parameter down and up by
//! a relative delta, and rank parameters by the effect on a metric (the data
//! behind a tornado chart). All runs share random numbers, so the effect of a
//! parameter that does not matter is exactly zero.

use serde::Serialize;

use crate::model::scenario::error::closest;
use crate::model::scenario::overrides::{Override, apply};
use crate::model::scenario::params::{Number, ParamPath, numbers};
use crate::model::scenario::{Origin, Scenario, ScenarioError, spec::ScenarioSpec};
use crate::sim::engine::{self, RunObserver, RunResult};
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
    /// Value tried below (None if invalid, e.g. a probability above 1).
    pub low: Option<f64>,
    /// Value tried above.
    pub high: Option<f64>,
    /// Metric at the low value minus base (paired).
    pub low_minus_base: Estimate,
    /// Metric at the high value minus base (paired).
    pub high_minus_base: Estimate,
    /// Metric at high minus at low (paired): the ranking quantity.
    pub effect: Estimate,
}

/// A sensitivity analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensitivity {
    /// The metric.
    pub metric: String,
    /// Relative perturbation (0.1 = ±10%).
    pub delta: f64,
    /// The metric at the base values.
    pub base: Estimate,
    /// Effects, largest |effect| first.
    pub effects: Vec<Effect>,
    /// Parameters skipped because their value is zero (a relative change
    /// does nothing).
    pub skipped_zero: Vec<String>,
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
    let base_run = engine::run(&base_scenario, observer);
    let col = |r: &RunResult| -> Result<Vec<f64>, ScenarioError> {
        let i = r
            .names
            .iter()
            .position(|n| n == metric)
            .ok_or_else(|| ScenarioError::from(Origin::Metric, "", unknown_metric(metric, &r.names)))?;
        Ok(r.rows.iter().map(|row| row[i]).collect())
    };
    let base_col = col(&base_run)?;
    let mut effects = Vec::new();
    let mut skipped_zero = Vec::new();
    for (path, value) in chosen {
        let b = value.as_f64();
        if b == 0.0 {
            skipped_zero.push(path);
            continue;
        }
        let side = |factor: f64| -> Result<Option<(f64, Vec<f64>)>, ScenarioError> {
            let Some(v) = value.scaled(factor) else {
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
                Ok(s) => Ok(Some((v.as_f64(), col(&engine::run(&s, observer))?))),
            }
        };
        let low = side(1.0 - delta)?;
        let high = side(1.0 + delta)?;
        let lo_col = low.as_ref().map_or(&base_col, |(_, c)| c);
        let hi_col = high.as_ref().map_or(&base_col, |(_, c)| c);
        effects.push(Effect {
            parameter: path,
            base: b,
            low: low.as_ref().map(|(v, _)| *v),
            high: high.as_ref().map(|(v, _)| *v),
            low_minus_base: paired_difference(&base_col, lo_col),
            high_minus_base: paired_difference(&base_col, hi_col),
            effect: paired_difference(lo_col, hi_col),
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
        skipped_zero,
    })
}
