//! The sensitivity tornado: each parameter's effect, low and high.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;

use super::{Chart, Draw, DrawResult, FONT, PALETTE, axis, chart, err};
use crate::output::format::human;
use crate::sim::metrics::{Metric, Unit};
use crate::study::sensitivity::Sensitivity;

struct TornadoData {
    caption: String,
    x_desc: String,
    percent: bool,
    rows: Vec<(String, f64, f64)>,
}

impl Draw for TornadoData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        let d = self;
        root.fill(&WHITE).map_err(err)?;
        let n = d.rows.len().max(1);
        let m = d
            .rows
            .iter()
            .map(|r| r.1.abs().max(r.2.abs()))
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
        for (i, (_, low, high)) in d.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            chart
                .draw_series([
                    Rectangle::new([(0.0, y + 0.15), (*low, y + 0.85)], PALETTE[4].filled()),
                    Rectangle::new([(0.0, y + 0.15), (*high, y + 0.85)], PALETTE[0].filled()),
                ])
                .map_err(err)?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
        let plot = chart.plotting_area();
        let (px, _) = plot.get_pixel_range();
        for (i, (label, _, _)) in d.rows.iter().enumerate() {
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

/// Tornado chart of a sensitivity analysis (at most the 20 largest effects):
/// light bars low − base, dark bars high − base.
pub fn tornado(s: &Sensitivity) -> Result<Chart> {
    let rows: Vec<(String, f64, f64)> = s
        .effects
        .iter()
        .take(20)
        .map(|e| {
            (
                e.parameter.clone(),
                e.low_minus_base.mean.unwrap_or(0.0),
                e.high_minus_base.mean.unwrap_or(0.0),
            )
        })
        .collect();
    let percent = Metric::unit_of(&s.metric) == Unit::Rate;
    let height = 120 + 30 * rows.len().max(1) as u32;
    let data = TornadoData {
        caption: format!("Sensitivity of {} to ±{:.0}%", s.metric, s.delta * 100.0),
        x_desc: format!(
            "change in {} (light: parameter −{:.0}%, dark: +{:.0}%)",
            s.metric,
            s.delta * 100.0,
            s.delta * 100.0
        ),
        percent,
        rows,
    };
    chart("tornado", "Sensitivity", (1000, height), data)
}
