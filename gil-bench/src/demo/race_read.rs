//! The race scenario's results and reading: each variant's rounds summed up
//! ([`Outcome`]), the table's rows ([`Row`]) and the one-line reading computed from them.

use super::race_work::RaceRun;
use super::report::num;
use super::scenarios::Flavor;
use crate::cpython::PyResults;
use crate::stats::median;

/// One variant's rounds summed up; fractions are of the increments made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Outcome {
    /// Increments per round, all threads together.
    pub(super) increments: f64,
    /// Fraction lost: median, fewest and most over the rounds.
    pub(super) lost: f64,
    pub(super) lost_min: f64,
    pub(super) lost_max: f64,
    /// Updates lost in all rounds together.
    pub(super) lost_total: f64,
    /// Median GIL hand-overs between a load and its store (`NaN` where not counted).
    pub(super) mid_switches: f64,
    /// Median wall time per increment, ns.
    pub(super) ns: f64,
}

impl Outcome {
    /// Our runs of one variant.
    pub(super) fn of_runs(runs: &[RaceRun]) -> Self {
        let fractions: Vec<f64> = runs.iter().map(RaceRun::lost_fraction).collect();
        let of = |f: fn(&RaceRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Self {
            increments: runs.first().map_or(f64::NAN, |r| r.expected as f64),
            lost: median(&fractions),
            lost_min: fractions.iter().copied().fold(f64::NAN, f64::min),
            lost_max: fractions.iter().copied().fold(f64::NAN, f64::max),
            lost_total: runs.iter().map(|r| r.lost() as f64).sum(),
            mid_switches: of(|r| r.mid_switches as f64),
            ns: of(RaceRun::ns_per_increment),
        }
    }

    /// CPython's `<name>_…` results (see `race` in `demo_cpython.py`).
    pub(super) fn of_python(p: &PyResults, name: &str, increments: f64) -> Self {
        let get = |what: &str| p.get(&format!("{name}_{what}"));
        Self {
            increments,
            lost: get("lost"),
            lost_min: get("lost_min"),
            lost_max: get("lost_max"),
            lost_total: get("lost_total"),
            mid_switches: f64::NAN,
            ns: get("ns"),
        }
    }
}

/// One row of the table: who ran it on how many threads, without and with a lock.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    /// The JSON key: a [`Flavor::key`], `cpython_plain` or `cpython_steps`.
    pub(super) key: &'static str,
    /// The row's name in the table.
    pub(super) who: String,
    pub(super) threads: usize,
    pub(super) racy: Outcome,
    pub(super) locked: Option<Outcome>,
}

/// Row keys of CPython's plain `counter += 1` and of its three steps with a call between.
pub(super) const PY_PLAIN: &str = "cpython_plain";
pub(super) const PY_STEPS: &str = "cpython_steps";

/// `x` as a whole number with thousands separators: `1,234,567`.
pub(super) fn count(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    let digits = format!("{:.0}", x.abs());
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            s.push(',');
        }
        s.push(c);
    }
    if x < -0.5 { format!("-{s}") } else { s }
}

/// A fraction as a percentage: `29.2 %`.
pub(super) fn pct(f: f64) -> String {
    format!("{} %", num(f * 100.0, 1))
}

/// The row of `key` on `k` threads.
fn at<'a>(rows: &'a [Row], key: &str, k: usize) -> Option<&'a Row> {
    rows.iter().find(|r| r.key == key && r.threads == k)
}

/// Whether `r` is one of our runs (not CPython's).
fn ours(r: &Row) -> bool {
    !r.key.starts_with("cpython_")
}

/// The one-line reading, from the rows (ours first, then CPython's named `py`): what was
/// lost on the most threads, which rounds lost nothing, what the `Lock` lost and cost, and
/// CPython's figures.
pub(super) fn reading(rows: &[Row], py: Option<&str>) -> String {
    let k = rows.iter().map(|r| r.threads).max().unwrap_or(2);
    let mut parts = vec![losses(rows, k)];
    parts.extend(missed(rows));
    parts.push(locked(rows, k));
    if let Some(py) = py {
        parts.extend(cpython(rows, k, py));
    }
    parts.join(" ")
}

/// What our variants lost without a lock on `k` threads, and why under the GIL.
fn losses(rows: &[Row], k: usize) -> String {
    let lost = |f: Flavor| at(rows, f.key(), k).map_or(f64::NAN, |r| r.racy.lost);
    let why = at(rows, Flavor::Fair.key(), k)
        .filter(|r| r.racy.lost > 0.0)
        .map_or(String::new(), |r| {
            format!(
                ": the GIL makes each step atomic, not the three together (the Fair run's {} \
                 switches between a load and its store each wiped out what the others added \
                 meanwhile)",
                num(r.racy.mid_switches, 0)
            )
        });
    format!(
        "Race: without a lock, counter += 1 as load / check() / add / store lost {} of the \
         increments on {k} threads under the GIL (Fair; CPython policy {}) and {} \
         free-threaded{why}.",
        pct(lost(Flavor::Fair)),
        pct(lost(Flavor::CPython)),
        pct(lost(Flavor::FreeThreaded)),
    )
}

/// Our variants with a round that lost nothing, under the GIL and free-threaded.
fn missed(rows: &[Row]) -> Vec<String> {
    let free = Flavor::FreeThreaded.key();
    let of = |gil: bool| -> Vec<&Row> {
        rows.iter()
            .filter(|r| ours(r) && (r.key != free) == gil && r.racy.lost_min == 0.0)
            .collect()
    };
    let mut parts = Vec::new();
    let gil = of(true);
    if !gil.is_empty() {
        let names: Vec<String> = gil
            .iter()
            .map(|r| format!("{} on {}", r.who, r.threads))
            .collect();
        parts.push(format!(
            "Some rounds lost nothing ({}): no switch fell between a load and its store there \
             — the race is real, the timing missed it.",
            names.join(", ")
        ));
    }
    let free = of(false);
    if !free.is_empty() {
        let ks: Vec<String> = free.iter().map(|r| r.threads.to_string()).collect();
        parts.push(format!(
            "Some free-threaded rounds lost nothing (on {} threads): without a GIL updates are \
             lost only while two threads run at the same moment on different cores, and there \
             they did not run side by side long enough to collide.",
            ks.join(" and ")
        ));
    }
    parts
}

/// What our variants lost with the `Lock` (all rounds), and what it cost on `k` threads.
fn locked(rows: &[Row], k: usize) -> String {
    let lost: f64 = rows
        .iter()
        .filter(|r| ours(r))
        .filter_map(|r| r.locked.map(|o| o.lost_total))
        .sum();
    if lost != 0.0 {
        return format!(
            "With a Lock {} updates were lost: that is a bug in the Lock or the GIL.",
            count(lost)
        );
    }
    let cost = |f: Flavor| {
        at(rows, f.key(), k).map_or("n/a".to_owned(), |r| {
            format!(
                "{} ns per increment instead of {}",
                num(r.locked.map_or(f64::NAN, |o| o.ns), 1),
                num(r.racy.ns, 1)
            )
        })
    };
    format!(
        "With a Lock around the three steps none was lost in any round, at {} (Fair, {k} \
         threads; free-threaded {}).",
        cost(Flavor::Fair),
        cost(Flavor::FreeThreaded)
    )
}

/// CPython's figures on `k` threads: plain `+=`, the three steps, and with `threading.Lock`.
fn cpython(rows: &[Row], k: usize, py: &str) -> Option<String> {
    let (plain, steps) = (at(rows, PY_PLAIN, k)?, at(rows, PY_STEPS, k)?);
    let of = |key: &'static str| rows.iter().filter(move |r| r.key == key);
    let why = if of(PY_PLAIN).all(|r| r.racy.lost_max == 0.0) {
        " (none in any round: it checks its eval breaker at calls and loop back edges, not \
         between the load and the store)"
    } else {
        ""
    };
    let steps_missed: Vec<String> = of(PY_STEPS)
        .filter(|r| r.racy.lost_min == 0.0)
        .map(|r| r.threads.to_string())
        .collect();
    let steps_missed = if steps_missed.is_empty() {
        String::new()
    } else {
        format!(
            " (nothing in some rounds on {} threads: no switch fell inside the call)",
            steps_missed.join(" and ")
        )
    };
    let locked = |f: fn(&Outcome) -> f64| steps.locked.as_ref().map_or(f64::NAN, f);
    Some(format!(
        "{py} lost {} of {} for plain counter += 1{why} but {}{steps_missed} with a call \
         between load and store; with threading.Lock {} lost, {} ns per increment instead of {}.",
        count(plain.racy.lost * plain.racy.increments),
        count(plain.racy.increments),
        pct(steps.racy.lost),
        count(locked(|o| o.lost_total)),
        num(locked(|o| o.ns), 0),
        num(steps.racy.ns, 0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(lost: f64, lost_min: f64, lost_total: f64, ns: f64) -> Outcome {
        Outcome {
            increments: 1_000_000.0,
            lost,
            lost_min,
            lost_max: lost * 1.5,
            lost_total,
            mid_switches: 3.0,
            ns,
        }
    }

    fn row(key: &'static str, threads: usize, racy: Outcome, locked: Option<Outcome>) -> Row {
        Row {
            key,
            who: key.to_owned(),
            threads,
            racy,
            locked,
        }
    }

    /// Recorded shapes: the GIL variants lose, the lock loses none, CPython's plain `+=`
    /// loses none and its three steps do.
    fn recorded(fair_min: f64, locked_lost: f64) -> Vec<Row> {
        let mut rows = Vec::new();
        for (key, lost) in [
            ("fair", 0.29),
            ("cpython_policy", 0.25),
            ("free_threaded", 0.4),
        ] {
            for k in [2, 4] {
                let min = if key == "fair" { fair_min } else { 0.1 };
                let locked = o(
                    0.0,
                    0.0,
                    if key == "fair" { locked_lost } else { 0.0 },
                    15.0,
                );
                rows.push(row(key, k, o(lost, min, 0.0, 9.0), Some(locked)));
            }
        }
        for k in [2, 4] {
            rows.push(row(PY_PLAIN, k, o(0.0, 0.0, 0.0, 80.0), None));
            let locked = o(0.0, 0.0, 0.0, 600.0);
            rows.push(row(PY_STEPS, k, o(0.21, 0.1, 0.0, 130.0), Some(locked)));
        }
        rows
    }

    #[test]
    fn reading_states_the_losses_the_lock_and_cpython() {
        let r = reading(&recorded(0.1, 0.0), Some("CPython 3.11.7"));
        for part in [
            "lost 29.0 % of the increments on 4 threads under the GIL (Fair; CPython policy 25.0 %) and 40.0 % free-threaded",
            "the Fair run's 3 switches",
            "none was lost in any round, at 15.0 ns per increment instead of 9.0 (Fair, 4 threads",
            "CPython 3.11.7 lost 0 of 1,000,000 for plain counter += 1 (none in any round",
            "but 21.0 % with a call between",
            "with threading.Lock 0 lost, 600 ns per increment instead of 130",
        ] {
            assert!(r.contains(part), "{part:?} not in {r}");
        }
        assert!(!r.contains("lost nothing"), "{r}");
    }

    #[test]
    fn reading_says_when_a_round_lost_nothing_or_the_lock_lost_some() {
        let mut rows = recorded(0.0, 7.0);
        rows[5].racy.lost_min = 0.0; // free-threaded, 4 threads
        let r = reading(&rows, None);
        assert!(
            r.contains("Some rounds lost nothing (fair on 2, fair on 4)"),
            "{r}"
        );
        assert!(
            r.contains("Some free-threaded rounds lost nothing (on 4 threads)"),
            "{r}"
        );
        assert!(
            r.contains("With a Lock 14 updates were lost: that is a bug"),
            "{r}"
        );
        assert!(!r.contains("CPython 3"), "{r}");
        rows[9].racy.lost_min = 0.0; // CPython's three steps, 4 threads
        let r = reading(&rows, Some("CPython 3.13.0"));
        assert!(
            r.contains("but 21.0 % (nothing in some rounds on 4 threads: no switch fell"),
            "{r}"
        );
        let mut none = recorded(0.0, 0.0);
        for row in &mut none {
            row.racy = o(0.0, 0.0, 0.0, 9.0);
        }
        let r = reading(&none, None);
        assert!(r.contains("lost 0.0 % of the increments"), "{r}");
        assert!(!r.contains("switches between a load"), "{r}");
    }

    #[test]
    fn outcome_of_runs_counts_lost_updates() {
        let run = |counted: u64| RaceRun {
            expected: 100,
            counted,
            mid_switches: counted / 10,
            wall: std::time::Duration::from_micros(1),
        };
        let x = Outcome::of_runs(&[run(100), run(60), run(90)]);
        assert_eq!((x.increments, x.lost_total), (100.0, 50.0));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(x.lost, 0.1) && close(x.lost_min, 0.0) && close(x.lost_max, 0.4));
        assert_eq!((x.mid_switches, x.ns), (9.0, 10.0));
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(999.4), "999");
        assert_eq!(count(1000.0), "1,000");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(-12_345.0), "-12,345");
        assert_eq!(count(f64::NAN), "n/a");
        assert_eq!(pct(0.2921), "29.2 %");
    }
}
