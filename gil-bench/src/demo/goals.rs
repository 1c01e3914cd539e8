//! The goal table: the project's goals checked against what the demo measured, each verdict
//! with the load it was taken under.

use serde::Serialize;

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
    /// The share of CPU time the hypervisor took during each scenario that ran, where known.
    pub steal: Vec<(Scenario, f64)>,
    /// Runnable threads outside this run during each scenario that ran (median), where known.
    pub outside: Vec<(Scenario, f64)>,
}

impl Findings {
    /// The goal table: goal, bar, measured value, verdict, and the load it was measured under:
    /// the hypervisor's steal and the runnable threads outside this run (a verdict taken
    /// above [`STEAL_LIMIT`](crate::load::STEAL_LIMIT) or next to outside load,
    /// [`LoadReading::is_noisy`], says so).
    pub fn goals(&self, cores: usize) -> Table {
        let mut t = Table::new(&[
            "goal",
            "bar",
            "measured",
            "verdict",
            "steal",
            "outside load",
        ]);
        for g in self.goal_list(cores) {
            t.row(vec![
                g.goal.to_owned(),
                g.bar.to_owned(),
                g.measured,
                g.verdict,
                g.steal
                    .map_or("—".to_owned(), |x| format!("{} %", num(x * 100.0, 1))),
                g.outside_load.map_or("—".to_owned(), |x| num(x, 1)),
            ]);
        }
        t
    }

    /// The rows of [`Findings::goals`], with their figures as numbers.
    pub fn goal_list(&self, cores: usize) -> Vec<Goal> {
        let mut list = Vec::new();
        let of =
            |v: &[(Scenario, f64)], sc: Scenario| v.iter().find(|(s, _)| *s == sc).map(|(_, x)| *x);
        let during = |sc: Scenario| LoadReading {
            steal: of(&self.steal, sc),
            outside: of(&self.outside, sc),
            ..LoadReading::default()
        };
        let mut row = |goal: &'static str,
                       bar: &'static str,
                       l: LoadReading,
                       value: Option<f64>,
                       measured: String,
                       verdict: String| {
            let noisy = l.is_noisy() && matches!(verdict.as_str(), "met" | "MISSED");
            list.push(Goal {
                goal,
                bar,
                value,
                measured,
                verdict: if noisy {
                    format!("{verdict} (noisy: rerun)")
                } else {
                    verdict
                },
                steal: l.steal,
                outside_load: l.outside,
            });
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
            self.cpu2_vs_seq,
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
            self.free2_speedup,
            free_val,
            free,
        );
        row(
            "convoy slowdown next to 1 spinner (Fair)",
            "≤ 1.5×",
            during(Scenario::Convoy),
            self.convoy_fair,
            val(self.convoy_fair, "×"),
            verdict(self.convoy_fair, |x| x <= 1.5),
        );
        row(
            "K = 4 wait p99 (Fair)",
            "≤ 3.3 × interval",
            during(Scenario::Share),
            self.k4_p99_intervals,
            val(self.k4_p99_intervals, " × interval"),
            verdict(self.k4_p99_intervals, |x| x <= 3.3),
        );
        row(
            "uncontended Lock vs std Mutex",
            "≤ 1.2×",
            during(Scenario::Lock),
            self.lock_vs_std,
            val(self.lock_vs_std, "×"),
            verdict(self.lock_vs_std, |x| x <= 1.2),
        );
        for (goal, bar, l, value, measured, verdict) in goal_rows(&self.under_load) {
            row(
                goal,
                bar,
                l.unwrap_or(during(Scenario::Load)),
                value,
                measured,
                verdict,
            );
        }
        list
    }
}

/// One row of the goal table, as `results.json` carries it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    /// What is measured.
    pub goal: &'static str,
    /// The bar it must meet.
    pub bar: &'static str,
    /// The figure the verdict is taken on (a ratio, or a multiple of the switch interval);
    /// `None` when the scenario did not run, `NaN` (`null` in JSON) when not measured.
    pub value: Option<f64>,
    /// The figure as the table shows it, with its context.
    pub measured: String,
    /// `met`, `MISSED`, `not measured`, `not run` or `n/a (…)`, with `(noisy: rerun)` when
    /// taken under load.
    pub verdict: String,
    /// The share of CPU time the hypervisor took meanwhile, where known.
    pub steal: Option<f64>,
    /// Runnable threads outside this run meanwhile (median), where known.
    pub outside_load: Option<f64>,
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

/// A goal row of the load scenario: goal, bar, the load it ran under (`None` when it did not
/// run), the figure, the figure as text, verdict.
type GoalRow = (
    &'static str,
    &'static str,
    Option<LoadReading>,
    Option<f64>,
    String,
    String,
);

/// The load scenario's rows of the goal table (issue 12), from `levels`.
fn goal_rows(levels: &[UnderLoad]) -> Vec<GoalRow> {
    let level = |b: usize| levels.iter().find(|l| l.burners == b);
    let verdict = |r: f64, also: bool| {
        if !r.is_finite() {
            "not measured"
        } else if r <= 0.5 && also {
            "met"
        } else {
            "MISSED"
        }
        .to_owned()
    };
    let not_run = |goal, bar| (goal, bar, None, None, "—".to_owned(), "not run".to_owned());
    let mut rows = Vec::new();
    for (b, goal, bar) in [
        (
            1,
            "convoy slowdown, 1 spinner, next to 1 busy process: Fair / CPython",
            "≤ 0.5× CPython 3.13's, spinner share ≥ 0.4",
        ),
        (
            2,
            "convoy slowdown, 1 spinner, next to 2 busy processes: Fair / CPython",
            "≤ 0.5× CPython 3.13's",
        ),
    ] {
        rows.push(level(b).map_or_else(
            || not_run(goal, bar),
            |l| {
                let measured = format!(
                    "{} (Fair {}, {} {}; share {})",
                    times(l.convoy_ratio),
                    times(l.convoy_fair),
                    l.python,
                    times(l.convoy_python),
                    num(l.share_fair, 2)
                );
                let ok = verdict(l.convoy_ratio, b != 1 || l.share_fair >= 0.4);
                (goal, bar, Some(l.load), Some(l.convoy_ratio), measured, ok)
            },
        ));
    }
    let (goal, bar) = (
        "K = 4 wait p99 next to 1 busy process: Fair / CPython",
        "≤ 0.5× CPython 3.13's p99",
    );
    rows.push(level(1).map_or_else(
        || not_run(goal, bar),
        |l| {
            let measured = format!(
                "{} (Fair {}, {} {} × interval)",
                times(l.k4_ratio),
                num(l.k4_fair, 2),
                l.python,
                num(l.k4_python, 2)
            );
            let ok = verdict(l.k4_ratio, true);
            (goal, bar, Some(l.load), Some(l.k4_ratio), measured, ok)
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
            convoy_fair: Some(f64::NAN),
            k4_p99_intervals: Some(3.0),
            lock_vs_std: Some(1.0),
            race_lost_gil: None,
            race_lost_locked: None,
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
}
