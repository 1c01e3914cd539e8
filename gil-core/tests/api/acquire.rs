//! Acquire and release: who holds the GIL, re-entrant acquisition, hand-over to a blocked
//! thread, and mutual exclusion under both policies.

use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use gil_core::{Gil, Policy, TryAcquireError, holds_any_gil};
use gil_test_support::{exclusive, join, serial, spawn};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

#[test]
fn guard_holds_the_gil_until_dropped() {
    let gil = Gil::new();
    assert!(!gil.is_held_by_current_thread());
    assert!(!holds_any_gil());

    let guard = gil.acquire();
    assert!(gil.is_held_by_current_thread());
    assert!(holds_any_gil());
    assert!(guard.gil().ptr_eq(&gil));
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );

    drop(guard);
    assert!(!gil.is_held_by_current_thread());
    assert!(!holds_any_gil());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn only_the_acquiring_thread_holds_the_gil() {
    let gil = Gil::new();
    let _guard = gil.acquire();
    let other = gil.clone();
    let (held, any) = join(spawn("observer", move || {
        (other.is_held_by_current_thread(), holds_any_gil())
    }));
    assert!(!held);
    assert!(!any);
    assert!(gil.is_held_by_current_thread());
}

#[test]
fn clones_are_handles_to_one_gil() {
    let gil = Gil::new();
    let clone = gil.clone();
    assert!(gil.ptr_eq(&clone));
    assert!(!gil.ptr_eq(&Gil::new()));
    let _guard = clone.acquire();
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
}

fn reentrant_acquire_releases_at_outermost_drop(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let inner = gil.acquire();
    let innermost = gil
        .try_acquire()
        .expect("re-entrant try_acquire never blocks");
    drop(innermost);
    drop(inner);
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(outer);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn reentrant_acquire_releases_at_outermost_drop_fair() {
    reentrant_acquire_releases_at_outermost_drop(Policy::Fair);
}

#[test]
fn reentrant_acquire_releases_at_outermost_drop_cpython() {
    reentrant_acquire_releases_at_outermost_drop(Policy::CPython);
}

fn nested_guards_dropped_outer_first(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let inner = gil.acquire();
    drop(outer);
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(inner);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn nested_guards_dropped_outer_first_fair() {
    nested_guards_dropped_outer_first(Policy::Fair);
}

#[test]
fn nested_guards_dropped_outer_first_cpython() {
    nested_guards_dropped_outer_first(Policy::CPython);
}

fn blocked_acquire_gets_the_gil_when_the_holder_drops(policy: Policy) {
    let gil = gil(policy, HOUR);
    let guard = gil.acquire();
    let got = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (gil, got) = (gil.clone(), Arc::clone(&got));
        spawn("waiter", move || {
            let _g = gil.acquire();
            got.store(true, SeqCst);
        })
    };
    wait_for_waiters(&gil, 1);
    std::thread::sleep(Duration::from_millis(5));
    assert!(!got.load(SeqCst), "the waiter ran while the gil was held");
    drop(guard);
    join(waiter);
    assert!(got.load(SeqCst));
    assert_eq!(gil.waiters(), 0);
}

#[test]
fn blocked_acquire_gets_the_gil_when_the_holder_drops_fair() {
    blocked_acquire_gets_the_gil_when_the_holder_drops(Policy::Fair);
}

#[test]
fn blocked_acquire_gets_the_gil_when_the_holder_drops_cpython() {
    blocked_acquire_gets_the_gil_when_the_holder_drops(Policy::CPython);
}

/// Four threads increment a counter with a separate load and store (a lost update shows as
/// a short count) through `check()` switches, re-acquisitions and `allow_threads`.
fn counter_increments_are_never_lost(policy: Policy) {
    const THREADS: u64 = 4;
    const ROUNDS: u64 = 20;
    const PER_ROUND: u64 = 100;
    let _serial = serial();
    let gil = gil(policy, Duration::from_millis(1));
    let counter = Arc::new(AtomicU64::new(0));
    let inside = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let (gil, counter, inside) = (gil.clone(), Arc::clone(&counter), Arc::clone(&inside));
            spawn(format!("incrementer-{i}"), move || {
                for round in 0..ROUNDS {
                    let mut guard = gil.acquire();
                    for _ in 0..PER_ROUND {
                        exclusive(&inside, || {
                            // Relaxed on purpose: the GIL alone must order these.
                            let v = counter.load(Relaxed);
                            for _ in 0..50 {
                                std::hint::spin_loop();
                            }
                            counter.store(v + 1, Relaxed);
                        });
                        guard.check().unwrap();
                    }
                    if round % 4 == 0 {
                        guard.allow_threads(std::thread::yield_now);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        join(t);
    }
    let _guard = gil.acquire();
    assert_eq!(counter.load(Relaxed), THREADS * ROUNDS * PER_ROUND);
}

#[test]
fn counter_increments_are_never_lost_fair() {
    counter_increments_are_never_lost(Policy::Fair);
}

#[test]
fn counter_increments_are_never_lost_cpython() {
    counter_increments_are_never_lost(Policy::CPython);
}
