//! The fixed-duration fairness/convoy harness behind `cargo xtask harness` and the demo.
//!
//! Reproduces `e_gil_sharing.py` (K = 2 and 4 CPU-bound threads sharing the GIL) and
//! `c_convoy.py` (socketpair round trips next to 0, 1 and 2 spinners) for both policies,
//! and prints medians over repeats with the CPython 3.11 anchor figures beside them. The
//! `load` table ([`load_table`]) measures the convoy and sharing figures next to 0, 1 and 2
//! busy processes, with CPython beside us under the same load.

mod load;
mod micro;

use std::path::PathBuf;
use std::time::Duration;

pub use self::load::load_table;
pub use self::micro::micro_table;
use crate::convoy::convoy_summary;
use crate::cpython::PythonChoice;
use crate::sharing::{FairnessRun, fairness};
use crate::start_join::start_join;
use crate::stats::median;
use crate::workload::gil;
use gil_core::Policy;

/// The tables `--only` accepts.
pub const TABLES: [&str; 5] = ["fairness", "convoy", "start-join", "load", "micro"];

/// Harness settings (`--help` lists the flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// How long each fairness run lasts (the load table's sharing runs last half as long).
    pub duration: Duration,
    /// Runs per scenario (medians are reported).
    pub repeats: usize,
    /// Socketpair round trips per convoy run.
    pub trips: usize,
    /// Also print one JSON object per result.
    pub json: bool,
    /// The switch interval.
    pub interval: Duration,
    /// Run only these tables (`fairness`, `convoy`, `start-join`, `load`, `micro`); all when
    /// empty.
    pub only: Vec<String>,
    /// The load table's interleaved rounds (medians and min–max are reported).
    pub rounds: usize,
    /// The load table's levels: how many busy processes run beside the GIL.
    pub burners: Vec<usize>,
    /// The CPython the load table runs beside us.
    pub python: PythonChoice,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(2),
            repeats: 3,
            trips: 2000,
            json: false,
            interval: Duration::from_millis(5),
            only: Vec::new(),
            rounds: 3,
            burners: vec![0, 1, 2],
            python: PythonChoice::Auto,
        }
    }
}

impl Args {
    /// Whether the table `name` is to run.
    pub fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    /// The quick settings used by `--quick` (about 30 s on 2 cores, the load table 10–20 s).
    pub fn quick() -> Self {
        Self {
            duration: Duration::from_millis(500),
            repeats: 1,
            trips: 500,
            rounds: 1,
            ..Self::default()
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
harness [--quick] [--json] [--duration S] [--repeats N] [--trips N] [--interval-ms MS]
        [--rounds N] [--burners LIST] [--python PATH | --no-python]
        [--only fairness|convoy|start-join|load|micro]...

  --quick          short runs: --duration 0.5 --repeats 1 --trips 500 --rounds 1
  --json           also print one JSON object per result
  --duration S     each sharing run, seconds (default 2; the load table's last S/2)
  --repeats N      runs per scenario of the fairness and convoy tables (default 3; the
                   micro table runs 300 interleaved rounds, 60 with --repeats 1)
  --trips N        socketpair round trips per convoy run (default 2000)
  --interval-ms MS the switch interval (default 5)
  --rounds N       the load table's interleaved rounds (default 3)
  --burners LIST   the load table's levels: busy processes beside the GIL (default 0,1,2)
  --python PATH    the CPython the load table runs beside us (default python3.13, else python3)
  --no-python      the load table without CPython
  --only TABLE     run only this table (repeatable; default all)
";

/// Parses harness flags from `args` (without the program name).
///
/// # Errors
///
/// A message for an unknown flag or a flag missing its value.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |name: &str, v: String| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| format!("{name} needs a number, not {v:?}"))
        };
        match arg.as_str() {
            "--quick" => {
                a = Args {
                    json: a.json,
                    only: std::mem::take(&mut a.only),
                    burners: std::mem::take(&mut a.burners),
                    python: a.python.clone(),
                    ..Args::quick()
                }
            }
            "--json" => a.json = true,
            "--duration" => {
                a.duration = Duration::from_secs_f64(num("--duration", value("--duration")?)?);
            }
            "--repeats" => a.repeats = num("--repeats", value("--repeats")?)?.max(1.0) as usize,
            "--trips" => a.trips = num("--trips", value("--trips")?)?.max(1.0) as usize,
            "--rounds" => a.rounds = num("--rounds", value("--rounds")?)?.max(1.0) as usize,
            "--burners" => {
                let v = value("--burners")?;
                let levels: Option<Vec<usize>> = v
                    .split(',')
                    .map(|b| b.parse().ok().filter(|&b: &usize| b <= 64))
                    .collect();
                a.burners = match levels {
                    Some(l) if !l.is_empty() => l,
                    _ => return Err(format!("--burners takes counts like 0,1,2, not {v:?}")),
                };
            }
            "--python" => a.python = PythonChoice::At(PathBuf::from(value("--python")?)),
            "--no-python" => a.python = PythonChoice::Off,
            "--only" => match it.next() {
                Some(t) if TABLES.contains(&t.as_str()) => a.only.push(t),
                _ => return Err(format!("--only needs one of {}", TABLES.join(", "))),
            },
            "--interval-ms" => {
                let ms = num("--interval-ms", value("--interval-ms")?)?;
                if ms <= 0.0 {
                    return Err("--interval-ms needs a positive number".to_owned());
                }
                a.interval = Duration::from_secs_f64(ms / 1e3);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(a)
}

fn name(p: Policy) -> &'static str {
    match p {
        Policy::CPython => "cpython",
        _ => "fair",
    }
}

/// Scenario (e): K = 2 and 4 CPU-bound threads sharing the GIL, both policies; prints a
/// table of medians (and JSON lines with `json`).
pub fn fairness_table(args: &Args) {
    let ms = args.interval.as_secs_f64() * 1e3;
    println!(
        "# GIL sharing: K CPU-bound threads, {:.1} s, interval {ms} ms, median of {} runs",
        args.duration.as_secs_f64(),
        args.repeats
    );
    println!(
        "{:<8} {:>2} {:>7} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "policy", "K", "jain", "slice_p50", "wait_p50", "wait_p99", "wait_max", "switches/s"
    );
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
            println!(
                "{:<8} {k:>2} {j:>7.4} {sl:>9.2} {w50:>9.2} {w99:>9.2} {wmax:>9.2} {sw:>11.1}",
                name(policy)
            );
            if args.json {
                println!(
                    "{{\"name\":\"e.gil_share.{}.k{k}\",\"jain\":{j},\"slice_ms_p50\":{sl},\"wait_ms_p50\":{w50},\"wait_ms_p99\":{w99},\"wait_ms_max\":{wmax},\"switches_per_s\":{sw},\"wait_p99_over_interval\":{}}}",
                    name(policy),
                    w99 / ms
                );
            }
        }
    }
    println!(
        "# (CPython 3.11 anchor: K=2 jain 0.998, wait p99 5.42 ms; K=4 jain 0.996, wait p50 10.4, p99 71.2, max 101 ms)"
    );
}

/// Scenario (c): the convoy effect, both policies, 0/1/2 spinners; prints a table of
/// medians (and JSON lines with `json`).
pub fn convoy_table(args: &Args) {
    println!(
        "# Convoy: {} socketpair round trips (4 GIL releases each), median of {} interleaved runs",
        args.trips, args.repeats
    );
    println!(
        "{:<8} {:>8} {:>10} {:>9} {:>9} {:>10} {:>9} {:>13}",
        "policy", "spinners", "us/trip", "p50_us", "p99_us", "max_us", "slowdown", "spinner_share"
    );
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
            println!(
                "{:<8} {spinners:>8} {:>10.2} {:>9.2} {:>9.2} {:>10.1} {:>9.2} {:>13.3}",
                name(policy),
                r.us_per_trip,
                r.p50,
                r.p99,
                r.max,
                r.slowdown,
                r.share
            );
            if args.json {
                println!(
                    "{{\"name\":\"c.convoy.{}.spinners{spinners}\",\"us_per_trip\":{},\"trip_us_p50\":{},\"trip_us_p99\":{},\"trip_us_max\":{},\"slowdown\":{},\"spinner_share\":{}}}",
                    name(policy),
                    r.us_per_trip,
                    r.p50,
                    r.p99,
                    r.max,
                    r.slowdown,
                    r.share
                );
            }
        }
    }
    println!(
        "# (CPython 3.11 anchor, pingpong1: 6.7 us/trip alone; with 1 spinner 2189 us/trip, slowdown 327x, spinner share 0.86)"
    );
}

/// Thread start+join: gil-runtime's `Thread` next to std, interleaved; prints medians and
/// the ratio to `std::thread::spawn` (and JSON lines with `json`).
pub fn start_join_table(args: &Args) {
    let rounds = (args.repeats * 10).max(10);
    let per_block = 200;
    println!(
        "# Thread start+join, empty body: median of {rounds} interleaved blocks of {per_block}"
    );
    println!("{:<34} {:>10} {:>9}", "variant", "us/thread", "vs std");
    let rows = start_join(rounds, per_block);
    let std_us = rows[0].1;
    for (variant, us) in &rows {
        println!("{:<34} {us:>10.1} {:>8.2}x", variant.label(), us / std_us);
        if args.json {
            println!(
                "{{\"name\":\"d.thread.start_join.{variant:?}\",\"us_per_thread\":{us},\"vs_std\":{}}}",
                us / std_us
            );
        }
    }
    println!(
        "# (CPython anchor, d.thread.start_join: 3.11 121 us, 3.12 126 us, 3.13 99 us per thread)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_the_load_flags() {
        assert_eq!(parse(args("")).unwrap(), Args::default());
        let a = parse(args(
            "--only load --burners 0,2 --rounds 5 --no-python --only convoy",
        ))
        .unwrap();
        assert_eq!(a.only, ["load", "convoy"]);
        assert_eq!(a.burners, [0, 2]);
        assert_eq!(a.rounds, 5);
        assert_eq!(a.python, PythonChoice::Off);
        assert!(a.runs("load") && !a.runs("fairness"));
        let q = parse(args(
            "--burners 1 --python /opt/py --only load --quick --json",
        ))
        .unwrap();
        assert_eq!((q.rounds, q.trips, q.repeats), (1, 500, 1));
        assert_eq!(q.burners, [1]);
        assert_eq!(q.python, PythonChoice::At(PathBuf::from("/opt/py")));
        assert_eq!(q.only, ["load"]);
        assert!(q.json);
        assert!(Args::default().runs("load"));
    }

    #[test]
    fn rejects_bad_load_flags() {
        for (bad, needle) in [
            ("--burners", "needs a value"),
            ("--burners 1,x", "--burners"),
            ("--burners ''", "--burners"),
            ("--burners 1,,2", "--burners"),
            ("--rounds x", "--rounds"),
            ("--rounds -1", "--rounds"),
            ("--interval-ms 0", "--interval-ms"),
            ("--only gpu", "load"),
            ("--python", "needs a value"),
            ("--burn 1", "unknown argument"),
        ] {
            let e = parse(args(bad)).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
