use super::*;

fn pt(y: f64) -> Point {
    Point {
        y,
        lo: y * 0.9,
        hi: y * 1.1,
    }
}

fn chart(n_lines: usize, xs: &[f64]) -> Lines {
    Lines {
        title: "speed-up <N>".into(),
        x_label: "N".into(),
        y_label: "speed-up".into(),
        xs: xs.to_vec(),
        lines: (0..n_lines)
            .map(|i| Line {
                name: format!("series {i}"),
                points: xs.iter().map(|&x| pt(1.0 + x * 0.1 * i as f64)).collect(),
            })
            .collect(),
        guides: vec![
            Guide {
                label: "ideal: N×".into(),
                ys: xs.to_vec(),
                dashed: true,
            },
            Guide {
                label: "no speed-up".into(),
                ys: vec![1.0; xs.len()],
                dashed: false,
            },
        ],
    }
}

/// The (x, y, text) of every `<text x=".." y="..">` element.
fn texts(svg: &str) -> Vec<(f64, f64, String)> {
    svg.split("<text x=\"")
        .skip(1)
        .map(|rest| {
            let num = |s: &str| s.split('"').next().unwrap().parse::<f64>().unwrap();
            let x = num(rest);
            let y = num(rest.split("y=\"").nth(1).unwrap());
            let text = rest.split('>').nth(1).unwrap().split('<').next().unwrap();
            (x, y, text.to_owned())
        })
        .collect()
}

#[test]
fn tick_labels_closer_than_the_gap_are_left_out() {
    assert_eq!(shown_ticks(&[100.0, 110.0, 150.0, 300.0]), [0, 2, 3]);
    assert_eq!(shown_ticks(&[300.0, 100.0, 120.0]), [1, 0]);
    assert_eq!(shown_ticks(&[100.0, f64::NAN, 200.0]), [0, 2]);
    assert!(shown_ticks(&[]).is_empty());
}

#[test]
fn draws_every_series_guide_point_and_legend_entry() {
    let c = chart(7, &[1.0, 2.0, 4.0]);
    let svg = c.svg();
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    assert!(svg.contains("speed-up &lt;N&gt;"));
    // 7 series and 2 guides, each one polyline; 21 points and 7 legend markers.
    assert_eq!(svg.matches("<polyline").count(), 9);
    assert_eq!(svg.matches("<circle").count(), 28);
    assert_eq!(svg.matches("<path").count(), 21, "a whisker per point");
    // The seventh series has used up the palette: it is dashed, with hollow markers.
    assert_eq!(svg.matches("fill=\"white\" stroke=\"#0072B2\"").count(), 4);
    // The legend is right of the plot; the x tick labels are 1, 2, 4, once each.
    let t = texts(&svg);
    for name in ["series 0", "series 6", "ideal: N×", "no speed-up"] {
        let (x, _, _) = t.iter().find(|(_, _, s)| s == name).unwrap();
        assert!(*x > R, "{name} at {x}");
    }
    let xticks: Vec<&str> = t
        .iter()
        .filter(|(_, y, _)| (*y - (B + 18.0)).abs() < 0.01)
        .map(|(_, _, s)| s.as_str())
        .collect();
    assert_eq!(xticks, ["1", "2", "4"]);
}

#[test]
fn no_two_labels_overlap() {
    let svg = chart(7, &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]).svg();
    let t = texts(&svg);
    // A label's box: about 7 px per character wide, 12 px high; anchors differ, so compare
    // each pair only when they share a baseline region and their centres are close.
    for (i, a) in t.iter().enumerate() {
        for b in &t[i + 1..] {
            let same_row = (a.1 - b.1).abs() < 12.0;
            let apart =
                (a.0 - b.0).abs() >= 3.5 * (a.2.chars().count() + b.2.chars().count()) as f64;
            assert!(!same_row || apart, "{a:?} overlaps {b:?}");
        }
    }
}

#[test]
fn the_axis_covers_the_highest_whisker() {
    let mut c = chart(1, &[1.0, 2.0]);
    c.guides.clear();
    c.lines[0].points = vec![
        pt(1.0),
        Point {
            y: 2.0,
            lo: 1.5,
            hi: 9.0,
        },
    ];
    let t = texts(&c.svg());
    let top = t
        .iter()
        .filter(|(x, _, _)| *x < L)
        .filter_map(|(_, _, s)| s.parse::<f64>().ok())
        .fold(0.0, f64::max);
    assert!(top >= 9.0, "{top}");
}

#[test]
fn missing_points_break_the_line_and_one_x_still_draws() {
    let mut c = chart(1, &[1.0, 2.0, 4.0, 8.0]);
    c.guides.clear();
    c.lines[0].points[1].y = f64::NAN;
    let svg = c.svg();
    assert_eq!(
        svg.matches("<polyline").count(),
        1,
        "only 4 → 8 is a run of two"
    );
    assert_eq!(svg.matches("<circle").count(), 3 + 1);
    let one = chart(2, &[1.0]).svg();
    assert!(!one.contains("<polyline") && !one.contains("NaN"));
    assert_eq!(one.matches("<circle").count(), 2 + 2);
    let empty = Lines {
        lines: vec![],
        guides: vec![],
        xs: vec![],
        ..chart(0, &[])
    };
    assert!(empty.svg().trim_end().ends_with("</svg>"));
}
