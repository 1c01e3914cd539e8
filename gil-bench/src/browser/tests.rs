use std::io::Write as _;

use super::*;
use crate::demo::Settings;
use crate::demo::page::{self, Page};
use crate::demo::report::{Chart, Section, Table};
use crate::demo::svg::{Bars, RefLine, Tail};
use crate::json::Obj;

#[test]
fn instrument_hooks_errors_first_and_checks_last() {
    let page = instrument("<html><head><title>t</title></head><body><p>x</p></body></html>");
    let hook = page.find("window.onerror").unwrap();
    let check = page.find("gil-check").unwrap();
    assert!(page.find("<head>").unwrap() < hook && hook < page.find("<title>").unwrap());
    assert!(page.find("<p>x</p>").unwrap() < check && check < page.find("</body>").unwrap());
    // A bare fragment gets both too, in the same order, and a doctype stays first.
    let bare = instrument("<p>x</p>");
    assert!(bare.starts_with(HOOK) && bare.trim_end().ends_with("</script>"));
    let page = instrument("<!DOCTYPE html>\n<head lang=\"en\"><p>x</p>");
    assert!(page.starts_with(&format!("<!DOCTYPE html>\n<head lang=\"en\">{HOOK}")));
}

#[test]
fn verdict_parses_from_the_dumped_dom() {
    let dom = "<html><body><p>x</p><pre id=\"gil-check\">{\"errors\":[\"a &lt;b&gt; &amp; c\"],\
               \"charts\":[{\"title\":\"T\",\"width\":900,\"height\":0,\"labels\":3}],\
               \"overlaps\":[{\"chart\":\"T\",\"a\":\"0.99\",\"b\":\"1\",\"w\":8.5,\"h\":4},\
               {\"chart\":\"T\",\"a\":\"x\",\"b\":\"y\",\"w\":0.5,\"h\":9}],\
               \"clipped\":[{\"chart\":\"T\",\"text\":\"long legend\"}],\"height\":1234}\
               </pre></body></html>";
    let v = parse_verdict(dom).unwrap();
    assert_eq!(v.errors, ["a <b> & c"]);
    assert!((v.height - 1234.0).abs() < f64::EPSILON);
    let problems = v.problems();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems[0].starts_with("script error: a <b>"));
    assert!(problems[1].contains("900×0"));
    assert!(problems[2].contains("\"0.99\" overlaps \"1\""));
    assert!(problems[3].contains("long legend"));
    assert!(
        parse_verdict("<html></html>")
            .unwrap_err()
            .contains("no verdict")
    );
    assert!(parse_verdict("<pre id=\"gil-check\">{</pre>").is_err());
}

/// The browser, or `None` after saying plainly that the test is skipped; panics when CI
/// requires one.
fn browser_or_skip(test: &str) -> Option<Browser> {
    let found = Browser::find();
    if found.is_none() {
        assert!(
            !required(),
            "{REQUIRE_ENV}=1 but no chromium found (set {ENV} or install Debian's chromium)"
        );
        // Straight to stderr in one write, past libtest's capture of a passing test's output.
        let line = format!(
            "{test}: SKIPPED: no chromium found (install Debian's chromium, or set {ENV})\n"
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    found
}

/// Where the browser tests keep their pages and screenshots (`target/gil-demo/browser-test`).
fn kept(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("gil-demo")
        .join("browser-test")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails on any problem `verdict` found in `dir/index.html`, or when `dir` has no screenshot.
fn assert_clean(browser: &Browser, verdict: &Verdict, dir: &Path, charts: usize) {
    let problems = verdict.problems();
    assert!(
        problems.is_empty(),
        "{} in {}:\n{}",
        problems.len(),
        dir.display(),
        problems.join("\n")
    );
    assert!(verdict.charts.len() >= charts, "{:?}", verdict.charts);
    assert!(
        verdict.charts.iter().all(|c| c.labels > 3),
        "{:?}",
        verdict.charts
    );
    let png = std::fs::read(dir.join("screenshot.png")).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    eprintln!(
        "checked in {}: {} charts, page {} px tall; screenshot {}",
        browser.program.display(),
        verdict.charts.len(),
        verdict.height,
        dir.join("screenshot.png").display()
    );
}

/// The whole demo at the tiny scale of run.rs's test, its page checked in Chromium.
#[test]
fn tiny_demo_report_in_a_real_browser() {
    let Some(browser) = browser_or_skip("tiny_demo_report_in_a_real_browser") else {
        return;
    };
    let dir = kept("tiny");
    let settings = Settings::tiny(dir.clone());
    // The demo itself checks its page and writes the screenshot when it finds a browser.
    crate::demo::run(&settings).unwrap();
    let verdict = browser.check(&dir.join("index.html")).unwrap();
    assert_clean(&browser, &verdict, &dir, 8);
}

fn refs(lines: &[(f64, &str)]) -> Vec<RefLine> {
    lines
        .iter()
        .map(|&(y, label)| RefLine {
            y,
            label: label.to_owned(),
        })
        .collect()
}

/// Charts built to be hard to label: crowded bars, close reference lines, long group names,
/// a tail over three decades; with a page around them.
fn hard_sections() -> Vec<Section> {
    let v = vec![0.501, 0.498, 0.502, 0.51];
    let crowded = Bars {
        title: "Five series of near-equal values in three groups".into(),
        y_label: "time / sequential time".into(),
        groups: vec!["1 thread".into(), "2 threads".into(), "4 threads".into()],
        series: [
            "Fair",
            "CPython policy",
            "free-threaded",
            "std threads",
            "processes",
        ]
        .iter()
        .map(|n| ((*n).to_owned(), v.clone()))
        .collect(),
        log: false,
        refs: refs(&[
            (0.5, "ideal 1/N"),
            (0.51, "sequential / 2"),
            (0.52, "close third"),
        ]),
    };
    let levels = Bars {
        title: "Convoy slowdown, idle and next to busy processes".into(),
        y_label: "slowdown vs alone".into(),
        groups: (0..6)
            .map(|b| format!("{b} busy processes next to it"))
            .collect(),
        series: vec![
            ("Fair".into(), vec![1.1, 1.2, 1.3, 1.2, 1.4, 1.3]),
            (
                "CPython policy".into(),
                vec![40.0, 900.0, 2500.0, 30.0, 7.0, 1.0],
            ),
        ],
        log: true,
        refs: refs(&[(1.5, "goal ≤ 1.5× (Fair)")]),
    };
    let waits = |n: usize, base: f64, top: f64| -> Vec<f64> {
        (0..n)
            .map(|i| base + (top - base) * (i as f64 / n as f64).powi(40))
            .collect()
    };
    let tail = Tail {
        title: "How long a CPU-bound thread waits for the GIL, K = 4, interval 5 ms".into(),
        y_label: "wait (ms)".into(),
        series: vec![
            ("Fair".into(), waits(3000, 14.0, 16.0)),
            ("CPython policy".into(), waits(900, 0.25, 80.0)),
        ],
        refs: refs(&[
            (15.0, "(K−1) × interval"),
            (16.5, "goal: p99 ≤ 3.3 × interval"),
        ]),
    };
    let mut table = Table::new(&["threads", "Fair", "CPython policy"]);
    table.row(vec!["1".into(), "0.501×".into(), "0.498×".into()]);
    [
        ("crowded", crowded.svg()),
        ("levels", levels.svg()),
        ("tail", tail.svg()),
    ]
    .into_iter()
    .map(|(id, svg)| Section {
        id: if id == "crowded" {
            "cpu"
        } else if id == "levels" {
            "load"
        } else {
            "share"
        },
        title: format!("A hard case: {id}"),
        setup: "Made-up numbers chosen to crowd the labels.".into(),
        table: table.clone(),
        reading: "Nothing to read: the labels must simply not overlap.".into(),
        json: Obj::new(),
        charts: vec![Chart::new(
            &format!("{id}.svg"),
            svg,
            "A caption long enough to wrap onto a second line in a narrow window, as the real captions do.",
        )],
    })
    .collect()
}

/// Charts built to crowd their labels, checked in Chromium with its real fonts.
#[test]
fn hard_charts_in_a_real_browser() {
    let Some(browser) = browser_or_skip("hard_charts_in_a_real_browser") else {
        return;
    };
    let dir = kept("hard");
    let sections = hard_sections();
    let page = page::html(&Page {
        title: "Hard cases for the chart layout",
        intro: &["Charts with crowded labels.".into()],
        meta: Some("no run: made-up charts"),
        sections: &sections,
        goals: &Table::new(&["goal", "verdict"]),
        previous: None,
    });
    std::fs::write(dir.join("index.html"), page).unwrap();
    let verdict = browser.snapshot(&dir).unwrap();
    assert_clean(&browser, &verdict, &dir, 3);
}

/// A page with every fault the check looks for: the check must report each one.
#[test]
fn the_check_catches_a_broken_page() {
    let Some(browser) = browser_or_skip("the_check_catches_a_broken_page") else {
        return;
    };
    let dir = kept("broken");
    let page = "<!DOCTYPE html><html><head><title>b</title></head><body>\
        <svg width=\"300\" height=\"100\"><text x=\"10\" y=\"20\">Title</text>\
        <text x=\"10\" y=\"50\">0.99</text><text x=\"14\" y=\"52\">1</text>\
        <text x=\"280\" y=\"90\">runs off the edge</text></svg>\
        <svg width=\"0\" height=\"0\"><text x=\"0\" y=\"0\">Empty</text></svg>\
        <script>undefinedFunction();</script></body></html>";
    std::fs::write(dir.join("index.html"), page).unwrap();
    let verdict = browser.check(&dir.join("index.html")).unwrap();
    let problems = verdict.problems().join("\n");
    for want in [
        "script error: Uncaught ReferenceError: undefinedFunction",
        "\"Empty\" is drawn 0×0 px",
        "\"0.99\" overlaps \"1\"",
        "\"runs off the edge\" sticks out",
    ] {
        assert!(problems.contains(want), "{want:?} not in:\n{problems}");
    }
}
