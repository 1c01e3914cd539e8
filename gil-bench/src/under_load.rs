//! The load scenario's measurements, shared by the harness's `load` table and the demo's
//! `load` scenario: the convoy and sharing figures of the Fair and CPython policies and of
//! CPython beside us, next to 0, 1, 2… [`Burners`], interleaved round by round, each run with
//! the [`LoadReading`] it ran under.

use std::io;
use std::thread;
use std::time::Duration;

use gil_core::Policy;

use crate::convoy::convoy_summary;
use crate::cpython::Python;
use crate::load::{Burners, LoadReading, Sampler};
use crate::sharing::{baton, fairness};
use crate::stats::{median, try_interleaved};
use crate::workload::gil;

/// What to measure at every level (the harness and the demo size it differently).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Burner counts, e.g. `[0, 1, 2]`.
    pub levels: Vec<usize>,
    /// Interleaved rounds.
    pub rounds: usize,
    /// The switch interval of the convoy and of the `k` sharing row.
    pub interval: Duration,
    /// Socketpair round trips per convoy run.
    pub trips: usize,
    /// A convoy run stops after this long.
    pub budget: Duration,
    /// How long the spinners' solo rate is measured (their share's reference).
    pub solo: Duration,
    /// The convoy rows' spinner counts (a run without spinners is their baseline).
    pub spinners: Vec<usize>,
    /// The sharing row's thread count.
    pub k: usize,
    /// How long each sharing run lasts.
    pub sharing: Duration,
    /// A second sharing row: this many threads at this interval, longest wait only.
    pub many: Option<(usize, Duration)>,
}

/// One convoy row of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Convoy {
    /// Time per round trip over that without spinners.
    pub slowdown: f64,
    /// Trip latency percentiles, µs.
    pub p50: f64,
    /// 99th percentile trip, µs.
    pub p99: f64,
    /// The spinners' rate over their solo rate.
    pub share: f64,
    /// The bare probe, beside the Fair variant only (`NaN` elsewhere): the same convoy with
    /// no lock at all (a free-threaded GIL), right after Fair's under the same load. Its
    /// spinners run whenever the OS lets them, so its slowdown is what the trips lose to
    /// them and the burners for CPU time alone: the floor for any GIL that lets the
    /// spinners run as much.
    pub bare_slowdown: f64,
    /// The bare probe's spinner share.
    pub bare_share: f64,
}

/// One variant's figures in one round; `NaN` where not measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// One per [`Plan::spinners`].
    pub convoy: Vec<Convoy>,
    /// The `k` sharing row: wait p99, ms.
    pub wait_p99_ms: f64,
    /// The `k` sharing row: longest wait, ms.
    pub wait_max_ms: f64,
    /// The [`Plan::many`] row: longest wait, ms.
    pub many_max_ms: f64,
    /// The bare probe of the fair policy's sharing ([`crate::baton`]), run right after the
    /// Fair variant's own sharing rows under the same load: the `k` row's wait p99 and the
    /// [`Plan::many`] row's longest wait, ms (`NaN` for the other variants).
    pub bare_p99_ms: f64,
    /// See `bare_p99_ms`.
    pub bare_many_max_ms: f64,
}

impl Figures {
    fn unknown(plan: &Plan) -> Self {
        let nan = f64::NAN;
        Self {
            convoy: vec![
                Convoy {
                    slowdown: nan,
                    p50: nan,
                    p99: nan,
                    share: nan,
                    bare_slowdown: nan,
                    bare_share: nan,
                };
                plan.spinners.len()
            ],
            wait_p99_ms: nan,
            bare_p99_ms: nan,
            bare_many_max_ms: nan,
            wait_max_ms: nan,
            many_max_ms: nan,
        }
    }

    /// A GIL of `policy`.
    fn ours(plan: &Plan, policy: Policy) -> Self {
        let counts: Vec<usize> = std::iter::once(0)
            .chain(plan.spinners.iter().copied())
            .collect();
        let rows = convoy_summary(
            &gil(policy, plan.interval),
            &counts,
            plan.trips,
            plan.budget,
            1,
            Some(plan.solo),
        );
        let bare = policy == Policy::Fair;
        let bare_rows = if bare {
            let free = gil_core::Gil::builder()
                .mode(gil_core::Mode::FreeThreaded)
                .build()
                .expect("default interval");
            convoy_summary(&free, &counts, plan.trips, plan.budget, 1, Some(plan.solo))
        } else {
            Vec::new()
        };
        let share = fairness(policy, plan.k, plan.interval, plan.sharing);
        Self {
            bare_p99_ms: if bare {
                baton(plan.k, plan.interval, plan.sharing).wait_ms_p99
            } else {
                f64::NAN
            },
            bare_many_max_ms: match plan.many {
                Some((k, iv)) if bare => baton(k, iv, plan.sharing).wait_ms_max,
                _ => f64::NAN,
            },
            convoy: rows[1..]
                .iter()
                .enumerate()
                .map(|(i, r)| Convoy {
                    slowdown: r.slowdown,
                    p50: r.p50,
                    p99: r.p99,
                    share: r.share,
                    bare_slowdown: bare_rows.get(i + 1).map_or(f64::NAN, |b| b.slowdown),
                    bare_share: bare_rows.get(i + 1).map_or(f64::NAN, |b| b.share),
                })
                .collect(),
            wait_p99_ms: share.wait_ms_p99,
            wait_max_ms: share.wait_ms_max,
            many_max_ms: plan.many.map_or(f64::NAN, |(k, iv)| {
                fairness(policy, k, iv, plan.sharing).wait_ms_max
            }),
        }
    }

    /// CPython beside us: one run of the script's `load` scenario.
    fn cpython(plan: &Plan, py: &Python) -> Self {
        let list = |xs: &[usize]| {
            xs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let ms = |d: Duration| (d.as_secs_f64() * 1e3).to_string();
        let mut args = vec![
            ("trips", plan.trips.to_string()),
            ("budget_s", plan.budget.as_secs_f64().to_string()),
            ("spinners", format!("0,{}", list(&plan.spinners))),
            ("interval_ms", ms(plan.interval)),
            ("k", plan.k.to_string()),
            ("duration_s", plan.sharing.as_secs_f64().to_string()),
        ];
        if let Some((k, iv)) = plan.many {
            args.extend([("fast_k", k.to_string()), ("fast_interval_ms", ms(iv))]);
        }
        match py.run("load", &args) {
            Ok(r) => Self {
                convoy: plan
                    .spinners
                    .iter()
                    .map(|s| Convoy {
                        slowdown: r.get(&format!("s{s}_slowdown")),
                        p50: r.get(&format!("s{s}_p50_us")),
                        p99: r.get(&format!("s{s}_p99_us")),
                        share: r.get(&format!("s{s}_share")),
                        bare_slowdown: f64::NAN,
                        bare_share: f64::NAN,
                    })
                    .collect(),
                wait_p99_ms: r.get(&format!("k{}_wait_p99_ms", plan.k)),
                wait_max_ms: r.get(&format!("k{}_wait_max_ms", plan.k)),
                many_max_ms: plan
                    .many
                    .map_or(f64::NAN, |(k, _)| r.get(&format!("fast_k{k}_wait_max_ms"))),
                bare_p99_ms: f64::NAN,
                bare_many_max_ms: f64::NAN,
            },
            Err(e) => {
                eprintln!("  note: {e}; going on without CPython's numbers for this run");
                Self::unknown(plan)
            }
        }
    }
}

/// Everything a load scenario measured: `runs[level][variant][round]`.
#[derive(Debug)]
pub struct Measured {
    /// What was measured.
    pub plan: Plan,
    /// The variants' JSON keys: `fair`, `cpython` (the policy), and CPython beside us
    /// (`cpython313`) when it ran.
    pub keys: Vec<String>,
    /// The figures and readings.
    pub runs: ByLevel<Figures>,
}

impl Measured {
    /// CPython beside us, as a variant index.
    pub fn py(&self) -> Option<usize> {
        (self.keys.len() == 3).then_some(2)
    }

    /// `f` of each round of variant `v` at level `lvl`.
    pub fn col(&self, lvl: usize, v: usize, f: impl Fn(&Figures) -> f64) -> Vec<f64> {
        self.runs[lvl][v].iter().map(|r| f(&r.0)).collect()
    }

    /// The median over rounds of `f` of variant `v` at level `lvl`.
    pub fn med(&self, lvl: usize, v: usize, f: impl Fn(&Figures) -> f64) -> f64 {
        median(&self.col(lvl, v, f))
    }

    /// The median per-round ratio of `f` of variant `v` over variant `w` (a round's variants
    /// ran seconds apart, so the machine's drift mostly cancels); `NaN` when `v == w`.
    pub fn ratio(&self, lvl: usize, v: usize, w: usize, f: impl Fn(&Figures) -> f64) -> f64 {
        if v == w {
            return f64::NAN;
        }
        let (ours, theirs) = (self.col(lvl, v, &f), self.col(lvl, w, &f));
        median(
            &ours
                .iter()
                .zip(&theirs)
                .map(|(x, y)| x / y)
                .collect::<Vec<_>>(),
        )
    }

    /// [`Measured::ratio`] over CPython beside us (`NaN` without it).
    pub fn vs_py(&self, lvl: usize, v: usize, f: impl Fn(&Figures) -> f64) -> f64 {
        self.py().map_or(f64::NAN, |p| self.ratio(lvl, v, p, f))
    }

    /// The load variant `v` ran under at level `lvl` (medians over rounds).
    pub fn load(&self, lvl: usize, v: usize) -> LoadReading {
        LoadReading::median_of(&self.runs[lvl][v].iter().map(|r| r.1).collect::<Vec<_>>())
    }

    /// The load at level `lvl`, every variant and round.
    pub fn level_load(&self, lvl: usize) -> LoadReading {
        LoadReading::median_of(
            &self.runs[lvl]
                .iter()
                .flatten()
                .map(|r| r.1)
                .collect::<Vec<_>>(),
        )
    }
}

/// Measures `plan` for the Fair and CPython policies and, with `py`, CPython beside us.
///
/// # Errors
///
/// A burner cannot be started.
///
/// # Panics
///
/// On a socket error or a failed worker thread.
pub fn measure(plan: Plan, py: Option<&Python>) -> io::Result<Measured> {
    let mut keys = vec!["fair".to_owned(), "cpython".to_owned()];
    keys.extend(py.map(Python::tag));
    // One level's variants, twice over for a slow machine (the burners stop by themselves
    // after this plus a margin, or as soon as we are gone).
    let per_variant = plan.budget * 2 * (plan.spinners.len() as u32 + 1)
        + plan.solo * 2 * plan.spinners.len() as u32
        + plan.sharing * 2 * (1 + u32::from(plan.many.is_some()))
        + Duration::from_millis(300);
    let slot = per_variant * 2 * keys.len() as u32;
    let runs = under_load(&plan.levels, keys.len(), plan.rounds, slot, |_, v| {
        match (v, py) {
            (0, _) => Figures::ours(&plan, Policy::Fair),
            (1, _) => Figures::ours(&plan, Policy::CPython),
            (_, Some(py)) => Figures::cpython(&plan, py),
            (_, None) => Figures::unknown(&plan),
        }
    })?;
    Ok(Measured { plan, keys, runs })
}

/// What [`under_load`] returns: `results[level][variant][round]`, each with its reading.
pub type ByLevel<T> = Vec<Vec<Vec<(T, LoadReading)>>>;

/// Runs `measure(level, variant)` for each burner count in `levels` and each of `variants`
/// variants, `rounds` times. Each round visits the levels in a rotated order (as
/// [`crate::interleaved`]); at each level it starts that many [`Burners`] (living `slot`, the
/// caller's estimate of one level's variants, plus [`MARGIN`](crate::load::MARGIN)), runs the variants in an order
/// rotated by round and level, each under a [`Sampler`], and stops the burners. Returns
/// `results[level][variant]` in round order.
///
/// # Errors
///
/// A burner cannot be started.
pub fn under_load<T>(
    levels: &[usize],
    variants: usize,
    rounds: usize,
    slot: Duration,
    mut measure: impl FnMut(usize, usize) -> T,
) -> io::Result<ByLevel<T>> {
    let mut calls = 0;
    let per_level = try_interleaved(levels.len(), rounds, |li| {
        let round = calls / levels.len();
        calls += 1;
        let mut burners = Burners::start(levels[li], slot)?;
        if levels[li] > 0 {
            thread::sleep(Duration::from_millis(50)); // let them reach a CPU
        }
        let mut runs: Vec<Option<(T, LoadReading)>> = (0..variants).map(|_| None).collect();
        for j in 0..variants {
            let v = (round + li + j) % variants;
            let sampler = Sampler::start();
            let result = measure(li, v);
            runs[v] = Some((result, sampler.stop()));
        }
        let alive = burners.alive();
        if alive < levels[li] {
            eprintln!(
                "  note: {} of {} burners ended before the measurements did: the level took \
                 longer than planned, and part of it ran without them",
                levels[li] - alive,
                levels[li]
            );
        }
        drop(burners);
        Ok::<_, io::Error>(runs.into_iter().flatten().collect::<Vec<_>>())
    })?;
    Ok(per_level
        .into_iter()
        .map(|level_rounds| {
            let mut by_variant: Vec<Vec<(T, LoadReading)>> =
                (0..variants).map(|_| Vec::new()).collect();
            for round in level_rounds {
                for (v, run) in round.into_iter().enumerate() {
                    by_variant[v].push(run);
                }
            }
            by_variant
        })
        .collect())
}

#[cfg(test)]
mod tests;
