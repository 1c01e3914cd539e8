//! The lock contention harness: `cargo xtask contention [--threads N[,N...]] [--inside N]
//! [--outside N] [--seconds S] [--iterations N] [--locks a,b,...] [--json]`.
//!
//! Prints, per thread count, one row per lock kind with the per-thread rates in kHz (mean,
//! median, std-dev, min, max, as `parking_lot`'s `benchmark/src/mutex.rs` does), the total rate
//! and the slowest/fastest thread ratio. See `gil_bench::contention`.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use gil_bench::contention::{self, LockKind, Report, Settings};

/// The text `--help` prints.
const USAGE: &str = "\
contention: parking_lot-style fixed-duration lock contention harness

usage: contention [--threads N[,N...]] [--inside N] [--outside N] [--seconds S]
                  [--iterations N] [--locks NAME[,NAME...]] [--json]

  --threads N,...   thread counts, one table each (default: available cores, at least 2)
  --inside N        work units inside each critical section (default 1; a unit is ~3 ns)
  --outside N       work units between critical sections (default 1)
  --seconds S       seconds per test (default 1)
  --iterations N    tests per lock kind and thread count (default 3)
  --locks a,b,...   lock kinds (default all): lock, rlock, semaphore, std, parking_lot,
                    gil-fair, gil-cpython
  --json            also print one JSON object per row
  -h, --help        print this message

Each thread loops lock -> inside work -> unlock -> outside work and counts rounds until the
time is up. Rates are per thread, in kHz (thousands of rounds per second).";

/// What the command line asked for.
#[derive(Debug)]
struct Cli {
    settings: Settings,
    locks: Vec<LockKind>,
    json: bool,
}

/// What parsing ended in.
#[derive(Debug)]
enum Parsed {
    Run(Cli),
    Help,
}

/// `value` as a number of type `T` in `min..=max`, or a message naming `flag`.
fn number<T>(flag: &str, value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match value.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!(
            "{flag} needs a number from {min} to {max}, got {value:?}"
        )),
    }
}

/// Parses the arguments (without the program name).
fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut settings = Settings::default();
    let mut locks = LockKind::ALL.to_vec();
    let mut json = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let takes_value = match flag.as_str() {
            "--json" | "-h" | "--help" => false,
            "--threads" | "--inside" | "--outside" | "--seconds" | "--iterations" | "--locks" => {
                true
            }
            _ => return Err(format!("unknown argument {arg:?} (try --help)")),
        };
        let value = if takes_value {
            match inline.or_else(|| args.next()) {
                Some(v) => v,
                None => return Err(format!("{flag} needs a value (try --help)")),
            }
        } else if inline.is_some() {
            return Err(format!("{flag} takes no value"));
        } else {
            String::new()
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--json" => json = true,
            "--threads" => {
                settings.threads = value
                    .split(',')
                    .map(|n| number("--threads", n, 1, 1024))
                    .collect::<Result<_, _>>()?;
            }
            "--inside" => settings.work_inside = number("--inside", &value, 0, 1_000_000)?,
            "--outside" => settings.work_outside = number("--outside", &value, 0, 1_000_000)?,
            "--seconds" => {
                let s = number("--seconds", &value, 0.001, 3600.0)?;
                settings.duration = Duration::from_secs_f64(s);
            }
            "--iterations" => settings.iterations = number("--iterations", &value, 1, 1000)?,
            "--locks" => {
                locks = if value == "all" {
                    LockKind::ALL.to_vec()
                } else {
                    value
                        .split(',')
                        .map(|n| {
                            LockKind::from_name(n.trim()).ok_or_else(|| {
                                let names: Vec<_> = LockKind::ALL.map(LockKind::name).into();
                                format!(
                                    "--locks: unknown lock {n:?}; known: {} (or all)",
                                    names.join(", ")
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?
                };
                // Each kind once, in the order given.
                let mut seen = Vec::new();
                locks.retain(|k| {
                    let first = !seen.contains(k);
                    seen.push(*k);
                    first
                });
            }
            _ => unreachable!("flags were checked above"),
        }
    }
    Ok(Parsed::Run(Cli {
        settings,
        locks,
        json,
    }))
}

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
fn table(cli: &Cli, threads: usize) {
    let s = &cli.settings;
    println!();
    println!("## {threads} threads (per-thread rates in kHz)");
    println!(
        "{:<22} | {:>10} | {:>10} | {:>10} | {:>10} | {:>10} | {:>11} | {:>7}",
        "lock", "mean", "median", "std-dev", "min", "max", "total", "min/max"
    );
    println!("{}", "-".repeat(22 + 5 * 13 + 14 + 10));
    let rates = contention::run_interleaved(&cli.locks, threads, s);
    let reports: Vec<Report> = cli
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
    if cli.json {
        for r in &reports {
            println!("{}", json_row(r, s));
        }
    }
}

fn main() -> ExitCode {
    let cli = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(cli)) => cli,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("contention: {message}");
            return ExitCode::from(2);
        }
    };
    let s = &cli.settings;
    let tests = s.threads.len() * cli.locks.len() * s.iterations;
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
        table(&cli, threads);
    }
    ExitCode::SUCCESS
}
