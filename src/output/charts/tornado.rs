//! The sensitivity tornado: for each parameter, the change in the metric at
//! its lower and at its higher value, each with its 95% CI; a parameter
//! whose effect cannot be told from zero is drawn in grey.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;

use super::{Chart, Draw, DrawResult, FONT, PALETTE, axis, chart, err};
use crate::output::format::human;
use crate::sim::metrics::{Metric, Unit};
use crate::sim::stats::Estimate;
use crate::study::sensitivity::Sensitivity;

/// One bar: the mean change and its 95% CI (the mean again without one).
#[derive(Clone, Copy)]
struct Bar {
    mean: f64,
    low: f64,
    high: f64,
}

impl Bar {
    fn of(e: &Estimate) -> Bar {
        let mean = e.mean.unwrap_or(0.0);
        Bar {
            mean,
            low: e.ci_low.unwrap_or(mean),
            high: e.ci_high.unwrap_or(mean),
        }
    }
}

/// A parameter's row: label, the bar at its lower value, the bar at its
/// higher value, and whether the effect is distinguishable from zero.
type Row = (String, Bar, Bar, bool);

struct TornadoData {
    caption: String,
    x_desc: String,
    percent: bool,
    rows: Vec<Row>,
}

/// Light and dark bar colours of a clear effect, and of one that cannot be
/// told from zero.
const LOWER: RGBColor = PALETTE[4];
const HIGHER: RGBColor = PALETTE[0];
const LOWER_UNCLEAR: RGBColor = RGBColor(215, 215, 215);
const HIGHER_UNCLEAR: RGBColor = RGBColor(160, 160, 160);

impl Draw for TornadoData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        let d = self;
        root.fill(&WHITE).map_err(err)?;
        let n = d.rows.len().max(1);
        let m = d
            .rows
            .iter()
            .flat_map(|r| [r.1.low, r.1.high, r.2.low, r.2.high])
            .map(f64::abs)
            .fold(0.0, f64::max)
            .max(1e-12)
            * 1.15;
        let mut chart = ChartBuilder::on(&root)
            .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
            .margin(12)
            .margin_left(330)
            .x_label_area_size(40)
            .build_cartesian_2d(axis(-m, m, "effect")?, 0f64..n as f64)
            .map_err(err)?;
        let percent = d.percent;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(&d.x_desc)
            .x_labels(7)
            .x_label_formatter(&|v| {
                if percent {
                    format!("{:+.2} pp", v * 100.0)
                } else {
                    human(*v)
                }
            })
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        for (i, (_, low, high, clear)) in d.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let (lc, hc) = if *clear {
                (LOWER, HIGHER)
            } else {
                (LOWER_UNCLEAR, HIGHER_UNCLEAR)
            };
            // The higher value's bar on top, the lower value's below, each
            // with its CI as a whisker across its middle.
            for (bar, top, colour) in [(high, y + 0.88, hc), (low, y + 0.5, lc)] {
                let (b, mid) = (top - 0.36, top - 0.18);
                chart
                    .draw_series([Rectangle::new([(0.0, b), (bar.mean, top)], colour.filled())])
                    .map_err(err)?;
                let ink = BLACK.stroke_width(1);
                chart
                    .draw_series([
                        PathElement::new(vec![(bar.low, mid), (bar.high, mid)], ink),
                        PathElement::new(vec![(bar.low, mid - 0.1), (bar.low, mid + 0.1)], ink),
                        PathElement::new(vec![(bar.high, mid - 0.1), (bar.high, mid + 0.1)], ink),
                    ])
                    .map_err(err)?;
            }
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
        let plot = chart.plotting_area();
        let (px, _) = plot.get_pixel_range();
        for (i, (label, _, _, _)) in d.rows.iter().enumerate() {
            let (_, py) = plot.map_coordinate(&(-m, (n - 1 - i) as f64 + 0.5));
            root.draw(&Text::new(
                label.clone(),
                (px.start - 8, py),
                TextStyle::from((FONT, 14).into_font()).pos(text_anchor::Pos::new(
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

/// Tornado chart of the `top` largest effects of a sensitivity analysis:
/// light bars the change at each parameter's lower value, dark bars at its
/// higher value, whiskers their 95% CIs, grey where the effect's CI
/// includes zero.
pub fn tornado(s: &Sensitivity, top: usize) -> Result<Chart> {
    let rows: Vec<Row> = s
        .effects
        .iter()
        .take(top)
        .map(|e| {
            (
                e.parameter.clone(),
                Bar::of(&e.low_minus_base),
                Bar::of(&e.high_minus_base),
                e.clear(),
            )
        })
        .collect();
    let percent = Metric::unit_of(&s.metric) == Unit::Rate;
    let height = 130 + 40 * rows.len().max(1) as u32;
    let data = TornadoData {
        caption: format!(
            "Sensitivity of {} to ±{}% (whole numbers by at least 1)",
            s.metric,
            human(s.delta * 100.0)
        ),
        x_desc: format!(
            "change in {} (light: lower value, dark: higher value; grey: effect not clear of zero; whiskers: 95% CI)",
            s.metric
        ),
        percent,
        rows,
    };
    chart("tornado", "Sensitivity", (1100, height), data)
}
