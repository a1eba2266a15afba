//! Formatting a paired comparison: terminal text, JSON and a table.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use serde_json::{Value, json};

use super::format::{self, human};
use crate::study::compare::{PairedComparison, Unit};

/// One candidate compared with the baseline.
pub struct Versus<'a> {
    /// Label of the baseline ("A").
    pub baseline: &'a str,
    /// Label of the candidate ("B").
    pub candidate: &'a str,
    /// The metrics.
    pub rows: &'a [PairedComparison],
}

impl Versus<'_> {
    /// Plain-language findings: a sentence per metric whose difference is
    /// clear, then one line listing those without a clear difference.
    pub fn findings(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .rows
            .iter()
            .filter(|c| c.is_clear())
            .map(|c| sentence(self.candidate, c))
            .collect();
        let unclear: Vec<&str> = self
            .rows
            .iter()
            .filter(|c| !c.is_clear())
            .map(|c| c.label.as_str())
            .collect();
        if !unclear.is_empty() {
            lines.push(format!("no clear difference in: {}", unclear.join(", ")));
        }
        lines
    }
}

/// A value in its unit (rates to one decimal of a percent).
pub fn value(unit: Unit, x: Option<f64>) -> String {
    format::value(unit, x, 1)
}

/// A difference in its unit, signed (rates in percentage points).
pub fn diff(unit: Unit, x: Option<f64>) -> String {
    format::difference(unit, x, 1)
}

/// A plain-language sentence for one metric.
pub fn sentence(candidate: &str, c: &PairedComparison) -> String {
    let d = &c.difference;
    let ci = format!("95% CI {} to {}", diff(c.unit, d.ci_low), diff(c.unit, d.ci_high));
    let mean = d.mean.unwrap_or(0.0);
    if !c.is_clear() {
        return format!(
            "{candidate}: no clear difference in {} ({}, {ci})",
            c.label,
            diff(c.unit, d.mean)
        );
    }
    let size = |x: f64| match c.unit {
        Unit::Rate => format!("{:.1} percentage points", x.abs() * 100.0),
        _ => human(x.abs()),
    };
    let ci_abs = {
        let (lo, hi) = (d.ci_low.unwrap_or(0.0).abs(), d.ci_high.unwrap_or(0.0).abs());
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        match c.unit {
            Unit::Rate => format!("95% CI {:.1} to {:.1}", lo * 100.0, hi * 100.0),
            _ => format!("95% CI {} to {}", human(lo), human(hi)),
        }
    };
    if c.metric == "won" {
        let verb = if mean > 0.0 { "more" } else { "fewer" };
        return format!(
            "{candidate} wins {} {verb} deals per window ({ci_abs})",
            size(mean)
        );
    }
    let dir = if mean > 0.0 { "higher" } else { "lower" };
    // Relative changes of more than tenfold say more about a near-zero
    // baseline than about the change.
    let rel = c
        .relative
        .filter(|r| r.abs() <= 10.0)
        .map_or(String::new(), |r| format!(", {:+.0}%", r * 100.0));
    format!("{candidate}: {} {dir} by {} ({ci_abs}{rel})", c.label, size(mean))
}

/// Terminal table and sentences.
pub fn text(vs: &[Versus<'_>]) -> String {
    let mut out = String::new();
    for v in vs {
        let _ = writeln!(
            out,
            "\n{} vs {} (paired over replications)",
            v.candidate, v.baseline
        );
        let header = format!(
            "  {:<26}{:>13}{:>13}   {:<34}{:>8}",
            "metric", v.baseline, v.candidate, "difference (95% CI)", "change"
        );
        let _ = writeln!(out, "{header}");
        for c in v.rows {
            let d = &c.difference;
            let ci = format!(
                "{} ({} to {})",
                diff(c.unit, d.mean),
                diff(c.unit, d.ci_low),
                diff(c.unit, d.ci_high)
            );
            let rel = match c.relative {
                None => "n/a".to_owned(),
                Some(r) if r > 10.0 => ">+999%".to_owned(),
                Some(r) if r < -10.0 => "<-999%".to_owned(),
                Some(r) => format!("{:+.0}%", r * 100.0),
            };
            let mark = if c.is_clear() { "  *" } else { "" };
            let _ = writeln!(
                out,
                "  {:<26}{:>13}{:>13}   {ci:<34}{rel:>8}{mark}",
                c.label,
                value(c.unit, c.baseline.mean),
                value(c.unit, c.candidate.mean),
            );
        }
        let _ = writeln!(
            out,
            "  * the 95% interval of the difference excludes zero\n\n  In words:"
        );
        for line in v.findings() {
            let _ = writeln!(out, "  - {line}");
        }
        let mut sorted: Vec<f64> = v.rows.iter().filter_map(PairedComparison::width_ratio).collect();
        if !sorted.is_empty() {
            sorted.sort_by(f64::total_cmp);
            let median = sorted[sorted.len() / 2];
            let _ = writeln!(
                out,
                "  Common random numbers: paired intervals are {:.1}× narrower than unpaired ones (median over metrics; variance reduction {:.0}%)",
                median,
                (1.0 - 1.0 / (median * median)) * 100.0
            );
        }
    }
    out
}

/// JSON for one candidate.
pub fn json(v: &Versus<'_>) -> Value {
    let metrics: serde_json::Map<String, Value> = v
        .rows
        .iter()
        .map(|c| {
            (
                c.metric.clone(),
                json!({
                    "baseline": super::json::estimate(&c.baseline),
                    "candidate": super::json::estimate(&c.candidate),
                    "difference": super::json::estimate(&c.difference),
                    "relative_change": c.relative.filter(|x| x.is_finite()),
                    "ci_excludes_zero": c.is_clear(),
                    "paired_ci_half_width": c.paired_half_width(),
                    "unpaired_ci_half_width": c.unpaired_half_width,
                    "sentence": sentence(v.candidate, c),
                }),
            )
        })
        .collect();
    json!({ "baseline": v.baseline, "candidate": v.candidate, "metrics": metrics })
}

/// The comparison as one tidy table (one row per candidate and metric).
pub fn table(vs: &[Versus<'_>]) -> Result<DataFrame> {
    let rows: Vec<(&Versus<'_>, &PairedComparison)> = vs
        .iter()
        .flat_map(|v| v.rows.iter().map(move |c| (v, c)))
        .collect();
    let s = |name: &str, f: &dyn Fn(&Versus<'_>, &PairedComparison) -> String| -> Column {
        Series::new(name.into(), rows.iter().map(|(v, c)| f(v, c)).collect::<Vec<_>>()).into()
    };
    let n = |name: &str, f: &dyn Fn(&PairedComparison) -> Option<f64>| -> Column {
        Series::new(
            name.into(),
            rows.iter()
                .map(|(_, c)| f(c).filter(|x| x.is_finite()))
                .collect::<Vec<_>>(),
        )
        .into()
    };
    Ok(DataFrame::new_infer_height(vec![
        s("baseline", &|v, _| v.baseline.to_owned()),
        s("candidate", &|v, _| v.candidate.to_owned()),
        s("metric", &|_, c| c.metric.clone()),
        n("baseline_mean", &|c| c.baseline.mean),
        n("candidate_mean", &|c| c.candidate.mean),
        n("difference_mean", &|c| c.difference.mean),
        n("difference_ci_low", &|c| c.difference.ci_low),
        n("difference_ci_high", &|c| c.difference.ci_high),
        n("relative_change", &|c| c.relative),
        s("ci_excludes_zero", &|_, c| c.is_clear().to_string()),
        n("paired_ci_half_width", &PairedComparison::paired_half_width),
        n("unpaired_ci_half_width", &|c| c.unpaired_half_width),
    ])?)
}
