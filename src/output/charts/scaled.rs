//! A drawing backend that draws a chart laid out at its logical size on a
//! bitmap `k` times larger: PNGs at 2× for slides, with the same layout as
//! the SVG and every line, shape and glyph drawn at the finer resolution.

use plotters::prelude::*;
use plotters::style::text_anchor::Pos;
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

/// `inner`, addressed in logical pixels that are `k` device pixels wide.
pub struct Scaled<B> {
    inner: B,
    k: i32,
}

impl<B: DrawingBackend> Scaled<B> {
    /// Wraps `inner` (whose size is `k` times the logical size).
    pub fn new(inner: B, k: u32) -> Self {
        Self {
            inner,
            k: k.max(1) as i32,
        }
    }

    fn at(&self, (x, y): BackendCoord) -> BackendCoord {
        (x * self.k, y * self.k)
    }
}

/// A style with its stroke `k` times wider.
struct Wide {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Wide {
    fn color(&self) -> BackendColor {
        self.color
    }

    fn stroke_width(&self) -> u32 {
        self.width
    }
}

impl<B: DrawingBackend> Scaled<B> {
    fn wide<S: BackendStyle>(&self, s: &S) -> Wide {
        Wide {
            color: s.color(),
            width: s.stroke_width() * self.k as u32,
        }
    }
}

impl<B: DrawingBackend> DrawingBackend for Scaled<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        (w / self.k as u32, h / self.k as u32)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        p: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (x, y) = self.at(p);
        self.inner
            .draw_rect((x, y), (x + self.k - 1, y + self.k - 1), &color, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let w = self.wide(style);
        let (a, b) = (self.at(from), self.at(to));
        if w.width <= 1 {
            return self.inner.draw_line(a, b, &w);
        }
        self.inner.draw_path([a, b], &w)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let w = self.wide(style);
        let (a, b) = (self.at(upper_left), self.at(bottom_right));
        if fill {
            return self
                .inner
                .draw_rect(a, (b.0 + self.k - 1, b.1 + self.k - 1), &w, true);
        }
        self.inner.draw_path([a, (b.0, a.1), b, (a.0, b.1), a], &w)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let w = self.wide(style);
        let points: Vec<BackendCoord> = path.into_iter().map(|p| self.at(p)).collect();
        self.inner.draw_path(points, &w)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let w = self.wide(style);
        let c = self.at(center);
        self.inner.draw_circle(c, radius * self.k as u32, &w, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let points: Vec<BackendCoord> = vert.into_iter().map(|p| self.at(p)).collect();
        self.inner.fill_polygon(points, &style.color())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        // The same font, family and anchor at k times the size.
        let c = style.color();
        let colour = RGBAColor(c.rgb.0, c.rgb.1, c.rgb.2, c.alpha);
        let anchor: Pos = style.anchor();
        let big = TextStyle::from(FontDesc::new(
            style.family(),
            style.size() * f64::from(self.k),
            style.style(),
        ))
        .color(&colour)
        .transform(style.transform())
        .pos(anchor);
        let p = self.at(pos);
        self.inner.draw_text(text, &big, p)
    }
}
