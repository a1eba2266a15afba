//! Formatting a paired comparison: terminal text, JSON and a table.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, NamedFrom, Series};
use serde_json::{Value, json};

use super::format;
use super::text::{Column as Col, Style, Table};
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
    let mean = d.mean.unwrap_or(0.0);
    if !c.is_clear() {
        let (m, lo, hi) = match (d.ci_low, d.ci_high) {
            (Some(lo), Some(hi)) => format::difference_with_interval(c.unit, d.mean, lo, hi, 1),
            _ => (diff(c.unit, d.mean), "n/a".to_owned(), "n/a".to_owned()),
        };
        return format!(
            "{candidate}: no clear difference in {} ({m}, 95% CI {lo} to {hi})",
            c.label
        );
    }
    // Sizes without a sign (the sentence says which way), the mean like
    // its interval.
    let (lo, hi) = (d.ci_low.unwrap_or(0.0).abs(), d.ci_high.unwrap_or(0.0).abs());
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let (m, lo, hi) = format::value_with_interval(c.unit, Some(mean.abs()), lo, hi, 1);
    let unitless = |s: String| s.trim_end_matches('%').to_owned();
    let (size, ci_abs) = match c.unit {
        Unit::Rate => (
            format!("{} percentage points", unitless(m)),
            format!("95% CI {} to {}", unitless(lo), unitless(hi)),
        ),
        _ => (m, format!("95% CI {lo} to {hi}")),
    };
    if c.metric == "won" {
        let verb = if mean > 0.0 { "more" } else { "fewer" };
        return format!("{candidate} wins {size} {verb} deals per window ({ci_abs})");
    }
    let dir = if mean > 0.0 { "higher" } else { "lower" };
    // Relative changes of more than tenfold say more about a near-zero
    // baseline than about the change.
    let rel = c
        .relative
        .filter(|r| r.abs() <= 10.0)
        .map_or(String::new(), |r| format!(", {}", relative(r)));
    format!("{candidate}: {} {dir} by {size} ({ci_abs}{rel})", c.label)
}

/// A relative change in whole percent, signed: "+12%", "-3%".
fn relative(r: f64) -> String {
    let text = format::percent(r, 0);
    if r > 0.0 && text != "0%" {
        format!("+{text}")
    } else {
        text
    }
}

/// Terminal table and sentences, laid out for `style`.
pub fn text(vs: &[Versus<'_>], style: &Style) -> String {
    let mut out = String::new();
    for v in vs {
        let _ = writeln!(
            out,
            "\n{} vs {} (paired over replications)",
            v.candidate, v.baseline
        );
        let mut table = Table::new(vec![
            Col::left("metric", Col::ALWAYS),
            Col::right(v.baseline, 3),
            Col::right(v.candidate, 3),
            Col::right("difference", Col::ALWAYS),
            // The sentences below give the interval of every clear
            // difference; the star says which are clear.
            Col::left("95% CI", 1),
            Col::right("change", 2),
            Col::left("", Col::ALWAYS),
        ]);
        for c in v.rows {
            let d = &c.difference;
            let (mean, lo, hi) = match (d.ci_low, d.ci_high) {
                (Some(lo), Some(hi)) => format::difference_with_interval(c.unit, d.mean, lo, hi, 1),
                _ => (diff(c.unit, d.mean), "n/a".to_owned(), "n/a".to_owned()),
            };
            let rel = match c.relative {
                None => "n/a".to_owned(),
                Some(r) if r > 10.0 => ">+999%".to_owned(),
                Some(r) if r < -10.0 => "<-999%".to_owned(),
                Some(r) => relative(r),
            };
            table.row(vec![
                c.label.clone(),
                value(c.unit, c.baseline.mean),
                value(c.unit, c.candidate.mean),
                mean,
                format!("{lo} to {hi}"),
                rel,
                if c.is_clear() { "*" } else { "" }.to_owned(),
            ]);
        }
        let rendered = table.render(style.width);
        out.push_str(&rendered.text);
        let _ = writeln!(out, "  * the 95% interval of the difference excludes zero");
        if let Some(note) = rendered.left_out_note("--json and --out") {
            let _ = writeln!(out, "{note}");
        }
        let _ = writeln!(out, "\n  In words:");
        for line in v.findings() {
            let _ = writeln!(out, "  - {line}");
        }
        let mut sorted: Vec<f64> = v.rows.iter().filter_map(PairedComparison::width_ratio).collect();
        if !sorted.is_empty() {
            sorted.sort_by(f64::total_cmp);
            let median = sorted[sorted.len() / 2];
            let _ = writeln!(
                out,
                "  Common random numbers: paired intervals are {}× narrower than unpaired ones (median over metrics; variance reduction {})",
                format::fixed(median, 1),
                format::percent(1.0 - 1.0 / (median * median), 0)
            );
        }
    }
    style.lay_out(&out)
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
