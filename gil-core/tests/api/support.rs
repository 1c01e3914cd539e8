//! gil-core's own helpers for the api tests: building GILs, waiting for waiters, and the
//! CPU-bound turn log (the workspace's shared ones are in `gil_test_support`).

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use gil_core::{Gil, Policy, TryAcquireError};
use gil_test_support::{join, spawn, wait_until};

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

/// Waits until at least `n` threads are blocked acquiring `gil`.
pub(crate) fn wait_for_waiters(gil: &Gil, n: usize) {
    wait_until(&format!("{n} threads wait for the gil"), || {
        gil.waiters() >= n
    });
}

/// What `try_acquire` says on another thread (which releases at once if it got the GIL).
pub(crate) fn try_acquire_elsewhere(gil: &Gil) -> Result<(), TryAcquireError> {
    let gil = gil.clone();
    join(spawn("try-acquire", move || gil.try_acquire().map(drop)))
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
            spawn(format!("cpu-{id}"), move || {
                let log_turn = || {
                    let mut log = log.try_lock().expect("two threads inside the gil at once");
                    if log.len() < turns {
                        log.push(id);
                    }
                    if log.len() >= turns {
                        done.store(true, SeqCst);
                    }
                };
                let mut guard = gil.acquire();
                log_turn();
                while !done.load(SeqCst) {
                    for _ in 0..100 {
                        std::hint::spin_loop();
                    }
                    if guard.check().unwrap().switched() {
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
