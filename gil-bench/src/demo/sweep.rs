//! (e) The switch-interval sweep: sharing and convoy figures at 1, 5 and 20 ms.

use std::time::Duration;

use gil_core::Policy;

use super::convoy::convoy_rows;
use super::ctx::{Ctx, arg};
use super::reading;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::Flavor;
use super::share::{ShareRow, py_share};
use super::svg::Bars;
use crate::json::Obj;
use crate::sharing::fairness;

/// (e) The switch-interval sweep.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn sweep(ctx: &mut Ctx<'_>) -> Section {
    let s = ctx.s;
    let duration = Duration::from_secs_f64(ctx.scaled(0.5));
    let trips = (ctx.scaled(5000.0) as usize).max(10);
    let budget = Duration::from_secs_f64(ctx.scaled(0.3));
    let mut t = Table::new(&[
        "interval",
        "GIL",
        "hand-offs/s (K=2)",
        "wait p50 ms",
        "wait p99 ms",
        "convoy µs/trip",
        "convoy slowdown",
    ]);
    let ivs: Vec<f64> = s.intervals.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    let py = ctx.python(
        "sweep",
        &[
            (
                "intervals",
                ivs.iter().map(|x| arg(*x)).collect::<Vec<_>>().join(","),
            ),
            ("duration_s", arg(duration.as_secs_f64())),
            ("trips", trips.to_string()),
            ("budget_s", arg(budget.as_secs_f64())),
        ],
    );
    let pyl = ctx.py_label();
    let mut json_rows = Vec::new();
    let labels = [Flavor::Fair.label(), Flavor::CPython.label(), pyl.as_str()];
    let mut slowdowns: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut p99s: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut fair_handoffs = Vec::new();
    for (&iv, &iv_ms) in s.intervals.iter().zip(&ivs) {
        let mut rows: Vec<(ShareRow, f64, f64)> = Vec::new();
        for policy in [Policy::Fair, Policy::CPython] {
            let sh = ShareRow::from(fairness(policy, 2, iv, duration));
            let c = convoy_rows(ctx, policy, iv, &[0, 1], trips, budget, false);
            rows.push((sh, c[1].us_per_trip, c[1].slowdown));
        }
        if let Some(p) = &py {
            let tag = format!("i{iv_ms}");
            rows.push((
                py_share(p, &format!("{tag}_k2")),
                p.get(&format!("{tag}_convoy_us_per_trip")),
                p.get(&format!("{tag}_convoy_slowdown")),
            ));
        }
        for (i, (sh, us, slow)) in rows.iter().enumerate() {
            t.row(vec![
                format!("{iv_ms} ms"),
                labels[i].to_owned(),
                num(sh.handoffs, 0),
                num(sh.p50, 2),
                num(sh.p99, 2),
                num(*us, 1),
                times(*slow),
            ]);
            slowdowns[i].push(*slow);
            if i == 0 {
                fair_handoffs.push(sh.handoffs);
            }
            p99s[i].push(sh.p99);
            json_rows.push(
                Obj::new()
                    .with("interval_ms", iv_ms)
                    .with("gil", labels[i])
                    .with("handoffs_per_s", sh.handoffs)
                    .with("wait_ms_p50", sh.p50)
                    .with("wait_ms_p99", sh.p99)
                    .with("convoy_us_per_trip", *us)
                    .with("convoy_slowdown", *slow),
            );
        }
    }
    let n_series = if py.is_some() { 3 } else { 2 };
    let lo_hi = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let ranges: Vec<(&str, f64, f64)> = (0..n_series)
        .map(|i| {
            let (lo, hi) = lo_hi(&slowdowns[i]);
            (labels[i], lo, hi)
        })
        .collect();
    let reading = reading::sweep(&ivs, &fair_handoffs, &ranges);
    let groups: Vec<String> = ivs.iter().map(|x| format!("{x} ms")).collect();
    let mk = |vals: &[Vec<f64>]| -> Vec<(String, Vec<f64>)> {
        (0..n_series)
            .map(|i| (labels[i].to_owned(), vals[i].clone()))
            .collect()
    };
    let convoy_chart = Bars {
        title: "Convoy slowdown (1 spinner) by switch interval".into(),
        y_label: "slowdown vs alone".into(),
        groups: groups.clone(),
        series: mk(&slowdowns),
        log: true,
        refs: vec![],
    };
    let wait_chart = Bars {
        title: "Wait p99 of 2 CPU-bound threads by switch interval".into(),
        y_label: "wait p99 (ms)".into(),
        groups,
        series: mk(&p99s),
        log: false,
        refs: vec![],
    };
    Section {
        id: "sweep",
        title: "Switch-interval sweep".into(),
        setup: format!(
            "At each interval: 2 CPU-bound threads share the GIL for {}, and the convoy ping-pong \
             ({trips} trips, stopped after {}) runs alone and next to 1 spinner.",
            ms(duration.as_secs_f64()),
            ms(budget.as_secs_f64())
        ),
        table: t,
        reading,
        json: Obj::new()
            .with("intervals_ms", ivs.clone())
            .with("rows", json_rows),
        charts: vec![
            Chart::new(
                "sweep_convoy.svg",
                convoy_chart.svg(),
                "The convoy slowdown at each switch interval (log scale): with a first-come hand-off the interval barely matters; without it a longer interval means a longer wait after every I/O call.",
            ),
            Chart::new(
                "sweep_waits.svg",
                wait_chart.svg(),
                "The p99 wait of 2 CPU-bound threads at each switch interval: a CPU-bound thread waits about one interval, so the wait grows with it.",
            ),
        ],
    }
}
