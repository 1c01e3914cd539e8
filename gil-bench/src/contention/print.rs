//! What the `contention` binary prints: a header saying what runs, then one table per thread
//! count (and JSON rows with `--json`).

use serde::Serialize;

use super::measure::run_interleaved;
use super::settings::{Options, Settings};
use super::summary::Report;
use crate::json;
use crate::results::{self, Tee};

/// Rounds per second as kHz.
fn khz(rate: f64) -> f64 {
    rate / 1e3
}

/// One JSON row: a lock kind at one thread count (rates in kHz).
#[derive(Debug, Serialize)]
struct JsonRow<'a> {
    name: String,
    lock: &'static str,
    threads: usize,
    inside: u32,
    outside: u32,
    seconds: f64,
    iterations: usize,
    mean_khz: f64,
    median_khz: f64,
    std_dev_khz: f64,
    min_khz: f64,
    max_khz: f64,
    total_khz: f64,
    min_over_max: f64,
    min_over_max_by_iteration: &'a [f64],
}

impl<'a> JsonRow<'a> {
    /// The row for `r`, measured with `s`.
    fn new(r: &'a Report, s: &Settings) -> Self {
        let p = &r.per_thread;
        Self {
            name: format!("contention.{}.t{}", r.kind.name(), r.threads),
            lock: r.kind.name(),
            threads: r.threads,
            inside: s.work_inside,
            outside: s.work_outside,
            seconds: s.duration.as_secs_f64(),
            iterations: s.iterations,
            mean_khz: khz(p.mean),
            median_khz: khz(p.median),
            std_dev_khz: khz(p.std_dev),
            min_khz: khz(p.min),
            max_khz: khz(p.max),
            total_khz: khz(r.total),
            min_over_max: r.fairness,
            min_over_max_by_iteration: &r.fairness_by_iteration,
        }
    }
}

/// Measures and prints one table: every lock of `cli` on `threads` threads.
fn table(o: &Options, threads: usize, out: &mut Tee) {
    let s = &o.settings;
    out.line("");
    out.line(format_args!(
        "## {threads} threads (per-thread rates in kHz)"
    ));
    out.line(format_args!(
        "{:<22} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>11} | {:>7}",
        "lock", "mean", "median", "std-dev", "min", "max", "total", "min/max"
    ));
    out.line(format_args!("{}", "-".repeat(22 + 5 * 13 + 14 + 10)));
    let rates = run_interleaved(&o.locks, threads, s);
    let reports: Vec<Report> = o
        .locks
        .iter()
        .zip(&rates)
        .filter_map(|(&kind, r)| Report::new(kind, threads, r))
        .collect();
    for r in &reports {
        let p = &r.per_thread;
        out.line(format_args!(
            "{:<22} | {:>10.1} | {:>10.1} | {:>10.1} | {:>10.1} | {:>10.1} | {:>11.1} | {:>7.3}",
            r.kind.label(),
            khz(p.mean),
            khz(p.median),
            khz(p.std_dev),
            khz(p.min),
            khz(p.max),
            khz(r.total),
            r.fairness
        ));
    }
    out.line(format_args!(
        "# reading: min/max (within an iteration) near 1 = every thread got its share, near 0 \
         = some thread starved; std-dev, min and max pool all iterations, so they include the \
         machine's drift; total = all threads together; Gil rows are acquire+drop per round: \
         Fair hands off FIFO at every release, CPython lets the releaser retake it for ~5 ms \
         turns, neither is a mutex."
    ));
    if o.json {
        for r in &reports {
            println!("{}", json::line(&JsonRow::new(r, s)));
        }
    }
}

/// Measures and prints every table `o` asks for.
///
/// # Errors
///
/// `--write-results FILE` cannot be read or written.
///
/// # Panics
///
/// As [`run_once`](super::measure::run_once).
pub fn print(o: &Options) -> Result<(), String> {
    let mut out = Tee::new();
    let out = &mut out;
    let s = &o.settings;
    let tests = s.threads.len() * o.locks.len() * s.iterations;
    let list: Vec<String> = s.threads.iter().map(ToString::to_string).collect();
    out.line("# lock contention (parking_lot style)");
    out.line(format_args!("# - threads: {}", list.join(", ")));
    out.line(format_args!(
        "# - work per round: {} unit(s) inside the lock, {} outside (a unit, ~3 ns, is an f64 \
         add and multiply)",
        s.work_inside, s.work_outside
    ));
    out.line(format_args!(
        "# - {} s per test, {} iterations; {tests} tests, about {:.0} s",
        s.duration.as_secs_f64(),
        s.iterations,
        f64::from(u32::try_from(tests).unwrap_or(u32::MAX)) * s.duration.as_secs_f64()
    ));
    out.line(format_args!(
        "# - lock kinds are interleaved: each iteration runs every kind once, in an order \
         rotated by one per iteration, because this machine's speed drifts (up to 2x) over \
         seconds; per-thread stats pool all threads of all iterations, min/max is taken \
         within each iteration and averaged"
    ));
    for &threads in &s.threads {
        table(o, threads, out);
    }
    match &o.results {
        Some(path) => results::write_section(
            path,
            "contention",
            &results::command("contention"),
            out.text(),
        ),
        None => Ok(()),
    }
}
