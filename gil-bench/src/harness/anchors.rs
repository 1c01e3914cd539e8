//! The anchors' full-size tables: GIL sharing (`e_gil_sharing.py`), the convoy
//! (`c_convoy.py`) and thread start + join, with the CPython anchor figures beside them.

use std::time::Duration;

use gil_core::Policy;
use serde::Serialize;

use super::settings::Args;
use crate::convoy::convoy_summary;
use crate::json::{self, Obj};
use crate::results::Tee;
use crate::sharing::{FairnessRun, fairness};
use crate::start_join::start_join;
use crate::stats::median;
use crate::workload::gil;

/// One JSON row of the start + join table.
#[derive(Debug, Serialize)]
struct StartJoinRow {
    name: String,
    us_per_thread: f64,
    vs_std: f64,
}

/// The policy's name in the table and in JSON names.
fn name(p: Policy) -> &'static str {
    match p {
        Policy::CPython => "cpython",
        _ => "fair",
    }
}

/// Scenario (e): K = 2 and 4 CPU-bound threads sharing the GIL, both policies; prints a
/// table of medians (and JSON lines with `json`).
pub fn fairness_table(args: &Args, out: &mut Tee) {
    let ms = args.interval.as_secs_f64() * 1e3;
    out.line(format_args!(
        "# GIL sharing: K CPU-bound threads, {:.1} s, interval {ms} ms, median of {} runs",
        args.duration.as_secs_f64(),
        args.repeats
    ));
    out.line(format_args!(
        "{:<8} {:>2} {:>7} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "policy", "K", "jain", "slice_p50", "wait_p50", "wait_p99", "wait_max", "switches/s"
    ));
    for k in [2usize, 4] {
        for policy in [Policy::Fair, Policy::CPython] {
            let runs: Vec<_> = (0..args.repeats)
                .map(|_| fairness(policy, k, args.interval, args.duration))
                .collect();
            let m =
                |f: &dyn Fn(&FairnessRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
            let (j, sl, w50, w99, wmax, sw) = (
                m(&|r| r.jain),
                m(&|r| r.slice_ms_p50),
                m(&|r| r.wait_ms_p50),
                m(&|r| r.wait_ms_p99),
                m(&|r| r.wait_ms_max),
                m(&|r| r.switches_per_s),
            );
            out.line(format_args!(
                "{:<8} {k:>2} {j:>7.4} {sl:>9.2} {w50:>9.2} {w99:>9.2} {wmax:>9.2} {sw:>11.1}",
                name(policy)
            ));
            if args.json {
                let row = Obj::new()
                    .with("name", format!("e.gil_share.{}.k{k}", name(policy)))
                    .with("jain", j)
                    .with("slice_ms_p50", sl)
                    .with("wait_ms_p50", w50)
                    .with("wait_ms_p99", w99)
                    .with("wait_ms_max", wmax)
                    .with("switches_per_s", sw)
                    .with("wait_p99_over_interval", w99 / ms);
                println!("{}", json::line(&row));
            }
        }
    }
    out.line(format_args!(
        "# (CPython 3.11 anchor: K=2 jain 0.998, wait p99 5.42 ms; K=4 jain 0.996, wait p50 10.4, p99 71.2, max 101 ms)"
    ));
}

/// Scenario (c): the convoy effect, both policies, 0/1/2 spinners; prints a table of
/// medians (and JSON lines with `json`).
pub fn convoy_table(args: &Args, out: &mut Tee) {
    out.line(format_args!(
        "# Convoy: {} socketpair round trips (4 GIL releases each), median of {} interleaved runs",
        args.trips, args.repeats
    ));
    out.line(format_args!(
        "{:<8} {:>8} {:>10} {:>9} {:>9} {:>10} {:>9} {:>13}",
        "policy", "spinners", "us/trip", "p50_us", "p99_us", "max_us", "slowdown", "spinner_share"
    ));
    for policy in [Policy::Fair, Policy::CPython] {
        let rows = convoy_summary(
            &gil(policy, args.interval),
            &[0, 1, 2],
            args.trips,
            Duration::MAX,
            args.repeats,
            Some(Duration::from_millis(100)),
        );
        for (spinners, r) in rows.iter().enumerate() {
            out.line(format_args!(
                "{:<8} {spinners:>8} {:>10.2} {:>9.2} {:>9.2} {:>10.1} {:>9.2} {:>13.3}",
                name(policy),
                r.us_per_trip,
                r.p50,
                r.p99,
                r.max,
                r.slowdown,
                r.share
            ));
            if args.json {
                let row = Obj::new()
                    .with(
                        "name",
                        format!("c.convoy.{}.spinners{spinners}", name(policy)),
                    )
                    .with("us_per_trip", r.us_per_trip)
                    .with("trip_us_p50", r.p50)
                    .with("trip_us_p99", r.p99)
                    .with("trip_us_max", r.max)
                    .with("slowdown", r.slowdown)
                    .with("spinner_share", r.share);
                println!("{}", json::line(&row));
            }
        }
    }
    out.line(format_args!(
        "# (CPython 3.11 anchor, pingpong1: 6.7 us/trip alone; with 1 spinner 2189 us/trip, slowdown 327x, spinner share 0.86)"
    ));
}

/// Thread start+join: gil-runtime's `Thread` next to std, interleaved; prints medians and
/// the ratio to `std::thread::spawn` (and JSON lines with `json`).
pub fn start_join_table(args: &Args, out: &mut Tee) {
    let rounds = (args.repeats * 10).max(10);
    let per_block = 200;
    out.line(format_args!(
        "# Thread start+join, empty body: median of {rounds} interleaved blocks of {per_block}"
    ));
    out.line(format_args!(
        "{:<34} {:>10} {:>9}",
        "variant", "us/thread", "vs std"
    ));
    let rows = start_join(rounds, per_block);
    let std_us = rows[0].1;
    for (variant, us) in &rows {
        out.line(format_args!(
            "{:<34} {us:>10.1} {:>8.2}x",
            variant.label(),
            us / std_us
        ));
        if args.json {
            let row = StartJoinRow {
                name: format!("d.thread.start_join.{variant:?}"),
                us_per_thread: *us,
                vs_std: us / std_us,
            };
            println!("{}", json::line(&row));
        }
    }
    out.line(format_args!(
        "# (CPython anchor, d.thread.start_join: 3.11 121 us, 3.12 126 us, 3.13 99 us per thread)"
    ));
}
