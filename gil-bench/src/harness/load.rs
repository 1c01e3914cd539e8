//! The harness's `load` table: the convoy and sharing figures next to 0, 1, 2… busy
//! processes outside the GIL, for both policies and CPython beside us, interleaved round by
//! round ([`crate::under_load`]), with the load each row ran under.

use std::time::Duration;

use super::cells::{LOAD_HEAD, hi, lo, load_cells, load_legend, ratio, span, with_reading};
use super::settings::Args;
use crate::cpython::{Python, PythonChoice};
use crate::json::{self, Obj};
use crate::results::Tee;
use crate::stats::median;
use crate::under_load::{Measured, Plan, measure};

/// The convoy rows' spinner counts.
const SPINNERS: [usize; 2] = [1, 2];
/// The sharing rows' thread count (at the harness's interval).
const K: usize = 4;
/// The many-threads row: this many threads at [`MANY_INTERVAL`].
const MANY: usize = 16;
/// The many-threads row's switch interval.
const MANY_INTERVAL: Duration = Duration::from_millis(1);
/// The hand-off allowance in the many-threads bound (K−1)·interval + 2 ms.
const HANDOFF_MS: f64 = 2.0;
/// A convoy run stops after this much time per asked trip.
const BUDGET_PER_TRIP: Duration = Duration::from_micros(150);

/// Finds the CPython to run beside us, writing its script into `dir`; says which on stdout.
fn find_python(choice: &PythonChoice, dir: &std::path::Path, out: &mut Tee) -> Option<Python> {
    match Python::choose(choice, dir) {
        Ok(Some(py)) => {
            out.line(format_args!(
                "# CPython {} ({}) runs the same rows beside us",
                py.version,
                py.program.display()
            ));
            Some(py)
        }
        Ok(None) => {
            out.line("# CPython: off (--no-python)");
            None
        }
        Err(e) => {
            out.line(format_args!("# CPython: not found ({e})"));
            None
        }
    }
}

/// The printed labels of the variants, in [`Measured::keys`] order.
fn labels(m: &Measured, py: Option<&Python>) -> Vec<String> {
    let mut l = vec!["Fair".to_owned(), "CPython policy".to_owned()];
    l.extend(py.map(|p| format!("CPython {}", p.version)));
    l.truncate(m.keys.len());
    l
}

/// A JSON row with its level, load and (for our variants) ratio to CPython beside us.
fn with_load(m: &Measured, j: Obj, lvl: usize, v: usize, vs: f64) -> Obj {
    let mut j = with_reading(j, m.plan.levels[lvl], m.runs[lvl][v].len(), &m.load(lvl, v));
    if let Some(p) = m.py().filter(|&p| p != v) {
        j = j.with(&format!("{}_over_{}", m.keys[v], m.keys[p]), vs);
    }
    j
}

fn convoy_rows(m: &Measured, labels: &[String], json: &mut Vec<Obj>, out: &mut Tee) {
    let p = &m.plan;
    out.line(format_args!(
        "# convoy: {} socketpair round trips (stopped after {:.0} ms), interval {} ms; \
         share = spinners' rate / their solo rate under the same load",
        p.trips,
        p.budget.as_secs_f64() * 1e3,
        p.interval.as_secs_f64() * 1e3
    ));
    let vs_head = m
        .py()
        .map_or(String::new(), |i| format!("vs {}", m.keys[i]));
    out.line(format_args!(
        "# bare = the same convoy with no lock at all (a free-threaded GIL), right after Fair's \
         under the same load: the floor for a GIL whose spinners run as much"
    ));
    out.line(format_args!(
        "{:<3} {:<15} {:>2} {:>24} {:>9} {:>9} {:>6} {vs_head:>13} {:>13} | {LOAD_HEAD}",
        "B", "GIL", "sp", "slowdown", "p50_us", "p99_us", "share", "bare (share)",
    ));
    for (lvl, &b) in p.levels.iter().enumerate() {
        for (v, (key, label)) in m.keys.iter().zip(labels).enumerate() {
            for (si, s) in p.spinners.iter().enumerate() {
                let slowdown = m.col(lvl, v, |x| x.convoy[si].slowdown);
                let (p50, p99, share) = (
                    m.med(lvl, v, |x| x.convoy[si].p50),
                    m.med(lvl, v, |x| x.convoy[si].p99),
                    m.med(lvl, v, |x| x.convoy[si].share),
                );
                let vs = m.vs_py(lvl, v, |x| x.convoy[si].slowdown);
                let bare = m.med(lvl, v, |x| x.convoy[si].bare_slowdown);
                let bare_share = m.med(lvl, v, |x| x.convoy[si].bare_share);
                let bare_cell = if bare.is_nan() {
                    "-".to_owned()
                } else {
                    format!("{bare:.2} ({bare_share:.2})")
                };
                out.line(format_args!(
                    "b{b:<2} {label:<15} {s:>2} {:>24} {p50:>9.1} {p99:>9.1} {share:>6.2} {:>13} {bare_cell:>13} | {}",
                    span(&slowdown, 2),
                    ratio(vs),
                    load_cells(&m.load(lvl, v))
                ));
                let j = Obj::new()
                    .with("name", format!("load.convoy.{key}.s{s}.b{b}"))
                    .with("slowdown", median(&slowdown))
                    .with("slowdown_min", lo(&slowdown))
                    .with("slowdown_max", hi(&slowdown))
                    .with("trip_us_p50", p50)
                    .with("trip_us_p99", p99)
                    .with("spinner_share", share)
                    .with("bare_slowdown", bare)
                    .with("bare_spinner_share", bare_share);
                json.push(with_load(m, j, lvl, v, vs));
            }
        }
    }
}

fn share_rows(m: &Measured, labels: &[String], json: &mut Vec<Obj>, out: &mut Tee) {
    let p = &m.plan;
    let iv_ms = p.interval.as_secs_f64() * 1e3;
    let (many, many_iv) = p.many.unwrap_or((MANY, MANY_INTERVAL));
    let many_ms = many_iv.as_secs_f64() * 1e3;
    let bound = (many - 1) as f64 * many_ms + HANDOFF_MS;
    out.line(format_args!(
        "# sharing: K = {} CPU-bound threads at {iv_ms} ms, and {many} at {many_ms} ms \
         (bound (K-1)*interval + {HANDOFF_MS} ms = {bound} ms), {:.2} s each",
        p.k,
        p.sharing.as_secs_f64()
    ));
    let has_py = m.py().is_some();
    out.line(format_args!(
        "# bare = a baton passed in FIFO order with park/unpark, each thread timing its own \
         turn (`gil_bench::baton`), run right after Fair's rows under the same load: the \
         floor for a FIFO hand-off to parked threads on this machine"
    ));
    out.line(format_args!(
        "{:<3} {:<15} {:>22} {:>9} {:>22} {:>7} {:>7} {:>10} {:>10} | {LOAD_HEAD}",
        "B",
        "GIL",
        format!("K{} p99/interval", p.k),
        format!("K{} max_ms", p.k),
        format!("K{many} max_ms"),
        if has_py { "vs p99" } else { "" },
        if has_py { "vs max" } else { "" },
        "bare p99/i",
        "bare max",
    ));
    for (lvl, &b) in p.levels.iter().enumerate() {
        for (v, (key, label)) in m.keys.iter().zip(labels).enumerate() {
            let p99 = m.col(lvl, v, |x| x.wait_p99_ms / iv_ms);
            let k_max = m.med(lvl, v, |x| x.wait_max_ms);
            let many_max = m.col(lvl, v, |x| x.many_max_ms);
            let vs99 = m.vs_py(lvl, v, |x| x.wait_p99_ms);
            let vs_many = m.vs_py(lvl, v, |x| x.many_max_ms);
            let bare_p99 = m.med(lvl, v, |x| x.bare_p99_ms / iv_ms);
            let bare_many = m.med(lvl, v, |x| x.bare_many_max_ms);
            let cell = |x: f64, d: usize| {
                if x.is_nan() {
                    "-".to_owned()
                } else {
                    format!("{x:.d$}")
                }
            };
            out.line(format_args!(
                "b{b:<2} {label:<15} {:>22} {k_max:>9.1} {:>22} {:>7} {:>7} {:>10} {:>10} | {}",
                span(&p99, 2),
                span(&many_max, 1),
                ratio(vs99),
                ratio(vs_many),
                cell(bare_p99, 2),
                cell(bare_many, 1),
                load_cells(&m.load(lvl, v))
            ));
            let j = Obj::new()
                .with("name", format!("load.share.{key}.k{}.b{b}", p.k))
                .with("interval_ms", iv_ms)
                .with("wait_p99_over_interval", median(&p99))
                .with("wait_p99_over_interval_min", lo(&p99))
                .with("wait_p99_over_interval_max", hi(&p99))
                .with("wait_ms_max", k_max)
                .with("bare_wait_p99_over_interval", bare_p99);
            json.push(with_load(m, j, lvl, v, vs99));
            let j = Obj::new()
                .with("name", format!("load.share.{key}.k{many}.b{b}"))
                .with("interval_ms", many_ms)
                .with("wait_ms_max", median(&many_max))
                .with("wait_ms_max_min", lo(&many_max))
                .with("wait_ms_max_max", hi(&many_max))
                .with("bound_ms", bound)
                .with("wait_max_over_bound", median(&many_max) / bound)
                .with("bare_wait_ms_max", bare_many);
            json.push(with_load(m, j, lvl, v, vs_many));
        }
    }
}

/// The load table: for each level of `--burners`, the convoy (1 and 2 spinners), K = 4
/// sharing and 16 threads at 1 ms, for the Fair and CPython policies and CPython beside us,
/// `--rounds` rounds interleaved; prints medians with min–max (and JSON lines with `json`).
///
/// # Panics
///
/// On a socket error or a failed worker thread.
pub fn load_table(a: &Args, out: &mut Tee) {
    let dir = std::env::temp_dir().join(format!("gil-harness-{}", std::process::id()));
    let py = find_python(&a.python, &dir, out);
    out.line(format_args!(
        "# Load: next to B busy processes (this binary re-run as CPU burners) for B in {:?}; \
         {} rounds, levels and variants interleaved; median (min–max) over rounds",
        a.burners, a.rounds
    ));
    let plan = Plan {
        levels: a.burners.clone(),
        rounds: a.rounds,
        interval: a.interval,
        trips: a.trips,
        budget: BUDGET_PER_TRIP * u32::try_from(a.trips).unwrap_or(u32::MAX),
        solo: Duration::from_millis(100),
        spinners: SPINNERS.to_vec(),
        k: K,
        sharing: a.duration / 2,
        many: Some((MANY, MANY_INTERVAL)),
    };
    let measured = measure(plan, py.as_ref());
    let _ = std::fs::remove_dir_all(&dir);
    let m = match measured {
        Ok(m) => m,
        Err(e) => {
            out.line(format_args!("# load: cannot start the burners: {e}"));
            return;
        }
    };
    let labels = labels(&m, py.as_ref());
    let mut json = Vec::new();
    convoy_rows(&m, &labels, &mut json, out);
    share_rows(&m, &labels, &mut json, out);
    load_legend(out);
    if a.json {
        for j in json {
            println!("{}", json::line(&j));
        }
    }
}
