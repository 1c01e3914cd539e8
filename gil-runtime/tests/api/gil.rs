//! Targets and the runtime's GIL: a target runs holding it, CPU-bound targets exclude each
//! other under `Mode::Enabled` (either policy), `allow_threads` lets others in, and targets
//! overlap under `Mode::FreeThreaded`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode, Policy, TryAcquireError};
use gil_runtime::Runtime;
use gil_sync::Event;
use gil_test_support::{PATIENCE, SHORT, recv};

use crate::support::start_then_join_all;

#[test]
fn a_target_holds_the_runtimes_gil() {
    let rt = Runtime::new();
    let gil = rt.gil().clone();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| {
        tx.send((
            guard.gil().ptr_eq(&gil),
            guard.gil().is_held_by_current_thread(),
            gil_core::holds_any_gil(),
        ))
        .unwrap();
    });
    t.start().unwrap();
    assert_eq!(recv(&rx), (true, true, true));
    t.join().unwrap();
}

#[test]
fn a_runtime_on_an_existing_gil_runs_targets_on_that_gil() {
    let gil = Gil::new();
    let rt = Runtime::with_gil(gil.clone());
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| tx.send(gil.is_held_by_current_thread()).unwrap());
    t.start().unwrap();
    assert!(recv(&rx));
    t.join().unwrap();
}

#[test]
fn nobody_else_gets_the_gil_while_a_target_runs_without_releasing_it() {
    let rt = Runtime::new();
    let inside = Arc::new(Event::new());
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let i = inside.clone();
    let t = rt.thread(move |_| {
        i.set();
        // A std channel does not release the GIL.
        release_rx.recv_timeout(PATIENCE).unwrap();
    });
    t.start().unwrap();
    assert!(inside.wait_timeout(PATIENCE));
    assert_eq!(
        rt.gil().try_acquire().map(drop),
        Err(TryAcquireError::WouldBlock)
    );
    release_tx.send(()).unwrap();
    t.join().unwrap();
    assert!(rt.gil().try_acquire().is_ok());
}

#[test]
fn the_gil_is_released_when_the_target_returns() {
    let rt = Runtime::new();
    let t = rt.thread(|guard| assert!(guard.gil().is_held_by_current_thread()));
    t.start().unwrap();
    t.join().unwrap();
    assert!(rt.gil().try_acquire().is_ok());
}

/// Runs two CPU-bound targets, each looping until both have done `ROUNDS` critical
/// sections, with `check()` between sections; returns how many sections overlapped.
fn overlapping_sections(rt: &Runtime) -> usize {
    // Miri's clock (isolated) counts the work interpreted: at full size the 10 s deadline
    // passes first (both targets had 40 rounds each under the CPython policy, alternating).
    // 20 rounds still switch at every round.
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 500 };
    let inside = Arc::new(AtomicBool::new(false));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let counts = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let threads: Vec<_> = (0..2)
        .map(|me| {
            let (inside, overlaps, counts) = (inside.clone(), overlaps.clone(), counts.clone());
            rt.thread(move |guard| {
                let deadline = Instant::now() + PATIENCE;
                loop {
                    if inside.swap(true, SeqCst) {
                        overlaps.fetch_add(1, SeqCst);
                    }
                    for i in 0..500_u32 {
                        black_box(i);
                    }
                    inside.store(false, SeqCst);
                    counts[me].fetch_add(1, SeqCst);
                    guard.check().unwrap();
                    let done = counts.iter().all(|c| c.load(SeqCst) >= ROUNDS);
                    assert!(Instant::now() < deadline, "the other target never ran");
                    if done {
                        break;
                    }
                }
            })
        })
        .collect();
    start_then_join_all(&threads);
    overlaps.load(SeqCst)
}

#[test]
fn cpu_bound_targets_never_overlap_under_the_fair_policy() {
    let rt = Runtime::builder()
        .policy(Policy::Fair)
        .switch_interval(Duration::from_millis(1))
        .build()
        .unwrap();
    assert_eq!(overlapping_sections(&rt), 0);
}

#[test]
fn cpu_bound_targets_never_overlap_under_the_cpython_policy() {
    let rt = Runtime::builder()
        .policy(Policy::CPython)
        .switch_interval(Duration::from_millis(1))
        .build()
        .unwrap();
    assert_eq!(overlapping_sections(&rt), 0);
}

#[test]
fn allow_threads_in_a_target_lets_another_target_run() {
    let rt = Runtime::new();
    let inside = Arc::new(Event::new());
    let (tx, rx) = mpsc::channel::<()>();
    let i = inside.clone();
    let (held_tx, held_rx) = mpsc::channel();
    let waiter = rt.thread(move |guard| {
        i.set();
        // Blocks without releasing the GIL itself: only `allow_threads` lets the other in.
        let got = guard.allow_threads(|| {
            let released = !gil_core::holds_any_gil();
            (released, rx.recv_timeout(PATIENCE).is_ok())
        });
        held_tx
            .send((got, guard.gil().is_held_by_current_thread()))
            .unwrap();
    });
    waiter.start().unwrap();
    assert!(inside.wait_timeout(PATIENCE));
    // Started only once the first target holds the GIL, so it can only run inside
    // `allow_threads`.
    let sender = rt.thread(move |_| tx.send(()).unwrap());
    sender.start().unwrap();
    assert_eq!(recv(&held_rx), ((true, true), true));
    sender.join().unwrap();
    waiter.join().unwrap();
}

/// Both targets spin (without `check()`, so without ever yielding the GIL) until both have
/// arrived or `patience` passes; returns how many gave up.
fn spin_barrier_give_ups(rt: &Runtime, patience: Duration) -> usize {
    let arrived = Arc::new(AtomicUsize::new(0));
    let gave_up = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (arrived, gave_up) = (arrived.clone(), gave_up.clone());
            rt.thread(move |guard| {
                assert!(guard.gil().is_held_by_current_thread());
                arrived.fetch_add(1, SeqCst);
                let deadline = Instant::now() + patience;
                while arrived.load(SeqCst) < 2 {
                    if Instant::now() >= deadline {
                        gave_up.fetch_add(1, SeqCst);
                        return;
                    }
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    start_then_join_all(&threads);
    gave_up.load(SeqCst)
}

#[test]
fn free_threaded_targets_run_at_the_same_time() {
    let rt = Runtime::builder().mode(Mode::FreeThreaded).build().unwrap();
    // Would deadlock (each waiting for the other with the GIL held) under an enabled GIL.
    assert_eq!(spin_barrier_give_ups(&rt, PATIENCE), 0);
}

#[test]
fn enabled_gil_targets_cannot_meet_at_a_spin_barrier() {
    // The control for the free-threaded test: the first target to hold the GIL spins alone
    // until it gives up; only then can the second one run (and find the first arrived).
    let rt = Runtime::new();
    assert_eq!(spin_barrier_give_ups(&rt, SHORT), 1);
}

#[test]
fn free_threaded_targets_still_report_holding_the_gil() {
    let rt = Runtime::builder().mode(Mode::FreeThreaded).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| {
        let nested = guard.allow_threads(|| !gil_core::holds_any_gil());
        tx.send((guard.gil().is_held_by_current_thread(), nested))
            .unwrap();
    });
    t.start().unwrap();
    assert_eq!(recv(&rx), (true, true));
    t.join().unwrap();
    // Nothing excludes: the main thread gets the GIL while a target holds it.
    let inside = Arc::new(Event::new());
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let i = inside.clone();
    let u = rt.thread(move |_| {
        i.set();
        release_rx.recv_timeout(PATIENCE).unwrap();
    });
    u.start().unwrap();
    assert!(inside.wait_timeout(PATIENCE));
    assert!(rt.gil().try_acquire().is_ok());
    release_tx.send(()).unwrap();
    u.join().unwrap();
}

#[test]
fn start_and_join_work_while_the_caller_holds_the_gil() {
    let rt = Runtime::new();
    let held = rt.gil().acquire();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let t = rt.thread(move |guard| {
        guard.check().unwrap();
        r.store(true, SeqCst);
    });
    t.start().unwrap();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert!(ran.load(SeqCst));
    assert!(rt.gil().is_held_by_current_thread());
    drop(held);
}
