//! The histogram of won deals' sales cycles.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, Draw, DrawResult, FONT, PALETTE, axis, chart, err};
use crate::output::format::human;
use crate::sim::engine::RunResult;
use crate::sim::metrics::CYCLE_BIN_DAYS;

struct HistData {
    caption: String,
    bins: Vec<(f64, f64)>,
    mean: Option<f64>,
}

impl Draw for HistData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        let d = self;
        root.fill(&WHITE).map_err(err)?;
        let x1 = d
            .bins
            .iter()
            .rev()
            .find(|b| b.1 > 0.0)
            .map_or(CYCLE_BIN_DAYS, |b| b.0 + CYCLE_BIN_DAYS)
            .max(CYCLE_BIN_DAYS);
        let y1 = d.bins.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-9) * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(axis(0.0, x1, "x")?, axis(0.0, y1, "y")?)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("days from capture to won")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("won deals per window")
            .y_label_formatter(&|v| human(*v))
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(d.bins.iter().map(|&(x, y)| {
                Rectangle::new([(x, 0.0), (x + CYCLE_BIN_DAYS * 0.92, y)], PALETTE[2].filled())
            }))
            .map_err(err)?;
        if let Some(m) = d.mean {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(m, 0.0), (m, y1)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("mean {}", human(m)),
                    (m + x1 * 0.01, y1 * 0.95),
                    (FONT, 14),
                )))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(())
    }
}

/// Histogram of sales-cycle days of won deals.
pub fn cycle_histogram(r: &RunResult) -> Result<Chart> {
    let reps = f64::from(r.completed.max(1));
    let bins = r
        .cycle_histogram
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as f64 * CYCLE_BIN_DAYS, c as f64 / reps))
        .collect();
    let data = HistData {
        caption: "Sales cycle of won deals".into(),
        bins,
        mean: r.estimate("cycle_days").and_then(|e| e.mean),
    };
    chart("cycle_histogram", "Sales cycle", (900, 380), data)
}
