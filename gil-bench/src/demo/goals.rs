//! The goal table: the project's goals checked against what the demo measured, each verdict
//! with the load it was taken under.

use serde::{Deserialize, Serialize};

use super::report::{Table, num, times};
use super::settings::Scenario;
use crate::load::LoadReading;

/// What the goal table is checked against; `None` when the scenario did not run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// CPU-bound, 2 threads under the Fair GIL, time / sequential time.
    pub cpu2_vs_seq: Option<f64>,
    /// Free-threaded speed-up with 2 threads (sequential time / time).
    pub free2_speedup: Option<f64>,
    /// The same for plain std threads without a GIL: what the machine allowed in that run.
    pub std2_speedup: Option<f64>,
    /// The same for 2 worker processes, process start included.
    pub procs2_speedup: Option<f64>,
    /// What starting one worker process that does nothing costs, spawn to reply, seconds.
    pub proc_start_s: Option<f64>,
    /// Convoy slowdown next to one spinner, Fair.
    pub convoy_fair: Option<f64>,
    /// K = 4 wait p99 / interval, Fair.
    pub k4_p99_intervals: Option<f64>,
    /// Uncontended `Lock` / std `Mutex`.
    pub lock_vs_std: Option<f64>,
    /// `counter += 1` without a lock: fraction of the increments lost under the Fair GIL on the
    /// largest thread count (median over rounds).
    pub race_lost_gil: Option<f64>,
    /// Updates lost with a `Lock` around the increment: all our variants, all rounds.
    pub race_lost_locked: Option<u64>,
    /// The load scenario's levels with busy processes beside the GIL (empty when not run).
    pub under_load: Vec<UnderLoad>,
    /// The load during each scenario that ran.
    pub loads: Vec<(Scenario, LoadReading)>,
}

/// A goal's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The figure meets the bar.
    Met,
    /// It does not.
    Missed,
    /// The machine could not show it in this run: even the ceiling (plain std threads
    /// without a GIL) fell short of the bar, so the figure says nothing about the GIL.
    CouldNotShow,
    /// The goal does not apply to this machine (a speed-up on one core).
    NotApplicable,
    /// The scenario ran but the figure is missing (no CPython, or a run that timed out).
    NotMeasured,
    /// The scenario did not run (`--only`).
    NotRun,
}

impl Verdict {
    /// The verdict as the goal table prints it.
    pub fn text(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Missed => "MISSED",
            Self::CouldNotShow => "machine could not show it",
            Self::NotApplicable => "n/a",
            Self::NotMeasured => "not measured",
            Self::NotRun => "not run",
        }
    }

    /// Met or missed on `value` against `bar`; `NotMeasured` when `value` is not finite.
    fn of(value: Option<f64>, bar: &Bar) -> Self {
        match value {
            Some(x) if x.is_finite() => {
                if bar.holds(x) {
                    Self::Met
                } else {
                    Self::Missed
                }
            }
            Some(_) => Self::NotMeasured,
            None => Self::NotRun,
        }
    }
}

/// Which side of the limit a figure must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    /// `value ≤ limit`.
    AtMost,
    /// `value ≥ limit`.
    AtLeast,
}

/// The bar a goal's figure must meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Which side of `limit`.
    pub cmp: Cmp,
    /// The limit.
    pub limit: f64,
    /// The figure's unit: `x` (a ratio), `intervals` (switch intervals), `updates`.
    pub unit: String,
    /// The bar in words, as the table prints it.
    pub text: String,
}

impl Bar {
    fn new(cmp: Cmp, limit: f64, unit: &str, text: &str) -> Self {
        Self {
            cmp,
            limit,
            unit: unit.to_owned(),
            text: text.to_owned(),
        }
    }

    fn holds(&self, x: f64) -> bool {
        match self.cmp {
            Cmp::AtMost => x <= self.limit,
            Cmp::AtLeast => x >= self.limit,
        }
    }
}

/// One row of the goal table, as `results.json` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// A stable key (`cpu2_vs_seq`), to compare runs by.
    pub id: String,
    /// What is measured.
    pub goal: String,
    /// The bar it must meet.
    pub bar: Bar,
    /// The figure the verdict is taken on, in `bar.unit`; `None` when the scenario did not
    /// run or the figure is missing.
    pub value: Option<f64>,
    /// The figure as the table shows it, with its context.
    pub measured: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Taken under load that makes it doubtful ([`LoadReading::is_noisy`]): rerun it.
    pub noisy: bool,
    /// The load it was taken under, where known.
    pub load: Option<LoadReading>,
}

impl Goal {
    /// The verdict as the table prints it, `(noisy: rerun)` added when it is.
    pub fn verdict_text(&self) -> String {
        if self.noisy {
            format!("{} (noisy: rerun)", self.verdict.text())
        } else {
            self.verdict.text().to_owned()
        }
    }
}

/// The load columns of a table row: steal, others' CPU (cores), runnable outside.
pub(super) fn load_cells(l: Option<&LoadReading>) -> [String; 3] {
    let cell = |x: Option<f64>, f: fn(f64) -> String| x.map_or("—".to_owned(), f);
    [
        cell(l.and_then(|l| l.steal), |x| {
            format!("{} %", num(x * 100.0, 1))
        }),
        cell(l.and_then(|l| l.others_cpu), |x| num(x, 2)),
        cell(l.and_then(|l| l.outside), |x| num(x, 1)),
    ]
}

/// The load columns' titles, matching [`load_cells`].
pub(super) const LOAD_HEADS: [&str; 3] = ["steal", "others' CPU (cores)", "runnable outside"];

impl Findings {
    /// The goal table: goal, bar, measured value, verdict, and the load it was measured under
    /// (steal, others' CPU, runnable outside; a verdict taken under load, [`LoadReading::is_noisy`], says so).
    pub fn goals(&self, cores: usize) -> Table {
        let mut t = Table::new(&["goal", "bar", "measured", "verdict"]);
        t.head.extend(LOAD_HEADS.map(str::to_owned));
        for g in self.goal_list(cores) {
            let mut row = vec![
                g.goal.clone(),
                g.bar.text.clone(),
                g.measured.clone(),
                g.verdict_text(),
            ];
            row.extend(load_cells(g.load.as_ref()));
            t.row(row);
        }
        t
    }

    /// The load during `sc`, where known.
    pub fn load_of(&self, sc: Scenario) -> Option<LoadReading> {
        self.loads.iter().find(|(s, _)| *s == sc).map(|(_, l)| *l)
    }

    /// The rows of [`Findings::goals`], with their figures as numbers.
    #[expect(
        clippy::too_many_lines,
        reason = "one row per goal, each with its own bar and wording"
    )]
    pub fn goal_list(&self, cores: usize) -> Vec<Goal> {
        let mut list = Vec::new();
        let mut row = |id: &str,
                       goal: &str,
                       bar: Bar,
                       load: Option<LoadReading>,
                       value: Option<f64>,
                       measured: String,
                       verdict: Verdict| {
            let decided = matches!(verdict, Verdict::Met | Verdict::Missed);
            list.push(Goal {
                id: id.to_owned(),
                goal: goal.to_owned(),
                bar,
                value,
                measured,
                verdict,
                noisy: decided && load.is_some_and(|l| l.is_noisy()),
                load,
            });
        };
        let val = |v: Option<f64>, unit: &str| {
            v.map_or("—".to_owned(), |x| format!("{}{unit}", num(x, 3)))
        };
        let bar = Bar::new(Cmp::AtMost, 1.03, "x", "≤ 1.03×");
        let v = Verdict::of(self.cpu2_vs_seq, &bar);
        row(
            "cpu2_vs_seq",
            "CPU-bound, 2 threads under the GIL (Fair) vs sequential",
            bar,
            self.load_of(Scenario::Cpu),
            self.cpu2_vs_seq,
            val(self.cpu2_vs_seq, "×"),
            v,
        );
        let bar = Bar::new(Cmp::AtLeast, 1.8, "x", "≥ 1.8× (2 cores)");
        let free = match (self.free2_speedup, self.std2_speedup) {
            (Some(_), _) if cores < 2 => Verdict::NotApplicable,
            // The machine's own ceiling fell short: nothing to say about the GIL.
            (Some(f), Some(s)) if f.is_finite() && !bar.holds(f) && !bar.holds(s) => {
                Verdict::CouldNotShow
            }
            (f, _) => Verdict::of(f, &bar),
        };
        let free_val = match (self.free2_speedup, self.std2_speedup) {
            (Some(f), Some(s)) => format!("{}× (std threads {}×)", num(f, 2), num(s, 2)),
            (f, _) => val(f, "×"),
        };
        row(
            "free2_speedup",
            "free-threaded speed-up, 2 threads",
            bar,
            self.load_of(Scenario::Cpu),
            self.free2_speedup,
            free_val,
            free,
        );
        let bar = Bar::new(Cmp::AtMost, 1.5, "x", "≤ 1.5×");
        let v = Verdict::of(self.convoy_fair, &bar);
        row(
            "convoy_fair",
            "convoy slowdown next to 1 spinner (Fair)",
            bar,
            self.load_of(Scenario::Convoy),
            self.convoy_fair,
            val(self.convoy_fair, "×"),
            v,
        );
        let bar = Bar::new(Cmp::AtMost, 3.3, "intervals", "≤ 3.3 × interval");
        let v = Verdict::of(self.k4_p99_intervals, &bar);
        row(
            "k4_p99_fair",
            "K = 4 wait p99 (Fair)",
            bar,
            self.load_of(Scenario::Share),
            self.k4_p99_intervals,
            val(self.k4_p99_intervals, " × interval"),
            v,
        );
        let bar = Bar::new(Cmp::AtMost, 1.2, "x", "≤ 1.2×");
        let v = Verdict::of(self.lock_vs_std, &bar);
        row(
            "lock_vs_std",
            "uncontended Lock vs std Mutex",
            bar,
            self.load_of(Scenario::Lock),
            self.lock_vs_std,
            val(self.lock_vs_std, "×"),
            v,
        );
        let bar = Bar::new(Cmp::AtMost, 0.0, "updates", "0 lost");
        let locked = self.race_lost_locked.map(|n| n as f64);
        let v = Verdict::of(locked, &bar);
        row(
            "race_lost_with_lock",
            "counter += 1 with a Lock: lost updates, all variants and rounds",
            bar,
            self.load_of(Scenario::Race),
            locked,
            self.race_lost_locked
                .map_or("—".to_owned(), |n| n.to_string()),
            v,
        );
        for r in goal_rows(&self.under_load) {
            let load = r.load.or_else(|| self.load_of(Scenario::Load));
            row(r.id, r.goal, r.bar, load, r.value, r.measured, r.verdict);
        }
        list
    }
}

/// What the goal table needs from one load level (figures are medians over rounds; ratios
/// are medians of per-round ratios; `NaN` without CPython).
#[derive(Debug, Clone, PartialEq)]
pub struct UnderLoad {
    /// Busy processes beside the GIL.
    pub burners: usize,
    /// Convoy slowdown, 1 spinner, Fair.
    pub convoy_fair: f64,
    /// The same in CPython beside us.
    pub convoy_python: f64,
    /// Fair's convoy slowdown over CPython's.
    pub convoy_ratio: f64,
    /// Fair's spinner share.
    pub share_fair: f64,
    /// K = 4 wait p99, Fair, in switch intervals.
    pub k4_fair: f64,
    /// The same in CPython beside us.
    pub k4_python: f64,
    /// Fair's K = 4 p99 over CPython's.
    pub k4_ratio: f64,
    /// The load while this level ran (all variants, all rounds).
    pub load: LoadReading,
    /// CPython beside us, as the table names it (`CPython 3.13.0`).
    pub python: String,
}

/// A goal row of the load scenario (`load` is `None` when it did not run).
struct GoalRow {
    id: &'static str,
    goal: &'static str,
    bar: Bar,
    load: Option<LoadReading>,
    value: Option<f64>,
    measured: String,
    verdict: Verdict,
}

/// The load scenario's rows of the goal table (issue 12), from `levels`.
fn goal_rows(levels: &[UnderLoad]) -> Vec<GoalRow> {
    let level = |b: usize| levels.iter().find(|l| l.burners == b);
    let judge = |r: f64, also: bool| {
        if !r.is_finite() {
            Verdict::NotMeasured
        } else if r <= 0.5 && also {
            Verdict::Met
        } else {
            Verdict::Missed
        }
    };
    let not_run = |id, goal, bar| GoalRow {
        id,
        goal,
        bar,
        load: None,
        value: None,
        measured: "—".to_owned(),
        verdict: Verdict::NotRun,
    };
    let mut rows = Vec::new();
    for (b, id, goal, text) in [
        (
            1,
            "convoy_vs_cpython_busy1",
            "convoy slowdown, 1 spinner, next to 1 busy process: Fair / CPython",
            "≤ 0.5× CPython 3.13's, spinner share ≥ 0.4",
        ),
        (
            2,
            "convoy_vs_cpython_busy2",
            "convoy slowdown, 1 spinner, next to 2 busy processes: Fair / CPython",
            "≤ 0.5× CPython 3.13's",
        ),
    ] {
        let bar = Bar::new(Cmp::AtMost, 0.5, "x", text);
        rows.push(level(b).map_or_else(
            || not_run(id, goal, bar.clone()),
            |l| GoalRow {
                id,
                goal,
                measured: format!(
                    "{} (Fair {}, {} {}; share {})",
                    times(l.convoy_ratio),
                    times(l.convoy_fair),
                    l.python,
                    times(l.convoy_python),
                    num(l.share_fair, 2)
                ),
                verdict: judge(l.convoy_ratio, b != 1 || l.share_fair >= 0.4),
                bar: bar.clone(),
                load: Some(l.load),
                value: Some(l.convoy_ratio),
            },
        ));
    }
    let (id, goal) = (
        "k4_p99_vs_cpython_busy1",
        "K = 4 wait p99 next to 1 busy process: Fair / CPython",
    );
    let bar = Bar::new(Cmp::AtMost, 0.5, "x", "≤ 0.5× CPython 3.13's p99");
    rows.push(level(1).map_or_else(
        || not_run(id, goal, bar.clone()),
        |l| GoalRow {
            id,
            goal,
            measured: format!(
                "{} (Fair {}, {} {} × interval)",
                times(l.k4_ratio),
                num(l.k4_fair, 2),
                l.python,
                num(l.k4_python, 2)
            ),
            verdict: judge(l.k4_ratio, true),
            bar: bar.clone(),
            load: Some(l.load),
            value: Some(l.k4_ratio),
        },
    ));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

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
            procs2_speedup: None,
            proc_start_s: None,
            convoy_fair: Some(f64::NAN),
            k4_p99_intervals: Some(3.0),
            lock_vs_std: Some(1.0),
            race_lost_gil: None,
            race_lost_locked: Some(0),
            under_load: vec![level(1, 0.4, f64::NAN, quiet), level(2, 0.4, 0.1, busy)],
            loads: vec![
                (
                    Scenario::Cpu,
                    LoadReading {
                        steal: Some(0.01),
                        ..quiet
                    },
                ),
                (
                    Scenario::Lock,
                    LoadReading {
                        steal: Some(0.2),
                        ..LoadReading::default()
                    },
                ),
                (
                    Scenario::Share,
                    LoadReading {
                        outside: Some(2.0),
                        ..LoadReading::default()
                    },
                ),
            ],
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
                "met",                // no update lost with the Lock
                "MISSED",             // ratio 0.4 but spinner share 0.3 < 0.4
                "met (noisy: rerun)", // next to 2 burners, and 1 more outside
                "not measured",       // no CPython p99
            ]
        );
        assert_eq!(t.rows[0][4], "1.0 %");
        assert_eq!(t.rows[0][5], "—"); // others' CPU not known
        assert_eq!(t.rows[0][6], "0.0");
        assert_eq!(t.rows[2][4], "—");
        assert!(t.rows[6][2].contains("CPython 3.13.0"), "{:?}", t.rows[6]);
        let lossy = Findings {
            race_lost_locked: Some(3),
            ..Findings::default()
        };
        assert_eq!(lossy.goals(2).rows[5][3], "MISSED");
        assert!(f.goals(1).rows[1][3].starts_with("n/a"));
        let none = Findings::default().goals(2);
        assert!(none.rows.iter().all(|r| r[3] == "not run"), "{none:?}");
    }

    /// Issue 17: "MISSED" was printed for the free-threaded speed-up while plain std threads
    /// reached only 1.17× on the same box: the machine could not show it.
    #[test]
    fn a_speed_up_the_machine_could_not_reach_is_not_a_miss() {
        let verdict = |free: f64, std: Option<f64>| {
            let f = Findings {
                free2_speedup: Some(free),
                std2_speedup: std,
                ..Findings::default()
            };
            f.goal_list(2)[1].verdict
        };
        assert_eq!(verdict(1.5, Some(1.17)), Verdict::CouldNotShow);
        assert_eq!(verdict(1.5, Some(1.95)), Verdict::Missed);
        assert_eq!(verdict(1.5, None), Verdict::Missed);
        assert_eq!(verdict(1.9, Some(1.5)), Verdict::Met);
        assert_eq!(verdict(f64::NAN, Some(1.5)), Verdict::NotMeasured);
        let f = Findings {
            free2_speedup: Some(1.5),
            std2_speedup: Some(1.17),
            ..Findings::default()
        };
        assert_eq!(f.goals(2).rows[1][3], "machine could not show it");
        // A verdict the machine could not give is never also "noisy: rerun"'d as met/missed.
        assert!(!f.goal_list(2)[1].noisy);
    }

    #[test]
    fn goals_round_trip_through_json() {
        let f = Findings {
            cpu2_vs_seq: Some(1.01),
            loads: vec![(Scenario::Cpu, LoadReading::default())],
            ..Findings::default()
        };
        let list = f.goal_list(2);
        let text = serde_json::to_string(&list).unwrap();
        assert!(text.contains("\"verdict\":\"met\""), "{text}");
        assert!(text.contains("\"cmp\":\"at_most\""), "{text}");
        let back: Vec<Goal> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, list);
    }
}
