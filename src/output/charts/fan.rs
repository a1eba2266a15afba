//! Fan charts of the open pipeline over time: the median and the p05–p95
//! band per stage, the measurement window shaded.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, Draw, DrawResult, FONT, Mark, PALETTE, axis, chart, err, legend_width, side_legend};
use crate::model::scenario::Scenario;
use crate::output::format::human;
use crate::sim::engine::RunResult;

struct FanData {
    caption: String,
    y_desc: String,
    days: Vec<f64>,
    stages: Vec<String>,
    /// Per stage: (p05, p50, p95) per day.
    bands: Vec<Vec<(f64, f64, f64)>>,
    window: (f64, f64),
}

impl Draw for FanData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        let d = self;
        root.fill(&WHITE).map_err(err)?;
        let x1 = d.days.last().copied().unwrap_or(1.0).max(1.0);
        let y1 = d
            .bands
            .iter()
            .flatten()
            .map(|b| b.2)
            .fold(0.0, f64::max)
            .max(1e-9)
            * 1.08;
        let names: Vec<String> = d.stages.iter().map(|s| s.replace('_', " ")).collect();
        let window_label = "measurement window";
        let legend = legend_width(names.iter().map(String::as_str).chain([window_label]));
        let mut chart = ChartBuilder::on(&root)
            .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
            .margin(12)
            .margin_right(legend + 12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(axis(0.0, x1, "x")?, axis(0.0, y1, "y")?)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("day of the simulation")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc(&d.y_desc)
            .y_label_formatter(&|v| human(*v))
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        // The measurement window, lightly shaded.
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(d.window.0, 0.0), (d.window.1, y1)],
                RGBColor(235, 240, 250).filled(),
            )))
            .map_err(err)?;
        for k in 0..d.stages.len() {
            let c = PALETTE[k % PALETTE.len()];
            let band = &d.bands[k];
            let mut poly: Vec<(f64, f64)> = d.days.iter().zip(band).map(|(x, b)| (*x, b.2)).collect();
            poly.extend(d.days.iter().zip(band).rev().map(|(x, b)| (*x, b.0)));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    d.days.iter().zip(band).map(|(x, b)| (*x, b.1)),
                    c.stroke_width(2),
                ))
                .map_err(err)?;
        }
        // The legend beside the plot, in the stages' order.
        let (px, py) = chart.plotting_area().get_pixel_range();
        let mut entries: Vec<(String, Mark)> = names
            .iter()
            .enumerate()
            .map(|(k, n)| (n.clone(), Mark::Line(PALETTE[k % PALETTE.len()])))
            .collect();
        entries.push((window_label.to_owned(), Mark::Block(RGBColor(220, 228, 245))));
        side_legend(&root, (px.end + 14, py.start + 10), &entries)?;
        root.present().map_err(err)?;
        Ok(())
    }
}

/// Pipeline over time: median and p05–p95 band per stage, of open buyers
/// (`value = false`) or of their deal value (`value = true`).
pub fn pipeline(s: &Scenario, r: &RunResult, value: bool) -> Result<Chart> {
    let n = s.stage_count();
    let days: Vec<f64> = r.pipeline.iter().step_by(n).map(|b| b.day).collect();
    let bands = (0..n)
        .map(|st| {
            r.pipeline
                .iter()
                .filter(|b| b.stage == st)
                .map(|b| {
                    let q = if value { b.value } else { b.count };
                    (q[1], q[2], q[3])
                })
                .collect()
        })
        .collect();
    let w = s.window();
    let data = FanData {
        caption: if value {
            "Open pipeline value by stage"
        } else {
            "Open pipeline by stage"
        }
        .into(),
        y_desc: if value {
            "deal value (median, p05–p95)"
        } else {
            "open buyers (median, p05–p95)"
        }
        .into(),
        days,
        stages: s.stage_names().map(str::to_owned).collect(),
        bands,
        window: (w.start_day, w.end_day),
    };
    let name = if value { "pipeline_value" } else { "pipeline_count" };
    let title = if value {
        "Pipeline value over time"
    } else {
        "Pipeline over time"
    };
    chart(name, title, (1000, 480), data)
}
