//! (a) CPU-bound work split over N = 1, 2, 4 threads or processes: the GIL (Fair, CPython
//! policy), free-threaded, worker processes, plain std threads, and CPython's threads and
//! `ProcessPoolExecutor`, each against its own sequential run.

use super::ctx::{Ctx, list};
use super::load::span;
use super::procs;
use super::reading;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::{self, Flavor};
use super::svg::lines::{Guide, Line, Lines, Point};
use crate::cpython::PyResults;
use crate::host::cores;
use crate::json::Obj;
use crate::stats::{median, try_interleaved};

/// How many do-nothing starts the process start cost is the median of.
const STARTS: usize = 5;

/// From this speed-up on, the reading calls processes parallel rather than "only" faster.
const PARALLEL: f64 = 1.2;

/// How our side runs the work besides sequentially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Threads of a runtime of this flavour (its index in [`Flavor::ALL`]).
    Gil(usize),
    /// Worker processes ([`procs::cpu_processes`]).
    Processes,
    /// Plain std threads without a GIL: the machine's ceiling.
    Std,
}

/// Our ways, in table order.
const WAYS: [Way; 5] = [
    Way::Gil(0),
    Way::Gil(1),
    Way::Gil(2),
    Way::Processes,
    Way::Std,
];

impl Way {
    fn label(self) -> &'static str {
        match self {
            Self::Gil(f) => Flavor::ALL[f].label(),
            Self::Processes => "worker processes",
            Self::Std => "std threads, no GIL",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Gil(f) => Flavor::ALL[f].key(),
            Self::Processes => "processes",
            Self::Std => "std_threads",
        }
    }
}

/// One way of running the work over every N: a row of the table, a line of the chart.
#[derive(Debug, Clone, PartialEq)]
struct Variant {
    label: String,
    /// The JSON key.
    key: &'static str,
    /// Per N: time ÷ the same round's sequential time, one per round.
    ratios: Vec<Vec<f64>>,
    /// Per N: the median time, seconds.
    times: Vec<f64>,
}

impl Variant {
    /// The median ratio at the `j`th N (`NaN` when not measured).
    fn ratio(&self, j: usize) -> f64 {
        self.ratios.get(j).map_or(f64::NAN, |r| median(r))
    }

    /// The speed-up (sequential ÷ time) at the `j`th N: median and the rounds' min–max.
    fn speedup(&self, j: usize) -> Point {
        let s: Vec<f64> = self
            .ratios
            .get(j)
            .map_or(Vec::new(), |r| r.iter().map(|x| 1.0 / x).collect());
        Point {
            y: median(&s),
            lo: s.iter().copied().fold(f64::NAN, f64::min),
            hi: s.iter().copied().fold(f64::NAN, f64::max),
        }
    }

    /// CPython's `prefix` (`t` threads, `p` processes) over `threads`, from its results.
    fn python(
        label: String,
        key: &'static str,
        py: &PyResults,
        prefix: &str,
        threads: &[usize],
    ) -> Self {
        Self {
            label,
            key,
            ratios: threads
                .iter()
                .map(|k| py.all(&format!("{prefix}{k}_ratios")).to_vec())
                .collect(),
            times: threads
                .iter()
                .map(|k| py.get(&format!("{prefix}{k}_s")))
                .collect(),
        }
    }
}

/// Where work split over N processes stops paying, by a run's own figures: the processes'
/// time is modelled as `start_s + f · work`, `f` taken from the measured `ratio` (time ÷
/// sequential time `seq_s`); below `start_s / (1 − f)` one thread is faster. `None` when the
/// processes gained nothing over the sequential run (`f ≥ 1`) or a figure is missing.
fn break_even(ratio: f64, start_s: f64, seq_s: f64) -> Option<f64> {
    let f = (ratio - start_s / seq_s).max(0.0);
    (f < 1.0 && [ratio, start_s, seq_s].iter().all(|x| x.is_finite()) && seq_s > 0.0)
        .then(|| start_s / (1.0 - f))
}

/// The reading's sentence on `k` processes (`how`: which ones): what they took against the
/// sequential run, what starting `k` do-nothing ones costs, and from how much work on they
/// pay.
fn procs_sentence(how: &str, k: usize, ratio: f64, start_s: f64, seq_s: f64) -> String {
    let n = if k == 1 {
        "1 process".to_owned()
    } else {
        format!("{k} processes")
    };
    let took = format!("{n} ({how}) took {} the sequential time", times(ratio));
    let start = format!("starting {n} that do nothing costs ~{}", ms(start_s));
    let gain = if ratio * PARALLEL <= 1.0 {
        format!(
            "a {} speed-up: true parallelism at a higher overhead",
            times(1.0 / ratio)
        )
    } else if ratio < 1.0 {
        format!("only a {} speed-up", times(1.0 / ratio))
    } else {
        "no faster".to_owned()
    };
    match break_even(ratio, start_s, seq_s) {
        Some(w) => format!(
            "{took}, {gain} ({start}); by this run's figures, work shorter than ~{} is faster \
             on one thread.",
            ms(w)
        ),
        None => format!("{took}, no speed-up on this machine right now ({start})."),
    }
}

/// (a) CPU-bound scaling.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn cpu(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let ns = scenarios::ns_per_unit();
    let units = (ctx.scaled(0.15) * 1e9 / ns).max(1000.0) as u64;
    let rts = Flavor::ALL
        .iter()
        .map(|f| f.runtime(s.interval))
        .collect::<Result<Vec<_>, _>>()?;
    let start: Vec<f64> = s
        .threads
        .iter()
        .map(|&k| procs::start_cost(k, STARTS))
        .collect::<Result<_, _>>()?;
    // Variant 0 is sequential; then every (way, thread count).
    let runs: Vec<(Way, usize)> = WAYS
        .iter()
        .flat_map(|&w| s.threads.iter().map(move |&k| (w, k)))
        .collect();
    let samples = try_interleaved::<_, String>(runs.len() + 1, s.rounds, |i| {
        let d = match i.checked_sub(1).map(|r| runs[r]) {
            None => scenarios::cpu_sequential(&rts[0], units),
            Some((Way::Gil(f), k)) => scenarios::cpu_threads(&rts[f], k, units)?,
            Some((Way::Processes, k)) => procs::cpu_processes(k, units)?.wall,
            Some((Way::Std, k)) => scenarios::cpu_std_threads(k, units),
        };
        Ok(d.as_secs_f64())
    })?;
    let seq = median(&samples[0]);
    // Ratios are per round: a round's runs are seconds apart, so the VM's drift mostly
    // cancels.
    let mut variants: Vec<Variant> = WAYS
        .iter()
        .enumerate()
        .map(|(w, way)| {
            let of = |j: usize| &samples[1 + w * s.threads.len() + j];
            Variant {
                label: way.label().to_owned(),
                key: way.key(),
                ratios: (0..s.threads.len())
                    .map(|j| of(j).iter().zip(&samples[0]).map(|(x, q)| x / q).collect())
                    .collect(),
                times: (0..s.threads.len()).map(|j| median(of(j))).collect(),
            }
        })
        .collect();
    let py_n = (ctx.scaled(3_000_000.0) as u64).max(10_000);
    let py = ctx.python(
        "cpu",
        &[
            ("n", py_n.to_string()),
            ("threads", list(&s.threads)),
            ("repeats", s.rounds.to_string()),
            ("starts", STARTS.to_string()),
        ],
    );
    let pyl = ctx.py_label();
    let py_seq = py.as_ref().map_or(f64::NAN, |p| p.get("seq_s"));
    let py_start = |k: usize| {
        py.as_ref()
            .map_or(f64::NAN, |p| p.get(&format!("p{k}_start_s")))
    };
    if let Some(p) = &py {
        variants.push(Variant::python(
            format!("{pyl} threads"),
            "cpython",
            p,
            "t",
            &s.threads,
        ));
        variants.push(Variant::python(
            format!("{pyl} processes"),
            "cpython_processes",
            p,
            "p",
            &s.threads,
        ));
    }
    let by_key = |key: &str| variants.iter().find(|v| v.key == key);
    let ratio = |key: &str, j: usize| by_key(key).map_or(f64::NAN, |v| v.ratio(j));

    let mut head = vec!["time ÷ own sequential run".to_owned()];
    head.extend(s.threads.iter().map(|k| format!("N = {k}")));
    let mut t = Table::new(&head.iter().map(String::as_str).collect::<Vec<_>>());
    for v in &variants {
        let mut row = vec![v.label.clone()];
        row.extend(v.ratios.iter().map(|r| span(r)));
        t.row(row);
    }
    let with_n = |first: String, cell: &dyn Fn(usize, usize) -> String| {
        let mut row = vec![first];
        row.extend(s.threads.iter().enumerate().map(|(j, &k)| cell(j, k)));
        row
    };
    t.row(with_n(
        "start N worker processes that do nothing".into(),
        &|j, _| ms(start[j]),
    ));
    if py.is_some() {
        t.row(with_n(format!("start a pool of N, {pyl}"), &|_, k| {
            ms(py_start(k))
        }));
        t.row(with_n(format!("Fair's ratio ÷ {pyl}'s"), &|j, _| {
            num(ratio("fair", j) / ratio("cpython", j), 2)
        }));
    }

    let mut json_rows = Vec::new();
    for (j, &k) in s.threads.iter().enumerate() {
        let mut row = Obj::new().with("threads", k);
        for v in &variants {
            let sp = &v.ratios[j];
            row = row
                .with(&format!("{}_s", v.key), v.times[j])
                .with(&format!("{}_vs_seq", v.key), v.ratio(j))
                .with(
                    &format!("{}_vs_seq_min", v.key),
                    sp.iter().copied().fold(f64::NAN, f64::min),
                )
                .with(
                    &format!("{}_vs_seq_max", v.key),
                    sp.iter().copied().fold(f64::NAN, f64::max),
                );
        }
        json_rows.push(
            row.with("processes_start_s", start[j])
                .with("cpython_processes_start_s", py_start(k)),
        );
    }

    let j2 = s.threads.iter().position(|&k| k >= 2).unwrap_or(0);
    let k2 = s.threads.get(j2).copied().unwrap_or(1);
    ctx.findings.cpu2_vs_seq = Some(ratio("fair", j2));
    ctx.findings.free2_speedup = Some(1.0 / ratio("free_threaded", j2));
    ctx.findings.std2_speedup = Some(1.0 / ratio("std_threads", j2));
    ctx.findings.procs2_speedup = Some(1.0 / ratio("processes", j2));
    ctx.findings.proc_start_s = s.threads.iter().position(|&k| k == 1).map(|j| start[j]);
    let cores = cores();
    let mut reading = reading::cpu_threads(
        k2,
        [ratio("fair", j2), ratio("cpython_policy", j2)],
        py.is_some().then(|| (pyl.as_str(), ratio("cpython", j2))),
        ratio("free_threaded", j2),
        ratio("std_threads", j2),
        cores,
    );
    reading.push(' ');
    reading.push_str(&procs_sentence(
        "this binary run again",
        k2,
        ratio("processes", j2),
        start[j2],
        seq,
    ));
    if py.is_some() {
        reading.push(' ');
        reading.push_str(&procs_sentence(
            &format!("{pyl}'s ProcessPoolExecutor"),
            k2,
            ratio("cpython_processes", j2),
            py_start(k2),
            py_seq,
        ));
    }

    let xs: Vec<f64> = s.threads.iter().map(|&k| k as f64).collect();
    let chart = Lines {
        title: "CPU-bound work: speed-up over the sequential run".into(),
        x_label: "N threads or worker processes".into(),
        y_label: "speed-up = sequential time ÷ time".into(),
        lines: variants
            .iter()
            .map(|v| Line {
                name: v.label.clone(),
                points: (0..xs.len()).map(|j| v.speedup(j)).collect(),
            })
            .collect(),
        guides: vec![
            Guide {
                label: format!("ideal: N× (needs N free cores; {cores} here)"),
                ys: xs.clone(),
                dashed: true,
            },
            Guide {
                label: "1×: no speed-up".into(),
                ys: vec![1.0; xs.len()],
                dashed: false,
            },
        ],
        xs,
    };
    let py_setup = if py.is_some() {
        format!(
            " {pyl}: countdown({py_n}) split the same way over threading.Thread and over a \
             ProcessPoolExecutor (timed from creating the pool); its sequential run took {}, \
             for a different amount of work than ours, so compare ratios, not times.",
            ms(py_seq)
        )
    } else {
        String::new()
    };
    Ok(Section {
        id: "cpu",
        title: "CPU-bound work on 1, 2, 4 threads or processes".into(),
        setup: format!(
            "{units} \"bytecodes\" (~{} ns each, then check()) in all, split evenly over N \
             threads of a gil-runtime Runtime, or over N worker processes (this binary run \
             again, each holding a GIL of its own, timed from the first spawn to the last reply \
             over its pipe); std threads = the loop without GIL or check() on plain threads, \
             what the cores can do. Each cell is the time ÷ the same round's sequential run (the \
             loop on the main thread holding the GIL: {} here), median (min–max) of {} \
             interleaved rounds; the start rows are the median of {STARTS} starts.{py_setup}",
            num(ns, 1),
            ms(seq),
            s.rounds
        ),
        table: t,
        reading,
        json: Obj::new()
            .with("units", units as f64)
            .with("ns_per_unit", ns)
            .with("sequential_s", seq)
            .with("process_start_s", ctx.findings.proc_start_s)
            .with("cpython_sequential_s", py_seq)
            .with("cpython_n", py_n as f64)
            .with("rows", json_rows),
        charts: vec![Chart::new(
            "cpu_speedup.svg",
            chart.svg(),
            "How much faster CPU-bound work finishes on N threads or processes than on one thread. Under the GIL the threads take turns, so their lines stay near 1×; free-threaded threads, worker processes and plain threads can climb toward the dashed ideal N×, as far as this machine's free cores allow. Whiskers: min–max over the rounds.",
        )],
    })
}

#[cfg(test)]
mod tests;
