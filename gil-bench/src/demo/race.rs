//! Race conditions: `counter += 1` on 2 and 4 threads sharing one counter, as load /
//! eval breaker / add / store, under the GIL (Fair, CPython policy) and free-threaded:
//! updates lost, then the same with a `Lock` around the three steps; CPython beside.

use super::ctx::{Ctx, arg, list};
use super::race_read::{Outcome, PY_PLAIN, PY_STEPS, Row, count, pct, reading};
use super::race_work;
use super::report::{Chart, Section, Table, num};
use super::scenarios::Flavor;
use super::svg::Bars;
use crate::cpython::PyResults;
use crate::json::Obj;
use crate::stats::try_interleaved;

/// A run (all threads) lasts about this many switch intervals under the GIL, so that the GIL
/// changes hands several times (each hand-over may fall between a load and its store).
const RUN_INTERVALS: f64 = 8.0;
/// Free-threaded, every increment fights over the counter's cache line and its lock (tens of
/// ns each, ~10 under the GIL): the variants run this many times fewer.
const FREE_SHARE: u64 = 4;
/// CPython's increments under `threading.Lock` take hundreds of ns: this many times fewer.
const PY_LOCKED_SHARE: u64 = 16;

/// Our variants: every flavour on each of `ks` threads, `increments` a run (a
/// [`FREE_SHARE`]th free-threaded), without and with the `Lock`, `rounds` interleaved rounds.
fn measure(
    interval: std::time::Duration,
    ks: &[usize],
    increments: u64,
    rounds: usize,
) -> Result<Vec<Row>, String> {
    let rts = Flavor::ALL
        .iter()
        .map(|f| f.runtime(interval))
        .collect::<Result<Vec<_>, _>>()?;
    // (flavour, threads, locked)
    let variants: Vec<(usize, usize, bool)> = (0..Flavor::ALL.len())
        .flat_map(|f| ks.iter().flat_map(move |&k| [(f, k, false), (f, k, true)]))
        .collect();
    let free_increments = (increments / FREE_SHARE).max(1000);
    let samples = try_interleaved::<_, String>(variants.len(), rounds, |i| {
        let (f, k, locked) = variants[i];
        let n = if Flavor::ALL[f] == Flavor::FreeThreaded {
            free_increments
        } else {
            increments
        };
        race_work::race_threads(&rts[f], k, n, locked)
    })?;
    let outcome = |v: (usize, usize, bool)| {
        let i = variants.iter().position(|&x| x == v).unwrap_or(0);
        Outcome::of_runs(&samples[i])
    };
    Ok(Flavor::ALL
        .iter()
        .enumerate()
        .flat_map(|(f, flavor)| {
            ks.iter().map(move |&k| Row {
                key: flavor.key(),
                who: flavor.label().to_owned(),
                threads: k,
                racy: outcome((f, k, false)),
                locked: Some(outcome((f, k, true))),
            })
        })
        .collect())
}

/// CPython's rows (`race` in `demo_cpython.py`): plain `+=`, and the three steps without and
/// with `threading.Lock`, on each of `ks` threads.
fn python_rows(p: &PyResults, ks: &[usize], pyl: &str) -> Vec<Row> {
    let (n, locked_n) = (p.get("increments"), p.get("locked_increments"));
    ks.iter()
        .flat_map(|&k| {
            [
                Row {
                    key: PY_PLAIN,
                    who: format!("{pyl}: counter += 1"),
                    threads: k,
                    racy: Outcome::of_python(p, &format!("plain_t{k}"), n),
                    locked: None,
                },
                Row {
                    key: PY_STEPS,
                    who: format!("{pyl}: 3 steps, call between"),
                    threads: k,
                    racy: Outcome::of_python(p, &format!("steps_t{k}"), n),
                    locked: Some(Outcome::of_python(p, &format!("locked_t{k}"), locked_n)),
                },
            ]
        })
        .collect()
}

/// The table: one line per row, without and with the lock.
fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(&[
        "variant",
        "threads",
        "increments",
        "lost",
        "lost per round",
        "switches load→store",
        "ns / increment",
        "lost with Lock",
        "ns / increment, Lock",
    ]);
    for r in rows {
        let locked = |f: fn(&Outcome) -> String| r.locked.as_ref().map_or("—".to_owned(), f);
        table.row(vec![
            r.who.clone(),
            r.threads.to_string(),
            count(r.racy.increments),
            pct(r.racy.lost),
            format!(
                "{}–{} %",
                num(r.racy.lost_min * 100.0, 1),
                num(r.racy.lost_max * 100.0, 1)
            ),
            if r.racy.mid_switches.is_finite() {
                num(r.racy.mid_switches, 0)
            } else {
                "—".to_owned()
            },
            num(r.racy.ns, 1),
            locked(|o| count(o.lost_total)),
            locked(|o| num(o.ns, 1)),
        ]);
    }
    table
}

/// Grouped bars: the lost percentage of each variant (groups), per thread count without and
/// with the lock (series).
fn chart(rows: &[Row], ks: &[usize]) -> Bars {
    let mut groups: Vec<(&str, String)> = Flavor::ALL
        .iter()
        .map(|f| (f.key(), f.label().trim_start_matches("GIL, ").to_owned()))
        .collect();
    if rows.iter().any(|r| r.key == PY_PLAIN) {
        groups.push((PY_PLAIN, "CPython x += 1".into()));
        groups.push((PY_STEPS, "CPython 3 steps".into()));
    }
    let series = ks
        .iter()
        .flat_map(|&k| [(k, false), (k, true)])
        .map(|(k, locked)| {
            let name = format!("{k} threads, {}", if locked { "Lock" } else { "no lock" });
            let values = groups
                .iter()
                .map(|(key, _)| {
                    let row = rows.iter().find(|r| r.key == *key && r.threads == k);
                    let outcome = row.and_then(|r| if locked { r.locked } else { Some(r.racy) });
                    // Whole percents from 10 up keep the bar labels short.
                    outcome.map_or(f64::NAN, |o| match o.lost * 100.0 {
                        x if x >= 10.0 => x.round(),
                        x => (x * 10.0).round() / 10.0,
                    })
                })
                .collect();
            (name, values)
        })
        .collect();
    Bars {
        title: "counter += 1 on shared data: updates lost, without and with a Lock".into(),
        y_label: "lost, % of increments (median)".into(),
        groups: groups.into_iter().map(|(_, g)| g).collect(),
        series,
        log: false,
        refs: Vec::new(),
    }
}

/// One outcome as JSON, its keys prefixed by `prefix`.
fn outcome_json(obj: Obj, prefix: &str, x: &Outcome) -> Obj {
    obj.with(&format!("{prefix}increments"), x.increments)
        .with(&format!("{prefix}lost_fraction"), x.lost)
        .with(&format!("{prefix}lost_fraction_min"), x.lost_min)
        .with(&format!("{prefix}lost_fraction_max"), x.lost_max)
        .with(&format!("{prefix}lost_total"), x.lost_total)
        .with(&format!("{prefix}mid_switches"), x.mid_switches)
        .with(&format!("{prefix}ns_per_increment"), x.ns)
}

/// Race conditions.
pub(super) fn race(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let mut ks: Vec<usize> = s.threads.iter().copied().filter(|&k| k >= 2).collect();
    if ks.is_empty() {
        ks.push(2);
    }
    let run_s = ctx.scaled(RUN_INTERVALS * s.interval.as_secs_f64());
    let ns = race_work::ns_per_increment();
    let increments = ((run_s * 1e9 / ns) as u64).max(1000);
    let mut rows = measure(s.interval, &ks, increments, s.rounds)?;
    let largest = *ks.last().unwrap_or(&2);
    ctx.findings.race_lost_gil = rows
        .iter()
        .find(|r| r.key == Flavor::Fair.key() && r.threads == largest)
        .map(|r| r.racy.lost);
    ctx.findings.race_lost_locked = Some(
        rows.iter()
            .filter_map(|r| r.locked.map(|o| o.lost_total as u64))
            .sum(),
    );
    let py = ctx.python(
        "race",
        &[
            ("run_s", arg(run_s)),
            ("locked_share", PY_LOCKED_SHARE.to_string()),
            ("threads", list(&ks)),
            ("repeats", s.rounds.to_string()),
            ("interval_ms", arg(s.interval.as_secs_f64() * 1e3)),
        ],
    );
    let pyl = ctx.py_label();
    if let Some(p) = &py {
        rows.extend(python_rows(p, &ks, &pyl));
    }
    let json = rows.iter().fold(Obj::new(), |obj, r| {
        let mut row = outcome_json(Obj::new().with("threads", r.threads), "", &r.racy);
        if let Some(l) = &r.locked {
            row = outcome_json(row, "locked_", l);
        }
        obj.with(&format!("{}_t{}", r.key, r.threads), row)
    });
    Ok(Section {
        id: "race",
        title: format!(
            "Race conditions: counter += 1 on {} threads",
            ks.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        setup: format!(
            "Each thread adds 1 to one shared counter in a loop: load, check() (the eval breaker, \
             where the GIL may change hands), add, store, then the loop's own check(). The \
             counter is a GilCell, as the VM example keeps its globals (free-threaded each \
             access takes the cell's own lock). {increments} increments a run, split over its \
             threads (~{RUN_INTERVALS} switch intervals at {} ns each), {FREE_SHARE}× fewer \
             free-threaded, where they fight over the counter; with Lock = a gil_sync::Lock \
             around the three steps. CPython: counter += 1 on a global; the same as v = counter; \
             f(); counter = v + 1; those three under threading.Lock ({PY_LOCKED_SHARE}× fewer). \
             Median of {}; lost with Lock is the total of all rounds.",
            num(ns, 1),
            super::svg::count(s.rounds, "interleaved round")
        ),
        table: table(&rows),
        reading: reading(&rows, py.as_ref().map(|_| pyl.as_str())),
        json: Obj::new()
            .with("increments", increments as f64)
            .with("ns_per_increment_alone", ns)
            .with("run_intervals", RUN_INTERVALS)
            .with("free_share", FREE_SHARE as f64)
            .with("cpython_locked_share", PY_LOCKED_SHARE as f64)
            .with("rows", json),
        charts: vec![Chart::new(
            "race.svg",
            chart(&rows, &ks).svg(),
            "Updates lost when threads do counter += 1 as load, add and store with a possible switch between them, without a lock and with one. Without a lock some increments overwrite others under the GIL too; with a Lock none is lost.",
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(lost: f64) -> Outcome {
        Outcome {
            increments: 100.0,
            lost,
            lost_min: lost,
            lost_max: lost,
            lost_total: lost * 300.0,
            mid_switches: f64::NAN,
            ns: 10.0,
        }
    }

    #[test]
    fn the_chart_has_a_group_per_variant_and_a_series_per_threads_and_lock() {
        let row = |key, threads, lost, locked| Row {
            key,
            who: key.to_owned(),
            threads,
            racy: outcome(lost),
            locked,
        };
        let rows = vec![
            row("fair", 2, 0.2345, Some(outcome(0.0))),
            row("fair", 4, 0.0567, Some(outcome(0.0))),
            row(PY_PLAIN, 2, 0.0, None),
        ];
        let bars = chart(&rows, &[2, 4]);
        assert_eq!(bars.groups.len(), 5, "{:?}", bars.groups);
        assert_eq!(bars.groups[0], "Fair");
        let names: Vec<&str> = bars.series.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "2 threads, no lock",
                "2 threads, Lock",
                "4 threads, no lock",
                "4 threads, Lock"
            ]
        );
        let firsts: Vec<String> = bars
            .series
            .iter()
            .map(|(_, v)| format!("{}", v[0]))
            .collect();
        assert_eq!(firsts, ["23", "0", "5.7", "0"], "whole percents from 10 up");
        assert!(
            bars.series[1].1[3].is_nan(),
            "CPython's plain += has no Lock variant"
        );
        assert!(bars.series[2].1[3].is_nan(), "no CPython row on 4 threads");
        let t = table(&rows);
        assert_eq!(t.rows[0][3], "23.4 %");
        assert_eq!((t.rows[0][5].as_str(), t.rows[2][7].as_str()), ("—", "—"));
    }
}
