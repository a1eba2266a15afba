//! Line charts: a sweep's objective over its grid, one line per
//! combination of the other varied parameters, with 95% CIs; and an
//! optimisation's elimination, configurations in contention against
//! replications spent.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, Draw, DrawResult, FONT, Mark, PALETTE, Series, axis, chart, err, fmt_axis, legend_width,
    side_legend,
};
use crate::output::format::human;
use crate::sim::metrics::{Metric, Unit};
use crate::study::optimise::Optimisation;
use crate::study::sweep::SweepResult;

struct LineData {
    caption: String,
    x_desc: String,
    y_desc: String,
    percent: bool,
    /// (label, points (x, mean, low, high)).
    series: Vec<Series>,
    x_labels: Option<Vec<String>>,
    /// Whether each point gets a marker (not for long step lines).
    markers: bool,
}

impl Draw for LineData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        let d = self;
        root.fill(&WHITE).map_err(err)?;
        let pts = d.series.iter().flat_map(|s| s.1.iter());
        let (mut x0, mut x1, mut y0, mut y1) =
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for p in pts {
            x0 = x0.min(p.0);
            x1 = x1.max(p.0);
            y0 = y0.min(p.2);
            y1 = y1.max(p.3);
        }
        if !x0.is_finite() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        let (xp, yp) = (((x1 - x0) * 0.05).max(0.5), ((y1 - y0) * 0.1).max(1e-9));
        let legend = d.series.len() > 1 || !d.series[0].0.is_empty();
        let legend_w = if legend {
            legend_width(d.series.iter().map(|s| s.0.as_str())) + 12
        } else {
            0
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
            .margin(12)
            .margin_right(12 + legend_w)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(axis(x0 - xp, x1 + xp, "x")?, axis(y0 - yp, y1 + yp, "y")?)
            .map_err(err)?;
        let percent = d.percent;
        let labels = d.x_labels.clone();
        chart
            .configure_mesh()
            .x_desc(&d.x_desc)
            .y_desc(&d.y_desc)
            .y_label_formatter(&|v| fmt_axis(*v, percent))
            .x_label_formatter(&|v| match &labels {
                Some(l) => {
                    let i = v.round();
                    if (v - i).abs() < 1e-6 && i >= 0.0 {
                        l.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                }
                None => human(*v),
            })
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        for (k, (_, points)) in d.series.iter().enumerate() {
            let c = PALETTE[k % PALETTE.len()];
            let mut poly: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.3)).collect();
            poly.extend(points.iter().rev().map(|p| (p.0, p.2)));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.0, p.1)),
                    c.stroke_width(2),
                ))
                .map_err(err)?;
            if d.markers {
                chart
                    .draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, c.filled())))
                    .map_err(err)?;
            }
        }
        if legend {
            // Beside the plot, so it never covers a line.
            let (px, py) = chart.plotting_area().get_pixel_range();
            let entries: Vec<(String, Mark)> = d
                .series
                .iter()
                .enumerate()
                .map(|(k, s)| (s.0.clone(), Mark::Line(PALETTE[k % PALETTE.len()])))
                .collect();
            side_legend(&root, (px.end + 14, py.start + 10), &entries)?;
        }
        root.present().map_err(err)?;
        Ok(())
    }
}

/// Sweep curve: the objective (mean and 95% CI band) against the first
/// varied parameter, one line per value of the others.
pub fn sweep(r: &SweepResult) -> Result<Chart> {
    let obj = r.objective.metric();
    let first_values: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for p in &r.points {
            if let Some((_, x)) = p.settings.first()
                && !v.contains(x)
            {
                v.push(x.clone());
            }
        }
        v
    };
    let numeric = first_values.iter().all(|v| v.parse::<f64>().is_ok());
    let mut series: Vec<Series> = Vec::new();
    for p in &r.points {
        let rest = p
            .settings
            .iter()
            .skip(1)
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let x_text = p.settings.first().map(|s| s.1.clone()).unwrap_or_default();
        let x = if numeric {
            x_text.parse::<f64>().unwrap_or(0.0)
        } else {
            first_values.iter().position(|v| *v == x_text).unwrap_or(0) as f64
        };
        let e = &p.objective;
        let Some(m) = e.mean else { continue };
        let point = (x, m, e.ci_low.unwrap_or(m), e.ci_high.unwrap_or(m));
        match series.iter_mut().find(|s| s.0 == rest) {
            Some(s) => s.1.push(point),
            None => series.push((rest, vec![point])),
        }
    }
    if series.is_empty() {
        series.push((String::new(), Vec::new()));
    }
    let x_desc = r
        .points
        .first()
        .and_then(|p| p.settings.first())
        .map(|s| s.0.clone())
        .unwrap_or_default();
    let percent = Metric::unit_of(obj) == Unit::Rate;
    let data = LineData {
        caption: format!("Sweep: {obj} (mean and 95% CI)"),
        x_desc,
        y_desc: obj.to_owned(),
        percent,
        series,
        x_labels: (!numeric).then_some(first_values),
        markers: true,
    };
    chart("sweep", "Sweep", (950, 480), data)
}

/// An optimisation's elimination: configurations still in contention
/// against the replications spent so far (a step after each screening).
pub fn elimination(o: &Optimisation) -> Result<Chart> {
    // All configurations are in contention until the first screening.
    let k = o.settings.len() as f64;
    let mut points: Vec<(f64, f64, f64, f64)> = vec![(0.0, k, k, k)];
    for step in &o.selection.trace {
        let (x, y) = (step.spent as f64, step.survivors as f64);
        if let Some(&(_, before, ..)) = points.last() {
            points.push((x, before, before, before));
        }
        points.push((x, y, y, y));
    }
    let data = LineData {
        caption: format!(
            "Optimise: configurations in contention ({})",
            o.objective.metric()
        ),
        x_desc: "replications spent (all configurations)".to_owned(),
        y_desc: "configurations in contention".to_owned(),
        percent: false,
        series: vec![(String::new(), points)],
        x_labels: None,
        markers: false,
    };
    chart("elimination", "Elimination", (950, 480), data)
}
