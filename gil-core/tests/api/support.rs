//! Helpers shared by the api tests: building GILs, waiting with a deadline instead of
//! forever, and serializing the tests whose figures depend on having the CPU.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_core::{Gil, Policy, TryAcquireError};

/// How long any wait may take before the test calls it a lost wake-up or a deadlock: far
/// beyond what a healthy run needs, even on a loaded 2-core VM.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// An interval no test ever reaches: only `request_drop`, I/O and releases switch.
pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// A GIL with `policy` and `interval`.
pub(crate) fn gil(policy: Policy, interval: Duration) -> Gil {
    Gil::builder()
        .policy(policy)
        .switch_interval(interval)
        .build()
        .expect("a non-zero interval is valid")
}

/// Serializes the tests that measure or depend on scheduling, so that they do not run
/// alongside each other and steal each other's cores.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Polls `cond` until it holds; panics after [`PATIENCE`].
pub(crate) fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_micros(100));
    }
}

/// Waits until at least `n` threads are blocked acquiring `gil`.
pub(crate) fn wait_for_waiters(gil: &Gil, n: usize) {
    wait_until(&format!("{n} threads wait for the gil"), || {
        gil.waiters() >= n
    });
}

/// Spawns a named thread.
pub(crate) fn spawn<T, F>(name: &str, f: F) -> JoinHandle<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a test thread")
}

/// Joins `handle`, failing the test (instead of hanging) if the thread is still running after
/// [`PATIENCE`]; a panic of the thread is resumed here.
pub(crate) fn join<T>(handle: JoinHandle<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    while !handle.is_finished() {
        assert!(
            Instant::now() < deadline,
            "thread {:?} still running after {PATIENCE:?}: lost wake-up or deadlock",
            handle.thread().name()
        );
        thread::sleep(Duration::from_millis(1));
    }
    handle
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// What `try_acquire` says on another thread (which releases at once if it got the GIL).
pub(crate) fn try_acquire_elsewhere(gil: &Gil) -> Result<(), TryAcquireError> {
    let gil = gil.clone();
    join(spawn("try-acquire", move || gil.try_acquire().map(drop)))
}

/// Panics without running the panic hook (keeps the test output clean).
pub(crate) fn quiet_panic() -> ! {
    std::panic::resume_unwind(Box::new("deliberate test panic"))
}

/// Asserts that nobody else is inside while `f` runs: a mutual-exclusion probe.
pub(crate) fn exclusive<R>(inside: &AtomicBool, f: impl FnOnce() -> R) -> R {
    assert!(
        !inside.swap(true, SeqCst),
        "two threads inside the gil at once"
    );
    let r = f();
    inside.store(false, SeqCst);
    r
}

/// Runs `threads` CPU-bound threads on `gil`, each calling `check()` between short bursts of
/// work, and returns the order in which they got the GIL: a thread logs its index when it
/// first acquires and every time `check()` gave the GIL back after a switch, until the log
/// has `turns` entries. The log is written under the GIL through `try_lock`, which doubles
/// as a mutual-exclusion probe.
pub(crate) fn cpu_bound_turns(gil: &Gil, threads: usize, turns: usize) -> Vec<usize> {
    let log = Arc::new(Mutex::new(Vec::with_capacity(turns)));
    let done = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..threads)
        .map(|id| {
            let (gil, log, done) = (gil.clone(), Arc::clone(&log), Arc::clone(&done));
            spawn(&format!("cpu-{id}"), move || {
                let log_turn = || {
                    let mut log = log.try_lock().expect("two threads inside the gil at once");
                    if log.len() < turns {
                        log.push(id);
                    }
                    if log.len() >= turns {
                        done.store(true, SeqCst);
                    }
                };
                let guard = gil.acquire();
                log_turn();
                while !done.load(SeqCst) {
                    for _ in 0..100 {
                        std::hint::spin_loop();
                    }
                    if guard.check() {
                        log_turn();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        join(h);
    }
    let log = log.lock().unwrap_or_else(PoisonError::into_inner);
    log.clone()
}

/// How many turns each of `threads` threads had in `log`.
pub(crate) fn turns_per_thread(log: &[usize], threads: usize) -> Vec<usize> {
    let mut counts = vec![0; threads];
    for &id in log {
        counts[id] += 1;
    }
    counts
}

/// Whether wall-clock bounds mean anything in this run: not under valgrind, which runs one
/// thread at a time on a coarse schedule (`cargo xtask verify --stress` sets
/// `GIL_TESTS_UNDER_VALGRIND` for its memcheck run). Tests skip only their timing asserts.
pub(crate) fn timing_asserts() -> bool {
    std::env::var_os("GIL_TESTS_UNDER_VALGRIND").is_none()
}
