//! (c) The convoy effect: socketpair round trips alone and next to 1 and 2 CPU-bound
//! spinners, Fair vs the CPython policy vs CPython.

use std::time::Duration;

use gil_core::Policy;

use super::ctx::{Ctx, arg};
use super::reading;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::Flavor;
use super::svg::{Bars, RefLine, count};
use crate::convoy::{ConvoySummary, convoy_summary};
use crate::json::Obj;
use crate::workload::gil;

/// Interleaved convoy runs on a new GIL of `policy` with `spinners`; rows in `spinners`
/// order, with the spinners' share when `share`.
pub(super) fn convoy_rows(
    ctx: &Ctx<'_>,
    policy: Policy,
    interval: Duration,
    spinners: &[usize],
    trips: usize,
    budget: Duration,
    share: bool,
) -> Vec<ConvoySummary> {
    let solo = Duration::from_secs_f64(ctx.scaled(0.1).min(0.1));
    convoy_summary(
        &gil(policy, interval),
        spinners,
        trips,
        budget,
        ctx.s.rounds,
        share.then_some(solo),
    )
}

/// (c) The convoy effect.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn convoy(ctx: &mut Ctx<'_>) -> Section {
    let s = ctx.s;
    let trips = (ctx.scaled(5000.0) as usize).max(10);
    let budget = Duration::from_secs_f64(ctx.scaled(0.3));
    let spinners = [0usize, 1, 2];
    let fair = convoy_rows(
        ctx,
        Policy::Fair,
        s.interval,
        &spinners,
        trips,
        budget,
        true,
    );
    let cpy = convoy_rows(
        ctx,
        Policy::CPython,
        s.interval,
        &spinners,
        trips,
        budget,
        true,
    );
    let py = ctx.python(
        "convoy",
        &[
            ("trips", trips.to_string()),
            ("budget_s", arg(budget.as_secs_f64())),
            ("spinners", "0,1,2".into()),
            ("repeats", s.rounds.to_string()),
            ("interval_ms", arg(s.interval.as_secs_f64() * 1e3)),
        ],
    );
    let py_rows: Option<Vec<ConvoySummary>> = py.as_ref().map(|p| {
        spinners
            .iter()
            .map(|k| ConvoySummary {
                us_per_trip: p.get(&format!("s{k}_us_per_trip")),
                p50: p.get(&format!("s{k}_p50_us")),
                p99: p.get(&format!("s{k}_p99_us")),
                max: p.get(&format!("s{k}_max_us")),
                slowdown: p.get(&format!("s{k}_slowdown")),
                share: p.get(&format!("s{k}_share")),
            })
            .collect()
    });
    let pyl = ctx.py_label();
    let mut t = Table::new(&[
        "GIL",
        "spinners",
        "µs/trip",
        "trip p50 µs",
        "trip p99 µs",
        "trip max µs",
        "slowdown",
        "spinner share",
        "slowdown vs CPython",
    ]);
    let mut json_rows = Vec::new();
    let mut all: Vec<(&str, &[ConvoySummary])> = vec![
        (Flavor::Fair.label(), &fair),
        (Flavor::CPython.label(), &cpy),
    ];
    if let Some(rows) = &py_rows {
        all.push((&pyl, rows));
    }
    for (label, rows) in &all {
        for (i, row) in rows.iter().enumerate() {
            let vs = py_rows
                .as_ref()
                .map_or(f64::NAN, |p| row.slowdown / p[i].slowdown);
            let is_py = std::ptr::eq(*label, pyl.as_str());
            t.row(vec![
                (*label).to_owned(),
                spinners[i].to_string(),
                num(row.us_per_trip, 2),
                num(row.p50, 1),
                num(row.p99, 1),
                num(row.max, 0),
                times(row.slowdown),
                num(row.share, 2),
                if is_py || spinners[i] == 0 {
                    String::new()
                } else {
                    times(vs)
                },
            ]);
            json_rows.push(
                Obj::new()
                    .with("gil", *label)
                    .with("spinners", spinners[i])
                    .with("us_per_trip", row.us_per_trip)
                    .with("trip_us_p50", row.p50)
                    .with("trip_us_p99", row.p99)
                    .with("trip_us_max", row.max)
                    .with("slowdown", row.slowdown)
                    .with("spinner_share", row.share),
            );
        }
    }
    if py_rows.is_none() {
        t.drop_columns(&["slowdown vs CPython"]);
    }
    ctx.findings.convoy_fair = Some(fair[1].slowdown);
    let reading = reading::convoy(
        fair[1].slowdown,
        cpy[1].slowdown,
        py_rows.as_ref().map(|p| (pyl.as_str(), p[1].slowdown)),
    );
    let mut series = vec![
        (
            Flavor::Fair.label().to_owned(),
            fair.iter().map(|r| r.slowdown).collect(),
        ),
        (
            Flavor::CPython.label().to_owned(),
            cpy.iter().map(|r| r.slowdown).collect(),
        ),
    ];
    if let Some(p) = &py_rows {
        series.push((pyl.clone(), p.iter().map(|r| r.slowdown).collect()));
    }
    let chart = Bars {
        title: "Convoy: I/O thread's round-trip time next to CPU-bound spinners".into(),
        y_label: "slowdown vs alone".into(),
        groups: spinners.iter().map(|&k| count(k, "spinner")).collect(),
        series,
        log: true,
        refs: vec![RefLine {
            y: 1.5,
            label: "goal ≤ 1.5× (Fair)".into(),
        }],
    };
    Section {
        id: "convoy",
        title: "The convoy effect: I/O next to CPU-bound threads".into(),
        setup: format!(
            "One thread does {trips} round trips on a socketpair (send, recv, send, recv; each releases \
             the GIL) alone and next to 1 and 2 spinners that only compute; runs stop after {} if not \
             done. Spinner share = the spinners' rate during the run / their rate alone. Interval {}. \
             Median of {}.",
            ms(budget.as_secs_f64()),
            ms(s.interval.as_secs_f64()),
            count(s.rounds, "interleaved round")
        ),
        table: t,
        reading,
        json: Obj::new()
            .with("trips", trips)
            .with("budget_s", budget.as_secs_f64())
            .with("rows", json_rows),
        charts: vec![Chart::new(
            "convoy.svg",
            chart.svg(),
            "How much slower an I/O thread's round trips get when CPU-bound threads share the GIL with it (log scale; 1× = as fast as alone). A large bar means each return from I/O waited for a spinner's switch interval.",
        )],
    }
}
