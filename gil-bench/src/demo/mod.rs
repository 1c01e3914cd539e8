//! `cargo xtask demo`: what every Python threading tutorial claims, measured on this machine
//! with our runtime, next to CPython when `python3` is installed, and drawn.
//!
//! Scenarios (each mirrors a script in `shared/anchors/`, cut down to the demo's budget):
//!
//! | id | what | anchor |
//! |---|---|---|
//! | `cpu` | CPU-bound work split over 1, 2, 4 threads: GIL (Fair, CPython policy), free-threaded, sequential | `a_cpu_bound.py` |
//! | `io` | 5 ms sleeps and 1 ms loopback TCP requests over 1, 2, 4 threads | `b_io_bound.py` |
//! | `convoy` | socketpair ping-pong alone and next to 1 and 2 CPU-bound spinners | `c_convoy.py` |
//! | `share` | K = 2 and 4 CPU-bound threads sharing the GIL: Jain, waits, hand-offs | `e_gil_sharing.py` |
//! | `sweep` | the sharing and convoy figures at 1, 5 and 20 ms switch intervals | — |
//! | `lock` | uncontended `Lock` acquire + release vs std and `parking_lot` | `d_primitives.py` |
//! | `load` | the convoy (1 spinner) and K = 4 sharing idle and next to 1 and 2 busy processes | — |
//!
//! Each prints a progress line, a table and a one-line reading; at the end the goals of the
//! project are checked against what was measured, and a report folder is written: the same
//! results as JSON, SVG charts, and an HTML page embedding everything.
//!
//! Variants are interleaved round by round (rotating which goes first), because the machines
//! this runs on drift 2× in speed over seconds; medians are reported.

#![allow(
    clippy::too_many_lines,
    reason = "each scenario is a straight-line script: measure, tabulate, read, chart"
)]

pub mod cpython;
pub mod load;
pub mod report;
pub mod scenarios;
pub mod svg;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gil_core::Policy;

use self::cpython::{PyResults, Python};
use self::load::UnderLoad;
use self::report::{Json, Section, Table, num, times};
use self::scenarios::Flavor;
use self::svg::{Bars, Cdf, RefLine};
use crate::convoy::{ConvoySummary, convoy_summary};
use crate::load::{LoadReading, Sampler};
use crate::sharing::{FairnessRun, fairness};
use crate::stats::{median, round_ratio, try_interleaved};
use crate::workload::gil;

/// One of the demo's scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// CPU-bound scaling.
    Cpu,
    /// I/O-bound scaling.
    Io,
    /// The convoy effect.
    Convoy,
    /// GIL sharing among K CPU-bound threads.
    Share,
    /// The convoy and sharing next to other busy processes.
    Load,
    /// The switch-interval sweep.
    Sweep,
    /// Uncontended `Lock` cost.
    Lock,
}

impl Scenario {
    /// All scenarios, in running order.
    pub const ALL: [Self; 7] = [
        Self::Cpu,
        Self::Io,
        Self::Convoy,
        Self::Share,
        Self::Sweep,
        Self::Lock,
        Self::Load,
    ];

    /// The id used by `--only` and as the JSON key.
    pub fn id(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Io => "io",
            Self::Convoy => "convoy",
            Self::Share => "share",
            Self::Load => "load",
            Self::Sweep => "sweep",
            Self::Lock => "lock",
        }
    }

    fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }
}

/// Whether and which Python to run beside us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonChoice {
    /// `python3.13` from `PATH`, else `python3` ([`cpython::AUTO`]), if there is one.
    Auto,
    /// Do not run CPython.
    Off,
    /// This interpreter.
    At(PathBuf),
}

/// The demo's settings (`--help` lists the flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Multiplies every duration and amount of work (1 ≈ a minute and a half on 2 cores).
    pub scale: f64,
    /// Interleaved rounds per scenario (medians are reported).
    pub rounds: usize,
    /// Thread counts for the scaling scenarios (always starts with 1).
    pub threads: Vec<usize>,
    /// The switch interval outside the sweep.
    pub interval: Duration,
    /// The sweep's switch intervals.
    pub intervals: Vec<Duration>,
    /// CPython beside us.
    pub python: PythonChoice,
    /// The report folder (default `target/gil-demo/<UTC time>` in the workspace).
    pub out: Option<PathBuf>,
    /// Run only these scenarios (all when empty).
    pub only: Vec<Scenario>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            scale: 1.0,
            rounds: 3,
            threads: vec![1, 2, 4],
            interval: Duration::from_millis(5),
            intervals: [1, 5, 20].map(Duration::from_millis).to_vec(),
            python: PythonChoice::Auto,
            out: None,
            only: Vec::new(),
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
Usage: cargo xtask demo [options]

Runs the GIL scenarios on this machine (about 90 s on 2 cores), prints a table and a
reading for each, checks the project's goals, and writes a report folder (JSON, SVG charts,
HTML page). With python3.13 (else python3) on PATH, CPython runs the same scenarios
beside us. The load scenario runs the convoy and sharing idle and next to 1 and 2 busy
processes (this binary re-run as CPU burners, stopped at the end).

Options:
  --long             longer, steadier runs: --scale 4 --rounds 5 (about 8 minutes)
  --scale X          multiply every duration and amount of work by X (default 1)
  --rounds N         interleaved rounds per scenario, medians reported (default 3)
  --threads N        scale to 1, 2, 4, ... up to N threads (default 4)
  --interval-ms MS   the switch interval outside the sweep (default 5)
  --only LIST        run only these scenarios: cpu,io,convoy,share,sweep,lock,load
  --python PATH      the CPython to compare with (default: python3.13, else python3)
  --no-python        do not run CPython
  --out DIR          write the report into DIR (default target/gil-demo/<UTC time>)
  -h, --help         print this help
";

/// Parses the demo's flags (without the program name); `Ok(None)` for `--help`.
///
/// # Errors
///
/// A message naming the bad flag or value.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Settings>, String> {
    let mut s = Settings::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--long" => {
                s.scale = 4.0;
                s.rounds = 5;
            }
            "--scale" => {
                let v = value("--scale")?;
                s.scale = match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.001..=1000.0).contains(&x) => x,
                    _ => return Err(format!("--scale takes a number in 0.001..=1000, not {v:?}")),
                };
            }
            "--rounds" => {
                let v = value("--rounds")?;
                s.rounds = match v.parse::<usize>() {
                    Ok(n) if (1..=1000).contains(&n) => n,
                    _ => return Err(format!("--rounds takes an integer in 1..=1000, not {v:?}")),
                };
            }
            "--threads" => {
                let v = value("--threads")?;
                let max = match v.parse::<usize>() {
                    Ok(n) if (1..=1024).contains(&n) => n,
                    _ => {
                        return Err(format!("--threads takes an integer in 1..=1024, not {v:?}"));
                    }
                };
                s.threads = thread_counts(max);
            }
            "--interval-ms" => {
                let v = value("--interval-ms")?;
                s.interval = match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.01..=10_000.0).contains(&x) => {
                        Duration::from_secs_f64(x / 1e3)
                    }
                    _ => {
                        return Err(format!(
                            "--interval-ms takes a number of ms in 0.01..=10000, not {v:?}"
                        ));
                    }
                };
            }
            "--only" => {
                let v = value("--only")?;
                for id in v.split(',').filter(|id| !id.is_empty()) {
                    let sc = Scenario::from_id(id).ok_or_else(|| {
                        format!(
                            "--only: unknown scenario {id:?} (cpu, io, convoy, share, sweep, lock, load)"
                        )
                    })?;
                    if !s.only.contains(&sc) {
                        s.only.push(sc);
                    }
                }
            }
            "--python" => s.python = PythonChoice::At(PathBuf::from(value("--python")?)),
            "--no-python" => s.python = PythonChoice::Off,
            "--out" => s.out = Some(PathBuf::from(value("--out")?)),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(Some(s))
}

/// 1, 2, 4, ... up to `max`, and `max` itself.
fn thread_counts(max: usize) -> Vec<usize> {
    let mut v: Vec<usize> = std::iter::successors(Some(1usize), |&k| k.checked_mul(2))
        .take_while(|&k| k <= max)
        .collect();
    if v.last() != Some(&max) {
        v.push(max);
    }
    v
}

pub use crate::load::STEAL_LIMIT;

/// What the goal table is checked against; `None` when the scenario did not run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// CPU-bound, 2 threads under the Fair GIL, time / sequential time.
    pub cpu2_vs_seq: Option<f64>,
    /// Free-threaded speed-up with 2 threads (sequential time / time).
    pub free2_speedup: Option<f64>,
    /// The same for plain std threads without a GIL: what the machine allowed in that run.
    pub std2_speedup: Option<f64>,
    /// Convoy slowdown next to one spinner, Fair.
    pub convoy_fair: Option<f64>,
    /// K = 4 wait p99 / interval, Fair.
    pub k4_p99_intervals: Option<f64>,
    /// Uncontended `Lock` / std `Mutex`.
    pub lock_vs_std: Option<f64>,
    /// The load scenario's levels with busy processes beside the GIL (empty when not run).
    pub under_load: Vec<UnderLoad>,
    /// The share of CPU time the hypervisor took during each scenario that ran, where known.
    pub steal: Vec<(Scenario, f64)>,
    /// Runnable threads outside this run during each scenario that ran (median), where known.
    pub outside: Vec<(Scenario, f64)>,
}

impl Findings {
    /// The goal table: goal, bar, measured value, verdict, and the load it was measured under:
    /// the hypervisor's steal and the runnable threads outside this run (a verdict taken
    /// above [`STEAL_LIMIT`] or next to outside load, [`LoadReading::is_noisy`], says so).
    pub fn goals(&self, cores: usize) -> Table {
        let mut t = Table::new(&[
            "goal",
            "bar",
            "measured",
            "verdict",
            "steal",
            "outside load",
        ]);
        let of =
            |v: &[(Scenario, f64)], sc: Scenario| v.iter().find(|(s, _)| *s == sc).map(|(_, x)| *x);
        let during = |sc: Scenario| LoadReading {
            steal: of(&self.steal, sc),
            outside: of(&self.outside, sc),
            ..LoadReading::default()
        };
        let mut row = |goal: &str, bar: &str, l: LoadReading, measured: String, verdict: String| {
            let noisy = l.is_noisy() && matches!(verdict.as_str(), "met" | "MISSED");
            t.row(vec![
                goal.to_owned(),
                bar.to_owned(),
                measured,
                if noisy {
                    format!("{verdict} (noisy: rerun)")
                } else {
                    verdict
                },
                l.steal
                    .map_or("—".to_owned(), |x| format!("{} %", num(x * 100.0, 1))),
                l.outside.map_or("—".to_owned(), |x| num(x, 1)),
            ]);
        };
        let verdict = |v: Option<f64>, ok: fn(f64) -> bool| match v {
            Some(x) if x.is_finite() => if ok(x) { "met" } else { "MISSED" }.to_owned(),
            Some(_) => "not measured".to_owned(),
            None => "not run".to_owned(),
        };
        let val = |v: Option<f64>, unit: &str| {
            v.map_or("—".to_owned(), |x| format!("{}{unit}", num(x, 3)))
        };
        row(
            "CPU-bound, 2 threads under the GIL (Fair) vs sequential",
            "≤ 1.03×",
            during(Scenario::Cpu),
            val(self.cpu2_vs_seq, "×"),
            verdict(self.cpu2_vs_seq, |x| x <= 1.03),
        );
        let free = if cores < 2 && self.free2_speedup.is_some() {
            format!("n/a ({cores} core)")
        } else {
            verdict(self.free2_speedup, |x| x >= 1.8)
        };
        let free_val = match (self.free2_speedup, self.std2_speedup) {
            (Some(f), Some(s)) => format!("{}× (std threads {}×)", num(f, 2), num(s, 2)),
            (f, _) => val(f, "×"),
        };
        row(
            "free-threaded speed-up, 2 threads",
            "≥ 1.8× (2 cores)",
            during(Scenario::Cpu),
            free_val,
            free,
        );
        row(
            "convoy slowdown next to 1 spinner (Fair)",
            "≤ 1.5×",
            during(Scenario::Convoy),
            val(self.convoy_fair, "×"),
            verdict(self.convoy_fair, |x| x <= 1.5),
        );
        row(
            "K = 4 wait p99 (Fair)",
            "≤ 3.3 × interval",
            during(Scenario::Share),
            val(self.k4_p99_intervals, " × interval"),
            verdict(self.k4_p99_intervals, |x| x <= 3.3),
        );
        row(
            "uncontended Lock vs std Mutex",
            "≤ 1.2×",
            during(Scenario::Lock),
            val(self.lock_vs_std, "×"),
            verdict(self.lock_vs_std, |x| x <= 1.2),
        );
        for (goal, bar, l, measured, verdict) in load::goal_rows(&self.under_load) {
            row(
                goal,
                bar,
                l.unwrap_or(during(Scenario::Load)),
                measured,
                verdict,
            );
        }
        t
    }
}

/// The CPU table's column of plain std threads.
const STD_THREADS: &str = "std threads, no GIL";

/// What every scenario gets: the settings, CPython if any, and the findings so far.
#[derive(Debug)]
struct Ctx<'a> {
    s: &'a Settings,
    py: Option<Python>,
    findings: Findings,
}

impl Ctx<'_> {
    /// Runs a CPython scenario; `None` (with a note on stderr) when there is no Python or it
    /// failed.
    fn python(&self, scenario: &str, args: &[(&str, String)]) -> Option<PyResults> {
        let py = self.py.as_ref()?;
        match py.run(scenario, args) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("  note: {e}; going on without CPython's numbers for this scenario");
                None
            }
        }
    }

    fn py_label(&self) -> String {
        self.py
            .as_ref()
            .map_or("CPython".to_owned(), |p| format!("CPython {}", p.version))
    }

    /// `x` scaled by `--scale`.
    fn scaled(&self, x: f64) -> f64 {
        x * self.s.scale
    }
}

/// A float setting for the CPython script.
fn arg(x: f64) -> String {
    format!("{x}")
}

/// Comma-separated thread counts for the CPython script.
fn list(xs: &[usize]) -> String {
    xs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `ms` as `12.3 ms`.
fn ms(seconds: f64) -> String {
    format!("{} ms", num(seconds * 1e3, 1))
}

/// (a) CPU-bound scaling.
fn cpu(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let ns = scenarios::ns_per_unit();
    let units = (ctx.scaled(0.2) * 1e9 / ns).max(1000.0) as u64;
    let rts = Flavor::ALL
        .iter()
        .map(|f| f.runtime(s.interval))
        .collect::<Result<Vec<_>, _>>()?;
    // Variant 0 is sequential; then every (flavour, thread count); flavour index 3 is plain
    // std threads without a GIL, the machine's own ceiling.
    let variants: Vec<(usize, usize)> = (0..=Flavor::ALL.len())
        .flat_map(|f| s.threads.iter().map(move |&k| (f, k)))
        .collect();
    let samples = try_interleaved::<_, String>(variants.len() + 1, s.rounds, |i| {
        let d = if i == 0 {
            scenarios::cpu_sequential(&rts[0], units)
        } else {
            match variants[i - 1] {
                (f, k) if f < rts.len() => scenarios::cpu_threads(&rts[f], k, units)?,
                (_, k) => scenarios::cpu_std_threads(k, units),
            }
        };
        Ok(d.as_secs_f64())
    })?;
    let seq = median(&samples[0]);
    let index = |f: usize, k: usize| variants.iter().position(|&v| v == (f, k)).map(|i| i + 1);
    let time = |f: usize, k: usize| index(f, k).map_or(f64::NAN, |i| median(&samples[i]));
    // Ratios are medians of per-round ratios: a round's runs are seconds apart, so the VM's
    // drift mostly cancels.
    let rel = |f: usize, k: usize| {
        index(f, k).map_or(f64::NAN, |i| round_ratio(&samples[i], &samples[0]))
    };
    let py_n = (ctx.scaled(5_000_000.0) as u64).max(10_000);
    let py = ctx.python(
        "cpu",
        &[
            ("n", py_n.to_string()),
            ("threads", list(&s.threads)),
            ("repeats", s.rounds.to_string()),
        ],
    );
    let py_seq = py.as_ref().map_or(f64::NAN, |p| p.get("seq_s"));
    let py_t = |k: usize| py.as_ref().map_or(f64::NAN, |p| p.get(&format!("t{k}_s")));
    let py_rel = |k: usize| {
        py.as_ref()
            .map_or(f64::NAN, |p| p.get(&format!("t{k}_ratio")))
    };
    let pyl = ctx.py_label();
    let mut t = Table::new(&[
        "threads",
        Flavor::Fair.label(),
        Flavor::CPython.label(),
        Flavor::FreeThreaded.label(),
        STD_THREADS,
        &pyl,
        "Fair / CPython",
    ]);
    t.row(vec![
        "sequential (no threads)".into(),
        ms(seq),
        String::new(),
        String::new(),
        String::new(),
        ms(py_seq),
        String::new(),
    ]);
    let cell = |ratio: f64, time: f64| format!("{} ({})", times(ratio), ms(time));
    let mut json_rows = Vec::new();
    for &k in &s.threads {
        let py_ratio = py_rel(k);
        t.row(vec![
            format!("{k}"),
            cell(rel(0, k), time(0, k)),
            cell(rel(1, k), time(1, k)),
            cell(rel(2, k), time(2, k)),
            cell(rel(3, k), time(3, k)),
            cell(py_ratio, py_t(k)),
            num(rel(0, k) / py_ratio, 2),
        ]);
        let mut row = Json::obj().with("threads", k);
        for (f, flavor) in Flavor::ALL.iter().enumerate() {
            row = row
                .with(&format!("{}_s", flavor.key()), time(f, k))
                .with(&format!("{}_vs_seq", flavor.key()), rel(f, k));
        }
        json_rows.push(
            row.with("std_threads_s", time(3, k))
                .with("std_threads_vs_seq", rel(3, k))
                .with("cpython_s", py_t(k))
                .with("cpython_vs_seq", py_ratio),
        );
    }
    if py.is_none() {
        t.drop_columns(&[&pyl, "Fair / CPython"]);
    }
    let k2 = s.threads.iter().copied().find(|&k| k >= 2).unwrap_or(1);
    ctx.findings.cpu2_vs_seq = Some(rel(0, k2));
    ctx.findings.free2_speedup = Some(1.0 / rel(2, k2));
    ctx.findings.std2_speedup = Some(1.0 / rel(3, k2));
    let cores = cores();
    let py_part = if py.is_some() {
        format!(", {pyl} {}", times(py_rel(k2)))
    } else {
        String::new()
    };
    let reading = format!(
        "CPU-bound: {k2} threads under the GIL take {} the sequential time (Fair; CPython policy {}{py_part}): \
         they take turns. Free-threaded {}, a {} speed-up on {cores} cores, where plain std threads \
         get {} on this machine right now.",
        times(rel(0, k2)),
        times(rel(1, k2)),
        times(rel(2, k2)),
        times(1.0 / rel(2, k2)),
        times(1.0 / rel(3, k2)),
    );
    let mut series: Vec<(String, Vec<f64>)> = Flavor::ALL
        .iter()
        .map(|flavor| flavor.label())
        .chain([STD_THREADS])
        .enumerate()
        .map(|(f, label)| {
            (
                label.to_owned(),
                s.threads.iter().map(|&k| rel(f, k)).collect(),
            )
        })
        .collect();
    if py.is_some() {
        series.push((pyl.clone(), s.threads.iter().map(|&k| py_rel(k)).collect()));
    }
    let chart = Bars {
        title: "CPU-bound work split over threads: time relative to sequential".into(),
        y_label: "time / sequential time".into(),
        groups: s.threads.iter().map(|k| format!("{k} threads")).collect(),
        series,
        log: false,
        refs: vec![RefLine {
            y: 1.0,
            label: "sequential".into(),
        }],
    };
    Ok(Section {
        id: "cpu",
        title: "(a) CPU-bound work on 1, 2, 4 threads".into(),
        setup: format!(
            "{units} \"bytecodes\" (~{} ns each, then check()) in all, split evenly over the threads \
             of a gil-runtime Runtime; sequential = the same loop on the main thread holding the GIL; \
             std threads = the loop without GIL or check() on plain threads, what the cores can do. \
             CPython: countdown({py_n}) split the same way. Median of {} interleaved rounds.",
            num(ns, 1),
            s.rounds
        ),
        table: t,
        reading,
        json: Json::obj()
            .with("units", units as f64)
            .with("ns_per_unit", ns)
            .with("sequential_s", seq)
            .with("cpython_sequential_s", py_seq)
            .with("cpython_n", py_n as f64)
            .with("rows", Json::Arr(json_rows)),
        charts: vec![("scaling.svg".into(), chart.svg())],
    })
}

/// (b) I/O-bound scaling: sleeps and loopback TCP requests.
fn io(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let sleeps = (ctx.scaled(40.0) as usize).max(*s.threads.last().unwrap_or(&1));
    let each = Duration::from_millis(5);
    let trips = (ctx.scaled(100.0) as usize).max(*s.threads.last().unwrap_or(&1));
    let delay = Duration::from_millis(1);
    let rts = Flavor::ALL
        .iter()
        .map(|f| f.runtime(s.interval))
        .collect::<Result<Vec<_>, _>>()?;
    // (kind: 0 sleeps / 1 tcp, flavour, threads)
    let variants: Vec<(usize, usize, usize)> = (0..2)
        .flat_map(|kind| {
            (0..Flavor::ALL.len()).flat_map(move |f| s.threads.iter().map(move |&k| (kind, f, k)))
        })
        .collect();
    let samples = try_interleaved::<_, String>(variants.len(), s.rounds, |i| {
        let (kind, f, k) = variants[i];
        let d = if kind == 0 {
            scenarios::sleep_threads(&rts[f], k, sleeps, each)?
        } else {
            scenarios::tcp_threads(&rts[f], k, trips, delay)?
        };
        Ok(d.as_secs_f64())
    })?;
    let index = |kind: usize, f: usize, k: usize| variants.iter().position(|&v| v == (kind, f, k));
    let time = |kind: usize, f: usize, k: usize| {
        index(kind, f, k).map_or(f64::NAN, |i| median(&samples[i]))
    };
    // Time relative to 1 thread of the same work and flavour: median of per-round ratios.
    let rel = |kind: usize, f: usize, k: usize| match (index(kind, f, k), index(kind, f, 1)) {
        (Some(i), Some(one)) => round_ratio(&samples[i], &samples[one]),
        _ => f64::NAN,
    };
    let py = ctx.python(
        "io",
        &[
            ("sleeps", sleeps.to_string()),
            ("sleep_ms", "5".into()),
            ("trips", trips.to_string()),
            ("delay_ms", "1".into()),
            ("threads", list(&s.threads)),
            ("repeats", s.rounds.to_string()),
        ],
    );
    let py_get = |kind: usize, k: usize, what: &str| {
        let name = if kind == 0 { "sleep" } else { "tcp" };
        py.as_ref()
            .map_or(f64::NAN, |p| p.get(&format!("{name}_t{k}_{what}")))
    };
    let pyl = ctx.py_label();
    let mut t = Table::new(&[
        "work, threads",
        Flavor::Fair.label(),
        Flavor::CPython.label(),
        Flavor::FreeThreaded.label(),
        &pyl,
        "Fair / CPython",
    ]);
    let kinds = [
        format!("{sleeps} sleeps of 5 ms"),
        format!("{trips} TCP requests"),
    ];
    let cell = |ratio: f64, time: f64| format!("{} ({})", times(ratio), ms(time));
    let mut json_rows = Vec::new();
    let mut groups = Vec::new();
    let mut series: Vec<(String, Vec<f64>)> = Flavor::ALL
        .iter()
        .map(|f| (f.label().to_owned(), Vec::new()))
        .collect();
    series.push((pyl.clone(), Vec::new()));
    for (kind, kind_label) in kinds.iter().enumerate() {
        for &k in &s.threads {
            let mut cells = vec![format!("{kind_label}, {k}")];
            let mut row = Json::obj()
                .with("work", if kind == 0 { "sleep" } else { "tcp" })
                .with("threads", k);
            for (f, (_, ratios)) in series.iter_mut().take(Flavor::ALL.len()).enumerate() {
                cells.push(cell(rel(kind, f, k), time(kind, f, k)));
                ratios.push(rel(kind, f, k));
                row = row
                    .with(&format!("{}_s", Flavor::ALL[f].key()), time(kind, f, k))
                    .with(
                        &format!("{}_vs_1_thread", Flavor::ALL[f].key()),
                        rel(kind, f, k),
                    );
            }
            let py_ratio = py_get(kind, k, "ratio");
            cells.push(cell(py_ratio, py_get(kind, k, "s")));
            cells.push(num(rel(kind, 0, k) / py_ratio, 2));
            series[3].1.push(py_ratio);
            t.row(cells);
            json_rows.push(
                row.with("cpython_s", py_get(kind, k, "s"))
                    .with("cpython_vs_1_thread", py_ratio),
            );
            groups.push(format!("{} ×{k}", if kind == 0 { "sleep" } else { "TCP" }));
        }
    }
    if py.is_none() {
        series.pop();
        t.drop_columns(&[&pyl, "Fair / CPython"]);
    }
    let kmax = *s.threads.last().unwrap_or(&1);
    let reading = format!(
        "I/O-bound: {kmax} threads finish the sleeps in {} the 1-thread time under the GIL (ideal {}) \
         and the TCP requests in {}; free-threaded {} and {}. Blocking calls release the GIL, \
         so I/O overlaps either way.",
        times(rel(0, 0, kmax)),
        times(1.0 / kmax as f64),
        times(rel(1, 0, kmax)),
        times(rel(0, 2, kmax)),
        times(rel(1, 2, kmax)),
    );
    let chart = Bars {
        title: "I/O-bound work split over threads: time relative to 1 thread".into(),
        y_label: "time / 1-thread time".into(),
        groups,
        series,
        log: false,
        refs: vec![RefLine {
            y: 1.0,
            label: "1 thread".into(),
        }],
    };
    Ok(Section {
        id: "io",
        title: "(b) I/O-bound work on 1, 2, 4 threads".into(),
        setup: format!(
            "{sleeps} sleeps of 5 ms, and {trips} one-byte requests over loopback TCP to echo threads \
             that answer after 1 ms (a stand-in for a remote service), split over the threads; every \
             blocking call runs inside allow_threads (the GIL is released), as CPython's time.sleep \
             and socket calls do. Median of {} interleaved rounds.",
            s.rounds
        ),
        table: t,
        reading,
        json: Json::obj()
            .with("sleeps", sleeps)
            .with("sleep_ms", 5.0)
            .with("tcp_requests", trips)
            .with("tcp_server_delay_ms", 1.0)
            .with("rows", Json::Arr(json_rows)),
        charts: vec![("io.svg".into(), chart.svg())],
    })
}

/// Interleaved convoy runs on a new GIL of `policy` with `spinners`; rows in `spinners`
/// order, with the spinners' share when `share`.
fn convoy_rows(
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
fn convoy(ctx: &mut Ctx<'_>) -> Section {
    let s = ctx.s;
    let trips = (ctx.scaled(5000.0) as usize).max(10);
    let budget = Duration::from_secs_f64(ctx.scaled(0.4));
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
                Json::obj()
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
    let py_part = py_rows.as_ref().map_or(String::new(), |p| {
        format!(" and {} in {pyl}", times(p[1].slowdown))
    });
    let reading = format!(
        "Convoy: next to one CPU-bound spinner the I/O thread's round trips take {} their solo time \
         under Fair (goal ≤ 1.5×), {} under the CPython policy{py_part}: there, every re-acquire after \
         a send or recv can wait out the spinner's switch interval.",
        times(fair[1].slowdown),
        times(cpy[1].slowdown),
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
        groups: spinners
            .iter()
            .map(|k| format!("{k} spinner{}", if *k == 1 { "" } else { "s" }))
            .collect(),
        series,
        log: true,
        refs: vec![RefLine {
            y: 1.5,
            label: "goal ≤ 1.5× (Fair)".into(),
        }],
    };
    Section {
        id: "convoy",
        title: "(c) The convoy effect: I/O next to CPU-bound threads".into(),
        setup: format!(
            "One thread does {trips} round trips on a socketpair (send, recv, send, recv; each releases \
             the GIL) alone and next to 1 and 2 spinners that only compute; runs stop after {} if not \
             done. Spinner share = the spinners' rate during the run / their rate alone. Interval {}. \
             Median of {} interleaved rounds.",
            ms(budget.as_secs_f64()),
            ms(s.interval.as_secs_f64()),
            s.rounds
        ),
        table: t,
        reading,
        json: Json::obj()
            .with("trips", trips)
            .with("budget_s", budget.as_secs_f64())
            .with("rows", Json::Arr(json_rows)),
        charts: vec![("convoy.svg".into(), chart.svg())],
    }
}

/// Sharing figures of one run, ours or CPython's.
#[derive(Debug, Clone)]
struct ShareRow {
    jain: f64,
    slice: f64,
    p50: f64,
    p99: f64,
    max: f64,
    handoffs: f64,
    waits: Vec<f64>,
}

impl From<FairnessRun> for ShareRow {
    fn from(r: FairnessRun) -> Self {
        Self {
            jain: r.jain,
            slice: r.slice_ms_p50,
            p50: r.wait_ms_p50,
            p99: r.wait_ms_p99,
            max: r.wait_ms_max,
            handoffs: r.handoffs_per_s,
            waits: r.waits_ms,
        }
    }
}

fn py_share(p: &PyResults, prefix: &str) -> ShareRow {
    ShareRow {
        jain: p.get(&format!("{prefix}_jain")),
        slice: p.get(&format!("{prefix}_slice_p50_ms")),
        p50: p.get(&format!("{prefix}_wait_p50_ms")),
        p99: p.get(&format!("{prefix}_wait_p99_ms")),
        max: p.get(&format!("{prefix}_wait_max_ms")),
        handoffs: p.get(&format!("{prefix}_switches_per_s")),
        waits: p.all(&format!("{prefix}_waits_ms")).to_vec(),
    }
}

/// (d) GIL sharing among K CPU-bound threads.
fn share(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let mut ks = vec![2usize, 4];
    ks.extend(s.threads.iter().copied().filter(|&k| k > 4));
    let duration = Duration::from_secs_f64(ctx.scaled(2.0));
    let iv_ms = s.interval.as_secs_f64() * 1e3;
    let mut ours: Vec<(usize, ShareRow, ShareRow)> = Vec::new();
    for (i, &k) in ks.iter().enumerate() {
        // Alternate which policy goes first.
        let (a, b) = if i % 2 == 0 {
            (Policy::Fair, Policy::CPython)
        } else {
            (Policy::CPython, Policy::Fair)
        };
        let ra = ShareRow::from(fairness(a, k, s.interval, duration));
        let rb = ShareRow::from(fairness(b, k, s.interval, duration));
        let (fair, cpy) = if a == Policy::Fair {
            (ra, rb)
        } else {
            (rb, ra)
        };
        ours.push((k, fair, cpy));
    }
    let py = ctx.python(
        "share",
        &[
            ("k", list(&ks)),
            ("duration_s", arg(duration.as_secs_f64())),
            ("interval_ms", arg(iv_ms)),
        ],
    );
    let pyl = ctx.py_label();
    let mut t = Table::new(&[
        "GIL",
        "K",
        "Jain",
        "slice p50 ms",
        "wait p50 ms",
        "wait p99 ms",
        "p99 / interval",
        "wait max ms",
        "hand-offs/s",
    ]);
    let mut json_rows = Vec::new();
    let mut add = |t: &mut Table, label: &str, k: usize, r: &ShareRow| {
        t.row(vec![
            label.to_owned(),
            k.to_string(),
            num(r.jain, 4),
            num(r.slice, 2),
            num(r.p50, 2),
            num(r.p99, 2),
            times(r.p99 / iv_ms),
            num(r.max, 2),
            num(r.handoffs, 0),
        ]);
        json_rows.push(
            Json::obj()
                .with("gil", label)
                .with("k", k)
                .with("jain", r.jain)
                .with("slice_ms_p50", r.slice)
                .with("wait_ms_p50", r.p50)
                .with("wait_ms_p99", r.p99)
                .with("wait_p99_over_interval", r.p99 / iv_ms)
                .with("wait_ms_max", r.max)
                .with("handoffs_per_s", r.handoffs),
        );
    };
    let mut py_rows = Vec::new();
    for (k, fair, cpy) in &ours {
        add(&mut t, Flavor::Fair.label(), *k, fair);
        add(&mut t, Flavor::CPython.label(), *k, cpy);
        if let Some(p) = &py {
            let row = py_share(p, &format!("k{k}"));
            add(&mut t, &pyl, *k, &row);
            py_rows.push(row);
        }
    }
    let (k4, fair4, cpy4) = ours
        .iter()
        .find(|(k, ..)| *k == 4)
        .cloned()
        .ok_or("K = 4 did not run")?;
    ctx.findings.k4_p99_intervals = Some(fair4.p99 / iv_ms);
    let py4 = py.as_ref().map(|p| py_share(p, "k4"));
    let py_part = py4.as_ref().map_or(String::new(), |r| {
        format!(", {pyl} {}", times(r.p99 / iv_ms))
    });
    let min_jain = ours
        .iter()
        .flat_map(|(_, a, b)| [a.jain, b.jain])
        .fold(f64::INFINITY, f64::min);
    let reading = format!(
        "Sharing: with K = 4 the Fair policy's p99 wait is {} the interval (bound K−1 = 3, goal ≤ 3.3), \
         the CPython policy's {}{py_part}. Jain ≥ {} everywhere: all get the same share, but only a \
         FIFO hand-off bounds how long one waits.",
        times(fair4.p99 / iv_ms),
        times(cpy4.p99 / iv_ms),
        num(min_jain, 3),
    );
    let mut series = vec![
        (Flavor::Fair.label().to_owned(), fair4.waits.clone()),
        (Flavor::CPython.label().to_owned(), cpy4.waits.clone()),
    ];
    if let Some(r) = &py4 {
        series.push((pyl.clone(), r.waits.clone()));
    }
    let chart = Cdf {
        title: format!(
            "How long a CPU-bound thread waits for the GIL, K = {k4}, interval {iv_ms} ms"
        ),
        x_label: "wait (ms)".into(),
        series,
        marks: vec![
            (3.0 * iv_ms, "(K−1) × interval".into()),
            (3.3 * iv_ms, "goal: p99 ≤ 3.3 × interval".into()),
        ],
    };
    Ok(Section {
        id: "share",
        title: "(d) GIL sharing among K CPU-bound threads".into(),
        setup: format!(
            "K threads each loop for {} reading the clock, computing and calling check(); a gap over \
             200 µs between two clock reads is a wait for the GIL. Interval {}. One run per row.",
            ms(duration.as_secs_f64()),
            ms(s.interval.as_secs_f64()),
        ),
        table: t,
        reading,
        json: Json::obj()
            .with("duration_s", duration.as_secs_f64())
            .with("interval_ms", iv_ms)
            .with("rows", Json::Arr(json_rows))
            .with("k4_waits_ms_fair", fair4.waits.clone())
            .with("k4_waits_ms_cpython_policy", cpy4.waits.clone())
            .with(
                "k4_waits_ms_cpython",
                py4.map_or(Json::Null, |r| Json::from(r.waits)),
            ),
        charts: vec![("waits.svg".into(), chart.svg())],
    })
}

/// (e) The switch-interval sweep.
fn sweep(ctx: &mut Ctx<'_>) -> Section {
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
            p99s[i].push(sh.p99);
            json_rows.push(
                Json::obj()
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
    let span = |v: &[f64]| {
        format!(
            "{}–{}",
            times(v.iter().copied().fold(f64::INFINITY, f64::min)),
            times(v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        )
    };
    let py_part = if py.is_some() {
        format!(", {pyl} {}", span(&slowdowns[2]))
    } else {
        String::new()
    };
    let reading = format!(
        "Interval: shorter intervals mean more hand-offs and shorter waits for CPU-bound threads. \
         The convoy slowdown stays {} under Fair across the sweep; under the CPython policy it is \
         {}{py_part}, because a returning I/O thread waits up to one interval.",
        span(&slowdowns[0]),
        span(&slowdowns[1]),
    );
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
        title: "(e) Switch-interval sweep".into(),
        setup: format!(
            "At each interval: 2 CPU-bound threads share the GIL for {}, and the convoy ping-pong \
             ({trips} trips, stopped after {}) runs alone and next to 1 spinner.",
            ms(duration.as_secs_f64()),
            ms(budget.as_secs_f64())
        ),
        table: t,
        reading,
        json: Json::obj()
            .with("intervals_ms", ivs.clone())
            .with("rows", Json::Arr(json_rows)),
        charts: vec![
            ("sweep_convoy.svg".into(), convoy_chart.svg()),
            ("sweep_waits.svg".into(), wait_chart.svg()),
        ],
    }
}

/// Uncontended `Lock` cost.
fn lock(ctx: &mut Ctx<'_>) -> Section {
    let s = ctx.s;
    let per_block = (ctx.scaled(200_000.0) as usize).max(1000);
    let rounds = (s.rounds * 3).max(9);
    let c = scenarios::lock_costs(rounds, per_block);
    let py = ctx.python(
        "lock",
        &[
            ("n", per_block.to_string()),
            ("repeats", s.rounds.max(3).to_string()),
        ],
    );
    let py_ns = py.as_ref().map_or(f64::NAN, |p| p.get("lock_ns"));
    let mut t = Table::new(&["acquire + release, uncontended", "ns", "vs std Mutex"]);
    let rows = [
        ("gil_sync::Lock", c.gil_sync),
        ("std::sync::Mutex", c.std),
        ("parking_lot::Mutex", c.parking_lot),
        ("CPython threading.Lock", py_ns),
    ];
    for (name, ns) in rows {
        if name.starts_with("CPython") && py.is_none() {
            continue;
        }
        t.row(vec![name.to_owned(), num(ns, 1), times(ns / c.std)]);
    }
    ctx.findings.lock_vs_std = Some(c.gil_sync / c.std);
    let py_part = if py.is_some() {
        format!(
            "; {}'s threading.Lock {} ns (interpreter included)",
            ctx.py_label(),
            num(py_ns, 0)
        )
    } else {
        String::new()
    };
    Section {
        id: "lock",
        title: "(f) Uncontended Lock".into(),
        setup: format!(
            "Acquire + release with nobody else around, blocks of {per_block}, {rounds} interleaved \
             rounds, median block."
        ),
        table: t,
        reading: format!(
            "Lock: {} ns per acquire + release, {} std's Mutex (goal ≤ 1.2×) and {} parking_lot's{py_part}.",
            num(c.gil_sync, 1),
            times(c.gil_sync / c.std),
            times(c.gil_sync / c.parking_lot),
        ),
        json: Json::obj()
            .with("per_block", per_block)
            .with("gil_sync_lock_ns", c.gil_sync)
            .with("std_mutex_ns", c.std)
            .with("parking_lot_mutex_ns", c.parking_lot)
            .with("cpython_lock_ns", py_ns),
        charts: Vec::new(),
    }
}

/// The number of CPUs this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `YYYY-MM-DDTHH-MM-SSZ` for `t` (UTC), usable in a file name.
fn stamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    let shifted = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = shifted.div_euclid(146_097);
    let doe = shifted.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The default report folder: `target/gil-demo/<UTC time>` in the workspace.
fn default_out() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("gil-demo")
        .join(stamp(SystemTime::now()))
}

/// Runs the demo: every selected scenario, the goal table and the report folder, printing as
/// it goes (tables on stdout, progress on stderr). Returns the report folder.
///
/// # Errors
///
/// The report folder cannot be created or written, or a scenario failed (the others still
/// run and the report is still written).
pub fn run(settings: &Settings) -> Result<PathBuf, String> {
    let started = Instant::now();
    let out = settings.out.clone().unwrap_or_else(default_out);
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create the report folder {}: {e}", out.display()))?;
    let out = std::fs::canonicalize(&out).unwrap_or(out);
    let py = match &settings.python {
        PythonChoice::Off => {
            eprintln!("CPython: off (--no-python); our numbers only.");
            None
        }
        choice => {
            let path = match choice {
                PythonChoice::At(p) => Some(p.as_path()),
                _ => None,
            };
            let found = match path {
                Some(p) => Python::find(Some(p), &out),
                None => Python::find_auto(&out),
            };
            match found {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!("CPython: {e}; going on with our numbers only.");
                    None
                }
            }
        }
    };
    let cores = cores();
    let mut intro = vec![format!(
        "What the GIL does, measured on this machine: {cores} cores, {} {}; switch interval {}; \
         scale {}, {} rounds.",
        std::env::consts::OS,
        std::env::consts::ARCH,
        ms(settings.interval.as_secs_f64()),
        settings.scale,
        settings.rounds
    )];
    intro.push(py.as_ref().map_or_else(
        || "CPython: not run.".to_owned(),
        |p| {
            format!(
                "CPython {} ({}) runs the same scenarios beside us.",
                p.version,
                p.program.display()
            )
        },
    ));
    for line in &intro {
        println!("{line}");
    }
    let selected: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|s| settings.only.is_empty() || settings.only.contains(s))
        .collect();
    let mut ctx = Ctx {
        s: settings,
        py,
        findings: Findings::default(),
    };
    let mut sections = Vec::new();
    let mut failures = Vec::new();
    for (i, sc) in selected.iter().enumerate() {
        let what = match sc {
            Scenario::Cpu => "CPU-bound work on 1, 2, 4 threads",
            Scenario::Io => "sleeps and loopback TCP requests on 1, 2, 4 threads",
            Scenario::Convoy => "convoy: socket round trips next to 0, 1, 2 spinners",
            Scenario::Share => "K = 2 and 4 threads sharing the GIL",
            Scenario::Load => "convoy and sharing next to 0, 1, 2 busy processes",
            Scenario::Sweep => "switch intervals 1, 5, 20 ms",
            Scenario::Lock => "uncontended Lock",
        };
        eprintln!(
            "[{}/{}] {what}{} …",
            i + 1,
            selected.len(),
            if ctx.py.is_some() {
                ", then CPython"
            } else {
                ""
            }
        );
        let t0 = Instant::now();
        let sampler = Sampler::start();
        let result = match sc {
            Scenario::Cpu => cpu(&mut ctx),
            Scenario::Io => io(&mut ctx),
            Scenario::Convoy => Ok(convoy(&mut ctx)),
            Scenario::Share => share(&mut ctx),
            Scenario::Load => load::load(&mut ctx),
            Scenario::Sweep => Ok(sweep(&mut ctx)),
            Scenario::Lock => Ok(lock(&mut ctx)),
        };
        let reading = sampler.stop();
        let steal = reading.steal;
        eprintln!(
            "[{}/{}] done in {:.1} s{}{}{}",
            i + 1,
            selected.len(),
            t0.elapsed().as_secs_f64(),
            steal.map_or(String::new(), |x| format!(
                "; the hypervisor took {:.1} % of the CPU time",
                x * 100.0
            )),
            reading.outside.map_or(String::new(), |x| format!(
                "; {} runnable outside this run",
                num(x, 1)
            )),
            if reading.is_noisy() {
                " (expect noisy numbers)"
            } else {
                ""
            }
        );
        match result {
            Ok(mut sec) => {
                sec.json = sec
                    .json
                    .with("steal_fraction", steal)
                    .with("procs_running", reading.procs_running)
                    .with("outside_runnable", reading.outside)
                    .with("loadavg", reading.loadavg);
                if let Some(x) = steal {
                    ctx.findings.steal.push((*sc, x));
                }
                if let Some(x) = reading.outside {
                    ctx.findings.outside.push((*sc, x));
                }
                println!(
                    "\n{}\n{}\n{}-> {}",
                    sec.title, sec.setup, sec.table, sec.reading
                );
                sections.push(sec);
            }
            Err(e) => {
                eprintln!("  {} failed: {e}", sc.id());
                failures.push(format!("{}: {e}", sc.id()));
            }
        }
    }
    let goals = ctx.findings.goals(cores);
    println!(
        "\nGoals (from the project's issues; a miss is reported, not hidden)\n{goals}\
         A verdict measured while the hypervisor took over {:.0} % of the CPU, or while a thread \
         outside this run was runnable in most samples (outside load ≥ 1), is marked noisy: \
         rerun that scenario (--only NAME) when the machine is quieter.",
        STEAL_LIMIT * 100.0
    );
    // The report folder.
    let mut json = Json::obj()
        .with("tool", "gil-bench demo")
        .with("version", env!("CARGO_PKG_VERSION"))
        .with("cores", cores)
        .with("os", std::env::consts::OS)
        .with("arch", std::env::consts::ARCH)
        .with("scale", settings.scale)
        .with("rounds", settings.rounds)
        .with("interval_ms", settings.interval.as_secs_f64() * 1e3)
        .with(
            "cpython",
            ctx.py
                .as_ref()
                .map_or(Json::Null, |p| Json::from(p.version.as_str())),
        );
    let mut secs = Json::obj();
    for sec in &sections {
        secs = secs.with(sec.id, sec.json.clone());
    }
    json = json.with("scenarios", secs).with(
        "goals",
        Json::Arr(
            goals
                .rows
                .iter()
                .map(|r| {
                    Json::obj()
                        .with("goal", r[0].as_str())
                        .with("bar", r[1].as_str())
                        .with("measured", r[2].as_str())
                        .with("verdict", r[3].as_str())
                        .with("steal", r[4].as_str())
                        .with("outside_load", r[5].as_str())
                })
                .collect(),
        ),
    );
    let write = |name: &str, text: &str| {
        std::fs::write(out.join(name), text)
            .map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))
    };
    write("results.json", &format!("{json}\n"))?;
    let mut chart_names = Vec::new();
    for sec in &sections {
        for (name, svg) in &sec.charts {
            write(name, svg)?;
            chart_names.push(name.clone());
        }
    }
    write(
        "index.html",
        &report::html("gil demo: the GIL, measured", &intro, &sections, &goals),
    )?;
    let mut tail = String::new();
    let _ = write!(
        tail,
        "\nReport: {}\n  index.html (open it in a browser), results.json, {}\nFinished in {:.0} s.",
        out.display(),
        chart_names.join(", "),
        started.elapsed().as_secs_f64()
    );
    println!("{tail}");
    if failures.is_empty() {
        Ok(out)
    } else {
        Err(format!("some scenarios failed: {}", failures.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_flags() {
        assert_eq!(parse(args("")).unwrap(), Some(Settings::default()));
        assert_eq!(parse(args("--help")).unwrap(), None);
        let s = parse(args(
            "--long --threads 16 --only share,cpu,share --no-python --interval-ms 2",
        ))
        .unwrap()
        .unwrap();
        assert_eq!((s.scale, s.rounds), (4.0, 5));
        assert_eq!(s.threads, vec![1, 2, 4, 8, 16]);
        assert_eq!(s.only, vec![Scenario::Share, Scenario::Cpu]);
        assert_eq!(s.python, PythonChoice::Off);
        assert_eq!(s.interval, Duration::from_millis(2));
        assert_eq!(
            parse(args("--threads 6")).unwrap().unwrap().threads,
            vec![1, 2, 4, 6]
        );
        assert_eq!(
            parse(args("--threads 1")).unwrap().unwrap().threads,
            vec![1]
        );
    }

    #[test]
    fn rejects_bad_flags_with_a_message() {
        for (bad, needle) in [
            ("--scale", "needs a value"),
            ("--scale 0", "--scale"),
            ("--scale nan", "--scale"),
            ("--rounds 0", "--rounds"),
            ("--threads 0", "--threads"),
            ("--threads 99999", "--threads"),
            ("--interval-ms -1", "--interval-ms"),
            ("--interval-ms inf", "--interval-ms"),
            ("--only gpu", "unknown scenario"),
            ("--frobnicate", "unknown argument"),
        ] {
            let e = parse(args(bad)).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn stamps_are_utc_dates() {
        assert_eq!(stamp(UNIX_EPOCH), "1970-01-01T00-00-00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_169_599); // 2026-12-01 23:59:59 UTC
        assert_eq!(stamp(t), "2026-12-01T23-59-59Z");
        let leap = UNIX_EPOCH + Duration::from_hours(11_016 * 24); // 2000-02-29
        assert_eq!(stamp(leap), "2000-02-29T00-00-00Z");
    }

    #[test]
    fn goals_report_met_missed_and_not_run() {
        let quiet = LoadReading {
            outside: Some(0.0),
            steal: Some(0.0),
            ..LoadReading::default()
        };
        let level =
            |burners: usize, convoy_ratio: f64, k4_ratio: f64, load: LoadReading| UnderLoad {
                burners,
                convoy_fair: 2.0,
                convoy_python: 2.0 / convoy_ratio,
                convoy_ratio,
                share_fair: 0.3,
                k4_fair: 3.1,
                k4_python: 3.1 / k4_ratio,
                k4_ratio,
                load,
                python: "CPython 3.13.0".into(),
            };
        let busy = LoadReading {
            outside: Some(1.0),
            ..quiet
        };
        let f = Findings {
            cpu2_vs_seq: Some(1.01),
            free2_speedup: Some(1.5),
            std2_speedup: None,
            convoy_fair: Some(f64::NAN),
            k4_p99_intervals: Some(3.0),
            lock_vs_std: Some(1.0),
            under_load: vec![level(1, 0.4, f64::NAN, quiet), level(2, 0.4, 0.1, busy)],
            steal: vec![(Scenario::Cpu, 0.01), (Scenario::Lock, 0.2)],
            outside: vec![(Scenario::Cpu, 0.0), (Scenario::Share, 2.0)],
        };
        let t = f.goals(2);
        let verdicts: Vec<&str> = t.rows.iter().map(|r| r[3].as_str()).collect();
        assert_eq!(
            verdicts,
            [
                "met",
                "MISSED",
                "not measured",
                "met (noisy: rerun)", // two threads outside this run during `share`
                "met (noisy: rerun)", // 20 % steal during `lock`
                "MISSED",             // ratio 0.4 but spinner share 0.3 < 0.4
                "met (noisy: rerun)", // next to 2 burners, and 1 more outside
                "not measured",       // no CPython p99
            ]
        );
        assert_eq!(t.rows[0][4], "1.0 %");
        assert_eq!(t.rows[0][5], "0.0");
        assert_eq!(t.rows[2][4], "—");
        assert!(t.rows[5][2].contains("CPython 3.13.0"), "{:?}", t.rows[5]);
        assert!(f.goals(1).rows[1][3].starts_with("n/a"));
        let none = Findings::default().goals(2);
        assert!(none.rows.iter().all(|r| r[3] == "not run"), "{none:?}");
    }

    /// The whole demo at a tiny scale, without CPython: every scenario runs, every file of the
    /// report is written and names what it should.
    #[test]
    fn tiny_demo_writes_the_whole_report() {
        let dir = std::env::temp_dir().join(format!("gil-demo-test-{}", std::process::id()));
        let settings = Settings {
            scale: 0.01,
            rounds: 1,
            threads: vec![1, 2],
            interval: Duration::from_millis(1),
            intervals: vec![Duration::from_millis(1), Duration::from_millis(2)],
            python: PythonChoice::Off,
            out: Some(dir.clone()),
            only: Vec::new(),
        };
        let out = run(&settings).unwrap();
        assert_eq!(out, std::fs::canonicalize(&dir).unwrap());
        let json = std::fs::read_to_string(dir.join("results.json")).unwrap();
        for id in [
            "cpu", "io", "convoy", "share", "load", "sweep", "lock", "goals",
        ] {
            assert!(
                json.contains(&format!("\"{id}\":")),
                "{id} missing from {json}"
            );
        }
        let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
        for chart in [
            "scaling.svg",
            "io.svg",
            "convoy.svg",
            "waits.svg",
            "sweep_convoy.svg",
            "sweep_waits.svg",
            "load_convoy.svg",
            "load_waits.svg",
        ] {
            let svg = std::fs::read_to_string(dir.join(chart)).unwrap();
            assert!(svg.starts_with("<svg") && html.contains(chart), "{chart}");
        }
        assert!(!dir.join("demo_cpython.py").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
