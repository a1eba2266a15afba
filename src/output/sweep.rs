//! Formatting sweeps and sensitivity analyses.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use serde_json::{Value, json};

use super::format::{self, human};
use super::json::estimate;
use crate::sim::metrics::Metric;
use crate::sim::stats::Estimate;
use crate::study::sensitivity::Sensitivity;
use crate::study::sweep::SweepResult;

/// A value of a metric (rates to two decimals of a percent: sweep points
/// often differ by less than a tenth of a point).
pub(crate) fn metric_value(metric: &str, x: Option<f64>) -> String {
    format::value(Metric::unit_of(metric), x, 2)
}

/// A signed difference of a metric (rates in percentage points).
pub(crate) fn metric_diff(metric: &str, x: Option<f64>) -> String {
    format::difference(Metric::unit_of(metric), x, 2)
}

/// A point's settings on one line: `path=value path=value`.
pub(crate) fn settings_line(settings: &[(String, String)]) -> String {
    settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A metric's mean with its 95% CI, in the metric's unit.
pub(crate) fn with_ci(metric: &str, e: &Estimate) -> String {
    match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!(
            "{} [{} – {}]",
            metric_value(metric, e.mean),
            metric_value(metric, Some(lo)),
            metric_value(metric, Some(hi))
        ),
        _ => metric_value(metric, e.mean),
    }
}

/// Terminal table of a sweep.
pub fn sweep_text(r: &SweepResult) -> String {
    let obj = r.objective.metric();
    let mut out = String::new();
    let settings_w = r
        .points
        .iter()
        .map(|p| settings_line(&p.settings).len())
        .max()
        .unwrap_or(10)
        .max(8);
    let others: Vec<&str> = r
        .points
        .first()
        .map(|p| {
            p.metrics
                .iter()
                .map(|(m, _)| m.as_str())
                .filter(|m| *m != obj)
                .collect()
        })
        .unwrap_or_default();
    let mut header = format!(
        "  {:>5}  {:<settings_w$}  {:<36}",
        "point",
        "settings",
        format!("{obj} (95% CI)")
    );
    for m in &others {
        let _ = write!(header, "{m:>14}");
    }
    let _ = writeln!(out, "{header}");
    for p in &r.points {
        let settings = settings_line(&p.settings);
        let mark = if p.point as usize == r.best {
            "  ◀ best"
        } else if p.indistinguishable_from_best {
            "  ≈ best"
        } else {
            ""
        };
        let mut line = format!(
            "  {:>5}  {settings:<settings_w$}  {:<36}",
            p.point,
            with_ci(obj, &p.objective)
        );
        for m in &others {
            let e = p.metrics.iter().find(|(n, _)| n == m).map(|(_, e)| e.mean);
            let _ = write!(line, "{:>14}", metric_value(m, e.flatten()));
        }
        let _ = writeln!(out, "{line}{mark}");
    }
    let best = &r.points[r.best];
    let twins: Vec<String> = r
        .points
        .iter()
        .filter(|p| p.indistinguishable_from_best && p.point as usize != r.best)
        .map(|p| p.point.to_string())
        .collect();
    let _ = writeln!(
        out,
        "\nBest {} ({}): point {} — {}.",
        obj,
        if r.objective.maximise() {
            "highest"
        } else {
            "lowest"
        },
        best.point,
        best.settings
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if twins.is_empty() {
        let _ = writeln!(
            out,
            "Every other point is clearly worse (paired 95% CI of the difference excludes zero)."
        );
    } else {
        let _ = writeln!(
            out,
            "Not statistically distinguishable from it (paired 95% CI contains zero): points {}.",
            twins.join(", ")
        );
    }
    out
}

/// JSON of a sweep.
pub fn sweep_json(r: &SweepResult) -> Value {
    let points: Vec<Value> = r
        .points
        .iter()
        .map(|p| {
            let settings: serde_json::Map<String, Value> =
                p.settings.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            let metrics: serde_json::Map<String, Value> =
                p.metrics.iter().map(|(m, e)| (m.clone(), estimate(e))).collect();
            json!({
                "point": p.point, "settings": settings, "objective": estimate(&p.objective),
                "versus_best": estimate(&p.versus_best),
                "indistinguishable_from_best": p.indistinguishable_from_best, "metrics": metrics,
            })
        })
        .collect();
    json!({ "objective": r.objective.metric(), "maximise": r.objective.maximise(), "best": r.best, "points": points })
}

/// A sweep as one table, a row per point.
pub fn sweep_table(r: &SweepResult) -> Result<DataFrame> {
    let mut cols: Vec<Column> = vec![
        Series::new(
            "point".into(),
            r.points.iter().map(|p| p.point).collect::<Vec<_>>(),
        )
        .into(),
    ];
    if let Some(first) = r.points.first() {
        for (i, (name, _)) in first.settings.iter().enumerate() {
            cols.push(
                Series::new(
                    name.as_str().into(),
                    r.points
                        .iter()
                        .map(|p| p.settings[i].1.clone())
                        .collect::<Vec<_>>(),
                )
                .into(),
            );
        }
        for (i, (m, _)) in first.metrics.iter().enumerate() {
            for (suffix, f) in [
                ("mean", (|e: &Estimate| e.mean) as fn(&Estimate) -> Option<f64>),
                ("ci_low", |e| e.ci_low),
                ("ci_high", |e| e.ci_high),
            ] {
                let v: Vec<Option<f64>> = r
                    .points
                    .iter()
                    .map(|p| f(&p.metrics[i].1).filter(|x| x.is_finite()))
                    .collect();
                cols.push(Series::new(format!("{m}_{suffix}").into(), v).into());
            }
        }
    }
    cols.push(
        Series::new(
            "best".into(),
            r.points
                .iter()
                .map(|p| p.point as usize == r.best)
                .collect::<Vec<_>>(),
        )
        .into(),
    );
    cols.push(
        Series::new(
            "indistinguishable_from_best".into(),
            r.points
                .iter()
                .map(|p| p.indistinguishable_from_best)
                .collect::<Vec<_>>(),
        )
        .into(),
    );
    Ok(DataFrame::new_infer_height(cols)?)
}

/// Terminal table of a sensitivity analysis.
pub fn sensitivity_text(s: &Sensitivity) -> String {
    let m = s.metric.as_str();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Sensitivity of {m} to ±{:.0}% changes (base {}), largest effect first",
        s.delta * 100.0,
        with_ci(m, &s.base)
    );
    let top = s
        .effects
        .first()
        .and_then(|e| e.effect.mean)
        .map_or(0.0, f64::abs);
    let _ = writeln!(
        out,
        "  {:>4}  {:<54}{:>12}  {:<26}{:<40}",
        "rank", "parameter", "base", "low → high", "effect high − low (95% CI)"
    );
    for (i, e) in s.effects.iter().enumerate() {
        let range = format!(
            "{} → {}",
            e.low.map_or("n/a".into(), human),
            e.high.map_or("n/a".into(), human)
        );
        let eff = &e.effect;
        let ci = match (eff.ci_low, eff.ci_high) {
            (Some(lo), Some(hi)) => format!(
                "{} ({} to {})",
                metric_diff(m, eff.mean),
                metric_diff(m, Some(lo)),
                metric_diff(m, Some(hi))
            ),
            _ => metric_diff(m, eff.mean),
        };
        let bar = if top > 0.0 {
            "█".repeat((eff.mean.unwrap_or(0.0).abs() / top * 20.0).round() as usize)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:>4}  {:<54}{:>12}  {range:<26}{ci:<40}{bar}",
            i + 1,
            e.parameter,
            human(e.base)
        );
    }
    if !s.skipped_zero.is_empty() {
        let _ = writeln!(
            out,
            "  skipped (value 0, a relative change does nothing): {}",
            s.skipped_zero.join(", ")
        );
    }
    out
}

/// JSON of a sensitivity analysis.
pub fn sensitivity_json(s: &Sensitivity) -> Value {
    let effects: Vec<Value> = s
        .effects
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "rank": i + 1, "parameter": e.parameter, "base": e.base, "low": e.low, "high": e.high,
                "effect": estimate(&e.effect), "low_minus_base": estimate(&e.low_minus_base),
                "high_minus_base": estimate(&e.high_minus_base),
            })
        })
        .collect();
    json!({ "metric": s.metric, "delta": s.delta, "base": estimate(&s.base), "effects": effects, "skipped_zero": s.skipped_zero })
}

/// A sensitivity analysis as a table (the data behind a tornado chart).
pub fn sensitivity_table(s: &Sensitivity) -> Result<DataFrame> {
    let e = &s.effects;
    let f = |name: &str, g: &dyn Fn(&crate::study::sensitivity::Effect) -> Option<f64>| -> Column {
        Series::new(
            name.into(),
            e.iter()
                .map(|x| g(x).filter(|v| v.is_finite()))
                .collect::<Vec<_>>(),
        )
        .into()
    };
    Ok(DataFrame::new_infer_height(vec![
        Series::new("rank".into(), (1..=e.len() as u32).collect::<Vec<_>>()).into(),
        Series::new(
            "parameter".into(),
            e.iter().map(|x| x.parameter.clone()).collect::<Vec<_>>(),
        )
        .into(),
        f("base", &|x| Some(x.base)),
        f("low", &|x| x.low),
        f("high", &|x| x.high),
        f("low_minus_base_mean", &|x| x.low_minus_base.mean),
        f("high_minus_base_mean", &|x| x.high_minus_base.mean),
        f("effect_mean", &|x| x.effect.mean),
        f("effect_ci_low", &|x| x.effect.ci_low),
        f("effect_ci_high", &|x| x.effect.ci_high),
    ])?)
}
