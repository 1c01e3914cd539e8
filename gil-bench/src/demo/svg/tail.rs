//! Tail plots: each series' samples sorted and drawn against their percentile on a "nines"
//! axis (50, 90, 99, 99.9 … evenly spaced), so the rare long waits get as much room as the
//! common ones.

use std::fmt::Write as _;

use super::bars::{RefLine, ref_lines, y_axis};
use super::canvas::{Anchor, Canvas, Text, color};
use super::{Axis, B, L, R, T, escape, label};

/// The percentiles of samples: one curve per series, y = the sample, x = the share of
/// samples at or below it, on an axis where 90, 99 and 99.9 % are equally far apart; the
/// longest sample of each series is a dot.
#[derive(Debug, Clone, PartialEq)]
pub struct Tail {
    /// Chart title.
    pub title: String,
    /// The y axis label (the samples' quantity and unit).
    pub y_label: String,
    /// (series name, samples; non-finite ones are left out).
    pub series: Vec<(String, Vec<f64>)>,
    /// Horizontal reference lines (drawn under the curves).
    pub refs: Vec<RefLine>,
}

/// A y range spanning more than this factor goes on a log scale.
const LOG_SPAN: f64 = 20.0;

/// The "nines" of percentile fraction `p` in `0..1`: 0.9 → 1, 0.99 → 2, 0.999 → 3.
fn nines(p: f64) -> f64 {
    -(1.0 - p).log10()
}

/// The percentile ticks up to `max_nines`: (nines, label).
pub(super) fn nines_ticks(max_nines: f64) -> Vec<(f64, String)> {
    let mut ticks = vec![(0.0, "0".to_owned()), (nines(0.5), "50".to_owned())];
    for k in 1..=9 {
        if f64::from(k) > max_nines {
            break;
        }
        // 90, 99, 99.9, …
        let text = if k <= 2 {
            format!("{}", 100.0 - 10f64.powi(2 - k))
        } else {
            format!("99.{}", "9".repeat((k - 2) as usize))
        };
        ticks.push((f64::from(k), text));
    }
    ticks
}

impl Tail {
    /// Each series' finite samples, sorted.
    fn sorted(&self) -> Vec<Vec<f64>> {
        self.series
            .iter()
            .map(|(_, v)| {
                let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
                v.sort_by(f64::total_cmp);
                v
            })
            .collect()
    }

    fn y_axis(&self, sorted: &[Vec<f64>]) -> Axis {
        let values = || {
            sorted
                .iter()
                .flatten()
                .copied()
                .chain(self.refs.iter().map(|r| r.y))
                .filter(|v| v.is_finite())
        };
        let max = values().fold(0.0f64, f64::max);
        let min = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        if min.is_finite() && max / min > LOG_SPAN {
            Axis::log(min, max, 1.15, B - T)
        } else {
            Axis::linear(max, 1.1)
        }
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let sorted = self.sorted();
        let y = self.y_axis(&sorted);
        // Sample i of n sits at percentile (i + ½) / n, so the longest at 1 − 1/(2n).
        let n_max = sorted.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let x_max = nines(1.0 - 0.5 / n_max as f64).max(2.0) + 0.15;
        let x_of = |n: f64| L + (n / x_max).clamp(0.0, 1.0) * (R - L);
        let mut c = Canvas::new(&self.title);
        let names: Vec<String> = self
            .series
            .iter()
            .zip(&sorted)
            .map(|((name, _), v)| format!("{name} ({} waits)", v.len()))
            .collect();
        c.legend(&names);
        y_axis(&mut c, &y, &self.y_label);
        for (n, text) in nines_ticks(x_max) {
            let x = x_of(n);
            let _ = writeln!(
                c.s,
                "<line x1=\"{x:.1}\" y1=\"{T}\" x2=\"{x:.1}\" y2=\"{B}\" stroke=\"#eee\"/>"
            );
            let _ = c.try_text(&[Text::new(x, B + 16.0, 12.0, Anchor::Middle, text)]);
        }
        c.text(&Text::new(
            f64::midpoint(L, R),
            B + 40.0,
            12.0,
            Anchor::Middle,
            "percentile: the share of waits at or below y (each step right is 10× rarer)",
        ));
        ref_lines(&mut c, &y, &self.refs);
        for (i, v) in sorted.iter().enumerate() {
            let Some(&longest) = v.last() else { continue };
            let n = v.len() as f64;
            let px = |j: usize| x_of(nines((j as f64 + 0.5) / n));
            // One point per pixel column: the last (longest) sample in it.
            let mut pts = String::new();
            for j in 0..v.len() {
                if j + 1 == v.len() || px(j + 1) - px(j).floor() >= 1.0 {
                    let _ = write!(pts, "{:.1},{:.1} ", px(j), y.y(v[j]));
                }
            }
            let (mx, my) = (px(v.len() - 1), y.y(longest));
            let name = escape(&self.series[i].0);
            let _ = writeln!(
                c.s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{fill}\" stroke-width=\"2\"/>\
                 <circle cx=\"{mx:.1}\" cy=\"{my:.1}\" r=\"3.5\" fill=\"{fill}\">\
                 <title>{name}: longest {}</title></circle>",
                pts.trim_end(),
                label(longest),
                fill = color(i),
            );
            let text = format!("max {}", label(longest));
            let at = |x: f64, y: f64, a: Anchor| {
                Text::new(x, y, 11.0, a, text.as_str()).colored(color(i))
            };
            let _ = c.try_text(&[
                at(mx - 6.0, my - 6.0, Anchor::End),
                at(mx - 6.0, my + 14.0, Anchor::End),
                at(mx, my - 8.0, Anchor::Middle),
                at(mx + 6.0, my + 4.0, Anchor::Start),
            ]);
        }
        c.finish()
    }
}
