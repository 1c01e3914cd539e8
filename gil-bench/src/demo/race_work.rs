//! The race scenario's measurements: `counter += 1` run as an interpreter runs it — load,
//! the eval breaker, add, store — on several gil-runtime threads sharing one counter, with
//! and without a `gil_sync::Lock` around the three steps; updates lost are counted.
//!
//! The counter is a [`GilCell`], as the VM example (`gil-runtime/examples/vm`) keeps each
//! global: with the GIL enabled the GIL protects it, free-threaded each access takes the
//! cell's own lock (per-object locking, as CPython 3.13t). Either way each step is atomic on
//! its own and the read-modify-write is not: under the GIL another thread runs when
//! [`GilGuard::check`] hands the GIL over between the load and the store (exactly where
//! CPython can switch, at an eval-breaker check inside `counter += 1`), free-threaded the
//! other threads run at the same time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gil_core::{Gil, GilCell, GilGuard, Interrupt, Turn};
use gil_runtime::Runtime;
use gil_sync::Lock;

use super::scenarios::{part, run_threads};

/// One `counter += 1` in three steps: load (a borrow of the cell), the eval breaker (which
/// may hand the GIL to another thread), add and store (a second borrow). Returns the eval
/// breaker's [`Turn`]: [`Turn::Switched`] when the GIL changed hands between the load and
/// the store.
///
/// # Errors
///
/// The [`Interrupt`] `check()` returned; the increment is then not stored (the exception
/// would leave `counter` as it was).
pub(super) fn increment(
    counter: &GilCell<u64>,
    guard: &mut GilGuard<'_>,
) -> Result<Turn, Interrupt> {
    let v = *counter.borrow(guard); // LOAD_GLOBAL counter
    let turn = guard.check()?; // the eval breaker: another thread may run here
    *counter.borrow_mut(guard) = v + 1; // BINARY_OP +, STORE_GLOBAL counter
    Ok(turn)
}

/// [`increment`] holding `lock` around the three steps (Python's `with lock: counter += 1`).
/// A thread given the GIL while another holds the lock blocks in `acquire`, which releases the
/// GIL, so the holder gets it back and stores before anyone else loads.
///
/// # Errors
///
/// As [`increment`].
pub(super) fn increment_locked(
    counter: &GilCell<u64>,
    lock: &Lock,
    guard: &mut GilGuard<'_>,
) -> Result<Turn, Interrupt> {
    let _held = lock.acquire();
    increment(counter, guard)
}

/// Updates lost: `expected − counted`. A counter that only loses updates cannot end above
/// what was expected; if it did, that would be a bug here, and 0 is returned (in debug builds
/// it panics).
pub(super) fn lost(expected: u64, counted: u64) -> u64 {
    debug_assert!(
        counted <= expected,
        "{counted} counted for {expected} increments"
    );
    expected.saturating_sub(counted)
}

/// One run of the race.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RaceRun {
    /// Increments made, all threads together.
    pub(super) expected: u64,
    /// The counter at the end.
    pub(super) counted: u64,
    /// How often the GIL changed hands between a load and its store (0 free-threaded: there
    /// the threads overlap without any hand-over).
    pub(super) mid_switches: u64,
    /// From the first thread's start to the last one's join.
    pub(super) wall: Duration,
}

impl RaceRun {
    /// Updates lost ([`lost`]).
    pub(super) fn lost(&self) -> u64 {
        lost(self.expected, self.counted)
    }

    /// Updates lost, as a fraction of the increments made.
    pub(super) fn lost_fraction(&self) -> f64 {
        self.lost() as f64 / self.expected.max(1) as f64
    }

    /// Wall time per increment, in nanoseconds (all threads together).
    pub(super) fn ns_per_increment(&self) -> f64 {
        self.wall.as_secs_f64() * 1e9 / self.expected.max(1) as f64
    }
}

/// `increments` of one shared counter split over `k` threads of `rt`, each thread looping
/// `increment` (or [`increment_locked`] when `locked`) with the loop's own eval-breaker check
/// at its back edge, as CPython checks at `JUMP_BACKWARD`.
///
/// # Errors
///
/// As [`run_threads`], and a thread interrupted mid-run (its remaining increments would be
/// counted as lost).
pub(super) fn race_threads(
    rt: &Runtime,
    k: usize,
    increments: u64,
    locked: bool,
) -> Result<RaceRun, String> {
    let counter = Arc::new(GilCell::new(rt.gil(), 0u64));
    let mid = Arc::new(GilCell::new(rt.gil(), 0u64));
    let interrupted = Arc::new(GilCell::new(rt.gil(), false));
    let lock = Arc::new(Lock::new());
    let wall = {
        let (counter, mid, interrupted) = (counter.clone(), mid.clone(), interrupted.clone());
        run_threads(rt, k, move |i, guard| {
            let mut switched = 0u64;
            let mut run = || -> Result<(), Interrupt> {
                for _ in 0..part(increments, k, i) {
                    let turn = if locked {
                        increment_locked(&counter, &lock, guard)?
                    } else {
                        increment(&counter, guard)?
                    };
                    switched += u64::from(turn.switched());
                    guard.check()?; // the loop's back edge
                }
                Ok(())
            };
            if run().is_err() {
                *interrupted.borrow_mut(guard) = true;
            }
            *mid.borrow_mut(guard) += switched;
        })?
    };
    let guard = rt.gil().acquire();
    if *interrupted.borrow(&guard) {
        return Err("a racing thread was interrupted".to_owned());
    }
    Ok(RaceRun {
        expected: increments,
        counted: *counter.borrow(&guard),
        mid_switches: *mid.borrow(&guard),
        wall,
    })
}

/// Nanoseconds per unlocked [`increment`] plus its back-edge check on one thread holding a
/// fresh GIL: the best of three short runs, to size the race so each thread's share lasts a
/// given time.
pub(super) fn ns_per_increment() -> f64 {
    const N: u32 = 200_000;
    let gil = Gil::new();
    let counter = GilCell::new(&gil, 0u64);
    let mut guard = gil.acquire();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t0 = Instant::now();
        for _ in 0..N {
            // Nobody else runs: the eval breaker never interrupts or switches here.
            let _ = increment(&counter, &mut guard);
            let _ = guard.check();
        }
        best = best.min(t0.elapsed().as_secs_f64() * 1e9 / f64::from(N));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::scenarios::Flavor;

    #[test]
    fn lost_is_expected_minus_counted() {
        assert_eq!(lost(10, 10), 0);
        assert_eq!(lost(10, 3), 7);
        assert_eq!(lost(0, 0), 0);
        let run = RaceRun {
            expected: 1000,
            counted: 750,
            mid_switches: 2,
            wall: Duration::from_micros(5),
        };
        assert_eq!(run.lost(), 250);
        assert!((run.lost_fraction() - 0.25).abs() < 1e-12);
        assert!((run.ns_per_increment() - 5.0).abs() < 1e-9);
    }

    /// With the `Lock`, nothing is lost, in every flavour and at every thread count, even
    /// with a tiny switch interval that hands the GIL over mid-increment as often as it can.
    #[test]
    fn the_lock_loses_nothing() {
        for f in Flavor::ALL {
            let rt = f.runtime(Duration::from_micros(20)).unwrap();
            for k in [1, 2, 4] {
                let run = race_threads(&rt, k, 40_003, true).unwrap();
                assert_eq!((run.expected, run.counted, run.lost()), (40_003, 40_003, 0));
            }
        }
    }

    /// One thread alone loses nothing, with or without the lock.
    #[test]
    fn one_thread_loses_nothing() {
        let rt = Flavor::Fair.runtime(Duration::from_millis(5)).unwrap();
        let run = race_threads(&rt, 1, 10_000, false).unwrap();
        assert_eq!((run.counted, run.mid_switches), (10_000, 0));
    }

    /// The mechanism, made deterministic: thread A loads, a switch is forced at the eval
    /// breaker, thread B (queued for the GIL) makes ten increments, then A stores its stale
    /// value + 1: ten updates are lost. With the `Lock`, B blocks on it, A stores first and
    /// nothing is lost.
    #[test]
    fn a_switch_between_load_and_store_loses_the_other_threads_updates() {
        for policy in [gil_core::Policy::Fair, gil_core::Policy::CPython] {
            for locked in [false, true] {
                // An interval far longer than the test: only the forced request switches.
                let gil = Gil::builder()
                    .policy(policy)
                    .switch_interval(Duration::from_mins(1))
                    .build()
                    .unwrap();
                let counter = Arc::new(GilCell::new(&gil, 0u64));
                let lock = Arc::new(Lock::new());
                let mut a = gil.acquire();
                let b = {
                    let (gil, counter, lock) = (gil.clone(), counter.clone(), lock.clone());
                    std::thread::spawn(move || {
                        let mut guard = gil.acquire();
                        for _ in 0..10 {
                            if locked {
                                increment_locked(&counter, &lock, &mut guard).unwrap();
                            } else {
                                increment(&counter, &mut guard).unwrap();
                            }
                        }
                    })
                };
                while gil.waiters() == 0 {
                    std::thread::yield_now();
                }
                gil.request_drop(); // as if B's wait had reached the interval
                let turn = if locked {
                    increment_locked(&counter, &lock, &mut a).unwrap()
                } else {
                    increment(&counter, &mut a).unwrap()
                };
                assert_eq!(turn, Turn::Switched, "{policy:?}");
                drop(a);
                b.join().unwrap();
                let total = *counter.borrow(&gil.acquire());
                let want = if locked { 0 } else { 10 };
                assert_eq!(lost(11, total), want, "{policy:?}, locked: {locked}");
            }
        }
    }
}
