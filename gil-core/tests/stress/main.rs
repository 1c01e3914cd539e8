//! Stress tests of gil-core's GIL: long runs of many threads, checking fairness figures and
//! that no wake-up is ever lost.
//!
//! All are `#[ignore]`d; run them with `cargo xtask verify --stress`, or
//!
//! ```text
//! cargo test -p gil-core --release --test stress -- --ignored --nocapture
//! ```
//!
//! `GIL_STRESS_SECS` (default 1) sets how long each timed run lasts and scales the hammer's
//! iteration count. The soak (`soak.rs`: CPU-bound and I/O-bound threads together, the fair
//! policy's wait bound, no thread starving in any 1 s window) runs for `GIL_SOAK_SECS`
//! seconds, else `GIL_STRESS_SECS` when that is set, else 60 (its CPython-policy twin a
//! quarter of that). The `GilCell` runs (`cells_mutators.rs`: eight threads mutating shared
//! cells under both modes; `cells_panics.rs`: panics inside borrows; `cells_hot.rs`: a hot
//! free-threaded cell; what they share in `cells.rs`) and the mode-switch runs
//! (`mode_switch.rs`: the same across `Gil::set_mode` flipping the mode all run long) last
//! `GIL_STRESS_SECS` each, as does the signal run (`signals.rs`: interrupts racing `check()` and an
//! interruptible park, each taken exactly once). Every test prints its figures at the end. Bounds are generous
//! (noisy 2-core VMs): orders and counts are asserted exactly, durations only with a wide
//! margin.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests run on real std threads"
)]

use std::collections::HashSet;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_core::{Gil, GilStats, Policy};
use gil_test_support::{Rng, serial, spawn};

mod cells;
mod cells_hot;
mod cells_mutators;
mod cells_panics;
mod loaded;
mod mode_switch;
mod mode_switch_worker;
mod signals;
mod soak;

const THREADS: usize = 8;
const INTERVAL: Duration = Duration::from_millis(1);

/// CPU time (user + system) used by the whole process so far, where Linux's `/proc` says.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces): state is field 3, utime and
    // stime are fields 14 and 15, in USER_HZ (100 on every Linux ABI) ticks.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Measures the CPU time a run used, per second of wall-clock time.
struct CpuMeter {
    cpu: Option<Duration>,
    wall: Instant,
}

impl CpuMeter {
    fn start() -> Self {
        Self {
            cpu: process_cpu_time(),
            wall: Instant::now(),
        }
    }

    /// Cores kept busy on average since `start` (`None` off Linux).
    fn cores(&self) -> Option<f64> {
        let used = process_cpu_time()?.checked_sub(self.cpu?)?;
        Some(used.as_secs_f64() / self.wall.elapsed().as_secs_f64())
    }

    /// Waiters must sleep: one thread computes at a time, so the run keeps about one core
    /// busy, not one per thread.
    fn assert_waiters_sleep(&self) {
        if let Some(cores) = self.cores() {
            println!("  cpu use: {cores:.2} cores on average");
            assert!(
                cores < 1.6,
                "{cores:.2} cores busy: waiters spin instead of sleeping"
            );
        }
    }
}

/// How long each timed run lasts: `GIL_STRESS_SECS` seconds, default 1.
fn run_time() -> Duration {
    Duration::from_secs(stress_secs())
}

fn stress_secs() -> u64 {
    std::env::var("GIL_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s| s > 0)
        .unwrap_or(1)
}

fn gil(policy: Policy) -> Gil {
    Gil::builder()
        .policy(policy)
        .switch_interval(INTERVAL)
        .build()
        .expect("a non-zero interval is valid")
}

/// Joins every thread, failing (instead of hanging) if any is still running `patience`
/// after the call: with every thread's work bounded, that is a lost wake-up or a deadlock.
fn join_all<T>(gil: &Gil, handles: Vec<JoinHandle<T>>, patience: Duration) -> Vec<T> {
    let deadline = Instant::now() + patience;
    while handles.iter().any(|h| !h.is_finished()) {
        assert!(
            Instant::now() < deadline,
            "threads still running after {patience:?} ({} waiting for the gil): lost wake-up",
            gil.waiters()
        );
        thread::sleep(Duration::from_millis(5));
    }
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .collect()
}

/// The GIL order log shared by the threads of one run, written under the GIL only.
#[derive(Default)]
struct TurnLog {
    log: Mutex<Vec<usize>>,
    /// Set under the GIL by the first thread to see the run's end: no more turns logged.
    done: AtomicBool,
}

impl TurnLog {
    /// Logs a turn of thread `id`, which holds the GIL; returns whether the run goes on.
    fn turn(&self, id: usize, end: Instant) -> bool {
        let mut log = self
            .log
            .try_lock()
            .expect("two threads inside the gil at once");
        if self.done.load(SeqCst) {
            return false;
        }
        if Instant::now() >= end {
            self.done.store(true, SeqCst);
            return false;
        }
        log.push(id);
        true
    }

    fn is_done(&self) -> bool {
        self.done.load(SeqCst)
    }

    fn take(&self) -> Vec<usize> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A CPU-bound thread: computes, calls `check()`, logs every turn it gets.
fn cpu_thread(gil: &Gil, log: &Arc<TurnLog>, id: usize, end: Instant) -> JoinHandle<()> {
    let (gil, log) = (gil.clone(), Arc::clone(log));
    spawn(format!("cpu-{id}"), move || {
        let mut guard = gil.acquire();
        if !log.turn(id, end) {
            return;
        }
        let mut x = 0u64;
        while !log.is_done() {
            for i in 0..64 {
                x = std::hint::black_box(x.wrapping_add(i));
            }
            if guard.check().unwrap().switched() && !log.turn(id, end) {
                return;
            }
            if Instant::now() >= end {
                log.done.store(true, SeqCst);
            }
        }
    })
}

/// Removes consecutive repeats (a holder preempted by an urgent request logs its turn again
/// when it resumes; that is the same turn).
fn collapse(log: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(log.len());
    for &id in log {
        if out.last() != Some(&id) {
            out.push(id);
        }
    }
    out
}

/// Asserts strict round-robin of `threads` threads from the first turn of the last one to
/// arrive; returns the warm-up length and the number of full cycles.
fn assert_strict_round_robin(log: &[usize], threads: usize) -> (usize, usize) {
    let mut seen = HashSet::new();
    let start = log
        .iter()
        .position(|&id| {
            seen.insert(id);
            seen.len() == threads
        })
        .unwrap_or_else(|| panic!("only {} of {threads} threads ever got the gil", seen.len()));
    let steady = &log[start..];
    assert!(
        steady.len() >= 5 * threads,
        "too few turns after warm-up: {}",
        steady.len()
    );
    let cycle = &steady[..threads];
    for (i, &id) in steady.iter().enumerate() {
        assert_eq!(
            id,
            cycle[i % threads],
            "turn {i} after warm-up breaks the cycle {cycle:?}: {:?}",
            &steady[i.saturating_sub(2 * threads)..(i + threads).min(steady.len())]
        );
    }
    (start, steady.len() / threads)
}

fn counts(log: &[usize], threads: usize) -> Vec<usize> {
    let mut counts = vec![0; threads];
    for &id in log {
        counts[id] += 1;
    }
    counts
}

fn print_threads(stats: &GilStats) {
    for t in &stats.threads {
        println!(
            "  {:<8} acquisitions {:>7}  hold {:>10.3?}  wait {:>10.3?}  max wait {:>9.3?}",
            t.name.as_deref().unwrap_or("?"),
            t.acquisitions,
            t.hold,
            t.wait,
            t.max_wait
        );
    }
}

/// The longest single wait of any thread.
fn max_wait(stats: &GilStats) -> Duration {
    stats
        .threads
        .iter()
        .map(|t| t.max_wait)
        .max()
        .unwrap_or_default()
}

/// The wait bound for one of K threads in round-robin: K−1 turns of the others, times 10
/// for noise. A turn is the interval plus the time-keeper's wake-up latency, which on a
/// loaded 2-core VM is often a whole scheduler tick (~4 ms) rather than microseconds, so the
/// turn length measured in the run is used when it is longer than the interval.
fn max_wait_bound(threads: usize, turns: usize) -> Duration {
    let turn = run_time() / u32::try_from(turns.max(1)).expect("turn count fits u32");
    turn.max(INTERVAL) * 10 * u32::try_from(threads - 1).expect("few threads")
}

/// 16 CPU-bound threads at a 1 ms interval keep strict round-robin, and no thread waits
/// longer than 3 × ((K−1)·interval + 2 ms) = 51 ms: the load issue's bound next to two busy
/// processes (idle, the goal is 17 ms; the harness's load table measures both, beside a bare
/// FIFO baton). Before the holder kept time itself (`raw/clock.rs`), a late time-keeper let
/// turns last 2.4–5 ms and the longest wait reach 129 ms on a loaded machine.
#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_sixteen_threads_at_one_ms_wait_within_the_load_bound() {
    const K: usize = 16;
    let _serial = serial();
    let gil = gil(Policy::Fair);
    let log = Arc::new(TurnLog::default());
    let end = Instant::now() + run_time();
    let handles = (0..K).map(|id| cpu_thread(&gil, &log, id, end)).collect();
    join_all(&gil, handles, run_time() + Duration::from_secs(30));
    let log = log.take();
    assert_strict_round_robin(&log, K);
    let stats = gil.stats();
    let worst = stats
        .threads
        .iter()
        .map(|t| t.max_wait)
        .max()
        .unwrap_or_default();
    let bound =
        (INTERVAL * u32::try_from(K - 1).expect("few threads") + Duration::from_millis(2)) * 3;
    let turn = run_time() / u32::try_from(log.len().max(1)).expect("turn count fits u32");
    println!(
        "fair, {K} cpu threads at {INTERVAL:?}, {:?}: {} turns, mean turn {turn:?}, longest \
         wait {worst:?} (bound {bound:?})",
        run_time(),
        log.len()
    );
    assert!(
        worst <= bound,
        "a thread waited {worst:?}, more than {bound:?}"
    );
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_eight_cpu_bound_threads_run_in_strict_round_robin() {
    let _serial = serial();
    let meter = CpuMeter::start();
    let gil = gil(Policy::Fair);
    let log = Arc::new(TurnLog::default());
    let end = Instant::now() + run_time();
    let handles = (0..THREADS)
        .map(|id| cpu_thread(&gil, &log, id, end))
        .collect();
    join_all(&gil, handles, run_time() + Duration::from_secs(30));
    let log = log.take();
    let (warm_up, cycles) = assert_strict_round_robin(&log, THREADS);
    let counts = counts(&log, THREADS);
    let stats = gil.stats();
    println!(
        "fair, {THREADS} cpu threads, {:?}: {} turns, warm-up {warm_up}, {cycles} full cycles, \
         turns per thread {counts:?}; switches {}, forced {}, drop requests {}",
        run_time(),
        log.len(),
        stats.switches,
        stats.forced_switches,
        stats.drop_requests
    );
    print_threads(&stats);
    meter.assert_waiters_sleep();
    assert!(counts.iter().all(|&n| n > 0), "a thread made no progress");
    let turn = run_time() / u32::try_from(log.len()).expect("turn count fits u32");
    assert!(
        turn <= 25 * INTERVAL,
        "a turn lasts {turn:?} on average with a {INTERVAL:?} interval"
    );
    let bound = max_wait_bound(THREADS, log.len());
    println!("  mean turn {turn:?}, max wait bound {bound:?}");
    for t in &stats.threads {
        assert!(t.max_wait <= bound, "{t:?} waited more than {bound:?}");
    }
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_cpu_threads_keep_round_robin_alongside_io_threads() {
    const CPU: usize = THREADS / 2;
    let _serial = serial();
    let gil = gil(Policy::Fair);
    let log = Arc::new(TurnLog::default());
    let end = Instant::now() + run_time();
    let mut cpu: Vec<_> = (0..CPU).map(|id| cpu_thread(&gil, &log, id, end)).collect();
    let io: Vec<_> = (0..THREADS - CPU)
        .map(|i| {
            let (gil, log) = (gil.clone(), Arc::clone(&log));
            spawn(format!("io-{i}"), move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
                let mut guard = gil.acquire();
                let mut waits = Vec::new();
                while !log.is_done() && Instant::now() < end {
                    // A little interpreter work, then a short blocking call.
                    for _ in 0..8 {
                        std::hint::black_box(rng.below(1000));
                        guard.check().unwrap();
                    }
                    let sleep = Duration::from_micros(rng.below(101));
                    let start = Instant::now();
                    let inside = guard.allow_threads(|| {
                        let t = Instant::now();
                        if !sleep.is_zero() {
                            thread::sleep(sleep);
                        }
                        t.elapsed()
                    });
                    waits.push(start.elapsed().saturating_sub(inside));
                }
                waits
            })
        })
        .collect();
    cpu.shrink_to_fit();
    join_all(&gil, cpu, run_time() + Duration::from_secs(30));
    let mut waits: Vec<Duration> = join_all(&gil, io, Duration::from_secs(30))
        .into_iter()
        .flatten()
        .collect();
    waits.sort();
    let log = log.take();
    let cpu_turns = collapse(&log);
    let (warm_up, cycles) = assert_strict_round_robin(&cpu_turns, CPU);
    let counts = counts(&cpu_turns, CPU);
    let stats = gil.stats();
    println!(
        "fair, {CPU} cpu + {} io threads, {:?}: {} cpu turns ({} logged), warm-up {warm_up}, \
         {cycles} full cycles, turns per cpu thread {counts:?}; io re-acquires {}, median \
         wait {:?}, p99 {:?}, max {:?}; switches {}, forced {}, priority requests {}",
        THREADS - CPU,
        run_time(),
        cpu_turns.len(),
        log.len(),
        waits.len(),
        waits[waits.len() / 2],
        waits[waits.len() * 99 / 100],
        waits[waits.len() - 1],
        stats.switches,
        stats.forced_switches,
        stats.priority_requests
    );
    print_threads(&stats);
    assert!(stats.priority_requests > 0, "{stats:?}");
    assert!(
        counts.iter().all(|&n| n > 0),
        "a cpu thread made no progress"
    );
    // I/O threads that ran out of credit queue among the CPU threads: count all of them.
    let bound = max_wait_bound(THREADS, cpu_turns.len());
    println!("  cpu max wait bound {bound:?}");
    for t in stats
        .threads
        .iter()
        .filter(|t| t.name.as_deref().is_some_and(|n| n.starts_with("cpu")))
    {
        assert!(t.max_wait <= bound, "{t:?} waited more than {bound:?}");
    }
    assert!(
        waits[waits.len() / 2] < INTERVAL,
        "median io re-acquire wait {:?} is not below the interval",
        waits[waits.len() / 2]
    );
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn cpython_eight_cpu_bound_threads_all_progress() {
    let _serial = serial();
    let meter = CpuMeter::start();
    let gil = gil(Policy::CPython);
    let log = Arc::new(TurnLog::default());
    let end = Instant::now() + run_time();
    let handles = (0..THREADS)
        .map(|id| cpu_thread(&gil, &log, id, end))
        .collect();
    join_all(&gil, handles, run_time() + Duration::from_secs(30));
    let log = log.take();
    let counts = counts(&log, THREADS);
    let stats = gil.stats();
    println!(
        "cpython, {THREADS} cpu threads, {:?}: {} turns, turns per thread {counts:?}; \
         switches {}, forced {}, drop requests {}",
        run_time(),
        log.len(),
        stats.switches,
        stats.forced_switches,
        stats.drop_requests
    );
    print_threads(&stats);
    meter.assert_waiters_sleep();
    assert!(
        counts.iter().all(|&n| n > 1),
        "a thread made no progress: {counts:?}"
    );
    assert!(stats.forced_switches > 0, "{stats:?}");
}

/// Iteration `i` of the hammer's mix of short holds: an acquire/release with `increment` under
/// the GIL, every 16th a `try_acquire` instead, now and then a `check()`, an `allow_threads`
/// round trip (incrementing again after it) and a nested guard with the free
/// `allow_threads`. Returns the increments done and whether a `try_acquire` failed.
pub(crate) fn hammer_op(gil: &Gil, i: u64, increment: impl Fn()) -> (u64, bool) {
    if i.is_multiple_of(16) {
        return match gil.try_acquire() {
            Ok(_guard) => {
                increment();
                (1, false)
            }
            Err(_) => (0, true),
        };
    }
    let mut guard = gil.acquire();
    increment();
    let mut done = 1;
    if i % 8 == 3 {
        guard.check().unwrap();
    }
    if i % 64 == 5 {
        guard.allow_threads(thread::yield_now);
        increment();
        done += 1;
    }
    if i % 128 == 7 {
        // Nested guard and the free function.
        let _nested = gil.acquire();
        gil_core::allow_threads(|| ());
    }
    (done, false)
}

/// Eight threads, each doing many acquire/release cycles with occasional `try_acquire`,
/// `check()` and `allow_threads`, incrementing a counter (separate load and store) under the
/// GIL. Any lost wake-up hangs a thread (caught by the watchdog); any overlap loses counts.
fn hammer(policy: Policy, iterations: u64) {
    let _serial = serial();
    let gil = gil(policy);
    let counter = Arc::new(AtomicU64::new(0));
    let inside = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let handles = (0..THREADS)
        .map(|id| {
            let (gil, counter, inside) = (gil.clone(), Arc::clone(&counter), Arc::clone(&inside));
            spawn(format!("hammer-{id}"), move || {
                let increment = || {
                    assert!(
                        !inside.swap(true, SeqCst),
                        "two threads inside the gil at once"
                    );
                    // Relaxed on purpose: the GIL alone must order these.
                    counter.store(counter.load(Relaxed) + 1, Relaxed);
                    inside.store(false, SeqCst);
                };
                let (mut done, mut failed_tries) = (0u64, 0u64);
                for i in 0..iterations {
                    let (n, failed) = hammer_op(&gil, i, increment);
                    done += n;
                    failed_tries += u64::from(failed);
                }
                (done, failed_tries)
            })
        })
        .collect();
    let results = join_all(&gil, handles, Duration::from_secs(120 * stress_secs()));
    let elapsed = start.elapsed();
    let expected: u64 = results.iter().map(|r| r.0).sum();
    let failed_tries: u64 = results.iter().map(|r| r.1).sum();
    let _guard = gil.acquire();
    let stats = gil.stats();
    println!(
        "{policy:?} hammer: {THREADS} threads x {iterations} iterations in {elapsed:.2?}: \
         {expected} increments ({:.0}/s), {failed_tries} failed try_acquire; switches {}, \
         forced {}, priority requests {}; max wait {:.3?}",
        soak::per_second(expected, elapsed),
        stats.switches,
        stats.forced_switches,
        stats.priority_requests,
        max_wait(&stats)
    );
    assert_eq!(counter.load(Relaxed), expected);
    assert_eq!(gil.waiters(), 0);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_acquire_release_hammer_loses_no_wake_up() {
    hammer(Policy::Fair, 100_000 * stress_secs());
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn cpython_acquire_release_hammer_loses_no_wake_up() {
    hammer(Policy::CPython, 20_000 * stress_secs());
}

/// The lend path (a return from I/O borrowing the GIL from a computing holder while nobody
/// is queued) hammered: one thread computes with `check()`, two return from empty
/// `allow_threads` calls as fast as they can, a fourth now and then queues normally. All
/// increment a counter under the GIL; every thread must finish, and no increment be lost.
#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_lend_path_hammer_loses_no_wake_up() {
    let _serial = serial();
    let gil = gil(Policy::Fair);
    let counter = Arc::new(AtomicU64::new(0));
    let inside = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = 50_000 * stress_secs();
    let increment = {
        let (counter, inside) = (Arc::clone(&counter), Arc::clone(&inside));
        move || {
            assert!(
                !inside.swap(true, SeqCst),
                "two threads inside the gil at once"
            );
            counter.store(counter.load(Relaxed) + 1, Relaxed);
            inside.store(false, SeqCst);
        }
    };
    let start = Instant::now();
    let computer = {
        let (gil, stop, increment) = (gil.clone(), Arc::clone(&stop), increment.clone());
        spawn("computer", move || {
            let mut guard = gil.acquire();
            let mut n = 0u64;
            while !stop.load(Relaxed) {
                increment();
                n += 1;
                guard.check().unwrap();
            }
            n
        })
    };
    let io: Vec<_> = (0..2)
        .map(|i| {
            let (gil, increment) = (gil.clone(), increment.clone());
            spawn(format!("io-{i}"), move || {
                let mut guard = gil.acquire();
                for _ in 0..rounds {
                    guard.allow_threads(|| ());
                    increment();
                }
                rounds
            })
        })
        .collect();
    let queuer = {
        let (gil, stop, increment) = (gil.clone(), Arc::clone(&stop), increment.clone());
        spawn("queuer", move || {
            let mut n = 0u64;
            while !stop.load(Relaxed) {
                let guard = gil.acquire();
                increment();
                n += 1;
                drop(guard);
                thread::sleep(Duration::from_micros(200));
            }
            n
        })
    };
    let io_done: u64 = join_all(&gil, io, Duration::from_secs(120 * stress_secs()))
        .into_iter()
        .sum();
    stop.store(true, SeqCst);
    let others = join_all(&gil, vec![computer, queuer], Duration::from_secs(30));
    let elapsed = start.elapsed();
    let expected = io_done + others.iter().sum::<u64>();
    let _guard = gil.acquire();
    let stats = gil.stats();
    println!(
        "lend hammer: 2 io threads x {rounds} returns in {elapsed:.2?}, computer {} and \
         queuer {} increments ({:.0}/s in all); switches {}, forced {}, priority requests {}; \
         max wait {:.3?}",
        others[0],
        others[1],
        soak::per_second(expected, elapsed),
        stats.switches,
        stats.forced_switches,
        stats.priority_requests,
        max_wait(&stats)
    );
    print_threads(&stats);
    assert_eq!(counter.load(Relaxed), expected);
    assert!(others.iter().all(|&n| n > 0), "a thread made no progress");
    // Urgent traffic must not starve a queued thread. An earlier version (turns of preempted
    // holders stretched by urgent holds, lend path only on an empty queue) let its worst wait
    // reach 120 ms at a 1 ms interval; now it is a few ms. This guards against that gross
    // starvation; the promotion rule (`FairQueue::promote_head`) that bounds the worst case of
    // many urgent threads is not separately visible at this load. Generous for noisy machines:
    // on 2026-12-02 this VM gave worst waits of 3–7 ms in one phase and 24–50 ms in another,
    // with this code and with the previous release alike (interleaved runs), so the bound is
    // 80 intervals; the starvation it guards against was 120 ms.
    let queuer = stats
        .threads
        .iter()
        .find(|t| t.name.as_deref() == Some("queuer"))
        .expect("queuer stats");
    assert!(
        queuer.max_wait < 80 * gil.switch_interval(),
        "a queued thread waited {:?} behind urgent requests",
        queuer.max_wait
    );
}
