//! Who holds the GIL when: one panel per policy, one lane per thread, on one time axis.
//! Holding the GIL is a solid bar in the thread's colour, waiting for it a lighter hatched
//! bar, blocked in I/O (GIL released) a thin line; the legend sits below the panels.

use std::fmt::Write as _;

use super::{COLORS, H, W, escape, header, label, linear_ticks};
use crate::demo::timeline_trace::{Lane, State};

/// Left edge of the lanes (the lane names are right-aligned before it) and right edge.
const LX: f64 = 112.0;
const RX: f64 = 880.0;
/// Top of the first panel, and each panel's height (title, lanes, tick labels).
const TOP: f64 = 38.0;
const PANEL: f64 = 148.0;
/// Lane pitch and bar height.
const PITCH: f64 = 28.0;
const BAR: f64 = 20.0;

/// A timeline chart: panels one above the other, sharing the time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Chart title.
    pub title: String,
    /// The x axis label (times are in ms).
    pub x_label: String,
    /// (panel title, its lanes); at most two panels fit the chart's height.
    pub panels: Vec<(String, Vec<Lane>)>,
}

/// The hatch pattern's id for colour `i` (ids are page-wide: the SVG is inlined).
fn hatch(i: usize) -> String {
    format!("gil-timeline-hatch-{i}")
}

/// A hatch pattern: stripes of `color` on a pale tint of it.
fn pattern(s: &mut String, id: &str, color: &str) {
    let _ = writeln!(
        s,
        "<pattern id=\"{id}\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"{color}\" \
         fill-opacity=\"0.15\"/><line x1=\"1\" y1=\"0\" x2=\"1\" y2=\"5\" stroke=\"{color}\" \
         stroke-width=\"1.6\" stroke-opacity=\"0.7\"/></pattern>"
    );
}

/// One span drawn at `x0..x1` in the lane whose bar starts at `y`.
fn bar(s: &mut String, state: State, (x0, x1): (f64, f64), y: f64, color: usize) {
    let w = (x1 - x0).max(0.0);
    let _ = match state {
        State::Holding => writeln!(
            s,
            "<rect x=\"{x0:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{BAR}\" fill=\"{}\"/>",
            COLORS[color % COLORS.len()]
        ),
        State::Waiting => writeln!(
            s,
            "<rect x=\"{x0:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{BAR}\" \
             fill=\"url(#{})\"/>",
            hatch(color % COLORS.len())
        ),
        State::Io => writeln!(
            s,
            "<rect x=\"{x0:.2}\" y=\"{:.1}\" width=\"{w:.2}\" height=\"2\" fill=\"{}\"/>",
            y + BAR / 2.0 - 1.0,
            COLORS[color % COLORS.len()]
        ),
    };
}

/// Ticks every "nice" step covering `0..=end`, about ten of them: a long axis shared by two
/// panels has room for twice the ticks of the other charts (whose step would leave up to a
/// quarter of the axis empty).
fn time_ticks(end: f64) -> Vec<f64> {
    let step = linear_ticks(end / 2.0).get(1).copied().unwrap_or(end);
    let mut ticks = vec![0.0];
    while ticks.last().is_some_and(|&t| t < end * 0.9999) && ticks.len() < 50 {
        ticks.push(step * ticks.len() as f64);
    }
    ticks
}

impl Timeline {
    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let end = self
            .panels
            .iter()
            .flat_map(|(_, lanes)| lanes.iter().filter_map(|l| l.spans.last()))
            .map(|sp| sp.end)
            .filter(|x| x.is_finite())
            .fold(0.0f64, f64::max);
        let ticks = time_ticks(if end > 0.0 { end } else { 1.0 });
        let hi = ticks.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let x_of = |t: f64| LX + (t / hi).clamp(0.0, 1.0) * (RX - LX);
        let mut s = String::new();
        header(&mut s, &self.title);
        s.push_str("<defs>\n");
        for (i, color) in COLORS.iter().enumerate() {
            pattern(&mut s, &hatch(i), color);
        }
        pattern(&mut s, "gil-timeline-hatch-key", "#555");
        s.push_str("</defs>\n");
        for (p, (title, lanes)) in self.panels.iter().enumerate() {
            let top = TOP + PANEL * p as f64;
            let lanes_top = top + 14.0;
            let axis = lanes_top + PITCH * lanes.len() as f64;
            let _ = writeln!(
                s,
                "<text x=\"{LX}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
                top + 6.0,
                escape(title)
            );
            for t in &ticks {
                let x = x_of(*t);
                let _ = writeln!(
                    s,
                    "<line x1=\"{x:.1}\" y1=\"{lanes_top:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" \
                     stroke=\"#e5e5e5\"/><text x=\"{x:.1}\" y=\"{:.1}\" \
                     text-anchor=\"middle\">{}</text>",
                    axis + 4.0,
                    axis + 17.0,
                    label(*t)
                );
            }
            let _ = writeln!(
                s,
                "<line x1=\"{LX}\" y1=\"{axis:.1}\" x2=\"{RX}\" y2=\"{axis:.1}\" stroke=\"#333\"/>"
            );
            for (i, lane) in lanes.iter().enumerate() {
                let y = lanes_top + PITCH * i as f64 + (PITCH - BAR) / 2.0;
                let _ = writeln!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                    LX - 8.0,
                    y + BAR / 2.0 + 4.0,
                    escape(lane.name)
                );
                for sp in lane.spans.iter().filter(|sp| sp.start.is_finite()) {
                    bar(&mut s, sp.state, (x_of(sp.start), x_of(sp.end)), y, i);
                }
            }
        }
        let below = TOP + PANEL * self.panels.len() as f64;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f64::midpoint(LX, RX),
            below - 6.0,
            escape(&self.x_label)
        );
        key(&mut s, (below + 12.0).min(H - 24.0));
        s.push_str("</svg>\n");
        s
    }
}

/// The key to the three styles, in one row at `y` (below the panels, outside the lanes).
fn key(s: &mut String, y: f64) {
    let items = [
        (State::Holding, "holding the GIL"),
        (State::Waiting, "waiting for the GIL"),
        (State::Io, "blocked in I/O (GIL released)"),
    ];
    let mut x = LX;
    for (state, text) in items {
        let _ = match state {
            State::Holding => writeln!(
                s,
                "<rect x=\"{x}\" y=\"{y:.1}\" width=\"28\" height=\"12\" fill=\"#555\"/>"
            ),
            State::Waiting => writeln!(
                s,
                "<rect x=\"{x}\" y=\"{y:.1}\" width=\"28\" height=\"12\" \
                     fill=\"url(#gil-timeline-hatch-key)\" stroke=\"#555\" stroke-width=\"0.5\"/>"
            ),
            State::Io => writeln!(
                s,
                "<rect x=\"{x}\" y=\"{:.1}\" width=\"28\" height=\"2\" fill=\"#555\"/>",
                y + 5.0
            ),
        };
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\">{}</text>",
            x + 34.0,
            y + 10.0,
            escape(text)
        );
        // 7 px a character at 12 px is generous for sans-serif, so the items never touch.
        x += 34.0 + 7.0 * text.chars().count() as f64 + 24.0;
    }
    debug_assert!(x < W, "the legend fits the width");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::timeline_trace::Span;

    fn lane(name: &'static str, spans: &[(State, f64, f64)]) -> Lane {
        Lane {
            name,
            key: name,
            io_waits: Vec::new(),
            spans: spans
                .iter()
                .map(|&(state, start, end)| Span { state, start, end })
                .collect(),
        }
    }

    /// The estimated box (left, right, top, bottom) of every `<text>`.
    fn text_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
        let attr = |head: &str, name: &str| -> f64 {
            let el = format!(" {head}");
            let at = el.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            el[at..el[at..].find('"').unwrap() + at].parse().unwrap()
        };
        svg.split("<text ")
            .skip(1)
            .filter(|el| el.starts_with("x="))
            .map(|el| {
                let (head, rest) = el.split_once('>').unwrap();
                let text = &rest[..rest.find("</text>").unwrap()];
                let size = if head.contains("font-size=\"15\"") {
                    15.0
                } else {
                    12.0
                };
                let w = 0.6 * size * text.chars().count() as f64;
                let x = attr(head, "x");
                let left = if head.contains("\"middle\"") {
                    x - w / 2.0
                } else if head.contains("\"end\"") {
                    x - w
                } else {
                    x
                };
                (left, left + w, attr(head, "y") - size, attr(head, "y"))
            })
            .collect()
    }

    fn sample() -> Timeline {
        let cpu = |off: f64| {
            lane(
                "CPU thread 1",
                &[
                    (State::Holding, off, off + 5.0),
                    (State::Waiting, off + 5.0, off + 10.0),
                    (State::Holding, off + 10.0, 47.3),
                ],
            )
        };
        let io = lane(
            "I/O thread",
            &[
                (State::Waiting, 0.0, 0.2),
                (State::Holding, 0.2, 0.3),
                (State::Io, 0.3, 1.4),
                (State::Waiting, 1.4, 6.0),
                (State::Holding, 6.0, 6.1),
            ],
        );
        Timeline {
            title: "Who holds the GIL <when>".into(),
            x_label: "ms since the threads started".into(),
            panels: vec![
                ("GIL, Fair".into(), vec![cpu(0.0), cpu(0.5), io.clone()]),
                ("GIL, CPython policy".into(), vec![cpu(1.0), io]),
            ],
        }
    }

    #[test]
    fn draws_every_span_in_its_style() {
        let svg = sample().svg();
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(svg.contains("&lt;when&gt;") && svg.contains("GIL, CPython policy"));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        // 10 holds, 7 hatched waits, 2 I/O lines, and the legend's three keys.
        assert_eq!(svg.matches("height=\"20\" fill=\"#").count(), 10);
        assert_eq!(
            svg.matches("fill=\"url(#gil-timeline-hatch-").count(),
            7 + 1
        );
        assert_eq!(svg.matches("height=\"2\"").count(), 2 + 1);
        // Both panels end on the same axis: the last tick covers 47.3 ms.
        assert!(svg.contains(">50</text>") && !svg.contains(">60</text>"));
    }

    #[test]
    fn time_ticks_are_nice_and_cover_the_run() {
        assert_eq!(
            time_ticks(65.0),
            [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
        );
        assert_eq!(time_ticks(50.0).last(), Some(&50.0));
        assert_eq!(time_ticks(20.3).len(), 10); // every 2.5 ms
        assert_eq!(time_ticks(0.9)[..2], [0.0, 0.1]);
    }

    #[test]
    fn no_two_labels_overlap_and_all_fit() {
        let svg = sample().svg();
        let boxes = text_boxes(&svg);
        assert!(boxes.len() > 15, "{boxes:?}");
        for (i, a) in boxes.iter().enumerate() {
            assert!(
                a.0 >= 0.0 && a.1 <= W && a.2 >= 0.0 && a.3 <= H,
                "{a:?} outside"
            );
            for b in &boxes[i + 1..] {
                let apart = a.1 <= b.0 || b.1 <= a.0 || a.3 <= b.2 || b.3 <= a.2;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn an_empty_chart_is_still_a_document() {
        let svg = Timeline {
            title: "t".into(),
            x_label: "ms".into(),
            panels: vec![("p".into(), vec![lane("a", &[])])],
        }
        .svg();
        assert!(svg.trim_end().ends_with("</svg>") && !svg.contains("NaN"));
    }
}
