//! (g) The GIL next to other busy processes: the convoy (1 spinner) and K = 4 sharing, idle
//! and next to 1 and 2 CPU burners outside the GIL, Fair vs the CPython policy vs CPython
//! beside us under the same load, interleaved round by round ([`crate::under_load`]).

use std::time::Duration;

use super::ctx::Ctx;
use super::goals::UnderLoad;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::Flavor;
use super::svg::{Bars, RefLine, count};
use crate::json::Obj;
use crate::stats::median;
use crate::under_load::{Figures, Plan, measure};

/// The burner counts: idle, next to 1 and next to 2 busy processes.
const LEVELS: [usize; 3] = [0, 1, 2];

/// The sharing rows' thread count.
const K: usize = 4;

/// How a level is named in the table.
fn level_label(b: usize) -> String {
    match b {
        0 => "idle".to_owned(),
        1 => "1 busy process".to_owned(),
        b => format!("{b} busy processes"),
    }
}

/// `a` compared with `b` by their ratio `r = a / b`: "Fair 3.1× better" / "worse" / "even".
fn compare(r: f64) -> String {
    if !r.is_finite() {
        "not comparable".to_owned()
    } else if (0.95..=1.05).contains(&r) {
        "even".to_owned()
    } else if r < 1.0 {
        format!("Fair {} better", times(1.0 / r))
    } else {
        format!("Fair {} worse", times(r))
    }
}

/// `median (min–max)` of ratios.
pub(super) fn span(xs: &[f64]) -> String {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if xs.len() < 2 || !lo.is_finite() {
        times(median(xs))
    } else {
        format!("{} ({}–{})", times(median(xs)), num(lo, 2), num(hi, 2))
    }
}

/// The load scenario.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn load(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let iv_ms = s.interval.as_secs_f64() * 1e3;
    let plan = Plan {
        levels: LEVELS.to_vec(),
        rounds: s.rounds,
        interval: s.interval,
        trips: (ctx.scaled(5000.0) as usize).max(10),
        budget: Duration::from_secs_f64(ctx.scaled(0.2)),
        solo: Duration::from_secs_f64(ctx.scaled(0.1).min(0.1)),
        spinners: vec![1],
        k: K,
        sharing: Duration::from_secs_f64(ctx.scaled(0.35)),
        many: None,
    };
    let m = measure(plan, ctx.py.as_ref())
        .map_err(|e| format!("cannot start the busy processes: {e}"))?;
    let pyl = ctx.py_label();
    let mut labels = vec![
        Flavor::Fair.label().to_owned(),
        Flavor::CPython.label().to_owned(),
    ];
    labels.extend(m.py().map(|_| pyl.clone()));
    let nv = labels.len();
    let mut t = Table::new(&[
        "next to",
        "GIL",
        "convoy slowdown",
        "trip p50 µs",
        "trip p99 µs",
        "spinner share",
        "K = 4 wait p99",
        "K = 4 wait max ms",
        "vs CPython: convoy, p99",
        "runnable",
        "outside",
        "load avg",
        "steal",
    ]);
    let mut json_rows = Vec::new();
    let mut findings = Vec::new();
    let mut read = Vec::new();
    let mut slow_series: Vec<Vec<f64>> = vec![Vec::new(); nv];
    let mut p99_series: Vec<Vec<f64>> = vec![Vec::new(); nv];
    let slow_of = |f: &Figures| f.convoy[0].slowdown;
    let p99_of = |f: &Figures| f.wait_p99_ms / iv_ms;
    for (lvl, &b) in LEVELS.iter().enumerate() {
        for (v, label) in labels.iter().enumerate() {
            let l = m.load(lvl, v);
            let (slow, p99) = (m.col(lvl, v, slow_of), m.col(lvl, v, p99_of));
            let (p50, trip99, share, k4_max) = (
                m.med(lvl, v, |f| f.convoy[0].p50),
                m.med(lvl, v, |f| f.convoy[0].p99),
                m.med(lvl, v, |f| f.convoy[0].share),
                m.med(lvl, v, |f| f.wait_max_ms),
            );
            let (rc, rp) = (m.vs_py(lvl, v, slow_of), m.vs_py(lvl, v, p99_of));
            slow_series[v].push(median(&slow));
            p99_series[v].push(median(&p99));
            let or_dash = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or("—".into(), f);
            t.row(vec![
                level_label(b),
                label.clone(),
                span(&slow),
                num(p50, 1),
                num(trip99, 1),
                num(share, 2),
                format!("{} × interval", num(median(&p99), 2)),
                num(k4_max, 1),
                if rc.is_finite() || rp.is_finite() {
                    format!("{}, {}", times(rc), times(rp))
                } else {
                    String::new()
                },
                or_dash(l.procs_running, &|x| num(x, 1)),
                or_dash(l.outside, &|x| {
                    format!(
                        "{}{}",
                        num(x, 1),
                        if l.is_noisy() { " (noisy)" } else { "" }
                    )
                }),
                or_dash(l.loadavg, &|x| num(x, 2)),
                or_dash(l.steal, &|x| format!("{} %", num(x * 100.0, 1))),
            ]);
            let range = |xs: &[f64]| {
                let lo = xs.iter().copied().fold(f64::NAN, f64::min);
                vec![lo, xs.iter().copied().fold(f64::NAN, f64::max)]
            };
            json_rows.push(
                Obj::new()
                    .with("burners", b)
                    .with("gil", label.as_str())
                    .with("convoy_slowdown", median(&slow))
                    .with("convoy_slowdown_range", range(&slow))
                    .with("trip_us_p50", p50)
                    .with("trip_us_p99", trip99)
                    .with("spinner_share", share)
                    .with("k4_wait_p99_over_interval", median(&p99))
                    .with("k4_wait_p99_over_interval_range", range(&p99))
                    .with("k4_wait_ms_max", k4_max)
                    .with("convoy_over_cpython", rc)
                    .with("k4_p99_over_cpython", rp)
                    .with("procs_running", l.procs_running)
                    .with("outside_runnable", l.outside)
                    .with("loadavg", l.loadavg)
                    .with("steal", l.steal)
                    .with("noisy", l.is_noisy()),
            );
        }
        // Fair against CPython beside us, else against the CPython policy, for the reading.
        let other = m.py().unwrap_or(1);
        let pair = |f: &dyn Fn(&Figures) -> f64| {
            [
                m.med(lvl, 0, f),
                m.med(lvl, other, f),
                m.ratio(lvl, 0, other, f),
            ]
        };
        read.push((b, pair(&slow_of), pair(&p99_of)));
        let py_med = |f: &dyn Fn(&Figures) -> f64| m.py().map_or(f64::NAN, |p| m.med(lvl, p, f));
        findings.push(UnderLoad {
            burners: b,
            convoy_fair: slow_series[0][lvl],
            convoy_python: py_med(&slow_of),
            convoy_ratio: m.vs_py(lvl, 0, slow_of),
            share_fair: m.med(lvl, 0, |f| f.convoy[0].share),
            k4_fair: p99_series[0][lvl],
            k4_python: py_med(&p99_of),
            k4_ratio: m.vs_py(lvl, 0, p99_of),
            load: m.level_load(lvl),
            python: pyl.clone(),
        });
    }
    if m.py().is_none() {
        t.drop_columns(&["vs CPython: convoy, p99"]);
    }
    let other = if m.py().is_some() {
        pyl.as_str()
    } else {
        Flavor::CPython.label()
    };
    let reading = reading(other, &read);
    ctx.findings.under_load = findings;
    let groups: Vec<String> = LEVELS.iter().map(|&b| level_label(b)).collect();
    let series = |vals: Vec<Vec<f64>>| labels.iter().cloned().zip(vals).collect::<Vec<_>>();
    let convoy_chart = Bars {
        title: "Convoy slowdown (1 spinner), idle and next to busy processes".into(),
        y_label: "slowdown vs alone".into(),
        groups: groups.clone(),
        series: series(slow_series),
        log: true,
        refs: vec![],
    };
    let wait_chart = Bars {
        title: format!("K = {K} wait p99, idle and next to busy processes"),
        y_label: "wait p99 / interval".into(),
        groups,
        series: series(p99_series),
        log: false,
        refs: vec![RefLine {
            y: (K - 1) as f64,
            label: "(K−1) × interval".into(),
        }],
    };
    Ok(Section {
        id: "load",
        title: "Next to other busy processes".into(),
        setup: format!(
            "The convoy ({} round trips, stopped after {}, alone and next to 1 spinner) and \
             K = {K} threads sharing for {}, idle and next to 1 and 2 busy processes outside the \
             GIL (this binary re-run as CPU burners that stop by themselves). Each round visits \
             the levels in a rotated order and runs the variants in a rotated order under the \
             same burners; {}, median (min–max). Runnable = median procs_running during \
             the row, this run's threads included; outside = those not of this run (noisy at ≥ 1).",
            m.plan.trips,
            ms(m.plan.budget.as_secs_f64()),
            ms(m.plan.sharing.as_secs_f64()),
            count(s.rounds, "round")
        ),
        table: t,
        reading,
        json: Obj::new()
            .with("trips", m.plan.trips)
            .with("budget_s", m.plan.budget.as_secs_f64())
            .with("sharing_s", m.plan.sharing.as_secs_f64())
            .with("interval_ms", iv_ms)
            .with(
                "burners",
                LEVELS.iter().map(|&b| b as f64).collect::<Vec<_>>(),
            )
            .with("rows", json_rows),
        charts: vec![
            Chart::new(
                "load_convoy.svg",
                convoy_chart.svg(),
                "The convoy slowdown idle and next to busy processes outside the GIL (log scale): what a GIL does on a shared machine, where threads also wait for a core.",
            ),
            Chart::new(
                "load_waits.svg",
                wait_chart.svg(),
                "The K = 4 p99 wait, in switch intervals, idle and next to busy processes: the line marks the (K−1) intervals a FIFO hand-off promises.",
            ),
        ],
    })
}

/// One level for the reading: burners, then (Fair, the other, per-round ratio) for the
/// convoy slowdown and for the K = 4 wait p99 in intervals.
type Compared = (usize, [f64; 3], [f64; 3]);

/// The one-line reading: Fair against `other` (CPython beside us, else the CPython policy)
/// at every level, from the numbers.
fn reading(other: &str, levels: &[Compared]) -> String {
    let convoy: Vec<String> = levels
        .iter()
        .map(|(b, [f, o, r], _)| {
            format!(
                "{} {} vs {} ({})",
                level_label(*b),
                times(*f),
                times(*o),
                compare(*r)
            )
        })
        .collect();
    let better = levels.iter().filter(|(_, [.., r], _)| *r < 1.0).count();
    let (b, [f, o, r]) = levels
        .iter()
        .find(|(b, ..)| *b == 1)
        .or(levels.first())
        .map_or((0, [f64::NAN; 3]), |(b, _, k4)| (*b, *k4));
    format!(
        "Convoy slowdown (1 spinner), Fair vs {other}: {}. Fair's convoy is the shorter one at \
         {better} of {} load levels. K = {K} wait p99 next to {}: {} vs {} × interval ({}).",
        convoy.join("; "),
        levels.len(),
        level_label(b),
        num(f, 2),
        num(o, 2),
        compare(r)
    )
}
