//! The mode-switch latency of issue #15 ("a mode switch with 4 threads running `check()`
//! loops ≤ 2 switch intervals"): [`mode_switches`] times [`Gil::set_mode`] both ways while
//! [`Spinners`] hold the GIL, and [`bare_stops`] times the same stop-the-world handshake with
//! no GIL at all, the floor of the free-threaded → enabled direction on this machine.
//!
//! Before each timed switch every thread has run since the last one (in the mode that one
//! set: enabled, each has had its turn of the GIL), and then the switcher pauses [`PAUSE`]
//! plus a share of the interval that walks the golden-ratio sequence, so the switches fall
//! at every phase of a holder's slice.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode, Policy};

use crate::workload::{Spinners, work_unit};

/// The least pause before a timed switch, once every thread has run since the last one.
pub const PAUSE: Duration = Duration::from_millis(5);

/// How long the switcher waits for every thread to run since the last switch before it
/// times the next one anyway (and counts it in [`SwitchTimes::unsettled`]).
pub const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// One run's switch times in call order, ms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SwitchTimes {
    /// Free-threaded → enabled: `set_mode(Mode::Enabled)`, or the bare handshake.
    pub to_enabled_ms: Vec<f64>,
    /// Enabled → free-threaded: `set_mode(Mode::FreeThreaded)` (empty for the bare probe).
    pub to_free_ms: Vec<f64>,
    /// Switches timed although some thread had not run since the last one (within
    /// [`SETTLE_LIMIT`]).
    pub unsettled: usize,
}

/// The pause before the `i`th timed switch: [`PAUSE`] + frac(i·φ)·`spread`.
fn pause(i: usize, spread: Duration) -> Duration {
    let phase = (i as f64 * 0.618_033_988_749_895).fract();
    PAUSE + spread.mul_f64(phase)
}

/// Waits until every one of `counts()` differs from `since` (each thread ran since then),
/// at most [`SETTLE_LIMIT`]; returns whether they all did.
fn settle(since: &[u64], counts: impl Fn() -> Vec<u64>) -> bool {
    let t = Instant::now();
    loop {
        if counts().iter().zip(since).all(|(now, then)| now != then) {
            return true;
        }
        if t.elapsed() > SETTLE_LIMIT {
            return false;
        }
        thread::sleep(Duration::from_micros(500));
    }
}

/// `f`'s wall-clock time, ms.
fn time_ms(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

/// `k` [`Spinners`] (each a [`work_unit`] + `check()` loop) hold a free-threaded GIL of
/// `policy` and `interval`; the calling thread, holding nothing, switches it to enabled and
/// back `reps` times, timing each `set_mode` call.
///
/// # Panics
///
/// If `interval` is zero, a spinner panicked, or a switch did not leave the GIL in the mode
/// asked for.
pub fn mode_switches(policy: Policy, interval: Duration, k: usize, reps: usize) -> SwitchTimes {
    let gil = Gil::builder()
        .policy(policy)
        .mode(Mode::FreeThreaded)
        .switch_interval(interval)
        .build()
        .expect("non-zero interval");
    let spinners = Spinners::start(&gil, k);
    let mut t = SwitchTimes::default();
    let mut since = vec![0; k];
    for i in 0..reps {
        for (j, mode) in [Mode::Enabled, Mode::FreeThreaded].into_iter().enumerate() {
            t.unsettled += usize::from(!settle(&since, || spinners.counts()));
            thread::sleep(pause(2 * i + j, interval));
            let ms = time_ms(|| gil.set_mode(mode));
            since = spinners.counts();
            assert_eq!(gil.mode(), mode, "set_mode returned in the other mode");
            if j == 0 {
                t.to_enabled_ms.push(ms);
            } else {
                t.to_free_ms.push(ms);
            }
        }
    }
    spinners.stop();
    t
}

/// The bare probe's shared state: a stop flag the threads poll as `check()` reads the eval
/// breaker, and their acknowledgements.
#[derive(Debug, Default)]
struct Handshake {
    /// Raised by the switcher; each thread stops at its next poll.
    raised: AtomicBool,
    /// Ends the threads' loops.
    quit: AtomicBool,
    /// How many threads have stopped (reset by the switcher when it lowers the flag).
    acked: Mutex<usize>,
    /// Notified by the last thread to stop, and by the switcher when it lowers the flag.
    changed: Condvar,
}

/// The free-threaded → enabled direction without a GIL: `k` threads run the [`work_unit`]
/// loop polling a flag (a relaxed load, as `check()` reads the eval breaker); the switcher
/// raises it and waits on a condvar until every thread has seen it, counted itself under
/// the mutex and gone to sleep on the condvar (the last one wakes the switcher), then lowers
/// the flag and wakes them. Each raise → all-acked is timed, `reps` times, paced as
/// [`mode_switches`] paces its switches at a 5 ms interval.
///
/// # Panics
///
/// If a thread panicked.
pub fn bare_stops(k: usize, reps: usize) -> SwitchTimes {
    let h = Arc::new(Handshake::default());
    let counts: Vec<_> = (0..k).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let threads: Vec<_> = counts
        .iter()
        .map(|count| {
            let (h, count) = (Arc::clone(&h), Arc::clone(count));
            thread::spawn(move || {
                let (mut n, mut x) = (0u64, 0u64);
                while !h.quit.load(Relaxed) {
                    x = work_unit(x);
                    n += 1;
                    // Relaxed: a progress counter the switcher only compares.
                    count.store(n, Relaxed);
                    // Relaxed: a hint, as the eval breaker is; the mutex orders the rest.
                    if h.raised.load(Relaxed) {
                        let mut acked = h.acked.lock().unwrap_or_else(PoisonError::into_inner);
                        *acked += 1;
                        if *acked == k {
                            h.changed.notify_all();
                        }
                        while h.raised.load(Relaxed) {
                            acked = h
                                .changed
                                .wait(acked)
                                .unwrap_or_else(PoisonError::into_inner);
                        }
                    }
                }
                std::hint::black_box(x);
            })
        })
        .collect();
    let now = || counts.iter().map(|c| c.load(Relaxed)).collect::<Vec<_>>();
    let mut t = SwitchTimes::default();
    let mut since = vec![0; k];
    for i in 0..reps {
        t.unsettled += usize::from(!settle(&since, now));
        thread::sleep(pause(2 * i, Duration::from_millis(5)));
        let ms = time_ms(|| {
            // Raised before taking the mutex, so that no thread that sees it early blocks on
            // the mutex; the count is read under it, and the last thread notifies under it.
            h.raised.store(true, Relaxed);
            let mut acked = h.acked.lock().unwrap_or_else(PoisonError::into_inner);
            while *acked < k {
                acked = h
                    .changed
                    .wait(acked)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            // Lowered under the mutex: a thread re-reads it there after each wake-up.
            *acked = 0;
            h.raised.store(false, Relaxed);
            h.changed.notify_all();
        });
        since = now();
        t.to_enabled_ms.push(ms);
    }
    h.quit.store(true, Relaxed);
    for thread in threads {
        thread.join().expect("probe thread panicked");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_walk_the_interval() {
        let spread = Duration::from_millis(10);
        let ps: Vec<Duration> = (0..20).map(|i| pause(i, spread)).collect();
        assert!(ps.iter().all(|p| *p >= PAUSE && *p < PAUSE + spread));
        // Every tenth of the spread is visited within 20 switches.
        for tenth in 0..10 {
            let lo = PAUSE + spread * tenth / 10;
            assert!(
                ps.iter().any(|p| *p >= lo && *p < lo + spread / 10),
                "{tenth}"
            );
        }
    }

    #[test]
    fn a_few_switches_each_way_and_bare_stops() {
        for policy in [Policy::Fair, Policy::CPython] {
            let t = mode_switches(policy, Duration::from_millis(1), 2, 3);
            assert_eq!((t.to_enabled_ms.len(), t.to_free_ms.len()), (3, 3));
            assert!(
                t.to_enabled_ms
                    .iter()
                    .chain(&t.to_free_ms)
                    .all(|&ms| ms > 0.0)
            );
        }
        let b = bare_stops(2, 3);
        assert_eq!((b.to_enabled_ms.len(), b.to_free_ms.len()), (3, 0));
        assert!(b.to_enabled_ms.iter().all(|&ms| ms > 0.0));
    }
}
