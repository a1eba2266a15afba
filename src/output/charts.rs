//! Charts with plotters: SVG by default, PNG on request.
//!
//! Text is laid out with DejaVu Sans compiled into the binary (plotters'
//! `ab_glyph` backend), so sizes and glyphs never depend on the fonts a
//! machine happens to have. Each chart takes prepared data; nothing here
//! simulates.

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, text_anchor};

use super::format::{self, human};
use crate::model::outcome::{Cause, Outcome, Side};
use crate::model::scenario::Scenario;
use crate::sim::engine::RunResult;
use crate::sim::metrics::{CYCLE_BIN_DAYS, Metric, Unit};
use crate::study::compare::PairedComparison;
use crate::study::sensitivity::Sensitivity;
use crate::study::sweep::SweepResult;

/// Image format of chart files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics (default; inlined into the HTML report).
    Svg,
    /// Portable network graphics.
    Png,
}

/// Font family name every chart uses (registered from embedded bytes).
const FONT: &str = "sans-serif";

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF shipped inside the dejavu crate.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Colour-blind-safe palette (Okabe & Ito, 2008).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(90, 90, 90),
];

fn side_color(side: Side) -> RGBColor {
    match side {
        Side::Marketing => PALETTE[1],
        Side::Sales => PALETTE[5],
        Side::Buyer => PALETTE[7],
    }
}

fn outcome_color(o: Outcome) -> RGBColor {
    match o {
        Outcome::Won => PALETTE[2],
        Outcome::LostCompetitor => PALETTE[5],
        Outcome::NoDecision => PALETTE[7],
        Outcome::WentDark => PALETTE[3],
        Outcome::Disqualified => PALETTE[1],
        Outcome::Open => PALETTE[4],
    }
}

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Redraws a chart on a bitmap (for PNG output).
type BitmapDraw = Box<dyn Fn(DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult<()>>;

/// A line of a line chart: label and points (x, mean, low, high).
type Series = (String, Vec<(f64, f64, f64, f64)>);

/// A rendered chart: its file stem, title and SVG text (also used inline in
/// the HTML report).
pub struct Chart {
    /// File stem, e.g. `funnel`.
    pub name: String,
    /// Title shown above it in the report.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    draw: BitmapDraw,
    size: (u32, u32),
}

impl Chart {
    /// The SVG as a file of its own: the font is embedded (about 1 MB), so
    /// the text renders the same in any viewer, whatever fonts it has. (The
    /// HTML report embeds the font once for all its charts instead.)
    pub fn standalone_svg(&self) -> String {
        use base64::Engine as _;
        let Some(open_end) = self
            .svg
            .find("<svg")
            .and_then(|i| self.svg[i..].find('>').map(|j| i + j + 1))
        else {
            return self.svg.clone();
        };
        let font = base64::engine::general_purpose::STANDARD.encode(dejavu::sans::regular());
        format!(
            "{}<defs><style>@font-face {{ font-family: FunnelsimSans; src: url(data:font/ttf;base64,{font}) format(\"truetype\"); }} text {{ font-family: FunnelsimSans, sans-serif; }}</style></defs>{}",
            &self.svg[..open_end],
            &self.svg[open_end..]
        )
    }

    /// Writes the chart as `<dir>/<name>.svg` or `.png`.
    pub fn write(&self, dir: &Path, format: ImageFormat) -> Result<()> {
        match format {
            ImageFormat::Svg => {
                let p = dir.join(format!("{}.svg", self.name));
                std::fs::write(&p, self.standalone_svg())
                    .map_err(|e| anyhow!("cannot write {}: {e}", p.display()))
            }
            ImageFormat::Png => {
                let p = dir.join(format!("{}.png", self.name));
                let root = BitMapBackend::new(&p, self.size).into_drawing_area();
                (self.draw)(root).map_err(|e| anyhow!("cannot draw {}: {e}", p.display()))
            }
        }
    }
}

/// Builds a chart from a drawing function generic over the backend.
macro_rules! chart {
    ($name:expr, $title:expr, $size:expr, $data:expr, $draw:path) => {{
        register_fonts();
        let data = $data;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, $size).into_drawing_area();
            $draw(root, &data).map_err(|e| anyhow!("cannot draw {}: {e}", $name))?;
        }
        Chart {
            name: $name.to_string(),
            title: $title.to_string(),
            svg,
            draw: Box::new(move |root| $draw(root, &data)),
            size: $size,
        }
    }};
}

fn err<E: std::fmt::Debug>(e: E) -> Box<dyn std::error::Error + Send + Sync> {
    format!("{e:?}").into()
}

/// A drawable axis range. plotters' tick code never ends on a non-finite
/// range (a lognormal deal value with sigma 400 made revenue infinite and
/// the chart hang), and can stall on a span below the numbers' precision;
/// so a non-finite range is an error and a too narrow one is widened.
fn axis(lo: f64, hi: f64, what: &str) -> DrawResult<std::ops::Range<f64>> {
    if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite()) || hi < lo {
        return Err(format!("cannot draw the {what} axis: its range {lo} to {hi} is not finite").into());
    }
    let min_span = (lo.abs().max(hi.abs()) * 1e-9).max(1e-12);
    if hi - lo < min_span {
        let centre = lo / 2.0 + hi / 2.0;
        return Ok((centre - min_span)..(centre + min_span));
    }
    Ok(lo..hi)
}

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

fn fmt_axis(v: f64, percent: bool) -> String {
    if percent { format::percent(v, 0) } else { human(v) }
}

/// Horizontal bars, first bar on top, labels drawn inside the plot on the
/// left (plotters' category axes are awkward for long labels).
fn draw_bars<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, d: &BarData) -> DrawResult<()> {
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
    let mut chart = ChartBuilder::on(&root)
        .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
        .margin(12)
        // Room for the longest category label (~8.5 px per character at 15 px).
        .margin_left(d.bars.iter().map(|b| b.label.chars().count()).max().unwrap_or(10) as u32 * 17 / 2 + 24)
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
        let note = if b.note_inside {
            let anchor = if b.value >= 0.0 {
                text_anchor::HPos::Right
            } else {
                text_anchor::HPos::Left
            };
            let style = TextStyle::from((FONT, 14).into_font())
                .color(&WHITE)
                .pos(text_anchor::Pos::new(anchor, text_anchor::VPos::Center));
            Text::new(
                b.note.clone(),
                (b.value - span * 0.02 * b.value.signum(), y + 0.5),
                style,
            )
        } else {
            let style = TextStyle::from((FONT, 14).into_font()).pos(text_anchor::Pos::new(
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
            TextStyle::from((FONT, 15).into_font()).pos(text_anchor::Pos::new(
                text_anchor::HPos::Right,
                text_anchor::VPos::Center,
            )),
        ))
        .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The funnel: cohort leads reaching each stage, with conversions.
pub fn funnel(s: &Scenario, r: &RunResult) -> Result<Chart> {
    let get = |n: String| r.estimate(&n).and_then(|e| e.mean);
    let bars = s
        .stage_names()
        .enumerate()
        .map(|(i, st)| {
            let reached = get(format!("reached.{st}")).unwrap_or(0.0);
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
    Ok(chart!("funnel", "Funnel", (900, 420), data, draw_bars))
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
    Ok(chart!("outcomes", "Outcomes", (900, 380), data, draw_bars))
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
        x_desc: "lost leads per window (95% CI); orange marketing, red sales, grey buyer".into(),
        bars,
        percent: false,
    };
    Ok(chart!("blame", "Blame ledger", (900, 380), data, draw_bars))
}

struct FanData {
    caption: String,
    y_desc: String,
    days: Vec<f64>,
    stages: Vec<String>,
    /// Per stage: (p05, p50, p95) per day.
    bands: Vec<Vec<(f64, f64, f64)>>,
    window: (f64, f64),
}

fn draw_fan<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, d: &FanData) -> DrawResult<()> {
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
    let mut chart = ChartBuilder::on(&root)
        .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
        .margin(12)
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
        .map_err(err)?
        .label("measurement window")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], RGBColor(220, 228, 245).filled()));
    for (k, stage) in d.stages.iter().enumerate() {
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
            .map_err(err)?
            .label(stage.replace('_', " "))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 13))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
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
    Ok(chart!(name, title, (1000, 480), data, draw_fan))
}

struct HistData {
    caption: String,
    bins: Vec<(f64, f64)>,
    mean: Option<f64>,
}

fn draw_hist<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, d: &HistData) -> DrawResult<()> {
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
        .draw_series(
            d.bins.iter().map(|&(x, y)| {
                Rectangle::new([(x, 0.0), (x + CYCLE_BIN_DAYS * 0.92, y)], PALETTE[2].filled())
            }),
        )
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
    Ok(chart!(
        "cycle_histogram",
        "Sales cycle",
        (900, 380),
        data,
        draw_hist
    ))
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
                color: if v >= 0.0 { PALETTE[2] } else { PALETTE[5] },
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
        x_desc: format!("change relative to {baseline} (95% CI of the paired difference)"),
        bars,
        percent: true,
    };
    Ok(chart!(
        name,
        format!("{candidate} vs {baseline}"),
        (950, 460),
        data,
        draw_bars
    ))
}

struct LineData {
    caption: String,
    x_desc: String,
    y_desc: String,
    percent: bool,
    /// (label, points (x, mean, low, high)).
    series: Vec<Series>,
    x_labels: Option<Vec<String>>,
}

fn draw_lines<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, d: &LineData) -> DrawResult<()> {
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
    let mut chart = ChartBuilder::on(&root)
        .caption(&d.caption, (FONT, 22).into_font().style(FontStyle::Bold))
        .margin(12)
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
    for (k, (label, points)) in d.series.iter().enumerate() {
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
            .map_err(err)?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(3)));
        chart
            .draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, c.filled())))
            .map_err(err)?;
    }
    if d.series.len() > 1 || !d.series[0].0.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
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
    };
    Ok(chart!("sweep", "Sweep", (950, 480), data, draw_lines))
}

struct TornadoData {
    caption: String,
    x_desc: String,
    percent: bool,
    rows: Vec<(String, f64, f64)>,
}

fn draw_tornado<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, d: &TornadoData) -> DrawResult<()> {
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
    Ok(chart!(
        "tornado",
        "Sensitivity",
        (1000, height),
        data,
        draw_tornado
    ))
}

/// Every chart of a single run.
pub fn run_charts(s: &Scenario, r: &RunResult) -> Result<Vec<Chart>> {
    Ok(vec![
        funnel(s, r)?,
        pipeline(s, r, false)?,
        pipeline(s, r, true)?,
        outcomes(r)?,
        blame(r)?,
        cycle_histogram(r)?,
    ])
}

#[cfg(test)]
mod axis_tests {
    use super::*;

    #[test]
    fn non_finite_ranges_are_errors_narrow_ones_widened() {
        assert!(axis(0.0, f64::INFINITY, "x").is_err());
        assert!(axis(f64::NAN, 1.0, "x").is_err());
        assert!(axis(-f64::MAX, f64::MAX, "x").is_err());
        assert!(axis(2.0, 1.0, "x").is_err());
        let r = axis(1e20, 1e20, "x").unwrap();
        assert!(r.start < 1e20 && r.end > 1e20);
        assert_eq!(axis(0.0, 5.0, "x").unwrap(), 0.0..5.0);
    }

    #[test]
    fn a_bar_chart_with_an_infinite_value_fails_instead_of_hanging() {
        register_fonts();
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
        let e = draw_bars(root, &d).unwrap_err().to_string();
        assert!(e.contains("not finite"), "{e}");
    }
}
