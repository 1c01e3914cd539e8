//! The harness's `switch` table: how long `Gil::set_mode` takes each way with 4 threads
//! running `check()` loops, for both policies at the harness's interval and at 1 ms, beside
//! the bare stop-the-world handshake ([`crate::switch`]), idle and next to busy processes
//! ([`crate::under_load`]), against the goal of issue #15 (≤ 2 switch intervals).

use std::time::Duration;

use gil_core::Policy;

use super::cells::{LOAD_HEAD, hi, lo, load_cells, load_legend, with_reading};
use super::settings::Args;
use crate::json::{self, Obj};
use crate::load::LoadReading;
use crate::results::Tee;
use crate::stats::{median, pct};
use crate::switch::{PAUSE, SwitchTimes, bare_stops, mode_switches};
use crate::under_load::under_load;

/// Threads running `check()` loops (the goal's 4).
const K: usize = 4;
/// Interleaved rounds per level.
const ROUNDS: usize = 5;
/// The second interval measured beside the harness's.
const FAST: Duration = Duration::from_millis(1);
/// The goal of issue #15: a switch takes at most this many switch intervals (median).
const GOAL: f64 = 2.0;

/// One measured variant: a policy at an interval, or the bare probe (`None`).
#[derive(Debug, Clone, PartialEq)]
struct Variant {
    key: String,
    label: String,
    gil: Option<(Policy, Duration)>,
}

/// The variants: Fair and the CPython policy at `interval` and at [`FAST`], then the probe.
fn variants(interval: Duration) -> Vec<Variant> {
    let mut ivs = vec![interval];
    if interval != FAST {
        ivs.push(FAST);
    }
    let mut v: Vec<Variant> = ivs
        .into_iter()
        .flat_map(|iv| {
            let ms = iv.as_secs_f64() * 1e3;
            [
                (Policy::Fair, "fair", "Fair"),
                (Policy::CPython, "cpython", "CPython policy"),
            ]
            .map(|(p, key, label)| Variant {
                key: format!("{key}.iv{ms}"),
                label: label.to_owned(),
                gil: Some((p, iv)),
            })
        })
        .collect();
    v.push(Variant {
        key: "bare".to_owned(),
        label: "bare handshake".to_owned(),
        gil: None,
    });
    v
}

/// One row's figures: a direction of a variant at a level, over all its rounds.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    n: usize,
    median: f64,
    p90: f64,
    max: f64,
    /// The median of each round.
    rounds: Vec<f64>,
}

impl Row {
    fn of(runs: &[Vec<f64>]) -> Self {
        let all: Vec<f64> = runs.iter().flatten().copied().collect();
        Self {
            n: all.len(),
            median: median(&all),
            p90: pct(&all, 0.9),
            max: hi(&all),
            rounds: runs.iter().map(|r| median(r)).collect(),
        }
    }

    /// `median (min–max)`, the span being the rounds' medians.
    fn median_cell(&self) -> String {
        if self.rounds.len() < 2 {
            format!("{:.2}", self.median)
        } else {
            let (l, h) = (lo(&self.rounds), hi(&self.rounds));
            format!("{:.2} ({l:.2}–{h:.2})", self.median)
        }
    }
}

/// Prints one row and returns its JSON.
#[expect(
    clippy::too_many_arguments,
    reason = "one table row: its level, variant, direction, figures and load"
)]
fn row(
    out: &mut Tee,
    b: usize,
    v: &Variant,
    dir: (&str, &str),
    r: &Row,
    unsettled: usize,
    rounds: usize,
    load: &LoadReading,
) -> Obj {
    let iv_ms = v.gil.map(|(_, iv)| iv.as_secs_f64() * 1e3);
    let per = |x: f64| iv_ms.map(|iv| x / iv);
    let met = per(r.median).map(|m| m <= GOAL);
    let cell = |x: Option<f64>| x.map_or("-".to_owned(), |x| format!("{x:.2}"));
    out.line(format_args!(
        "b{b:<2} {:<15} {:>3} {:>6} {:>3} {:>22} {:>7.2} {:>7.2} {:>6} {:>6} {:>6} | {}",
        v.label,
        iv_ms.map_or("-".to_owned(), |x| format!("{x}")),
        dir.0,
        r.n,
        r.median_cell(),
        r.p90,
        r.max,
        cell(per(r.median)),
        cell(per(r.p90)),
        met.map_or("-", |m| if m { "met" } else { "MISSED" }),
        load_cells(load)
    ));
    let j = Obj::new()
        .with("name", format!("switch.{}.{}.b{b}", v.key, dir.1))
        .with("threads", K)
        .with("interval_ms", iv_ms)
        .with("switches", r.n)
        .with("ms_median", r.median)
        .with("ms_p90", r.p90)
        .with("ms_max", r.max)
        .with("round_median_ms_min", lo(&r.rounds))
        .with("round_median_ms_max", hi(&r.rounds))
        .with("median_over_interval", per(r.median))
        .with("p90_over_interval", per(r.p90))
        .with("goal_intervals", GOAL)
        .with("met", met)
        .with("unsettled", unsettled);
    with_reading(j, b, rounds, load)
}

/// The switch table: for each level of `--burners`, 4 threads in `work_unit` +
/// `check()` loops while the harness's thread switches the GIL free-threaded → enabled and
/// back, each call timed, for Fair and the CPython policy at `--interval-ms` and at 1 ms, and
/// the bare handshake; 5 rounds of 10 switches each way (4 with `--repeats 1`),
/// levels and variants interleaved; prints the median (with the rounds' spread), p90 and max
/// in ms and in switch intervals, and whether the median meets the goal of issue #15 (and
/// JSON lines with `json`).
///
/// # Panics
///
/// If a worker thread panicked or a switch left the GIL in the wrong mode.
pub fn switch_table(a: &Args, out: &mut Tee) {
    let reps = if a.repeats <= 1 { 4 } else { 10 };
    let vs = variants(a.interval);
    let slowest = a.interval.max(FAST);
    // One level's variants, twice over for a slow machine: each switch's pause, at most its
    // interval more, and a generous 15 intervals for the switch and the settling before it.
    let per_variant = (PAUSE + slowest * 16) * (2 * reps) as u32 + Duration::from_millis(200);
    let slot = per_variant * 2 * vs.len() as u32;
    let measured = under_load(&a.burners, vs.len(), ROUNDS, slot, |_, v| match vs[v].gil {
        Some((policy, iv)) => mode_switches(policy, iv, K, reps),
        None => bare_stops(K, reps),
    });
    let runs = match measured {
        Ok(runs) => runs,
        Err(e) => {
            out.line(format_args!("# switch: cannot start the burners: {e}"));
            return;
        }
    };
    out.line(format_args!(
        "# switch (issue #15: a mode switch with {K} threads running check() loops <= {GOAL} \
         switch intervals, judged on the median): {K} threads hold the GIL, each a work_unit + \
         check() loop; the harness's thread, holding nothing, calls set_mode(Enabled) on the \
         free-threaded GIL (ft->en) and set_mode(FreeThreaded) on the enabled one (en->ft), \
         wall clock around the call; next to B busy processes for B in {:?}; {ROUNDS} rounds \
         x {reps} switches each way, levels and variants interleaved",
        a.burners
    ));
    out.line(format_args!(
        "# each switch after every thread has run since the last one, then a pause of {} ms + \
         a golden-ratio share of the interval; median (min–max of the rounds' medians), p90 \
         and max over all switches, ms; /iv = in switch intervals; goal on the median",
        PAUSE.as_millis()
    ));
    out.line(format_args!(
        "# bare = the ft->en handshake without a GIL: {K} threads poll a flag in the same \
         loop, count themselves under a mutex and sleep on a condvar, the last wakes the \
         switcher; raise -> all counted, paced as at 5 ms: the floor for a stop-the-world here"
    ));
    out.line(format_args!(
        "{:<3} {:<15} {:>3} {:>6} {:>3} {:>22} {:>7} {:>7} {:>6} {:>6} {:>6} | {LOAD_HEAD}",
        "B",
        "GIL",
        "iv",
        "switch",
        "n",
        "median_ms",
        "p90_ms",
        "max_ms",
        "med/iv",
        "p90/iv",
        "goal"
    ));
    let mut json = Vec::new();
    let mut unsettled_total = 0;
    for (lvl, &b) in a.burners.iter().enumerate() {
        for (v, variant) in vs.iter().enumerate() {
            let rounds = &runs[lvl][v];
            let load = LoadReading::median_of(&rounds.iter().map(|r| r.1).collect::<Vec<_>>());
            let unsettled: usize = rounds.iter().map(|r| r.0.unsettled).sum();
            unsettled_total += unsettled;
            let col = |f: fn(&SwitchTimes) -> &Vec<f64>| {
                rounds.iter().map(|r| f(&r.0).clone()).collect::<Vec<_>>()
            };
            let mut dirs = vec![(("ft->en", "to_enabled"), col(|t| &t.to_enabled_ms))];
            if variant.gil.is_some() {
                dirs.push((("en->ft", "to_free"), col(|t| &t.to_free_ms)));
            }
            for (dir, samples) in dirs {
                let r = Row::of(&samples);
                let j = row(out, b, variant, dir, &r, unsettled, rounds.len(), &load);
                json.push(j);
            }
        }
    }
    if unsettled_total > 0 {
        out.line(format_args!(
            "# note: {unsettled_total} switches were timed although a thread had not run since \
             the last one within {} s (the `unsettled` JSON field, per variant)",
            crate::switch::SETTLE_LIMIT.as_secs()
        ));
    }
    load_legend(out);
    if a.json {
        for j in json {
            println!("{}", json::line(&j));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_and_rows() {
        let v = variants(Duration::from_millis(5));
        let keys: Vec<&str> = v.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(
            keys,
            ["fair.iv5", "cpython.iv5", "fair.iv1", "cpython.iv1", "bare"]
        );
        assert_eq!(variants(FAST).len(), 3);
        let r = Row::of(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0]]);
        assert_eq!((r.n, r.median, r.p90, r.max), (5, 3.0, 5.0, 5.0));
        assert_eq!(r.rounds, [2.0, 5.0]);
        assert_eq!(r.median_cell(), "3.00 (2.00–5.00)");
    }
}
