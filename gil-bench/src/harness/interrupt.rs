//! The harness's `interrupt` table (issue #16): interrupt → a blocked waiter returns
//! `Interrupted`, per primitive, and a pending call → run on a main thread in a `check()`
//! loop, beside the bare park/unpark probe, idle and next to busy processes
//! ([`crate::under_load`]), against the goals (≤ 1 ms median, ≤ 5 ms p99; a pending call
//! within one switch interval).

use std::time::Duration;

use gil_core::Gil;

use super::cells::{LOAD_HEAD, hi, load_cells, load_legend, with_reading};
use super::settings::Args;
use crate::interrupt::{
    SETTLE, WAITS, bare_latencies, interrupt_latencies, pending_call_latencies, variant,
};
use crate::json::{self, Obj};
use crate::load::LoadReading;
use crate::results::Tee;
use crate::stats::{median, pct};
use crate::under_load::under_load;

/// The goals, in microseconds: median and p99 of interrupt → `Interrupted`.
const GOAL_MEDIAN_US: f64 = 1000.0;
const GOAL_P99_US: f64 = 5000.0;

/// The table's rows: the primitives' variants, then the pending call and the bare probe.
fn names() -> Vec<&'static str> {
    let mut names = WAITS.to_vec();
    names.extend(["pending call", "bare park/unpark"]);
    names
}

/// The interrupt table: for each level of `--burners`, each variant's latencies over
/// `rounds` interrupts (3 rounds of 60, or 1 of 60 with `--repeats 1`), levels and variants
/// interleaved; prints n, median, p99 and max in µs and whether the goals are met (and JSON
/// lines with `json`).
///
/// # Panics
///
/// If a wait did not return `Interrupted`, or a target thread died.
pub(super) fn interrupt_table(a: &Args, out: &mut Tee) {
    const PER_ROUND: usize = 60;
    let rounds = if a.repeats <= 1 { 1 } else { 3 };
    let names = names();
    let n = names.len();
    let pending = n - 2;
    let slot = (SETTLE + Duration::from_millis(3)) * (PER_ROUND * n * 2) as u32;
    let measured = under_load(&a.burners, n, rounds, slot, |_, v| {
        if v == pending {
            pending_call_latencies(PER_ROUND, a.interval)
        } else if v == n - 1 {
            bare_latencies(PER_ROUND)
        } else {
            let gil = Gil::new();
            interrupt_latencies(&gil, variant(&gil, WAITS[v]), PER_ROUND)
        }
    });
    let runs = match measured {
        Ok(runs) => runs,
        Err(e) => {
            out.line(format_args!("# interrupt: cannot start the burners: {e}"));
            return;
        }
    };
    out.line(format_args!(
        "# interrupt (issue #16: interrupt -> a blocked waiter returns Interrupted <= {} ms \
         median, <= {} ms p99; a pending call runs within one switch interval): a target \
         thread holds the GIL and blocks in the primitive's interruptible wait; the harness's \
         thread waits {} ms, reads the clock and calls Interrupter::interrupt; the target \
         reads the clock once the wait returned (GIL held again). next to B busy processes \
         for B in {:?}; {rounds} rounds x {PER_ROUND}, levels and variants interleaved",
        GOAL_MEDIAN_US / 1e3,
        GOAL_P99_US / 1e3,
        SETTLE.as_millis(),
        a.burners
    ));
    out.line(format_args!(
        "# pending call: the main thread runs a check() loop ({} ms interval), another thread \
         queues a call every {} ms, the call reads the clock; bare = a thread parked on an \
         atomic flag, woken by unpark (no GIL, no queue): the OS's wake-up here",
        a.interval.as_secs_f64() * 1e3,
        SETTLE.as_millis()
    ));
    out.line(format_args!(
        "{:<3} {:<22} {:>5} {:>9} {:>9} {:>9} {:>6} | {LOAD_HEAD}",
        "B", "wait", "n", "median_us", "p99_us", "max_us", "goal"
    ));
    let mut json = Vec::new();
    for (lvl, &b) in a.burners.iter().enumerate() {
        for (v, name) in names.iter().enumerate() {
            let rs = &runs[lvl][v];
            let load = LoadReading::median_of(&rs.iter().map(|r| r.1).collect::<Vec<_>>());
            let all: Vec<f64> = rs.iter().flat_map(|r| r.0.iter().copied()).collect();
            let (med, p99, max) = (median(&all), pct(&all, 0.99), hi(&all));
            let met = if v == n - 1 {
                None
            } else if v == pending {
                Some(max <= a.interval.as_secs_f64() * 1e6)
            } else {
                Some(med <= GOAL_MEDIAN_US && p99 <= GOAL_P99_US)
            };
            out.line(format_args!(
                "b{b:<2} {name:<22} {:>5} {med:>9.1} {p99:>9.1} {max:>9.1} {:>6} | {}",
                all.len(),
                met.map_or("-", |m| if m { "met" } else { "MISSED" }),
                load_cells(&load)
            ));
            let j = Obj::new()
                .with("name", format!("interrupt.{}.b{b}", name.replace(' ', "_")))
                .with("n", all.len())
                .with("us_median", med)
                .with("us_p99", p99)
                .with("us_max", max)
                .with("met", met);
            json.push(with_reading(j, b, rs.len(), &load));
        }
    }
    load_legend(out);
    if a.json {
        for j in json {
            println!("{}", json::line(&j));
        }
    }
}
