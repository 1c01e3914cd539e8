//! Hand-written SVG charts for the demo report: grouped bars (linear or log scale) and
//! empirical distribution curves; the GIL timeline in [`timeline`]. No plotting dependency:
//! the charts are a few dozen elements each.

use std::fmt::Write as _;

use super::report::escape;

pub mod timeline;

/// Series colours (colour-blind-safe Okabe–Ito palette).
const COLORS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

const W: f64 = 900.0;
const H: f64 = 380.0;
/// Plot area: left, top, right, bottom edges (the legend goes right of it, up to 300 px).
const L: f64 = 70.0;
const T: f64 = 40.0;
const R: f64 = 600.0;
const B: f64 = 320.0;

/// A horizontal reference line across a bar chart (e.g. "sequential = 1.0").
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    /// Its y value.
    pub y: f64,
    /// Its label.
    pub label: String,
}

/// A grouped bar chart: `groups` along x, one bar per series in each group.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// Chart title.
    pub title: String,
    /// The y axis label.
    pub y_label: String,
    /// Group labels along x.
    pub groups: Vec<String>,
    /// (series name, one value per group; non-finite values draw no bar).
    pub series: Vec<(String, Vec<f64>)>,
    /// Log-scale y axis (for values spanning decades, like convoy slowdowns).
    pub log: bool,
    /// Reference lines.
    pub refs: Vec<RefLine>,
}

fn header(s: &mut String, title: &str) {
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>",
        W / 2.0,
        escape(title)
    );
}

fn legend(s: &mut String, names: impl Iterator<Item = String>) {
    for (i, name) in names.enumerate() {
        let y = T + 10.0 + 20.0 * i as f64;
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            R + 15.0,
            y - 10.0,
            COLORS[i % COLORS.len()],
            R + 32.0,
            y,
            escape(&name)
        );
    }
}

/// "Nice" tick values covering `0..=max` (about five of them).
fn linear_ticks(max: f64) -> Vec<f64> {
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    let mut ticks = vec![0.0];
    while ticks.last().is_some_and(|&t| t < max * 0.9999) && ticks.len() < 50 {
        ticks.push(step * ticks.len() as f64);
    }
    ticks
}

/// A tick label: no trailing zeros, at most 3 significant decimals.
fn label(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    let s = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

impl Bars {
    /// The chart as an SVG document.
    #[allow(
        clippy::too_many_lines,
        reason = "one SVG document, drawn top to bottom"
    )]
    pub fn svg(&self) -> String {
        let values = || {
            self.series
                .iter()
                .flat_map(|(_, v)| v.iter().copied())
                .chain(self.refs.iter().map(|r| r.y))
                .filter(|v| v.is_finite() && (!self.log || *v > 0.0))
        };
        let max = values().fold(0.0f64, f64::max);
        let min_pos = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        // The y mapping: linear 0..top, or log10 over whole decades.
        let (lo, hi, ticks) = if self.log {
            let lo = if min_pos.is_finite() {
                min_pos.log10().floor().min(0.0)
            } else {
                0.0
            };
            let hi = if max > 0.0 {
                max.log10().ceil().max(lo + 1.0)
            } else {
                lo + 1.0
            };
            let ticks: Vec<f64> = (lo as i32..=hi as i32).map(|e| 10f64.powi(e)).collect();
            (lo, hi, ticks)
        } else {
            let ticks = linear_ticks(if max > 0.0 { max * 1.1 } else { 1.0 });
            let hi = *ticks.last().unwrap_or(&1.0);
            (0.0, hi.max(f64::MIN_POSITIVE), ticks)
        };
        let y_of = |v: f64| -> f64 {
            let f = if self.log {
                (v.log10() - lo) / (hi - lo)
            } else {
                (v - lo) / (hi - lo)
            };
            B - f.clamp(0.0, 1.0) * (B - T)
        };
        let mut s = String::new();
        header(&mut s, &self.title);
        // Axes, grid and tick labels.
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
        let _ = writeln!(
            s,
            "<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{B}\" stroke=\"#333\"/>\
             <line x1=\"{L}\" y1=\"{B}\" x2=\"{R}\" y2=\"{B}\" stroke=\"#333\"/>\n\
             <text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}{}</text>",
            f64::midpoint(T, B),
            escape(&self.y_label),
            if self.log { " (log scale)" } else { "" }
        );
        // Bars.
        let n_groups = self.groups.len().max(1) as f64;
        let group_w = (R - L) / n_groups;
        let n_series = self.series.len().max(1) as f64;
        let bar_w = group_w * 0.8 / n_series;
        for (g, name) in self.groups.iter().enumerate() {
            let x0 = L + group_w * g as f64 + group_w * 0.1;
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                L + group_w * (g as f64 + 0.5),
                B + 18.0,
                escape(name)
            );
            for (i, (_, vals)) in self.series.iter().enumerate() {
                let x = x0 + bar_w * i as f64;
                match vals.get(g).copied() {
                    Some(v) if v.is_finite() && (!self.log || v > 0.0) => {
                        let base = if self.log { B } else { y_of(0.0) };
                        let y = y_of(v);
                        let _ = writeln!(
                            s,
                            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                             fill=\"{}\"><title>{}</title></rect>\
                             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" \
                             text-anchor=\"middle\">{}</text>",
                            y.min(base),
                            (bar_w - 2.0).max(1.0),
                            (base - y).abs(),
                            COLORS[i % COLORS.len()],
                            label(v),
                            x + bar_w / 2.0 - 1.0,
                            y.min(base) - 3.0,
                            label(v)
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            s,
                            "<text x=\"{:.1}\" y=\"{}\" font-size=\"9\" fill=\"#999\" \
                             text-anchor=\"middle\">n/a</text>",
                            x + bar_w / 2.0,
                            B - 4.0
                        );
                    }
                }
            }
        }
        for r in &self.refs {
            let y = y_of(r.y);
            let _ = writeln!(
                s,
                "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{R}\" y2=\"{y:.1}\" stroke=\"#c00\" \
                 stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" fill=\"#c00\" \
                 text-anchor=\"end\" font-size=\"11\">{}</text>",
                R - 4.0,
                y - 4.0,
                escape(&r.label)
            );
        }
        legend(&mut s, self.series.iter().map(|(n, _)| n.clone()));
        s.push_str("</svg>\n");
        s
    }
}

/// Empirical cumulative distributions: for each series, the fraction of samples ≤ x.
#[derive(Debug, Clone, PartialEq)]
pub struct Cdf {
    /// Chart title.
    pub title: String,
    /// The x axis label.
    pub x_label: String,
    /// (series name, samples).
    pub series: Vec<(String, Vec<f64>)>,
    /// Vertical reference lines: (x, label).
    pub marks: Vec<(f64, String)>,
}

impl Cdf {
    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let finite = |v: &&f64| v.is_finite();
        let max = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().filter(finite).copied())
            .chain(self.marks.iter().map(|m| m.0))
            .fold(0.0f64, f64::max);
        let ticks = linear_ticks(if max > 0.0 { max * 1.05 } else { 1.0 });
        let hi = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let x_of = |v: f64| L + (v / hi).clamp(0.0, 1.0) * (R - L);
        let y_of = |f: f64| B - f.clamp(0.0, 1.0) * (B - T);
        let mut s = String::new();
        header(&mut s, &self.title);
        for t in &ticks {
            let x = x_of(*t);
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{T}\" x2=\"{x:.1}\" y2=\"{B}\" stroke=\"#eee\"/>\
                 <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                B + 16.0,
                label(*t)
            );
        }
        for f in [0.0, 0.25, 0.5, 0.75, 0.99, 1.0] {
            let y = y_of(f);
            let _ = writeln!(
                s,
                "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{R}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
                 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                L - 6.0,
                y + 4.0,
                label(f)
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{B}\" stroke=\"#333\"/>\
             <line x1=\"{L}\" y1=\"{B}\" x2=\"{R}\" y2=\"{B}\" stroke=\"#333\"/>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n\
             <text transform=\"translate(18 {}) rotate(-90)\" \
             text-anchor=\"middle\">fraction of waits ≤ x</text>",
            f64::midpoint(L, R),
            B + 40.0,
            escape(&self.x_label),
            f64::midpoint(T, B)
        );
        for (i, (_, samples)) in self.series.iter().enumerate() {
            let mut v: Vec<f64> = samples.iter().filter(finite).copied().collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(f64::total_cmp);
            let n = v.len() as f64;
            // A step curve; thinned to at most ~400 points.
            let stride = (v.len() / 400).max(1);
            let mut pts = format!("{:.1},{:.1}", x_of(0.0), y_of(0.0));
            for (j, x) in v.iter().enumerate() {
                if j % stride == 0 || j + 1 == v.len() {
                    let _ = write!(
                        pts,
                        " {:.1},{:.1} {:.1},{:.1}",
                        x_of(*x),
                        y_of(j as f64 / n),
                        x_of(*x),
                        y_of((j + 1) as f64 / n)
                    );
                }
            }
            let _ = writeln!(
                s,
                "<polyline points=\"{pts}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
                COLORS[i % COLORS.len()]
            );
        }
        for (x, text) in &self.marks {
            let px = x_of(*x);
            let _ = writeln!(
                s,
                "<line x1=\"{px:.1}\" y1=\"{T}\" x2=\"{px:.1}\" y2=\"{B}\" stroke=\"#c00\" \
                 stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{}\" fill=\"#c00\" \
                 font-size=\"11\">{}</text>",
                px + 4.0,
                T + 12.0,
                escape(text)
            );
        }
        legend(
            &mut s,
            self.series
                .iter()
                .map(|(n, v)| format!("{n} ({} waits)", v.len())),
        );
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests;
