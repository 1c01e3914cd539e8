//! Grouped bar charts, linear or log scale, with labelled horizontal reference lines.

use std::fmt::Write as _;

use super::canvas::{Anchor, Canvas, Text, color, text_width};
use super::{Axis, B, L, R, T, escape, label, tick_labels};

/// A horizontal reference line across a chart (e.g. "sequential = 1.0").
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

/// The size of the value printed over each bar.
const VALUE_SIZE: f64 = 10.0;

/// How the values over the bars are printed: the widest that no bar is too narrow for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueLabels {
    Across,
    Up,
    /// Bars narrower than a line of text: the values stay in the bars' tooltips.
    None,
}

/// The grid, tick labels, axes and y title of a vertical `axis` over the plot area; tick
/// labels too wide for the left margin are drawn smaller.
pub(super) fn y_axis(c: &mut Canvas, axis: &Axis, title: &str) {
    // Room left of the ticks for the labels, the title's line and some air.
    const ROOM: f64 = L - 6.0 - 12.0 * 1.2 - 8.0;
    let labels = tick_labels(&axis.ticks);
    let widest = labels
        .iter()
        .map(|l| text_width(l, 12.0))
        .fold(0.0f64, f64::max);
    let size = if widest > ROOM {
        12.0 * ROOM / widest
    } else {
        12.0
    };
    for (t, text) in axis.ticks.iter().zip(labels) {
        let y = axis.y(*t);
        let _ = writeln!(
            c.s,
            "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{R}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/>"
        );
        c.text(&Text::new(L - 6.0, y + size / 3.0, size, Anchor::End, text));
    }
    let _ = writeln!(
        c.s,
        "<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{B}\" stroke=\"#333\"/>\
         <line x1=\"{L}\" y1=\"{B}\" x2=\"{R}\" y2=\"{B}\" stroke=\"#333\"/>"
    );
    let suffix = if axis.log { " (log scale)" } else { "" };
    let x = (L - 6.0 - widest.min(ROOM) - 8.0 - 12.0 * 0.25).min(18.0);
    c.y_title(&format!("{title}{suffix}"), x);
}

/// Dashed red lines at `refs`, labelled in the right margin.
pub(super) fn ref_lines(c: &mut Canvas, axis: &Axis, refs: &[RefLine]) {
    const RED: &str = "#c00";
    let mut labels = Vec::new();
    for r in refs.iter().filter(|r| r.y.is_finite()) {
        let y = axis.y(r.y);
        let _ = writeln!(
            c.s,
            "<line x1=\"{L}\" y1=\"{y:.1}\" x2=\"{R}\" y2=\"{y:.1}\" stroke=\"{RED}\" \
             stroke-dasharray=\"6 4\"><title>{}</title></line>",
            escape(&r.label)
        );
        labels.push((y, r.label.clone()));
    }
    c.margin_labels(&labels, RED);
}

impl Bars {
    fn axis(&self) -> Axis {
        let values = || {
            self.series
                .iter()
                .flat_map(|(_, v)| v.iter().copied())
                .chain(self.refs.iter().map(|r| r.y))
                .filter(|v| v.is_finite() && (!self.log || *v > 0.0))
        };
        let max = values().fold(0.0f64, f64::max);
        if self.log {
            // Bars grow from the bottom, so the axis starts at 1 or below.
            let min = values().fold(1.0f64, f64::min);
            Axis::log(min, max.max(min), 1.3, B - T)
        } else {
            Axis::linear(max, 1.1)
        }
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let axis = self.axis();
        let mut c = Canvas::new(&self.title);
        c.legend(
            &self
                .series
                .iter()
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>(),
        );
        y_axis(&mut c, &axis, &self.y_label);
        let n_groups = self.groups.len().max(1) as f64;
        let group_w = (R - L) / n_groups;
        let n_series = self.series.len().max(1) as f64;
        let bar_w = group_w * 0.8 / n_series;
        self.group_labels(&mut c, group_w);
        let mode = self.value_labels(bar_w);
        // Bars first, then the reference lines over them (one sees where each bar crosses a
        // line), then the values over both, on a white halo.
        let mut values = Vec::new();
        for g in 0..self.groups.len() {
            let x0 = L + group_w * g as f64 + group_w * 0.1;
            for (i, (name, vals)) in self.series.iter().enumerate() {
                let x = x0 + bar_w * i as f64;
                let mid = x + bar_w / 2.0 - 1.0;
                let Some(v) = vals
                    .get(g)
                    .copied()
                    .filter(|v| v.is_finite() && (!self.log || *v > 0.0))
                else {
                    let na = Text::new(mid, B - 4.0, 9.0, Anchor::Middle, "n/a").colored("#999");
                    values.push(vec![na.clone(), na.rotated()]);
                    continue;
                };
                let base = if self.log { B } else { axis.y(0.0) };
                let y = axis.y(v);
                let _ = writeln!(
                    c.s,
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                     fill=\"{}\"><title>{}: {}</title></rect>",
                    y.min(base),
                    (bar_w - 2.0).max(1.0),
                    (base - y).abs(),
                    color(i),
                    escape(name),
                    label(v),
                );
                let text = Text::new(mid, y.min(base) - 3.0, VALUE_SIZE, Anchor::Middle, label(v))
                    .haloed();
                match mode {
                    ValueLabels::Across => values.push(vec![text]),
                    ValueLabels::Up => values.push(vec![
                        Text {
                            x: mid + VALUE_SIZE * 0.35,
                            anchor: Anchor::Start,
                            ..text
                        }
                        .rotated(),
                    ]),
                    ValueLabels::None => {}
                }
            }
        }
        ref_lines(&mut c, &axis, &self.refs);
        for choices in &values {
            let _ = c.try_text(choices);
        }
        c.finish()
    }

    /// How the bar values are printed, given the bars' width.
    fn value_labels(&self, bar_w: f64) -> ValueLabels {
        let widest = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter())
            .filter(|v| v.is_finite())
            .map(|v| text_width(&label(*v), VALUE_SIZE))
            .fold(0.0f64, f64::max);
        if widest <= bar_w - 2.0 {
            ValueLabels::Across
        } else if bar_w >= VALUE_SIZE * 1.4 {
            ValueLabels::Up
        } else {
            ValueLabels::None
        }
    }

    /// The group names under the axis: on one row when they fit their groups' width, else on
    /// two staggered rows, smaller if need be (down to 8 px); one that still collides is
    /// dropped.
    fn group_labels(&self, c: &mut Canvas, group_w: f64) {
        let widest = self
            .groups
            .iter()
            .map(|g| text_width(g, 12.0))
            .fold(0.0f64, f64::max);
        let one_row = widest <= group_w - 4.0;
        let size = if one_row || widest <= 2.0 * group_w - 4.0 {
            12.0
        } else {
            (12.0 * (2.0 * group_w - 4.0) / widest).max(8.0)
        };
        for (g, name) in self.groups.iter().enumerate() {
            let x = L + group_w * (g as f64 + 0.5);
            let row = if one_row { 0.0 } else { (g % 2) as f64 };
            // The first row clears the lowest y tick label.
            let y = B + 9.0 + size * (1.0 + 1.4 * row);
            let _ = c.try_text(&[Text::new(x, y, size, Anchor::Middle, name.as_str())]);
        }
    }
}
