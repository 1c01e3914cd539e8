//! (a) CPU-bound work split over 1, 2, 4 threads: the GIL (Fair, CPython policy),
//! free-threaded, plain std threads and CPython, against the sequential run.

use super::ctx::{Ctx, list};
use super::report::{Section, Table, ms, num, times};
use super::scenarios::{self, Flavor};
use super::svg::{Bars, RefLine, count};
use crate::host::cores;
use crate::json::Obj;
use crate::stats::{median, round_ratio, try_interleaved};

/// The CPU table's column of plain std threads.
const STD_THREADS: &str = "std threads, no GIL";

/// (a) CPU-bound scaling.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn cpu(ctx: &mut Ctx<'_>) -> Result<Section, String> {
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
        let mut row = Obj::new().with("threads", k);
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
        groups: s.threads.iter().map(|&k| count(k, "thread")).collect(),
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
        json: Obj::new()
            .with("units", units as f64)
            .with("ns_per_unit", ns)
            .with("sequential_s", seq)
            .with("cpython_sequential_s", py_seq)
            .with("cpython_n", py_n as f64)
            .with("rows", json_rows),
        charts: vec![("scaling.svg".into(), chart.svg())],
    })
}
