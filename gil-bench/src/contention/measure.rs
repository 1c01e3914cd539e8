//! One contention test: `threads` threads loop lock, work inside, unlock, work outside,
//! until the time is up; each thread's rate.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, Policy};

use super::settings::{LockKind, Settings};
use crate::stats::interleaved;
use crate::workload::gil;

/// The GIL rows' switch interval, CPython's default.
const GIL_INTERVAL: Duration = Duration::from_millis(5);

/// Something with a critical section: `locked(f)` runs `f` with the lock held.
trait Critical: Send + Sync + 'static {
    fn locked(&self, f: impl FnOnce());
}

impl Critical for gil_sync::Lock {
    fn locked(&self, f: impl FnOnce()) {
        let _guard = self.acquire();
        f();
    }
}

impl Critical for gil_sync::RLock {
    fn locked(&self, f: impl FnOnce()) {
        let _guard = self.acquire();
        f();
    }
}

impl Critical for gil_sync::Semaphore {
    fn locked(&self, f: impl FnOnce()) {
        let _guard = self.acquire();
        f();
    }
}

impl Critical for std::sync::Mutex<()> {
    fn locked(&self, f: impl FnOnce()) {
        let _guard = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f();
    }
}

impl Critical for parking_lot::Mutex<()> {
    fn locked(&self, f: impl FnOnce()) {
        let _guard = self.lock();
        f();
    }
}

impl Critical for Gil {
    fn locked(&self, f: impl FnOnce()) {
        let _guard = self.acquire();
        f();
    }
}

/// Keeps its value on its own pair of cache lines, so the lock, the shared value and the stop
/// flag do not falsely share (`parking_lot` pads its lock with 300 bytes on each side).
#[repr(align(128))]
struct Padded<T>(T);

/// `n` units of work on `x`, feeding in `v`: `x = (x + v) * 1.01`, the `f64` add and
/// multiply of `parking_lot`'s benchmark (about 3 ns a unit, dependent, and not foldable: the
/// compiler may not reassociate floating point).
//
// Not `crate::work_unit`: its 32 wrapping integer steps are affine, so LLVM folds them into
// one multiply-add (about 1.5 ns measured, not the 20-40 ns its docs say).
#[inline]
fn work(mut x: f64, v: f64, n: u32) -> f64 {
    for _ in 0..n {
        x += v;
        x *= 1.01;
    }
    x
}

/// One test of `lock` on `threads` threads; each thread's rate in rounds per second.
fn measure<L: Critical>(lock: L, threads: usize, settings: &Settings) -> Vec<f64> {
    let lock = Arc::new(Padded(lock));
    // The shared `f64`, as bits.
    let shared = Arc::new(Padded(AtomicU64::new(0)));
    let stop = Arc::new(Padded(AtomicBool::new(false)));
    let start = Arc::new(Barrier::new(threads + 1));
    let (inside, outside) = (settings.work_inside, settings.work_outside);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (lock, shared) = (Arc::clone(&lock), Arc::clone(&shared));
            let (stop, start) = (Arc::clone(&stop), Arc::clone(&start));
            thread::spawn(move || {
                let (mut rounds, mut local, mut value) = (0u64, 0.0f64, 1.0f64);
                start.wait();
                // At least one round, so every thread's rate is positive however late the
                // scheduler lets it start.
                loop {
                    lock.0.locked(|| {
                        if inside > 0 {
                            // Relaxed: the lock orders these accesses; the value only gives
                            // the critical section a shared cache line to work on, as
                            // parking_lot's shared `f64` does.
                            let s = work(f64::from_bits(shared.0.load(Relaxed)), value, inside);
                            shared.0.store(s.to_bits(), Relaxed);
                            value = s;
                        }
                    });
                    local = work(local, value, outside);
                    value = local;
                    rounds += 1;
                    // Relaxed: a stop request; nothing is published with it.
                    if stop.0.load(Relaxed) {
                        break;
                    }
                }
                std::hint::black_box(local);
                rounds
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    thread::sleep(settings.duration);
    stop.0.store(true, Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    workers
        .into_iter()
        .map(|w| w.join().expect("contention worker panicked") as f64 / elapsed)
        .collect()
}

/// One test: `threads` threads contend on a fresh lock of `kind` for `settings.duration`;
/// returns each thread's rate in rounds (lock, work inside, unlock, work outside) per second.
/// `settings.threads` and `settings.iterations` are not read.
///
/// Blocks for `settings.duration`, plus however long the threads take to notice the stop
/// flag (one round each, which for a GIL can be one switch interval).
///
/// # Panics
///
/// If `threads` is 0 or a thread cannot be spawned.
pub fn run_once(kind: LockKind, threads: usize, settings: &Settings) -> Vec<f64> {
    assert!(threads > 0, "contention needs at least one thread");
    match kind {
        LockKind::Lock => measure(gil_sync::Lock::new(), threads, settings),
        LockKind::RLock => measure(gil_sync::RLock::new(), threads, settings),
        LockKind::Semaphore => measure(gil_sync::Semaphore::new(1), threads, settings),
        LockKind::StdMutex => measure(std::sync::Mutex::new(()), threads, settings),
        LockKind::ParkingLot => measure(parking_lot::Mutex::new(()), threads, settings),
        LockKind::GilFair => measure(gil(Policy::Fair, GIL_INTERVAL), threads, settings),
        LockKind::GilCPython => measure(gil(Policy::CPython, GIL_INTERVAL), threads, settings),
    }
}

/// `settings.iterations` tests of `kind` back to back: `rates[iteration][thread]`.
///
/// # Panics
///
/// As [`run_once`].
pub fn run(kind: LockKind, threads: usize, settings: &Settings) -> Vec<Vec<f64>> {
    (0..settings.iterations)
        .map(|_| run_once(kind, threads, settings))
        .collect()
}

/// `settings.iterations` iterations, each running every kind of `kinds` once, in an order
/// rotated by one per iteration (so that the machine's drift does not favour the kind that
/// runs first); `rates[kind][iteration][thread]`, `kind` indexing `kinds`.
///
/// # Panics
///
/// As [`run_once`].
pub fn run_interleaved(
    kinds: &[LockKind],
    threads: usize,
    settings: &Settings,
) -> Vec<Vec<Vec<f64>>> {
    interleaved(kinds.len(), settings.iterations, |k| {
        run_once(kinds[k], threads, settings)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_makes_progress() {
        let settings = Settings {
            threads: vec![2],
            work_inside: 1,
            work_outside: 1,
            duration: Duration::from_millis(20),
            iterations: 1,
        };
        let rates = run_interleaved(&LockKind::ALL, 2, &settings);
        assert_eq!(rates.len(), LockKind::ALL.len());
        for (kind, per_iteration) in LockKind::ALL.iter().zip(&rates) {
            assert_eq!(per_iteration.len(), 1, "{kind:?}");
            assert_eq!(per_iteration[0].len(), 2, "{kind:?}");
            for &r in &per_iteration[0] {
                assert!(r > 0.0 && r.is_finite(), "{kind:?}: rate {r}");
            }
        }
    }
}
