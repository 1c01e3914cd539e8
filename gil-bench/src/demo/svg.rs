//! Hand-written SVG charts for the demo report: grouped bars (linear or log scale) and tail
//! plots of wait times. No plotting dependency: the charts are a few dozen elements each.
//!
//! No two labels of a chart overlap: every label goes through a canvas that estimates its box
//! from its characters and font size and moves, rotates or drops a label that would collide
//! with one already drawn; reference-line labels sit in the right margin, spread apart, with
//! a leader to their line.
//!
//! The GIL timeline is drawn by [`timeline`], the CPU speed-up by [`lines`].

use std::fmt::Write as _;

use super::report::escape;

mod bars;
mod canvas;
mod tail;

pub use self::bars::{Bars, RefLine};
pub use self::tail::Tail;
pub mod lines;
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

/// The smallest gap in pixels between two tick labels along an axis: a 12 px label's height
/// and a little air.
const TICK_GAP: f64 = 18.0;

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

/// `n` and `noun`, plural unless `n` is 1: `count(1, "thread")` is "1 thread".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
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

/// The values `{1, 2, 5} × 10^k` (when `fine`) or `10^k` in `lo..=hi` (both > 0).
fn log_candidates(lo: f64, hi: f64, fine: bool) -> Vec<f64> {
    let mantissas: &[f64] = if fine { &[1.0, 2.0, 5.0] } else { &[1.0] };
    let mut out = Vec::new();
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    for e in a..=b {
        for m in mantissas {
            let v = m * 10f64.powi(e);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                out.push(v);
            }
        }
    }
    out
}

/// The largest `{1, 2, 5} × 10^k` at or below `x` (> 0).
fn nice_floor(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * e)
        .find(|&v| v <= x * (1.0 + 1e-9))
        .unwrap_or(e)
}

/// The smallest `{1, 2, 5} × 10^k` at or above `x` (> 0).
fn nice_ceil(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * e)
        .find(|&v| v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * e)
}

/// A value axis of `len` pixels: linear from 0, or log10 between two `{1, 2, 5} × 10^k`
/// values, with ticks at least [`TICK_GAP`] pixels apart and labels distinct at their
/// printed precision.
#[derive(Debug, Clone, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl Axis {
    /// `0..=max × headroom`, rounded up to a nice tick.
    fn linear(max: f64, headroom: f64) -> Self {
        let ticks = linear_ticks(if max > 0.0 { max * headroom } else { 1.0 });
        let hi = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        Self {
            lo: 0.0,
            hi,
            log: false,
            ticks,
        }
    }

    /// Log scale covering `min..=max × headroom` (`min`, `max` > 0; `max` ≥ `min`), with ticks
    /// at `{1, 2, 5} × 10^k` when they fit `len` pixels, else at fewer decades.
    fn log(min: f64, max: f64, headroom: f64, len: f64) -> Self {
        let lo = nice_floor(min);
        let mut hi = nice_ceil(max * headroom);
        if hi <= lo {
            hi = nice_ceil(lo * 1.5);
        }
        let px_per_decade = len / (hi.log10() - lo.log10());
        let mut ticks = log_candidates(lo, hi, true);
        // The closest 1-2-5 ticks are log10(2) ≈ 0.3 decades apart.
        if px_per_decade * 2f64.log10() < TICK_GAP {
            ticks = log_candidates(lo, hi, false);
            // Every n-th decade when even whole decades are too close.
            let every = (TICK_GAP / px_per_decade).ceil().max(1.0) as usize;
            ticks = ticks.into_iter().step_by(every).collect();
        }
        Self {
            lo,
            hi,
            log: true,
            ticks,
        }
    }

    /// Where `v` falls, as a fraction 0..=1 of the axis (clamped).
    fn frac(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.max(f64::MIN_POSITIVE).log10() - self.lo.log10())
                / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        f.clamp(0.0, 1.0)
    }

    /// The y pixel of `v` on a vertical axis from `B` (bottom) up to `T`.
    fn y(&self, v: f64) -> f64 {
        B - self.frac(v) * (B - T)
    }
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
    trim_zeros(s)
}

/// `s` without the trailing zeros of its decimals (and without a bare trailing point).
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// `x` with `decimals` decimals (trailing zeros trimmed), in thousands (`10k`) from 10 000
/// and in millions (`10M`) from a million, so that tick labels stay narrow.
fn compact(x: f64, decimals: usize) -> String {
    let (scaled, suffix) = if x.abs() >= 1e6 {
        (x / 1e6, "M")
    } else if x.abs() >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    trim_zeros(format!("{scaled:.decimals$}")) + suffix
}

/// The number a [`compact`] label stands for.
fn read_compact(s: &str) -> Option<f64> {
    match s.strip_suffix('M').or_else(|| s.strip_suffix('k')) {
        Some(n) => Some(n.parse::<f64>().ok()? * if s.ends_with('M') { 1e6 } else { 1e3 }),
        None => s.parse().ok(),
    }
}

/// Labels for `ticks` ([`compact`]): the fewest decimals at which every label reads back as
/// its tick to a thousandth of the tick and of the gap to its neighbours, so that two ticks
/// never print the same.
fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let gap = ticks
        .windows(2)
        .map(|p| (p[1] - p[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let close = |l: &str, t: f64| {
        let tol = 1e-3 * if t == 0.0 { gap } else { gap.min(t.abs()) };
        read_compact(l).is_some_and(|v| (v - t).abs() <= tol)
    };
    (0..=12)
        .map(|d| ticks.iter().map(|&t| compact(t, d)).collect::<Vec<_>>())
        .find(|labels| labels.iter().zip(ticks).all(|(l, &t)| close(l, t)))
        .unwrap_or_else(|| ticks.iter().map(|t| format!("{t:e}")).collect())
}

#[cfg(test)]
mod tests;
