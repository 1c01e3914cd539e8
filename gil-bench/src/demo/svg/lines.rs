//! Line charts with whiskers: one line per series over shared x values (thread counts), each
//! point a median with the rounds' min–max drawn as a whisker, and guide lines (such as the
//! ideal speed-up y = N) under them. The legend sits right of the plot, never on it.

use std::fmt::Write as _;

use super::{B, COLORS, L, R, T, header, label, linear_ticks};
use crate::demo::report::escape;

/// One point of a [`Line`]: a median and the spread of the rounds around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The median (a non-finite one draws no point).
    pub y: f64,
    /// The least of the rounds (the whisker's bottom; non-finite draws no whisker).
    pub lo: f64,
    /// The greatest of the rounds (the whisker's top).
    pub hi: f64,
}

/// A series: its name and one [`Point`] per x of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The legend's text.
    pub name: String,
    /// One point per x (missing or non-finite ones break the line).
    pub points: Vec<Point>,
}

/// A grey reference line through one y per x (e.g. ideal y = N, or y = 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    /// The legend's text.
    pub label: String,
    /// One y per x.
    pub ys: Vec<f64>,
    /// Dashed rather than solid.
    pub dashed: bool,
}

/// A line chart: `lines` and `guides` over the x values `xs`, linear on both axes, y from 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Lines {
    /// Chart title.
    pub title: String,
    /// The x axis label.
    pub x_label: String,
    /// The y axis label.
    pub y_label: String,
    /// The x values, one tick each (labels closer than [`MIN_TICK_GAP`] to the last one
    /// drawn are left out).
    pub xs: Vec<f64>,
    /// The series, drawn in order over the guides.
    pub lines: Vec<Line>,
    /// Reference lines, listed in the legend after the series.
    pub guides: Vec<Guide>,
}

/// The least distance in px between two x tick labels.
pub const MIN_TICK_GAP: f64 = 28.0;

/// Space in px between the plot's edges and the first and last x.
const PAD: f64 = 24.0;

/// How far in px neighbouring series are shifted apart at the same x, so that their
/// whiskers do not hide each other.
const DODGE: f64 = 4.0;

/// The guides' colour.
const GREY: &str = "#777";

/// The x values whose tick labels are drawn: in order of position, each at least
/// [`MIN_TICK_GAP`] px right of the last one drawn.
pub fn shown_ticks(px: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..px.len()).filter(|&i| px[i].is_finite()).collect();
    order.sort_by(|&a, &b| px[a].total_cmp(&px[b]));
    let mut shown: Vec<usize> = Vec::new();
    for i in order {
        if shown.last().is_none_or(|&j| px[i] - px[j] >= MIN_TICK_GAP) {
            shown.push(i);
        }
    }
    shown
}

impl Lines {
    /// The x pixel of each x value (the middle when they are all equal).
    fn x_px(&self) -> Vec<f64> {
        let finite = || self.xs.iter().copied().filter(|x| x.is_finite());
        let lo = finite().fold(f64::INFINITY, f64::min);
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        self.xs
            .iter()
            .map(|&x| {
                if hi > lo {
                    L + PAD + (x - lo) / (hi - lo) * (R - L - 2.0 * PAD)
                } else {
                    f64::midpoint(L, R)
                }
            })
            .collect()
    }

    /// The series' stroke: its colour, and dashed once the palette has been used up.
    fn style(i: usize) -> (&'static str, bool) {
        (COLORS[i % COLORS.len()], i >= COLORS.len())
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let max = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().flat_map(|p| [p.y, p.lo, p.hi]))
            .chain(self.guides.iter().flat_map(|g| g.ys.iter().copied()))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let ticks = linear_ticks(if max > 0.0 { max * 1.05 } else { 1.0 });
        let top = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let y_of = |v: f64| B - (v / top).clamp(0.0, 1.0) * (B - T);
        let px = self.x_px();
        let mut s = String::new();
        header(&mut s, &self.title);
        for t in &ticks {
            let y = y_of(*t);
            let _ = writeln!(
                s,
                "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{R}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>\
                 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                L - 6.0,
                y + 4.0,
                label(*t)
            );
        }
        for i in shown_ticks(&px) {
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{B}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#333\"/>\
                 <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                B + 5.0,
                B + 18.0,
                label(self.xs[i]),
                x = px[i]
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{B}\" stroke=\"#333\"/>\
             <line x1=\"{L}\" y1=\"{B}\" x2=\"{R}\" y2=\"{B}\" stroke=\"#333\"/>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n\
             <text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            f64::midpoint(L, R),
            B + 40.0,
            escape(&self.x_label),
            f64::midpoint(T, B),
            escape(&self.y_label)
        );
        for g in &self.guides {
            let pts: Vec<(f64, f64)> = px.iter().copied().zip(g.ys.iter().copied()).collect();
            polylines(&mut s, &pts, 0.0, GREY, g.dashed, y_of);
        }
        let n = self.lines.len() as f64;
        for (i, line) in self.lines.iter().enumerate() {
            let dx = (i as f64 - (n - 1.0) / 2.0) * DODGE;
            let (color, dashed) = Self::style(i);
            let pts: Vec<(f64, f64)> = px
                .iter()
                .copied()
                .zip(line.points.iter().map(|p| p.y))
                .collect();
            polylines(&mut s, &pts, dx, color, dashed, y_of);
            for (j, p) in line.points.iter().enumerate() {
                let Some(&x) = px.get(j) else { break };
                self.point(&mut s, line, j, *p, (x + dx, color, dashed), y_of);
            }
        }
        self.legend(&mut s);
        s.push_str("</svg>\n");
        s
    }

    /// One point: its whisker (when the rounds spread) and its marker with a tooltip.
    fn point(
        &self,
        s: &mut String,
        line: &Line,
        j: usize,
        p: Point,
        (x, color, hollow): (f64, &str, bool),
        y_of: impl Fn(f64) -> f64,
    ) {
        if !p.y.is_finite() {
            return;
        }
        let spread = p.lo.is_finite() && p.hi.is_finite() && p.hi > p.lo;
        if spread {
            let (y0, y1) = (y_of(p.lo), y_of(p.hi));
            let _ = writeln!(
                s,
                "<path d=\"M{x:.1} {y0:.1}V{y1:.1}M{:.1} {y0:.1}H{:.1}M{:.1} {y1:.1}H{:.1}\" \
                 stroke=\"{color}\" stroke-width=\"1.2\" fill=\"none\"/>",
                x - 3.0,
                x + 3.0,
                x - 3.0,
                x + 3.0
            );
        }
        let tip = format!(
            "{} at {}: {}{}",
            line.name,
            label(self.xs.get(j).copied().unwrap_or(f64::NAN)),
            label(p.y),
            if spread {
                format!(" (rounds {}–{})", label(p.lo), label(p.hi))
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\" stroke=\"{color}\" \
             stroke-width=\"1.5\"><title>{}</title></circle>",
            y_of(p.y),
            if hollow { "white" } else { color },
            escape(&tip)
        );
    }

    /// The legend, right of the plot: a line sample per series, then per guide.
    fn legend(&self, s: &mut String) {
        let series = self.lines.iter().enumerate().map(|(i, l)| {
            let (color, dashed) = Self::style(i);
            (l.name.as_str(), color, dashed, Some(dashed))
        });
        let guides = self
            .guides
            .iter()
            .map(|g| (g.label.as_str(), GREY, g.dashed, None));
        for (row, (name, color, dashed, marker)) in series.chain(guides).enumerate() {
            let y = T + 6.0 + 20.0 * row as f64;
            let _ = writeln!(
                s,
                "<line x1=\"{}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"{color}\" \
                 stroke-width=\"2\"{}/>",
                R + 12.0,
                R + 38.0,
                dash(dashed)
            );
            if let Some(hollow) = marker {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{}\" stroke=\"{color}\" \
                     stroke-width=\"1.5\"/>",
                    R + 25.0,
                    if hollow { "white" } else { color }
                );
            }
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{:.1}\">{}</text>",
                R + 44.0,
                y + 4.0,
                escape(name)
            );
        }
    }
}

/// The stroke attribute of a dashed line (empty for a solid one).
fn dash(dashed: bool) -> &'static str {
    if dashed {
        " stroke-dasharray=\"6 4\""
    } else {
        ""
    }
}

/// `pts` (x px, y value) as polylines shifted `dx` px, broken where a y is not finite.
fn polylines(
    s: &mut String,
    pts: &[(f64, f64)],
    dx: f64,
    color: &str,
    dashed: bool,
    y_of: impl Fn(f64) -> f64,
) {
    for run in pts.split(|(_, y)| !y.is_finite()) {
        if run.len() < 2 {
            continue;
        }
        let points: Vec<String> = run
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", x + dx, y_of(y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{}/>",
            points.join(" "),
            dash(dashed)
        );
    }
}

#[cfg(test)]
mod tests;
