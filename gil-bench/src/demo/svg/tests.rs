use super::*;

fn balanced(svg: &str) {
    assert!(svg.starts_with("<svg "));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    // Every opened element is closed (self-closing or paired).
    let opens = svg.matches("<text").count();
    assert_eq!(opens, svg.matches("</text>").count());
    assert_eq!(svg.matches("<rect").count(), svg.matches("<rect").count());
}

#[test]
fn bars_linear_and_log() {
    let mut bars = Bars {
        title: "t <&>".into(),
        y_label: "y".into(),
        groups: vec!["1".into(), "2".into()],
        series: vec![
            ("a".into(), vec![1.0, 2.0]),
            ("b".into(), vec![f64::NAN, 3000.0]),
        ],
        log: false,
        refs: vec![RefLine {
            y: 1.0,
            label: "ref".into(),
        }],
    };
    let svg = bars.svg();
    balanced(&svg);
    assert!(svg.contains("t &lt;&amp;&gt;"));
    assert!(svg.contains(">n/a<"));
    bars.log = true;
    let svg = bars.svg();
    balanced(&svg);
    assert!(svg.contains(">1000<") && svg.contains(">10000<"), "{svg}");
}

#[test]
fn bars_with_no_data_still_draw() {
    let bars = Bars {
        title: "empty".into(),
        y_label: "y".into(),
        groups: vec![],
        series: vec![],
        log: true,
        refs: vec![],
    };
    balanced(&bars.svg());
}

#[test]
fn cdf_draws_each_series() {
    let cdf = Cdf {
        title: "waits".into(),
        x_label: "ms".into(),
        series: vec![
            ("fair".into(), vec![5.0, 5.1, 4.9, f64::NAN]),
            ("empty".into(), vec![]),
        ],
        marks: vec![(16.5, "bound".into())],
    };
    let svg = cdf.svg();
    balanced(&svg);
    assert_eq!(svg.matches("<polyline").count(), 1);
    assert!(svg.contains("fair (4 waits)"));
}

#[test]
fn ticks_are_round() {
    assert_eq!(linear_ticks(1.1), vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    let t = linear_ticks(1.0);
    assert_eq!(t.len(), 6);
    assert!((t[5] - 1.0).abs() < 1e-9);
    assert_eq!(label(2.50), "2.5");
    assert_eq!(label(0.0), "0");
    assert_eq!(label(1234.5), "1234");
}
