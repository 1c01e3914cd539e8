//! A chart being drawn: its SVG text and the boxes of the labels drawn so far, so that a new
//! label can be moved or dropped instead of overlapping one.
//!
//! Label boxes are estimated from the characters and the font size, on the wide side of
//! `DejaVu Sans` (the usual `sans-serif` on Linux): a label estimated clear of another is clear
//! on screen too, which the browser test of the report checks.

use std::fmt::Write as _;

use super::{B, COLORS, H, R, T, W, escape, header, legend};

/// The glyph height above the baseline and below it, as fractions of the font size
/// (`DejaVu Sans`: 0.928 and 0.236).
const ASCENT: f64 = 0.95;
const DESCENT: f64 = 0.25;
/// Air kept between two labels, in pixels.
const PAD: f64 = 1.5;

/// The estimated advance of `c` as a fraction of the font size.
fn char_width(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.34,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' => 0.44,
        'm' | 'w' | 'M' | 'W' | '%' => 0.98,
        c if c.is_ascii_uppercase() => 0.78,
        c if c.is_ascii() => 0.64,
        // ×, −, ≤, µ, …: most are as wide as a digit; a little more to be safe.
        _ => 0.84,
    }
}

/// The estimated width of `text` at `size` pixels.
pub(super) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(char_width).sum::<f64>() * size
}

/// An axis-aligned box: left, top, right, bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) x1: f64,
    pub(super) y1: f64,
}

impl Rect {
    /// Whether `self` and `other` share more than `tol` pixels both ways.
    pub(super) fn overlaps(&self, other: &Self, tol: f64) -> bool {
        self.x0.max(other.x0) + tol < self.x1.min(other.x1)
            && self.y0.max(other.y0) + tol < self.y1.min(other.y1)
    }

    fn grown(&self, by: f64) -> Self {
        Self {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }
}

/// Where a label's `x` sits along its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    Start,
    Middle,
    End,
}

/// One label: its anchor point, size, alignment, and whether it reads bottom to top.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) size: f64,
    pub(super) anchor: Anchor,
    /// Rotated −90° about `(x, y)`.
    pub(super) up: bool,
    pub(super) fill: &'static str,
    /// Drawn on a white outline, to stay legible over lines.
    pub(super) halo: bool,
    pub(super) body: String,
}

impl Text {
    /// A dark, horizontal, `size`-pixel label of `text` anchored at `(x, y)`.
    pub(super) fn new(x: f64, y: f64, size: f64, anchor: Anchor, text: impl Into<String>) -> Self {
        Self {
            x,
            y,
            size,
            anchor,
            up: false,
            fill: "#222",
            halo: false,
            body: text.into(),
        }
    }

    /// The same label rotated to read bottom to top.
    pub(super) fn rotated(self) -> Self {
        Self { up: true, ..self }
    }

    /// The same label on a white outline.
    pub(super) fn haloed(self) -> Self {
        Self { halo: true, ..self }
    }

    /// The same label in `fill`.
    pub(super) fn colored(self, fill: &'static str) -> Self {
        Self { fill, ..self }
    }

    /// Its estimated box.
    pub(super) fn rect(&self) -> Rect {
        let w = text_width(&self.body, self.size);
        // Along the text, relative to the anchor.
        let (a0, a1) = match self.anchor {
            Anchor::Start => (0.0, w),
            Anchor::Middle => (-w / 2.0, w / 2.0),
            Anchor::End => (-w, 0.0),
        };
        let (up, down) = (ASCENT * self.size, DESCENT * self.size);
        if self.up {
            // rotate(-90): the text runs up the page, its ascent points left.
            Rect {
                x0: self.x - up,
                y0: self.y - a1,
                x1: self.x + down,
                y1: self.y - a0,
            }
        } else {
            Rect {
                x0: self.x + a0,
                y0: self.y - up,
                x1: self.x + a1,
                y1: self.y + down,
            }
        }
    }

    fn write(&self, s: &mut String) {
        let anchor = match self.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{}\" text-anchor=\"{anchor}\" fill=\"{}\"",
            self.x, self.y, self.size, self.fill
        );
        if self.halo {
            s.push_str(" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"");
        }
        if self.up {
            let _ = write!(s, " transform=\"rotate(-90 {:.1} {:.1})\"", self.x, self.y);
        }
        let _ = writeln!(s, ">{}</text>", escape(&self.body));
    }
}

/// A chart being drawn.
#[derive(Debug)]
pub(super) struct Canvas {
    /// The SVG so far (shapes are written straight into it).
    pub(super) s: String,
    taken: Vec<Rect>,
}

impl Canvas {
    /// A chart with its white background and `title` drawn.
    pub(super) fn new(title: &str) -> Self {
        let mut s = String::new();
        header(&mut s, title);
        let mut canvas = Self {
            s,
            taken: Vec::new(),
        };
        canvas.reserve(Text::new(W / 2.0, 22.0, 15.0, Anchor::Middle, title).rect());
        canvas
    }

    /// Marks `r` as taken by something drawn outside the canvas's labels.
    pub(super) fn reserve(&mut self, r: Rect) {
        self.taken.push(r);
    }

    /// Whether `t` would stay inside the chart and clear of every label drawn so far.
    pub(super) fn fits(&self, t: &Text) -> bool {
        let r = t.rect();
        r.x0 >= 0.0
            && r.y0 >= 0.0
            && r.x1 <= W
            && r.y1 <= H
            && !self.taken.iter().any(|o| r.overlaps(&o.grown(PAD), 0.0))
    }

    /// Draws `t` whether or not it fits (axis labels the layout keeps apart by construction).
    pub(super) fn text(&mut self, t: &Text) {
        self.taken.push(t.rect());
        t.write(&mut self.s);
    }

    /// Draws the first of `choices` that fits; returns whether one did.
    pub(super) fn try_text(&mut self, choices: &[Text]) -> bool {
        match choices.iter().find(|t| self.fits(t)) {
            Some(t) => {
                self.text(t);
                true
            }
            None => false,
        }
    }

    /// The series legend right of the plot, one coloured square and name per series.
    pub(super) fn legend(&mut self, names: &[String]) {
        legend(&mut self.s, names.iter().cloned());
        for (i, name) in names.iter().enumerate() {
            let y = T + 10.0 + 20.0 * i as f64;
            let mut r = Text::new(R + 32.0, y, 12.0, Anchor::Start, name.as_str()).rect();
            r.x0 = R + 15.0;
            self.reserve(r);
        }
    }

    /// Labels for horizontal reference lines, `(y pixel, label)`, written in the right
    /// margin in `fill`: each as near its line's height as the legend and the labels above
    /// it allow, joined to its line by an elbow when moved. A label that finds no room is
    /// dropped (its line keeps its `<title>`).
    pub(super) fn margin_labels(&mut self, lines: &[(f64, String)], fill: &'static str) {
        let mut order: Vec<&(f64, String)> = lines.iter().collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let x = R + 14.0;
        for (y_line, label) in order {
            let at = |y: f64| Text::new(x, y, 11.0, Anchor::Start, label.as_str()).colored(fill);
            // The baseline sits 4 px below the line's height, so the text centres on it.
            let want = y_line + 4.0;
            // Nearest free height: try 0, +1, −1, +2, … pixels away.
            let found = (0..2 * H as i32)
                .map(|k| want + f64::from(if k % 2 == 0 { k / 2 } else { -(k + 1) / 2 }))
                .find(|&y| self.fits(&at(y)));
            if let Some(y) = found {
                let _ = writeln!(
                    self.s,
                    "<polyline points=\"{R},{y_line:.1} {:.1},{y_line:.1} {:.1},{:.1} {:.1},{:.1}\" \
                     fill=\"none\" stroke=\"{fill}\" stroke-width=\"1\"/>",
                    R + 6.0,
                    R + 6.0,
                    y - 4.0,
                    x - 2.0,
                    y - 4.0
                );
                self.text(&at(y));
            }
        }
    }

    /// A vertical axis title at `x`, centred on the plot's height, reading bottom to top.
    pub(super) fn y_title(&mut self, title: &str, x: f64) {
        self.text(&Text::new(x, f64::midpoint(T, B), 12.0, Anchor::Middle, title).rotated());
    }

    /// The finished SVG document.
    pub(super) fn finish(mut self) -> String {
        self.s.push_str("</svg>\n");
        self.s
    }
}

/// The colour of series `i`.
pub(super) fn color(i: usize) -> &'static str {
    COLORS[i % COLORS.len()]
}
