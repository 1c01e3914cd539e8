//! The fixed-duration lock contention harness behind `cargo xtask contention`, modelled on
//! `parking_lot`'s `benchmark/src/mutex.rs`.
//!
//! Each of `threads` threads loops: take the lock, do `work_inside` units of work on a value
//! shared through the lock, release, do `work_outside` units on a local value, count one
//! round. A unit is `parking_lot`'s: one dependent `f64` add and multiply, about 3 ns. After
//! `duration` a shared flag stops them; each thread's count over the elapsed time is its
//! rate. The spread of those rates across threads is the point: a lock that lets one
//! thread take it straight back shows a high mean and a low `min / max`, a hand-off lock the
//! opposite.
//!
//! - [`Settings`]: threads, work inside/outside, seconds per test, iterations.
//! - [`LockKind`]: what is measured, from `gil_sync::Lock` to the GIL itself.
//! - [`run_once`], [`run`], [`run_interleaved`]: per-thread rates (rounds per second).
//! - [`Summary`] (mean, median, std-dev, min, max over threads) and [`Report`] (one table row).
//!
//! # What the GIL rows show
//!
//! A GIL is not meant to be taken and dropped around a short critical section: a Python thread
//! holds it for whole switch intervals (5 ms) and gives it up at `check()` or around blocking
//! calls. Here each round is a full `acquire` + drop of the guard, so:
//!
//! - [`Policy::Fair`] hands the GIL straight to the oldest waiter at every release (it is never
//!   free while anyone waits), so queued threads run in strict turns, one hand-off per round,
//!   and the total is bounded by the hand-off latency (0.2-0.5 µs a round with 2 threads on
//!   the 2-core development VM, up to 5 µs with 4, when the next one must be woken).
//!   Rates are even only while every thread stays queued: a thread the OS preempts between
//!   rounds misses its turns while the others go on, so with more threads than cores
//!   `min / max` can drop well below 1. The switch interval plays no part: no hold lasts
//!   that long.
//! - [`Policy::CPython`] lets the releasing thread take the GIL straight back; a waiter sleeps
//!   a whole interval before it asks for a forced switch, so one thread runs alone for about
//!   5 ms at a time and the rates even out only over many intervals. Each release also
//!   signals the waiters' condition variable, as `drop_gil` does, so every round pays a
//!   mutex and a wake-up: the total stayed at 1-2 MHz with 2 and with 4 threads on the
//!   2-core development VM.
//!
//! Neither says anything about the GIL's cost inside an interpreter (see the `fairness` and
//! `convoy` tables of the harness for that); the rows are there to put the GIL's hand-off
//! discipline next to the mutexes'.
//!
//! # Differences from `parking_lot`'s benchmark
//!
//! - Rates are divided by the measured time, not the nominal seconds.
//! - Each thread completes at least one round, so every rate is positive.
//! - The median of an even count is the mean of the two middle values.
//! - [`run_interleaved`] runs every lock kind once per iteration, in rotated order, because
//!   the speed of a shared VM drifts over seconds and would otherwise favour whichever kind
//!   ran first.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, Policy};

use crate::stats::interleaved;
use crate::workload::gil;

/// What one contention run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The thread counts to try, one table each (default: the available parallelism, at
    /// least 2).
    pub threads: Vec<usize>,
    /// Units of work per critical section (default 1; a unit is about 3 ns).
    pub work_inside: u32,
    /// Units of work between critical sections (default 1).
    pub work_outside: u32,
    /// How long each test runs (default 1 s).
    pub duration: Duration,
    /// How many times each test is repeated (default 3).
    pub iterations: usize,
}

impl Default for Settings {
    /// One thread count (the cores, at least 2), 1 unit inside and outside, 1 s, 3 iterations:
    /// with all seven lock kinds, about 21 s.
    fn default() -> Self {
        let cores = thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            threads: vec![cores.max(2)],
            work_inside: 1,
            work_outside: 1,
            duration: Duration::from_secs(1),
            iterations: 3,
        }
    }
}

/// A lock the harness can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// [`gil_sync::Lock`]: barging, with a direct hand-off to a waiter queued over 1 ms.
    Lock,
    /// [`gil_sync::RLock`], taken once per round.
    RLock,
    /// [`gil_sync::Semaphore`] with one permit.
    Semaphore,
    /// `std::sync::Mutex<()>`: the baseline.
    StdMutex,
    /// `parking_lot::Mutex<()>`: eventually fair (a hand-off every 0.5 ms on average).
    ParkingLot,
    /// [`Gil`] with [`Policy::Fair`] and a 5 ms switch interval: FIFO hand-off.
    GilFair,
    /// [`Gil`] with [`Policy::CPython`] and a 5 ms switch interval: CPython 3.11's GIL.
    GilCPython,
}

impl LockKind {
    /// Every kind, in table order.
    pub const ALL: [Self; 7] = [
        Self::Lock,
        Self::RLock,
        Self::Semaphore,
        Self::StdMutex,
        Self::ParkingLot,
        Self::GilFair,
        Self::GilCPython,
    ];

    /// The name `--locks` takes and JSON rows carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::RLock => "rlock",
            Self::Semaphore => "semaphore",
            Self::StdMutex => "std",
            Self::ParkingLot => "parking_lot",
            Self::GilFair => "gil-fair",
            Self::GilCPython => "gil-cpython",
        }
    }

    /// The kind called `name` (see [`LockKind::name`]), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The table label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lock => "gil_sync::Lock",
            Self::RLock => "gil_sync::RLock",
            Self::Semaphore => "gil_sync::Semaphore(1)",
            Self::StdMutex => "std::sync::Mutex",
            Self::ParkingLot => "parking_lot::Mutex",
            Self::GilFair => "Gil (Fair, 5 ms)",
            Self::GilCPython => "Gil (CPython, 5 ms)",
        }
    }
}

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

/// Mean, median, standard deviation, minimum and maximum of some rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The arithmetic mean.
    pub mean: f64,
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The population standard deviation (dividing by n, as `parking_lot` does).
    pub std_dev: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// The summary of `xs`; `None` when it is empty.
    pub fn of(xs: &[f64]) -> Option<Self> {
        if xs.is_empty() {
            return None;
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        };
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        Some(Self {
            mean,
            median,
            std_dev: var.sqrt(),
            min: v[0],
            max: v[n - 1],
        })
    }
}

/// One table row: a lock kind at one thread count, over all iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The lock measured.
    pub kind: LockKind,
    /// How many threads contended.
    pub threads: usize,
    /// Per-thread rates (rounds per second), pooled over threads and iterations as
    /// `parking_lot` pools them.
    pub per_thread: Summary,
    /// All threads' rounds per second together, mean over iterations.
    pub total: f64,
    /// The slowest thread's rate over the fastest's within one iteration (1 = perfectly even,
    /// near 0 = a thread starved), mean over iterations. Taken per iteration so that the
    /// machine's drift between iterations does not read as unfairness.
    pub fairness: f64,
    /// The same ratio for each iteration, in order.
    pub fairness_by_iteration: Vec<f64>,
}

impl Report {
    /// The row for `rates[iteration][thread]` of `kind` on `threads` threads; `None` if
    /// there are no rates.
    pub fn new(kind: LockKind, threads: usize, rates: &[Vec<f64>]) -> Option<Self> {
        let pooled: Vec<f64> = rates.iter().flatten().copied().collect();
        let per_thread = Summary::of(&pooled)?;
        let its: Vec<&Vec<f64>> = rates.iter().filter(|r| !r.is_empty()).collect();
        let total = its.iter().map(|r| r.iter().sum::<f64>()).sum::<f64>() / its.len() as f64;
        let fairness_by_iteration: Vec<f64> = its
            .iter()
            .filter_map(|r| Summary::of(r))
            .map(|s| s.min / s.max)
            .collect();
        let fairness = fairness_by_iteration.iter().sum::<f64>() / its.len() as f64;
        Some(Self {
            kind,
            threads,
            per_thread,
            total,
            fairness,
            fairness_by_iteration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_values() {
        let s = Summary::of(&[4.0, 2.0, 9.0, 5.0]).unwrap();
        assert!((s.mean - 5.0).abs() < 1e-12);
        assert!((s.median - 4.5).abs() < 1e-12);
        // Deviations -1, -3, 4, 0: variance 26 / 4.
        assert!((s.std_dev - 6.5f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        let odd = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert!((odd.median - 2.0).abs() < 1e-12);
        let one = Summary::of(&[7.0]).unwrap();
        assert_eq!((one.mean, one.median, one.std_dev), (7.0, 7.0, 0.0));
    }

    #[test]
    fn summary_of_nothing() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Report::new(LockKind::Lock, 2, &[]), None);
    }

    #[test]
    fn report_takes_fairness_per_iteration() {
        // Iteration 2 runs twice as fast, but each iteration is perfectly even.
        let rates = [vec![1.0, 1.0], vec![2.0, 2.0]];
        let r = Report::new(LockKind::StdMutex, 2, &rates).unwrap();
        assert!((r.fairness - 1.0).abs() < 1e-12);
        assert!((r.total - 3.0).abs() < 1e-12);
        assert!((r.per_thread.mean - 1.5).abs() < 1e-12);
        let starved = Report::new(LockKind::StdMutex, 2, &[vec![1.0, 4.0]]).unwrap();
        assert!((starved.fairness - 0.25).abs() < 1e-12);
        let mixed = Report::new(LockKind::Lock, 2, &[vec![1.0, 1.0], vec![1.0, 4.0]]).unwrap();
        assert_eq!(mixed.fairness_by_iteration, [1.0, 0.25]);
        assert!((mixed.fairness - 0.625).abs() < 1e-12);
    }

    #[test]
    fn names_round_trip() {
        for kind in LockKind::ALL {
            assert_eq!(LockKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(LockKind::from_name("nope"), None);
    }

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
