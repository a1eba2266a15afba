//! Formatting sweeps and sensitivity analyses.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use serde_json::{Value, json};

use super::format::{self, human};
use super::json::estimate;
use super::text::{Column as Col, Style, Table};
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

/// The size of a metric's difference, unsigned (rates in percentage points).
fn metric_value_abs(metric: &str, x: f64) -> String {
    metric_diff(metric, Some(x.abs()))
        .trim_start_matches('+')
        .to_owned()
}

/// A column per varied parameter of `settings` (one point's), headed by
/// the last part of its path, or the whole path where two would read
/// alike.
pub(crate) fn setting_columns(settings: &[(String, String)]) -> Vec<Col> {
    let short = |path: &str| path.rsplit('.').next().unwrap_or(path).to_owned();
    settings
        .iter()
        .map(|(path, _)| {
            let alike = settings.iter().filter(|(p, _)| short(p) == short(path)).count() > 1;
            let header = if alike { path.clone() } else { short(path) };
            Col::left(&header, Col::ALWAYS)
        })
        .collect()
}

/// A metric's mean with its 95% CI, in the metric's unit.
pub(crate) fn with_ci(metric: &str, e: &Estimate) -> String {
    match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => {
            let (mean, lo, hi) = format::value_with_interval(Metric::unit_of(metric), e.mean, lo, hi, 2);
            format!("{mean} [{lo} – {hi}]")
        }
        _ => metric_value(metric, e.mean),
    }
}

/// Terminal table of a sweep, laid out for `style`: the objective with its
/// 95% CI, then the other metrics while they fit.
pub fn sweep_text(r: &SweepResult, style: &Style) -> String {
    style.lay_out(&sweep_body(r, style))
}

fn sweep_body(r: &SweepResult, style: &Style) -> String {
    let obj = r.objective.metric();
    let mut out = String::new();
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
    let mut columns = vec![Col::right("point", Col::ALWAYS)];
    columns.extend(setting_columns(r.points.first().map_or(&[][..], |p| &p.settings)));
    columns.push(Col::left(&format!("{} (95% CI)", style.metric(obj)), Col::ALWAYS));
    // The metrics further right are left out first.
    let n = others.len();
    for (i, m) in others.iter().enumerate() {
        columns.push(Col::right(&style.metric(m), (n - i).min(200) as u8));
    }
    columns.push(Col::left("", Col::ALWAYS));
    let mut table = Table::new(columns);
    for p in &r.points {
        let mark = if r.no_effect() {
            ""
        } else if p.point as usize == r.best {
            "◀ best"
        } else if p.indistinguishable_from_best {
            "≈ best"
        } else {
            ""
        };
        let mut row = vec![p.point.to_string()];
        row.extend(p.settings.iter().map(|(_, v)| v.trim_matches('"').to_owned()));
        row.push(with_ci(obj, &p.objective));
        for m in &others {
            let e = p.metrics.iter().find(|(n, _)| n == m).map(|(_, e)| e.mean);
            row.push(metric_value(m, e.flatten()));
        }
        row.push(mark.to_owned());
        table.row(row);
    }
    let rendered = table.render(style.width);
    out.push_str(&rendered.text);
    if let Some(note) = rendered.left_out_note("--json and --out") {
        let _ = writeln!(out, "{note}");
    }
    if r.no_effect() {
        let _ = writeln!(
            out,
            "\nNo best point: the swept values change nothing ({} is identical, replication by replication, at every point), so the current policy does not use {}.",
            style.metric(obj),
            r.inert.join(", ")
        );
        return out;
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
        style.metric(obj),
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
    for (path, value, end) in &r.at_edge {
        let _ = writeln!(
            out,
            "warning: {path} = {value} is the {end} value swept; widen the range, beyond it may be better still."
        );
    }
    for path in &r.inert {
        let _ = writeln!(
            out,
            "warning: {path} changes nothing here ({} identical at each of its values).",
            style.metric(obj)
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
    let edges: Vec<Value> = r
        .at_edge
        .iter()
        .map(|(path, value, end)| json!({ "parameter": path, "value": value, "end": end }))
        .collect();
    json!({
        "objective": r.objective.metric(), "maximise": r.objective.maximise(),
        "best": if r.no_effect() { Value::Null } else { json!(r.best) },
        "inert": r.inert, "best_at_edge": edges, "points": points,
    })
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
                .map(|p| p.point as usize == r.best && !r.no_effect())
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

/// The perturbation in words: "±10%" and, since counts cannot move by a
/// fraction, "(counts by at least 1)".
fn sensitivity_step(s: &Sensitivity) -> String {
    format!(
        "±{}% changes (whole numbers by at least 1)",
        human(s.delta * 100.0)
    )
}

/// Words separated by ", ", wrapped to lines of at most `width` characters
/// (a word longer than that gets a line of its own), each line indented.
pub(crate) fn wrap_list(words: &[String], indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for (i, w) in words.iter().enumerate() {
        let piece = if i + 1 < words.len() {
            format!("{w},")
        } else {
            w.clone()
        };
        if !line.is_empty() && indent.len() + line.chars().count() + 1 + piece.chars().count() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// Terminal table of a sensitivity analysis, laid out for `style`: the
/// `top` largest effects (all when `None`), then what was not measured,
/// grouped by reason. A bar of `█` marks an effect whose 95% CI excludes
/// zero, `░` one that does not.
pub fn sensitivity_text(s: &Sensitivity, top: Option<usize>, style: &Style) -> String {
    let m = s.metric.as_str();
    let shown_m = style.metric(m);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Sensitivity of {shown_m} to {}; base {}",
        sensitivity_step(s),
        with_ci(m, &s.base)
    );
    let shown = &s.effects[..top.unwrap_or(usize::MAX).min(s.effects.len())];
    let largest = shown.first().and_then(|e| e.effect.mean).map_or(0.0, f64::abs);
    // Whether the bars fit (they are left out first on a narrow terminal).
    let mut bars = false;
    let values = |e: &crate::study::sensitivity::Effect| {
        format!(
            "{} → {}",
            e.low.map_or("n/a".into(), human),
            e.high.map_or("n/a".into(), human)
        )
    };
    // The interval is symmetric (mean ± t·se), so its half-width says it all.
    let effect = |e: &crate::study::sensitivity::Effect| {
        let eff = &e.effect;
        match (eff.ci_low, eff.ci_high) {
            (Some(lo), Some(hi)) => format!(
                "{} ± {}",
                metric_diff(m, eff.mean),
                metric_value_abs(m, (hi - lo) / 2.0)
            ),
            _ => metric_diff(m, eff.mean),
        }
    };
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "Largest effect first; effect = {shown_m} at the higher value − at the lower value."
        );
        let mut table = Table::new(vec![
            Col::right("rank", Col::ALWAYS),
            Col::left("parameter", Col::ALWAYS),
            Col::right("base", 1),
            Col::left("lower → higher", 2),
            Col::left("effect ± 95% CI", Col::ALWAYS),
            Col::left("", 3),
        ]);
        for (i, e) in shown.iter().enumerate() {
            let size = e.effect.mean.unwrap_or(0.0).abs();
            let n = if largest > 0.0 {
                (size / largest * 10.0).round() as usize
            } else {
                0
            };
            table.row(vec![
                (i + 1).to_string(),
                e.parameter.clone(),
                human(e.base),
                values(e),
                effect(e),
                if e.clear() { "█" } else { "░" }.repeat(n),
            ]);
        }
        let rendered = table.render(style.width);
        out.push_str(&rendered.text);
        bars = rendered.left_out.iter().all(|h| !h.is_empty());
        if let Some(note) = rendered.left_out_note("--json and --out") {
            let _ = writeln!(out, "{note}");
        }
    }
    let unclear = shown.iter().filter(|e| !e.clear()).count();
    if unclear > 0 {
        let _ = if bars {
            writeln!(
                out,
                "  ░: {unclear} of these effects cannot be told from zero (their 95% CI includes 0)."
            )
        } else {
            writeln!(
                out,
                "  Of these effects, {unclear} cannot be told from zero (their 95% CI includes 0)."
            )
        };
    }
    if shown.len() < s.effects.len() {
        let _ = writeln!(
            out,
            "  … {} more measured parameters (all {} are in --json and --out).",
            s.effects.len() - shown.len(),
            s.effects.len()
        );
    }
    let mut reasons: Vec<&str> = Vec::new();
    for k in &s.skipped {
        if !reasons.contains(&k.reason.as_str()) {
            reasons.push(&k.reason);
        }
    }
    for reason in reasons {
        let names: Vec<String> = s
            .skipped
            .iter()
            .filter(|k| k.reason == reason)
            .map(|k| k.parameter.clone())
            .collect();
        let _ = writeln!(out, "Not measured ({reason}): {}", names.len());
        out += &wrap_list(&names, "    ", style.width);
    }
    style.lay_out(&out)
}

/// JSON of a sensitivity analysis: every measured effect (`clear`: its 95%
/// CI excludes zero) and every skipped parameter with its reason.
pub fn sensitivity_json(s: &Sensitivity) -> Value {
    let effects: Vec<Value> = s
        .effects
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "rank": i + 1, "parameter": e.parameter, "base": e.base, "low": e.low, "high": e.high,
                "effect": estimate(&e.effect), "clear": e.clear(), "low_minus_base": estimate(&e.low_minus_base),
                "high_minus_base": estimate(&e.high_minus_base),
            })
        })
        .collect();
    json!({ "metric": s.metric, "delta": s.delta, "base": estimate(&s.base), "effects": effects, "skipped": s.skipped })
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
        Series::new("clear".into(), e.iter().map(|x| x.clear()).collect::<Vec<_>>()).into(),
    ])?)
}
