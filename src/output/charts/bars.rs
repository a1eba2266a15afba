//! Horizontal bar charts: the funnel, outcomes, the blame ledger and a
//! comparison's relative differences.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;

use super::{
    BETTER, Chart, Draw, DrawResult, FONT, PALETTE, UNCLEAR, WORSE, axis, chart, err, fmt_axis,
    outcome_color, side_color,
};
use crate::model::outcome::{Cause, Outcome};
use crate::model::scenario::Scenario;
use crate::output::format::human;
use crate::sim::engine::RunResult;
use crate::sim::metrics::{Direction, Metric, Unit};
use crate::study::compare::PairedComparison;

/// One horizontal bar with an optional interval.
#[derive(Clone, Debug)]
struct Bar {
    label: String,
    value: f64,
    low: Option<f64>,
    high: Option<f64>,
    color: RGBColor,
    note: String,
    /// Draw the note inside the bar's end (for bars clipped at the edge).
    note_inside: bool,
}

struct BarData {
    caption: String,
    x_desc: String,
    bars: Vec<Bar>,
    percent: bool,
}

/// Horizontal bars, first bar on top, labels drawn inside the plot on the
/// left (plotters' category axes are awkward for long labels).
impl Draw for BarData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        let d = self;
        root.fill(&WHITE).map_err(err)?;
        let n = d.bars.len().max(1);
        let hi = d
            .bars
            .iter()
            .map(|b| b.high.unwrap_or(b.value).max(b.value))
            .fold(0.0, f64::max);
        let lo = d
            .bars
            .iter()
            .map(|b| b.low.unwrap_or(b.value).min(b.value))
            .fold(0.0, f64::min);
        let span = (hi - lo).max(1e-9);
        let (x0, x1) = (lo - span * 0.05, hi + span * 0.25);
        let label_style = TextStyle::from((FONT, 15).into_font());
        let mut label_width = 0;
        for b in &d.bars {
            label_width = label_width.max(root.estimate_text_size(&b.label, &label_style).map_err(err)?.0);
        }
        let mut chart = ChartBuilder::on(&root)
            .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
            .margin(12)
            // Room for the longest category label, as the font measures it.
            .margin_left(label_width + 24)
            .x_label_area_size(40)
            .build_cartesian_2d(axis(x0, x1, "value")?, 0f64..n as f64)
            .map_err(err)?;
        let percent = d.percent;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(&d.x_desc)
            .x_labels(6)
            .x_label_formatter(&|v| fmt_axis(*v, percent))
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        for (i, b) in d.bars.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0f64.max(x0), y + 0.15), (b.value, y + 0.85)],
                    b.color.filled(),
                )))
                .map_err(err)?;
            if let (Some(l), Some(h)) = (b.low, b.high) {
                let style = BLACK.stroke_width(2);
                chart
                    .draw_series([
                        PathElement::new(vec![(l, y + 0.5), (h, y + 0.5)], style),
                        PathElement::new(vec![(l, y + 0.3), (l, y + 0.7)], style),
                        PathElement::new(vec![(h, y + 0.3), (h, y + 0.7)], style),
                    ])
                    .map_err(err)?;
            }
            let tip = b.high.unwrap_or(b.value).max(b.value).max(0.0);
            // A note that would run past the plot's right edge goes inside
            // the bar's end instead.
            let plot = chart.plotting_area();
            let note_style = TextStyle::from((FONT, 14).into_font());
            let (width, _) = plot.estimate_text_size(&b.note, &note_style).map_err(err)?;
            let (tip_px, _) = plot.map_coordinate(&(tip + span * 0.02, y + 0.5));
            let inside = b.note_inside || tip_px + width as i32 > plot.get_pixel_range().0.end - 4;
            let note = if inside {
                let anchor = if b.value >= 0.0 {
                    text_anchor::HPos::Right
                } else {
                    text_anchor::HPos::Left
                };
                let style = note_style
                    .color(&WHITE)
                    .pos(text_anchor::Pos::new(anchor, text_anchor::VPos::Center));
                Text::new(
                    b.note.clone(),
                    (b.value - span * 0.02 * b.value.signum(), y + 0.5),
                    style,
                )
            } else {
                let style = note_style.pos(text_anchor::Pos::new(
                    text_anchor::HPos::Left,
                    text_anchor::VPos::Center,
                ));
                Text::new(b.note.clone(), (tip + span * 0.02, y + 0.5), style)
            };
            chart.draw_series(std::iter::once(note)).map_err(err)?;
        }
        // Category labels in the left margin, right-aligned against the axis.
        let plot = chart.plotting_area();
        let (px, _) = plot.get_pixel_range();
        for (i, b) in d.bars.iter().enumerate() {
            let y = (n - 1 - i) as f64 + 0.5;
            let (_, py) = plot.map_coordinate(&(x0, y));
            root.draw(&Text::new(
                b.label.clone(),
                (px.start - 8, py),
                label_style.pos(text_anchor::Pos::new(
                    text_anchor::HPos::Right,
                    text_anchor::VPos::Center,
                )),
            ))
            .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(())
    }
}

/// The funnel: cohort leads reaching each stage, with conversions.
pub fn funnel(s: &Scenario, r: &RunResult) -> Result<Chart> {
    let get = |n: String| r.estimate(&n).and_then(|e| e.mean);
    let bars = s
        .stage_names()
        .enumerate()
        .map(|(i, st)| {
            let reached = r.mean_count(&format!("reached.{st}"));
            let conv = if i == 0 {
                None
            } else {
                get(format!("conversion.{st}"))
            };
            Bar {
                label: st.replace('_', " "),
                value: reached,
                low: None,
                high: None,
                color: PALETTE[0],
                note: match conv {
                    Some(c) => format!("{}  ({:.0}% of previous)", human(reached), c * 100.0),
                    None => human(reached),
                },
                note_inside: false,
            }
        })
        .collect();
    let data = BarData {
        caption: "Funnel: cohort leads reaching each stage".into(),
        x_desc: "leads per window (mean over replications)".into(),
        bars,
        percent: false,
    };
    chart("funnel", "Funnel", (900, 420), data)
}

/// A bar for a metric's mean with its 95% CI.
fn estimate_bar(
    r: &RunResult,
    metric: &str,
    label: String,
    color: RGBColor,
    note: impl Fn(f64) -> String,
) -> Bar {
    let e = r.estimate(metric);
    let v = e.and_then(|e| e.mean).unwrap_or(0.0);
    Bar {
        label,
        value: v,
        low: e.and_then(|e| e.ci_low),
        high: e.and_then(|e| e.ci_high),
        color,
        note: note(v),
        note_inside: false,
    }
}

/// Outcome shares.
pub fn outcomes(r: &RunResult) -> Result<Chart> {
    let bars = Outcome::ALL
        .iter()
        .map(|o| {
            let label = o.name().replace('_', " ");
            estimate_bar(r, &format!("share.{}", o.name()), label, outcome_color(*o), |v| {
                format!("{:.1}%", v * 100.0)
            })
        })
        .collect();
    let data = BarData {
        caption: "How every lead ended".into(),
        x_desc: "share of cohort leads (95% CI)".into(),
        bars,
        percent: true,
    };
    chart("outcomes", "Outcomes", (900, 380), data)
}

/// The blame ledger: losses by proximate cause, coloured by side.
pub fn blame(r: &RunResult) -> Result<Chart> {
    let bars = Cause::ALL
        .iter()
        .map(|c| {
            let label = format!("{} ({})", c.name().replace('_', " "), c.side().name());
            estimate_bar(
                r,
                &format!("blame.{}", c.name()),
                label,
                side_color(c.side()),
                human,
            )
        })
        .collect();
    let data = BarData {
        caption: "Who is to blame: lost leads by proximate cause".into(),
        x_desc: "lost leads per window (95% CI); orange marketing, blue sales, grey buyer".into(),
        bars,
        percent: false,
    };
    chart("blame", "Blame ledger", (900, 380), data)
}

/// Whether a paired difference is a clear change for the better
/// (`Some(true)`) or the worse (`Some(false)`), by the metric's direction:
/// a lower cost per win is better. `None` when the interval includes zero
/// or the metric has no better direction.
pub fn verdict(c: &PairedComparison) -> Option<bool> {
    if !c.is_clear() {
        return None;
    }
    let up = c.difference.mean? > 0.0;
    match Metric::find(&c.metric)?.direction {
        Direction::HigherIsBetter => Some(up),
        Direction::LowerIsBetter => Some(!up),
        Direction::Neutral => None,
    }
}

/// Relative changes beyond ±300% are drawn at the edge of the chart.
const RELATIVE_CLIP: f64 = 3.0;

/// Paired differences of a candidate from the baseline, relative to the
/// baseline, with 95% CI whiskers.
pub fn comparison(name: &str, baseline: &str, candidate: &str, rows: &[PairedComparison]) -> Result<Chart> {
    let bars = rows
        .iter()
        // Profit and ROI are derived from revenue and spend, which are shown.
        .filter(|c| !matches!(c.metric.as_str(), "leads" | "profit" | "roi"))
        .filter_map(|c| {
            let base = c.baseline.mean?.abs();
            if base == 0.0 {
                return None;
            }
            let v = c.difference.mean? / base;
            let unit = |x: f64| match c.unit {
                Unit::Rate => format!("{:+.1} pp", x * 100.0),
                _ => format!("{}{}", if x > 0.0 { "+" } else { "" }, human(x)),
            };
            // Relative changes explode when the baseline is near zero; clip
            // the bars (the note keeps the true figure).
            let clip = |x: f64| x.clamp(-RELATIVE_CLIP, RELATIVE_CLIP);
            Some(Bar {
                label: c.label.clone(),
                value: clip(v),
                low: c.difference.ci_low.map(|x| clip(x / base)),
                high: c.difference.ci_high.map(|x| clip(x / base)),
                color: match verdict(c) {
                    Some(true) => BETTER,
                    Some(false) => WORSE,
                    None => UNCLEAR,
                },
                note: format!(
                    "{}{:+.0}%  ({})",
                    if v.abs() > RELATIVE_CLIP {
                        "off scale: "
                    } else {
                        ""
                    },
                    v * 100.0,
                    unit(c.difference.mean?)
                ),
                note_inside: v.abs() > RELATIVE_CLIP,
            })
        })
        .collect();
    let data = BarData {
        caption: format!("{candidate} vs {baseline}: paired change"),
        x_desc: format!(
            "change relative to {baseline} (95% CI); green better, red worse, grey no clear change"
        ),
        bars,
        percent: true,
    };
    chart(name, &format!("{candidate} vs {baseline}"), (950, 460), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_chart_with_an_infinite_value_fails_instead_of_hanging() {
        super::super::register_fonts();
        let d = BarData {
            caption: "t".into(),
            x_desc: "x".into(),
            bars: vec![Bar {
                label: "revenue".into(),
                value: f64::INFINITY,
                low: None,
                high: None,
                color: BLACK,
                note: String::new(),
                note_inside: false,
            }],
            percent: false,
        };
        let mut svg = String::new();
        let root = SVGBackend::with_string(&mut svg, (400, 300)).into_drawing_area();
        let e = d.draw(root).unwrap_err().to_string();
        assert!(e.contains("not finite"), "{e}");
    }
}
