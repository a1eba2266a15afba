//! Charts with plotters: SVG by default, PNG on request.
//!
//! Text is laid out with DejaVu Sans compiled into the binary (plotters'
//! `ab_glyph` backend), so sizes and glyphs never depend on the fonts a
//! machine happens to have. Each chart takes prepared data; nothing here
//! simulates. One file per kind of chart: horizontal bars (`bars.rs`:
//! funnel, outcomes, blame, comparisons), fan charts of the pipeline
//! (`fan.rs`), the cycle histogram (`histogram.rs`), the lines of a sweep
//! and of an optimisation's elimination (`lines.rs`), calibration's dwell
//! fits against their Kaplan–Meier curves (`survival.rs`) and the
//! sensitivity tornado (`tornado.rs`).

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;

use super::format::{self, human};
use crate::model::outcome::{Outcome, Side};
use crate::model::scenario::Scenario;
use crate::sim::engine::RunResult;

mod bars;
mod fan;
mod histogram;
mod lines;
mod scaled;
mod survival;
mod tornado;

pub use bars::{blame, comparison, funnel, outcomes, verdict};
pub use fan::pipeline;
pub use histogram::cycle_histogram;
pub use lines::{elimination, sweep};
pub use survival::dwell_survival;
pub use tornado::tornado;

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

/// Marketing orange, sales blue, buyers grey: the Okabe–Ito pair that
/// readers with any common colour-vision deficiency tell apart.
fn side_color(side: Side) -> RGBColor {
    match side {
        Side::Marketing => PALETTE[1],
        Side::Sales => PALETTE[0],
        Side::Buyer => PALETTE[7],
    }
}

/// A change for the better (bluish green), for the worse (vermillion), or
/// neither or not clear (grey).
const BETTER: RGBColor = PALETTE[2];
const WORSE: RGBColor = PALETTE[5];
const UNCLEAR: RGBColor = RGBColor(150, 150, 150);

/// The mark of a legend entry.
#[derive(Clone, Copy)]
enum Mark {
    /// A line of the colour (a series).
    Line(RGBColor),
    /// A filled block of the colour (an area).
    Block(RGBColor),
}

/// Width in pixels of a legend of `labels` drawn beside the plot.
fn legend_width<'a>(labels: impl Iterator<Item = &'a str>) -> u32 {
    // ~7.5 px per character at 13 px, the mark and gaps.
    labels.map(|l| l.chars().count()).max().unwrap_or(0) as u32 * 15 / 2 + 44
}

/// A legend drawn on `root` to the right of the plot (from pixel column `x`,
/// first entry at row `y`), so it never covers data.
fn side_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    entries: &[(String, Mark)],
) -> DrawResult<()> {
    for (i, (label, mark)) in entries.iter().enumerate() {
        let row = y + 20 * i as i32;
        match *mark {
            Mark::Line(c) => root
                .draw(&PathElement::new(
                    vec![(x, row), (x + 18, row)],
                    c.stroke_width(3),
                ))
                .map_err(err)?,
            Mark::Block(c) => root
                .draw(&Rectangle::new([(x, row - 6), (x + 18, row + 6)], c.filled()))
                .map_err(err)?,
        }
        root.draw(&Text::new(
            label.clone(),
            (x + 24, row),
            TextStyle::from((FONT, 13).into_font()).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            )),
        ))
        .map_err(err)?;
    }
    Ok(())
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

/// Redraws a chart on a bitmap (for PNG output, at [`PNG_SCALE`]×).
type BitmapDraw = Box<dyn Fn(DrawingArea<scaled::Scaled<BitMapBackend<'_>>, Shift>) -> DrawResult<()>>;

/// PNGs are drawn at twice the SVG's size (sharp on slides and high-density
/// screens), with the same layout.
pub const PNG_SCALE: u32 = 2;

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
    /// The SVG as a file of its own: the font is embedded, cut down to the
    /// glyphs of the chart's text, so the text renders the same in any
    /// viewer, whatever fonts it has. (The HTML report embeds one subset for
    /// all its charts instead.)
    pub fn standalone_svg(&self) -> String {
        let Some(open_end) = self
            .svg
            .find("<svg")
            .and_then(|i| self.svg[i..].find('>').map(|j| i + j + 1))
        else {
            return self.svg.clone();
        };
        let face = super::font::face("FunnelsimSans", &super::font::text_chars(&self.svg));
        format!(
            "{}<defs><style>{face} text {{ font-family: FunnelsimSans, sans-serif; }}</style></defs>{}",
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
                let (w, h) = self.size;
                let bitmap = BitMapBackend::new(&p, (w * PNG_SCALE, h * PNG_SCALE));
                let root = scaled::Scaled::new(bitmap, PNG_SCALE).into_drawing_area();
                (self.draw)(root).map_err(|e| anyhow!("cannot draw {}: {e}", p.display()))
            }
        }
    }
}

/// Chart data that can draw itself on any plotters backend: the SVG is drawn
/// at once, and the same data redraws the chart on a bitmap if PNG is asked.
trait Draw: 'static {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>;
}

/// Draws `data` as the SVG of a chart named `name`.
fn chart<D: Draw>(name: &str, title: &str, size: (u32, u32), data: D) -> Result<Chart> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        data.draw(root).map_err(|e| anyhow!("cannot draw {name}: {e}"))?;
    }
    Ok(Chart {
        name: name.to_owned(),
        title: title.to_owned(),
        svg,
        draw: Box::new(move |root| data.draw(root)),
        size,
    })
}

/// An axis tick label: a percentage for rates, else a human number.
fn fmt_axis(v: f64, percent: bool) -> String {
    if percent { format::percent(v, 0) } else { human(v) }
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
}
