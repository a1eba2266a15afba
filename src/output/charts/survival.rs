//! Calibration's dwell fits against the data: per stage, the Kaplan–Meier
//! curve of the stays with its 95% band, and the fitted dwell curve.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, Draw, DrawResult, FONT, PALETTE, axis, chart, err, fmt_axis};
use crate::calibration::estimate::Calibration;
use crate::calibration::survival::KaplanMeier;
use crate::output::format::human;

/// Points of the fitted curve drawn per panel.
const FITTED_POINTS: usize = 200;

/// The top of the y axis when the legend needs no room of its own.
const Y_TOP: f64 = 1.02;

/// Where a panel's legend goes: in a corner the curves leave empty, or,
/// when neither corner is empty (a wide band), above the curves in room
/// made for it by raising the y axis to `top`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Legend {
    UpperRight,
    LowerLeft,
    Headroom { top: f64 },
}

/// The legend's place for `curves` (each a line through (days, survival)
/// points) on an x axis to `x_max`, when the legend covers the share `fx`
/// of the plot's width and `fy` of its height. Survival curves fall from
/// the upper left, so the upper right is empty when they have fallen by
/// then and the lower left when they have not yet. A segment counts as in
/// the way when its bounding box meets the legend's (a long flat step of a
/// Kaplan–Meier curve between two distant events included).
fn legend_place(curves: &[Vec<(f64, f64)>], x_max: f64, fx: f64, fy: f64) -> Legend {
    let clear = |xs: (f64, f64), ys: (f64, f64)| {
        !curves.iter().any(|c| {
            c.windows(2).any(|w| {
                let (x0, x1) = (w[0].0.min(w[1].0), w[0].0.max(w[1].0));
                let (y0, y1) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
                x1 >= xs.0 && x0 <= xs.1 && y1 >= ys.0 && y0 <= ys.1
            }) || c
                .iter()
                .any(|&(x, y)| (xs.0..=xs.1).contains(&x) && (ys.0..=ys.1).contains(&y))
        })
    };
    let (x_in, y_in) = (x_max * fx, Y_TOP * fy);
    if clear((x_max - x_in, x_max), (Y_TOP - y_in, Y_TOP)) {
        Legend::UpperRight
    } else if clear((0.0, x_in), (0.0, y_in)) {
        Legend::LowerLeft
    } else {
        Legend::Headroom {
            top: Y_TOP / (1.0 - fy).max(0.5),
        }
    }
}

struct Panel {
    caption: String,
    fit_label: String,
    /// The Kaplan–Meier curve as a staircase: (days, survival, low, high).
    km: Vec<(f64, f64, f64, f64)>,
    /// The fitted survival curve.
    fitted: Vec<(f64, f64)>,
    x_max: f64,
}

struct SurvivalData {
    panels: Vec<Panel>,
    columns: usize,
}

/// The staircase of a Kaplan–Meier curve: flat between events, dropping at
/// each, carried on to the longest stay.
fn staircase(km: &KaplanMeier) -> Vec<(f64, f64, f64, f64)> {
    let mut pts = vec![(0.0, 1.0, 1.0, 1.0)];
    let mut before = (1.0, 1.0, 1.0);
    for s in &km.steps {
        pts.push((s.days, before.0, before.1, before.2));
        before = (s.survival, s.ci_low, s.ci_high);
        pts.push((s.days, before.0, before.1, before.2));
    }
    pts.push((km.last_days, before.0, before.1, before.2));
    pts
}

impl Draw for SurvivalData {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()> {
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(
                "Dwell per stage: share of stays still going, fitted vs Kaplan–Meier",
                (FONT, 22).into_font().style(FontStyle::Bold),
            )
            .map_err(err)?;
        let rows = self.panels.len().div_ceil(self.columns);
        let areas = root.split_evenly((rows, self.columns));
        let (km_colour, fit_colour) = (PALETTE[0], PALETTE[5]);
        for (p, area) in self.panels.iter().zip(areas) {
            // The legend's size as a share of the plot: three rows of 12 px
            // text with the key and padding, beside the longest label (about
            // 6.3 px a character), and its distance from the corner.
            let (w, h) = area.dim_in_pixel();
            let plot = ((f64::from(w) - 72.0).max(1.0), (f64::from(h) - 82.0).max(1.0));
            let longest = p.fit_label.chars().count().max("Kaplan–Meier 95% CI".len());
            let fx = ((40.0 + 6.3 * longest as f64 + 10.0) / plot.0).min(1.0);
            let fy = ((3.0 * 18.0 + 14.0 + 10.0) / plot.1).min(0.9);
            let curves = [
                p.km.iter().map(|q| (q.0, q.1)).collect(),
                p.km.iter().map(|q| (q.0, q.2)).collect(),
                p.km.iter().map(|q| (q.0, q.3)).collect(),
                p.fitted.clone(),
            ];
            let place = legend_place(&curves, p.x_max, fx, fy);
            let top = match place {
                Legend::Headroom { top } => top,
                _ => Y_TOP,
            };
            let mut chart = ChartBuilder::on(&area)
                .caption(&p.caption, (FONT, 16))
                .margin(10)
                .x_label_area_size(38)
                .y_label_area_size(52)
                .build_cartesian_2d(axis(0.0, p.x_max, "days")?, 0.0..top)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("days in the stage")
                // Headroom above 100% holds the legend, not a share.
                .y_label_formatter(&|v| {
                    if *v > 1.0 + 1e-9 {
                        String::new()
                    } else {
                        fmt_axis(*v, true)
                    }
                })
                .x_label_formatter(&|v| human(*v))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 13))
                .draw()
                .map_err(err)?;
            let mut band: Vec<(f64, f64)> = p.km.iter().map(|q| (q.0, q.3)).collect();
            band.extend(p.km.iter().rev().map(|q| (q.0, q.2)));
            chart
                .draw_series(std::iter::once(Polygon::new(band, km_colour.mix(0.18).filled())))
                .map_err(err)?
                .label("Kaplan–Meier 95% CI")
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], km_colour.mix(0.18).filled())
                });
            chart
                .draw_series(LineSeries::new(
                    p.km.iter().map(|q| (q.0, q.1)),
                    km_colour.stroke_width(2),
                ))
                .map_err(err)?
                .label("Kaplan–Meier")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], km_colour.stroke_width(3)));
            chart
                .draw_series(LineSeries::new(
                    p.fitted.iter().copied(),
                    fit_colour.stroke_width(2),
                ))
                .map_err(err)?
                .label(p.fit_label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], fit_colour.stroke_width(3))
                });
            chart
                .configure_series_labels()
                .position(match place {
                    Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                    _ => SeriesLabelPosition::UpperRight,
                })
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(180, 180, 180))
                .label_font((FONT, 12))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(())
    }
}

/// One panel per stage: the Kaplan–Meier curve of its stays (censored ones
/// included) with the 95% band, and the chosen fit's survival curve, over
/// the days the stays cover.
pub fn dwell_survival(cal: &Calibration) -> Result<Chart> {
    let panels: Vec<Panel> = cal
        .stages
        .iter()
        .map(|st| {
            let fit = st.dwell.best();
            let x_max = st.km.last_days.max(1.0);
            let fitted = (0..=FITTED_POINTS)
                .map(|i| {
                    let t = x_max * i as f64 / FITTED_POINTS as f64;
                    (t, fit.survival(t))
                })
                .filter(|p| p.1.is_finite())
                .collect();
            Panel {
                caption: format!(
                    "{}: {} stays, {} censored",
                    st.name,
                    human(st.dwell.events as f64),
                    human(st.dwell.censored as f64)
                ),
                fit_label: format!(
                    "fitted {}, mean {} days",
                    fit.family.name(),
                    human(fit.mean_days.value)
                ),
                km: staircase(&st.km),
                fitted,
                x_max,
            }
        })
        .collect();
    let columns = if panels.len() > 1 { 2 } else { 1 };
    let rows = panels.len().div_ceil(columns) as u32;
    let size = (1000, 60 + 300 * rows);
    chart(
        "dwell_survival",
        "Dwell fits vs Kaplan–Meier",
        size,
        SurvivalData { panels, columns },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..=100).map(|i| (f64::from(i), f(f64::from(i)))).collect()
    }

    #[test]
    fn the_legend_goes_where_the_curves_are_not() {
        // Fallen by the right half: the upper right is empty.
        let fast = curve(|t| (-t / 10.0).exp());
        assert_eq!(legend_place(&[fast], 100.0, 0.45, 0.25), Legend::UpperRight);
        // Still high at the right (most stays never end): the lower left.
        let slow = curve(|t| 1.0 - 0.002 * t);
        assert_eq!(legend_place(&[slow], 100.0, 0.45, 0.25), Legend::LowerLeft);
        // One long flat step at 90% from day 10 to the end, no point in
        // the upper right: the step itself is in the way.
        let step = vec![(0.0, 1.0), (10.0, 1.0), (10.0, 0.9), (100.0, 0.9)];
        assert_eq!(legend_place(&[step], 100.0, 0.45, 0.25), Legend::LowerLeft);
        // A band from 0 to 1 everywhere: room above the curves.
        let wide = [curve(|_| 0.0), curve(|_| 1.0)];
        match legend_place(&wide, 100.0, 0.45, 0.25) {
            Legend::Headroom { top } => assert!(top * 0.75 >= Y_TOP, "{top}"),
            other => panic!("{other:?}"),
        }
    }
}
