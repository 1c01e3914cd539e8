//! The fair policy's guarantees (crate docs, "The fair policy and its guarantees"): FIFO
//! hand-off, strict round-robin among CPU-bound threads, bounded waits, and urgent requests
//! that go ahead of the queue without disturbing it.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gil_core::Policy;
use gil_test_support::{PATIENCE, join, serial, spawn};

use crate::support::{HOUR, cpu_bound_turns, gil, turns_per_thread, wait_for_waiters};

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
    let mut guard = gil.acquire();
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
    assert!(guard.check().unwrap().switched());
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
            t.max_wait < bound || !crate::support::timing_asserts(),
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
            let mut guard = gil.acquire();
            entered_tx.send(()).unwrap();
            let start = Instant::now();
            while !guard.check().unwrap().switched() {
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

/// One round of the debt tests: this thread holds a fresh 1 ms GIL with a spinner queued,
/// computes for 20 intervals (far more than its credit of one interval), blocks for 10 µs,
/// then for `then` if given. Returns the priority requests after the short block and at the
/// end, or `None` if the short block lasted 15 intervals or more: time away refills credit
/// at half the wall-clock rate, so a 10 µs sleep that a loaded machine stretches past twice
/// the debt (at least 10 ms) rightly makes the return urgent, and such a round proves
/// nothing about debt.
fn debt_round(then: Option<Duration>) -> Option<(u64, u64)> {
    let interval = Duration::from_millis(1);
    let gil = gil(Policy::Fair, interval);
    let stop = Arc::new(AtomicBool::new(false));
    let mut guard = gil.acquire();
    let spinner = {
        let (gil, stop) = (gil.clone(), Arc::clone(&stop));
        spawn("spinner", move || {
            let mut guard = gil.acquire();
            while !stop.load(SeqCst) {
                guard.check().unwrap();
            }
        })
    };
    wait_for_waiters(&gil, 1);
    let start = Instant::now();
    while start.elapsed() < 20 * interval {
        std::hint::spin_loop();
    }
    let away = Instant::now();
    guard.allow_threads(|| std::thread::sleep(Duration::from_micros(10)));
    let away = away.elapsed();
    let in_debt = gil.stats().priority_requests;
    if let Some(then) = then {
        guard.allow_threads(|| std::thread::sleep(then));
    }
    let at_end = gil.stats().priority_requests;
    stop.store(true, SeqCst);
    drop(guard);
    join(spinner);
    (away < 15 * interval).then_some((in_debt, at_end))
}

/// [`debt_round`] until a round's short block was short, up to 20 rounds.
fn short_debt_round(then: Option<Duration>) -> (u64, u64) {
    let _serial = serial();
    (0..20)
        .find_map(|_| debt_round(then))
        .expect("in 20 rounds, a 10 µs sleep never took less than 15 ms")
}

/// A thread returning from I/O with its credit used up queues like everyone else: it does
/// not preempt (crate docs, "I/O credit bounds priority").
#[test]
fn fair_io_thread_without_credit_does_not_preempt() {
    let (in_debt, _) = short_debt_round(None);
    assert_eq!(in_debt, 0, "a thread without credit made an urgent request");
}

/// Credit debt is temporary: after computing for 20 intervals the thread's return from a
/// short blocking call is not urgent, but after being away long enough (twice the debt of at
/// most ten intervals) it is urgent again.
#[test]
fn fair_io_credit_comes_back_after_time_away() {
    let (in_debt, at_end) = short_debt_round(Some(Duration::from_millis(30)));
    assert_eq!(in_debt, 0, "in debt, yet urgent");
    assert!(at_end >= 1, "credit never came back");
}

/// One return from I/O is one priority request, even when the holder does not answer the
/// lend request in time and the requester falls back to the queue.
#[test]
fn fair_unanswered_lend_request_counts_one_priority_request() {
    let gil = gil(Policy::Fair, HOUR);
    let (away_tx, away_rx) = mpsc::channel();
    let (back_tx, back_rx) = mpsc::channel::<()>();
    let io = {
        let gil = gil.clone();
        spawn("io", move || {
            let mut guard = gil.acquire();
            guard.allow_threads(|| {
                away_tx.send(()).unwrap();
                back_rx.recv_timeout(PATIENCE).expect("back signal");
            });
        })
    };
    away_rx.recv_timeout(PATIENCE).expect("io thread released");
    // Hold without calling check(): the lend request cannot be answered.
    let guard = gil.acquire();
    back_tx.send(()).unwrap();
    wait_for_waiters(&gil, 1);
    drop(guard);
    join(io);
    assert_eq!(gil.stats().priority_requests, 1);
}

/// A return from I/O while nobody is queued borrows the GIL from the computing holder (the
/// lend path); the holder resumes only once the borrower lets go.
#[test]
fn fair_borrower_holds_exclusively_until_it_lets_go() {
    let gil = gil(Policy::Fair, HOUR);
    let log = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut guard = gil.acquire();
    let (entered_tx, entered_rx) = mpsc::channel();
    let lender = {
        let (gil, log, stop) = (gil.clone(), Arc::clone(&log), Arc::clone(&stop));
        spawn("lender", move || {
            let mut guard = gil.acquire();
            entered_tx.send(()).unwrap();
            while !stop.load(SeqCst) {
                if guard.check().unwrap().switched() {
                    log.lock().unwrap().push("lender resumed");
                    stop.store(true, SeqCst);
                }
            }
        })
    };
    wait_for_waiters(&gil, 1);
    guard.allow_threads(|| entered_rx.recv_timeout(PATIENCE).expect("lender holds"));
    log.lock().unwrap().push("borrower in");
    std::thread::sleep(Duration::from_millis(5));
    log.lock().unwrap().push("borrower out");
    drop(guard);
    join(lender);
    assert_eq!(
        *log.lock().unwrap(),
        ["borrower in", "borrower out", "lender resumed"]
    );
    assert!(gil.stats().priority_requests >= 1);
}

/// A borrower that keeps computing is asked to give the GIL back after one interval, and a
/// thread that queued meanwhile gets its turn before the borrower's next one.
#[test]
fn fair_borrower_gives_back_and_a_queued_thread_gets_its_turn() {
    let interval = Duration::from_millis(2);
    let _serial = serial();
    let gil = gil(Policy::Fair, interval);
    let log = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut guard = gil.acquire();
    let (entered_tx, entered_rx) = mpsc::channel();
    let holder = {
        let (gil, stop) = (gil.clone(), Arc::clone(&stop));
        spawn("holder", move || {
            let mut guard = gil.acquire();
            entered_tx.send(()).unwrap();
            while !stop.load(SeqCst) {
                guard.check().unwrap();
            }
        })
    };
    wait_for_waiters(&gil, 1);
    guard.allow_threads(|| entered_rx.recv_timeout(PATIENCE).expect("holder holds"));
    // We hold now: borrowed (the holder waits as our lender, outside the queue) or, if the
    // holder was slow to answer, through the queue (the holder is queued). A third thread
    // queues behind whatever is there.
    let before = gil.waiters();
    let third = {
        let (gil, log) = (gil.clone(), Arc::clone(&log));
        spawn("third", move || {
            let _g = gil.acquire();
            log.lock().unwrap().push("third");
        })
    };
    wait_for_waiters(&gil, before + 1);
    let start = Instant::now();
    while !guard.check().unwrap().switched() {
        assert!(
            start.elapsed() < PATIENCE,
            "the borrower was never asked to yield"
        );
    }
    log.lock().unwrap().push("borrower again");
    stop.store(true, SeqCst);
    drop(guard);
    join(third);
    join(holder);
    assert_eq!(*log.lock().unwrap(), ["third", "borrower again"]);
}
