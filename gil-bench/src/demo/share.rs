//! (d) GIL sharing among K = 2 and 4 CPU-bound threads: Jain's index, waits, hand-offs;
//! the distribution of K = 4's waits.

use std::time::Duration;

use gil_core::Policy;

use super::ctx::{Ctx, arg, list};
use super::reading;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::Flavor;
use super::svg::{RefLine, Tail};
use crate::cpython::PyResults;
use crate::json::Obj;
use crate::sharing::{FairnessRun, fairness};

/// Sharing figures of one run, ours or CPython's.
#[derive(Debug, Clone)]
pub(super) struct ShareRow {
    pub(super) jain: f64,
    pub(super) slice: f64,
    pub(super) p50: f64,
    pub(super) p99: f64,
    pub(super) max: f64,
    pub(super) handoffs: f64,
    pub(super) waits: Vec<f64>,
}

impl From<FairnessRun> for ShareRow {
    fn from(r: FairnessRun) -> Self {
        Self {
            jain: r.jain,
            slice: r.slice_ms_p50,
            p50: r.wait_ms_p50,
            p99: r.wait_ms_p99,
            max: r.wait_ms_max,
            handoffs: r.handoffs_per_s,
            waits: r.waits_ms,
        }
    }
}

/// CPython's sharing figures of the run `prefix` (`k4`, `i5_k2`) from its results.
pub(super) fn py_share(p: &PyResults, prefix: &str) -> ShareRow {
    ShareRow {
        jain: p.get(&format!("{prefix}_jain")),
        slice: p.get(&format!("{prefix}_slice_p50_ms")),
        p50: p.get(&format!("{prefix}_wait_p50_ms")),
        p99: p.get(&format!("{prefix}_wait_p99_ms")),
        max: p.get(&format!("{prefix}_wait_max_ms")),
        handoffs: p.get(&format!("{prefix}_switches_per_s")),
        waits: p.all(&format!("{prefix}_waits_ms")).to_vec(),
    }
}

/// (d) GIL sharing among K CPU-bound threads.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn share(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let mut ks = vec![2usize, 4];
    ks.extend(s.threads.iter().copied().filter(|&k| k > 4));
    let duration = Duration::from_secs_f64(ctx.scaled(1.0));
    let iv_ms = s.interval.as_secs_f64() * 1e3;
    let mut ours: Vec<(usize, ShareRow, ShareRow)> = Vec::new();
    for (i, &k) in ks.iter().enumerate() {
        // Alternate which policy goes first.
        let (a, b) = if i % 2 == 0 {
            (Policy::Fair, Policy::CPython)
        } else {
            (Policy::CPython, Policy::Fair)
        };
        let ra = ShareRow::from(fairness(a, k, s.interval, duration));
        let rb = ShareRow::from(fairness(b, k, s.interval, duration));
        let (fair, cpy) = if a == Policy::Fair {
            (ra, rb)
        } else {
            (rb, ra)
        };
        ours.push((k, fair, cpy));
    }
    let py = ctx.python(
        "share",
        &[
            ("k", list(&ks)),
            ("duration_s", arg(duration.as_secs_f64())),
            ("interval_ms", arg(iv_ms)),
        ],
    );
    let pyl = ctx.py_label();
    let mut t = Table::new(&[
        "GIL",
        "K",
        "Jain",
        "slice p50 ms",
        "wait p50 ms",
        "wait p99 ms",
        "p99 / interval",
        "wait max ms",
        "hand-offs/s",
    ]);
    let mut json_rows = Vec::new();
    let mut add = |t: &mut Table, label: &str, k: usize, r: &ShareRow| {
        t.row(vec![
            label.to_owned(),
            k.to_string(),
            num(r.jain, 4),
            num(r.slice, 2),
            num(r.p50, 2),
            num(r.p99, 2),
            times(r.p99 / iv_ms),
            num(r.max, 2),
            num(r.handoffs, 0),
        ]);
        json_rows.push(
            Obj::new()
                .with("gil", label)
                .with("k", k)
                .with("jain", r.jain)
                .with("slice_ms_p50", r.slice)
                .with("wait_ms_p50", r.p50)
                .with("wait_ms_p99", r.p99)
                .with("wait_p99_over_interval", r.p99 / iv_ms)
                .with("wait_ms_max", r.max)
                .with("handoffs_per_s", r.handoffs),
        );
    };
    let mut py_rows = Vec::new();
    for (k, fair, cpy) in &ours {
        add(&mut t, Flavor::Fair.label(), *k, fair);
        add(&mut t, Flavor::CPython.label(), *k, cpy);
        if let Some(p) = &py {
            let row = py_share(p, &format!("k{k}"));
            add(&mut t, &pyl, *k, &row);
            py_rows.push(row);
        }
    }
    let (k4, fair4, cpy4) = ours
        .iter()
        .find(|(k, ..)| *k == 4)
        .cloned()
        .ok_or("K = 4 did not run")?;
    ctx.findings.k4_p99_intervals = Some(fair4.p99 / iv_ms);
    let py4 = py.as_ref().map(|p| py_share(p, "k4"));
    let min_jain = ours
        .iter()
        .flat_map(|(_, a, b)| [a.jain, b.jain])
        .chain(py_rows.iter().map(|r| r.jain))
        .fold(f64::INFINITY, f64::min);
    let reading = reading::share(
        k4,
        fair4.p99 / iv_ms,
        cpy4.p99 / iv_ms,
        py4.as_ref().map(|r| (pyl.as_str(), r.p99 / iv_ms)),
        min_jain,
    );
    let mut series = vec![
        (Flavor::Fair.label().to_owned(), fair4.waits.clone()),
        (Flavor::CPython.label().to_owned(), cpy4.waits.clone()),
    ];
    if let Some(r) = &py4 {
        series.push((pyl.clone(), r.waits.clone()));
    }
    let chart = Tail {
        title: format!(
            "How long a CPU-bound thread waits for the GIL, K = {k4}, interval {iv_ms} ms"
        ),
        y_label: "wait (ms)".into(),
        series,
        refs: vec![
            RefLine {
                y: 3.0 * iv_ms,
                label: "(K−1) × interval".into(),
            },
            RefLine {
                y: 3.3 * iv_ms,
                label: "goal: p99 ≤ 3.3 × interval".into(),
            },
        ],
    };
    Ok(Section {
        id: "share",
        title: "GIL sharing among K CPU-bound threads".into(),
        setup: format!(
            "K threads each loop for {} reading the clock, computing and calling check(); a gap over \
             200 µs between two clock reads is a wait for the GIL. Interval {}. One run per row.",
            ms(duration.as_secs_f64()),
            ms(s.interval.as_secs_f64()),
        ),
        table: t,
        reading,
        json: Obj::new()
            .with("duration_s", duration.as_secs_f64())
            .with("interval_ms", iv_ms)
            .with("rows", json_rows)
            .with("k4_waits_ms_fair", fair4.waits.clone())
            .with("k4_waits_ms_cpython_policy", cpy4.waits.clone())
            .with("k4_waits_ms_cpython", py4.map(|r| r.waits)),
        charts: vec![Chart::new(
            "waits.svg",
            chart.svg(),
            "How long a CPU-bound thread waits for the GIL, from the median wait (left) to the longest (right). A fair hand-off keeps even the tail near (K−1) intervals; a free-for-all lets some waits run long.",
        )],
    })
}
