//! What the `contention` binary prints: a header saying what runs, then one table per thread
//! count (and JSON rows with `--json`).

use super::measure::run_interleaved;
use super::settings::{Options, Settings};
use super::summary::Report;

/// Rounds per second as kHz.
fn khz(rate: f64) -> f64 {
    rate / 1e3
}

/// `x` as a JSON number (`null` when not finite).
fn json_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".to_owned()
    }
}

/// One JSON object for `r`.
fn json_row(r: &Report, s: &Settings) -> String {
    let p = &r.per_thread;
    format!(
        "{{\"name\":\"contention.{}.t{}\",\"lock\":\"{}\",\"threads\":{},\"inside\":{},\"outside\":{},\"seconds\":{},\"iterations\":{},\"mean_khz\":{},\"median_khz\":{},\"std_dev_khz\":{},\"min_khz\":{},\"max_khz\":{},\"total_khz\":{},\"min_over_max\":{},\"min_over_max_by_iteration\":[{}]}}",
        r.kind.name(),
        r.threads,
        r.kind.name(),
        r.threads,
        s.work_inside,
        s.work_outside,
        s.duration.as_secs_f64(),
        s.iterations,
        json_number(khz(p.mean)),
        json_number(khz(p.median)),
        json_number(khz(p.std_dev)),
        json_number(khz(p.min)),
        json_number(khz(p.max)),
        json_number(khz(r.total)),
        json_number(r.fairness),
        r.fairness_by_iteration
            .iter()
            .map(|&f| json_number(f))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// Measures and prints one table: every lock of `cli` on `threads` threads.
fn table(o: &Options, threads: usize) {
    let s = &o.settings;
    println!();
    println!("## {threads} threads (per-thread rates in kHz)");
    println!(
        "{:<22} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>11} | {:>7}",
        "lock", "mean", "median", "std-dev", "min", "max", "total", "min/max"
    );
    println!("{}", "-".repeat(22 + 5 * 13 + 14 + 10));
    let rates = run_interleaved(&o.locks, threads, s);
    let reports: Vec<Report> = o
        .locks
        .iter()
        .zip(&rates)
        .filter_map(|(&kind, r)| Report::new(kind, threads, r))
        .collect();
    for r in &reports {
        let p = &r.per_thread;
        println!(
            "{:<22} | {:>10.1} | {:>10.1} | {:>10.1} | {:>10.1} | {:>10.1} | {:>11.1} | {:>7.3}",
            r.kind.label(),
            khz(p.mean),
            khz(p.median),
            khz(p.std_dev),
            khz(p.min),
            khz(p.max),
            khz(r.total),
            r.fairness
        );
    }
    println!(
        "# reading: min/max (within an iteration) near 1 = every thread got its share, near 0 \
         = some thread starved; std-dev, min and max pool all iterations, so they include the \
         machine's drift; total = all threads together; Gil rows are acquire+drop per round: \
         Fair hands off FIFO at every release, CPython lets the releaser retake it for ~5 ms \
         turns, neither is a mutex."
    );
    if o.json {
        for r in &reports {
            println!("{}", json_row(r, s));
        }
    }
}

/// Measures and prints every table `o` asks for.
///
/// # Errors
///
/// None yet: every table is measured and printed.
///
/// # Panics
///
/// As [`run_once`](super::measure::run_once).
pub fn print(o: &Options) -> Result<(), String> {
    let s = &o.settings;
    let tests = s.threads.len() * o.locks.len() * s.iterations;
    let list: Vec<String> = s.threads.iter().map(ToString::to_string).collect();
    println!("# lock contention (parking_lot style)");
    println!("# - threads: {}", list.join(", "));
    println!(
        "# - work per round: {} unit(s) inside the lock, {} outside (a unit, ~3 ns, is an f64 \
         add and multiply)",
        s.work_inside, s.work_outside
    );
    println!(
        "# - {} s per test, {} iterations; {tests} tests, about {:.0} s",
        s.duration.as_secs_f64(),
        s.iterations,
        f64::from(u32::try_from(tests).unwrap_or(u32::MAX)) * s.duration.as_secs_f64()
    );
    println!(
        "# - lock kinds are interleaved: each iteration runs every kind once, in an order \
         rotated by one per iteration, because this machine's speed drifts (up to 2x) over \
         seconds; per-thread stats pool all threads of all iterations, min/max is taken \
         within each iteration and averaged"
    );
    for &threads in &s.threads {
        table(o, threads);
    }
    Ok(())
}
