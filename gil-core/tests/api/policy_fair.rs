//! The fair policy's guarantees (crate docs, "The fair policy and its guarantees"): FIFO
//! hand-off, strict round-robin among CPU-bound threads, bounded waits, and urgent requests
//! that go ahead of the queue without disturbing it.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gil_core::Policy;

use crate::support::{
    HOUR, PATIENCE, cpu_bound_turns, gil, join, serial, spawn, turns_per_thread, wait_for_waiters,
};

/// Asserts that `log` is a strict round-robin of `threads` threads once the last of them
/// has had its first turn (from then on every thread is either holding or queued).
fn assert_strict_round_robin(log: &[usize], threads: usize) {
    let mut seen = HashSet::new();
    let start = log
        .iter()
        .position(|&id| {
            seen.insert(id);
            seen.len() == threads
        })
        .unwrap_or_else(|| panic!("some thread never got the gil: {log:?}"));
    let steady = &log[start..];
    assert!(steady.len() >= 10 * threads, "too short a run: {log:?}");
    let cycle = &steady[..threads];
    for (i, &id) in steady.iter().enumerate() {
        assert_eq!(
            id,
            cycle[i % threads],
            "turn {i} after warm-up breaks the cycle {cycle:?}; whole log: {log:?}"
        );
    }
}

#[test]
fn fair_release_hands_over_in_arrival_order() {
    let gil = gil(Policy::Fair, HOUR);
    let log = Arc::new(Mutex::new(Vec::new()));
    let guard = gil.acquire();
    let waiters: Vec<_> = ["a", "b", "c", "d"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let (gil2, log) = (gil.clone(), Arc::clone(&log));
            let h = spawn(name, move || {
                let _g = gil2.acquire();
                log.lock().unwrap().push(name);
            });
            wait_for_waiters(&gil, i + 1);
            h
        })
        .collect();
    drop(guard);
    for w in waiters {
        join(w);
    }
    assert_eq!(*log.lock().unwrap(), ["a", "b", "c", "d"]);
}

#[test]
fn fair_yielding_holder_goes_to_the_back_of_the_queue() {
    let gil = gil(Policy::Fair, HOUR);
    let log = Arc::new(Mutex::new(Vec::new()));
    let guard = gil.acquire();
    let waiters: Vec<_> = ["a", "b"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let (gil2, log) = (gil.clone(), Arc::clone(&log));
            let h = spawn(name, move || {
                let _g = gil2.acquire();
                log.lock().unwrap().push(name);
            });
            wait_for_waiters(&gil, i + 1);
            h
        })
        .collect();
    gil.request_drop();
    assert!(guard.check());
    log.lock().unwrap().push("holder");
    drop(guard);
    for w in waiters {
        join(w);
    }
    assert_eq!(*log.lock().unwrap(), ["a", "b", "holder"]);
}

fn cpu_bound_threads_run_in_strict_round_robin(threads: usize) {
    let _serial = serial();
    let gil = gil(Policy::Fair, Duration::from_millis(1));
    let log = cpu_bound_turns(&gil, threads, 30 * threads);
    assert_strict_round_robin(&log, threads);
    let counts = turns_per_thread(&log, threads);
    assert!(
        counts.iter().all(|&n| n >= 20),
        "starved thread: {counts:?}"
    );
    let stats = gil.stats();
    assert!(stats.switches > 0, "{stats:?}");
    assert!(stats.forced_switches > 0, "{stats:?}");
    assert!(stats.drop_requests > 0, "{stats:?}");
    assert_eq!(stats.priority_requests, 0, "{stats:?}");
}

#[test]
fn fair_three_cpu_bound_threads_run_in_strict_round_robin() {
    cpu_bound_threads_run_in_strict_round_robin(3);
}

#[test]
fn fair_four_cpu_bound_threads_run_in_strict_round_robin() {
    cpu_bound_threads_run_in_strict_round_robin(4);
}

/// Each of K threads waits at most (K−1) intervals plus hand-off latency; asserted with a
/// 10× margin for noisy machines.
#[test]
fn fair_waits_are_bounded_by_the_other_threads_intervals() {
    const THREADS: usize = 3;
    let interval = Duration::from_millis(2);
    let _serial = serial();
    let gil = gil(Policy::Fair, interval);
    let log = cpu_bound_turns(&gil, THREADS, 60);
    let bound = interval * 10 * u32::try_from(THREADS - 1).unwrap();
    let stats = gil.stats();
    assert_eq!(stats.threads.len(), THREADS);
    for t in &stats.threads {
        assert!(t.waits > 0, "{t:?}");
        assert!(
            t.max_wait < bound,
            "{t:?} waited more than {bound:?}; log {log:?}"
        );
    }
}

/// A thread coming back from I/O goes ahead of a queued waiter and preempts the holder at
/// its next `check()`; the preempted holder goes to the front of the normal queue, so it
/// still runs before the waiter that was queued behind it.
#[test]
fn fair_return_from_io_goes_ahead_and_the_preempted_holder_keeps_its_place() {
    let gil = gil(Policy::Fair, HOUR);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut guard = gil.acquire();
    let (entered_tx, entered_rx) = mpsc::channel();
    let holder = {
        let (gil, log) = (gil.clone(), Arc::clone(&log));
        spawn("holder", move || {
            let guard = gil.acquire();
            entered_tx.send(()).unwrap();
            let start = Instant::now();
            while !guard.check() {
                assert!(start.elapsed() < PATIENCE, "the holder was never preempted");
            }
            log.lock().unwrap().push("holder");
        })
    };
    wait_for_waiters(&gil, 1);
    let queued = guard.allow_threads(|| {
        entered_rx.recv_timeout(PATIENCE).expect("holder entered");
        let queued = {
            let (gil, log) = (gil.clone(), Arc::clone(&log));
            spawn("queued", move || {
                let _g = gil.acquire();
                log.lock().unwrap().push("queued");
            })
        };
        wait_for_waiters(&gil, 1);
        queued
    });
    log.lock().unwrap().push("io");
    drop(guard);
    join(holder);
    join(queued);
    assert_eq!(*log.lock().unwrap(), ["io", "holder", "queued"]);
    assert_eq!(gil.stats().priority_requests, 1);
}

/// A thread returning from I/O with its credit used up queues like everyone else: it does
/// not preempt (crate docs, "I/O credit bounds priority"). Here the "I/O" thread computes for
/// 20 intervals, far more than its credit of one interval, before a 10 µs blocking call.
#[test]
fn fair_io_thread_without_credit_does_not_preempt() {
    let interval = Duration::from_millis(1);
    let _serial = serial();
    let gil = gil(Policy::Fair, interval);
    let stop = Arc::new(AtomicBool::new(false));
    let mut guard = gil.acquire();
    let spinner = {
        let (gil, stop) = (gil.clone(), Arc::clone(&stop));
        spawn("spinner", move || {
            let guard = gil.acquire();
            while !stop.load(SeqCst) {
                guard.check();
            }
        })
    };
    wait_for_waiters(&gil, 1);
    let start = Instant::now();
    while start.elapsed() < 20 * interval {
        std::hint::spin_loop();
    }
    guard.allow_threads(|| std::thread::sleep(Duration::from_micros(10)));
    stop.store(true, SeqCst);
    drop(guard);
    join(spinner);
    assert_eq!(
        gil.stats().priority_requests,
        0,
        "a thread without credit made an urgent request"
    );
}
