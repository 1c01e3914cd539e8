use super::canvas::{Anchor, Rect, Text};
use super::*;

fn balanced(svg: &str) {
    assert!(svg.starts_with("<svg "));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    // Every opened element is closed (self-closing or paired).
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert_eq!(
        svg.matches("<title>").count(),
        svg.matches("</title>").count()
    );
}

/// The value of attribute `name` in the start tag `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `<text>` of `svg`, read back from the document as the browser would see it.
fn texts(svg: &str) -> Vec<Text> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        let tag_end = i + rest[i..].find('>').unwrap();
        let tag = &rest[i..tag_end];
        let body_end = tag_end + rest[tag_end..].find("</text>").unwrap();
        let num =
            |name: &str, default: f64| attr(tag, name).map_or(default, |v| v.parse().unwrap());
        let anchor = match attr(tag, "text-anchor") {
            Some("middle") => Anchor::Middle,
            Some("end") => Anchor::End,
            None | Some("start") => Anchor::Start,
            Some(other) => panic!("anchor {other}"),
        };
        let transform = attr(tag, "transform");
        assert!(
            transform.is_none_or(|t| t.starts_with("rotate(-90 ")),
            "{tag}"
        );
        let mut t = Text::new(
            num("x", 0.0),
            num("y", 0.0),
            num("font-size", 12.0),
            anchor,
            unescape(&rest[tag_end + 1..body_end]),
        );
        t.up = transform.is_some();
        out.push(t);
        rest = &rest[body_end..];
    }
    out
}

/// Asserts that no two labels of `svg` overlap and that all lie inside the chart; returns
/// the labels.
fn no_overlap(svg: &str) -> Vec<Text> {
    balanced(svg);
    let all = texts(svg);
    let boxes: Vec<Rect> = all.iter().map(Text::rect).collect();
    for (i, (a, ra)) in all.iter().zip(&boxes).enumerate() {
        assert!(
            ra.x0 >= 0.0 && ra.y0 >= 0.0 && ra.x1 <= W && ra.y1 <= H,
            "{:?} leaves the chart: {ra:?}",
            a.body
        );
        for (b, rb) in all.iter().zip(&boxes).skip(i + 1) {
            assert!(
                !ra.overlaps(rb, 0.0),
                "{:?} {ra:?} overlaps {:?} {rb:?}",
                a.body,
                b.body
            );
        }
    }
    all
}

fn has(labels: &[Text], text: &str) -> bool {
    labels.iter().any(|t| t.body == text)
}

fn bars(groups: &[&str], series: &[(&str, &[f64])], log: bool, refs: &[(f64, &str)]) -> Bars {
    Bars {
        title: "A chart with a title of ordinary length".into(),
        y_label: "time / sequential time".into(),
        groups: groups.iter().map(|&g| g.to_owned()).collect(),
        series: series
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
            .collect(),
        log,
        refs: refs
            .iter()
            .map(|&(y, l)| RefLine { y, label: l.into() })
            .collect(),
    }
}

#[test]
fn bars_linear_and_log() {
    let mut b = bars(
        &["1", "2"],
        &[("a", &[1.0, 2.0]), ("b", &[f64::NAN, 3000.0])],
        false,
        &[(1.0, "ref")],
    );
    b.title = "t <&>".into();
    let svg = b.svg();
    assert!(svg.contains("t &lt;&amp;&gt;"));
    assert!(has(&no_overlap(&svg), "n/a"));
    b.log = true;
    let labels = no_overlap(&b.svg());
    assert!(has(&labels, "1000") && has(&labels, "5000"), "{labels:?}");
}

#[test]
fn bars_with_no_data_still_draw() {
    no_overlap(&bars(&[], &[], true, &[]).svg());
    no_overlap(&bars(&[], &[], false, &[]).svg());
}

#[test]
fn close_reference_lines_get_separate_labels() {
    let b = bars(
        &["1 thread", "2 threads", "4 threads"],
        &[("Fair", &[1.0, 1.01, 0.99])],
        false,
        &[(1.0, "sequential"), (1.01, "goal ≤ 1.01"), (1.02, "ideal")],
    );
    let labels = no_overlap(&b.svg());
    for l in ["sequential", "goal ≤ 1.01", "ideal"] {
        assert!(has(&labels, l), "{l} dropped");
    }
}

#[test]
fn reference_label_under_the_legend_moves_clear_of_it() {
    let series: Vec<(String, Vec<f64>)> =
        (0..6).map(|i| (format!("series {i}"), vec![1.0])).collect();
    let refs: Vec<(f64, &str)> = vec![(1.0, "at the legend's height")];
    let mut b = bars(&["g"], &[], false, &refs);
    b.series = series;
    assert!(has(&no_overlap(&b.svg()), "at the legend's height"));
}

#[test]
fn crowded_bar_values_rotate_or_give_way() {
    let v: &[f64] = &[0.501, 0.498, 0.502, 0.51];
    // 5 series × 3 groups: 28 px bars, "0.501" is wider, so it reads upwards.
    let five = [("a", v), ("b", v), ("c", v), ("d", v), ("e", v)];
    let labels = no_overlap(&bars(&["1", "2", "4"], &five, false, &[]).svg());
    let values: Vec<&Text> = labels.iter().filter(|t| t.body == "0.501").collect();
    assert_eq!(values.len(), 5, "{labels:?}");
    assert!(values.iter().all(|t| t.up));
    // 6 series × 8 groups: 9 px bars, too narrow even upwards: no values, still no overlap.
    let six = [("a", v), ("b", v), ("c", v), ("d", v), ("e", v), ("f", v)];
    let groups = ["1", "2", "3", "4", "5", "6", "7", "8"];
    let labels = no_overlap(&bars(&groups, &six, false, &[]).svg());
    assert!(!has(&labels, "0.501"));
    // 2 bars per group: room enough to read across.
    let labels = no_overlap(&bars(&["1"], &[("a", v), ("b", v)], false, &[]).svg());
    assert!(labels.iter().any(|t| t.body == "0.501" && !t.up));
}

#[test]
fn long_group_names_stagger() {
    let groups = [
        "0 busy processes next to it",
        "1 busy process",
        "2 busy processes",
        "3 busy processes",
        "4 busy processes",
        "5 busy processes",
    ];
    let v: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let labels = no_overlap(&bars(&groups, &[("a", v)], true, &[]).svg());
    for g in groups {
        assert!(has(&labels, g), "{g} dropped");
    }
}

#[test]
fn log_bars_over_many_decades_thin_their_ticks() {
    let b = bars(&["a", "b"], &[("x", &[0.001, 1e7])], true, &[(1.0, "1")]);
    let labels = no_overlap(&b.svg());
    for l in ["0.001", "1", "1000", "100k", "10M"] {
        assert!(has(&labels, l), "{l} missing: {labels:?}");
    }
}

fn waits(n: usize, base: f64, tail: f64) -> Vec<f64> {
    // Mostly near `base`, a rare tail out to `tail`.
    (0..n)
        .map(|i| {
            let p = (i as f64 + 0.5) / n as f64;
            base * (1.0 + 0.1 * p)
                + if p > 0.99 {
                    tail * (p - 0.99) * 100.0
                } else {
                    0.0
                }
        })
        .collect()
}

fn tail(series: Vec<(&str, Vec<f64>)>, refs: &[(f64, &str)]) -> Tail {
    Tail {
        title: "How long a CPU-bound thread waits for the GIL, K = 4, interval 5 ms".into(),
        y_label: "wait (ms)".into(),
        series: series.into_iter().map(|(n, v)| (n.to_owned(), v)).collect(),
        refs: refs
            .iter()
            .map(|&(y, l)| RefLine { y, label: l.into() })
            .collect(),
    }
}

#[test]
fn tail_shows_the_nines_and_close_reference_lines() {
    let mut fair = waits(2000, 14.0, 2.0);
    fair.push(f64::NAN);
    let t = tail(
        vec![
            ("Fair", fair),
            ("CPython policy", waits(800, 0.3, 60.0)),
            ("empty", vec![]),
        ],
        &[
            (15.0, "(K−1) × interval"),
            (16.5, "goal: p99 ≤ 3.3 × interval"),
        ],
    );
    let svg = t.svg();
    let labels = no_overlap(&svg);
    for l in [
        "0",
        "50",
        "90",
        "99",
        "99.9",
        "(K−1) × interval",
        "goal: p99 ≤ 3.3 × interval",
    ] {
        assert!(has(&labels, l), "{l} missing: {labels:?}");
    }
    assert!(has(&labels, "Fair (2000 waits)") && has(&labels, "empty (0 waits)"));
    assert!(
        has(&labels, "wait (ms) (log scale)"),
        "0.3 to 60 ms spans decades"
    );
    // Two curves, drawn after (over) the reference lines.
    let curves: Vec<usize> = svg
        .match_indices("stroke-width=\"2\"")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(curves.len(), 2);
    assert!(svg.rfind("stroke-dasharray").unwrap() < curves[0]);
}

#[test]
fn tail_of_equal_samples_is_linear() {
    let labels = no_overlap(&tail(vec![("a", vec![5.0; 10])], &[(5.0, "five")]).svg());
    assert!(has(&labels, "wait (ms)") && has(&labels, "five"));
    no_overlap(&tail(vec![], &[]).svg());
}

#[test]
fn nines_ticks_read_as_percentiles() {
    let ticks = tail::nines_ticks(4.2);
    let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["0", "50", "90", "99", "99.9", "99.99"]);
    assert!((ticks[3].0 - 2.0).abs() < 1e-12);
}

#[test]
fn ticks_are_round_distinct_and_apart() {
    assert_eq!(linear_ticks(1.1), vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    let t = linear_ticks(1.0);
    assert_eq!(t.len(), 6);
    assert!((t[5] - 1.0).abs() < 1e-9);
    assert_eq!(label(2.50), "2.5");
    assert_eq!(label(0.0), "0");
    assert_eq!(label(1234.5), "1234");
    assert_eq!(tick_labels(&[0.0, 0.25, 0.5]), ["0", "0.25", "0.5"]);
    assert_eq!(
        tick_labels(&[0.0, 0.0002, 0.0004]),
        ["0", "0.0002", "0.0004"]
    );
    assert_eq!(tick_labels(&[0.99, 1.0]), ["0.99", "1"]);
    assert_eq!(
        tick_labels(&[0.001, 0.01, 1.0, 1e4, 2.5e5, 1e7]),
        ["0.001", "0.01", "1", "10k", "250k", "10M"]
    );
    for (min, max) in [(0.9, 1.1), (0.2, 60.0), (1e-3, 1e7), (3.0, 3.0), (1.0, 2.0)] {
        let axis = Axis::log(min, max, 1.15, B - T);
        assert!(axis.lo <= min && axis.hi >= max, "{axis:?}");
        assert!(axis.ticks.len() >= 2, "{axis:?}");
        let labels = tick_labels(&axis.ticks);
        let mut distinct = labels.clone();
        distinct.dedup();
        assert_eq!(labels, distinct);
        for pair in axis.ticks.windows(2) {
            assert!(axis.y(pair[0]) - axis.y(pair[1]) >= TICK_GAP, "{axis:?}");
        }
    }
    for max in [1e-4, 0.01, 1.0, 1.02, 7.0, 1e6] {
        let axis = Axis::linear(max, 1.1);
        for pair in axis.ticks.windows(2) {
            assert!(axis.y(pair[0]) - axis.y(pair[1]) >= TICK_GAP, "{axis:?}");
        }
    }
}

#[test]
fn plural_counts() {
    assert_eq!(count(1, "thread"), "1 thread");
    assert_eq!(count(2, "thread"), "2 threads");
    assert_eq!(count(0, "spinner"), "0 spinners");
}

#[test]
fn estimated_boxes_follow_the_rotation() {
    let t = Text::new(100.0, 200.0, 10.0, Anchor::Start, "0.5");
    let r = t.rect();
    assert!((r.x0 - 100.0).abs() < 1e-9 && r.x1 > 110.0 && r.y0 < 192.0 && r.y1 > 200.0);
    let u = t.rotated().rect();
    assert!((u.y1 - 200.0).abs() < 1e-9 && u.y0 < 190.0 && u.x0 < 92.0 && u.x1 > 100.0);
}
