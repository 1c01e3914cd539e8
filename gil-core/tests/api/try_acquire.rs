//! `try_acquire`: never blocks, fails while another thread holds the GIL, nests, and (fair
//! policy) never overtakes a queued waiter.

use std::sync::{Arc, Mutex, mpsc};

use gil_core::{Policy, TryAcquireError};
use gil_test_support::{PATIENCE, join, spawn};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

fn try_acquire_would_block_while_another_thread_holds(policy: Policy) {
    let gil = gil(policy, HOUR);
    let guard = gil.try_acquire().expect("a free gil is taken at once");
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(guard);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
    // A failed attempt left nothing behind: the gil is free and uncontended.
    assert_eq!(gil.waiters(), 0);
    let _guard = gil.try_acquire().expect("free again");
}

#[test]
fn try_acquire_would_block_while_another_thread_holds_fair() {
    try_acquire_would_block_while_another_thread_holds(Policy::Fair);
}

#[test]
fn try_acquire_would_block_while_another_thread_holds_cpython() {
    try_acquire_would_block_while_another_thread_holds(Policy::CPython);
}

fn try_acquire_is_reentrant(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let inner = gil.try_acquire().expect("the holder's try_acquire nests");
    drop(outer);
    assert!(gil.is_held_by_current_thread());
    drop(inner);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn try_acquire_is_reentrant_fair() {
    try_acquire_is_reentrant(Policy::Fair);
}

#[test]
fn try_acquire_is_reentrant_cpython() {
    try_acquire_is_reentrant(Policy::CPython);
}

#[test]
fn fair_release_hands_the_gil_to_the_queued_waiter_not_to_a_try_acquire() {
    let gil = gil(Policy::Fair, HOUR);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (release, released) = mpsc::channel::<()>();
    let guard = gil.acquire();
    let waiter = {
        let (gil, log) = (gil.clone(), Arc::clone(&log));
        spawn("waiter", move || {
            let _g = gil.acquire();
            log.lock().unwrap().push("waiter");
            // Hold on until the releaser has tried to barge in.
            released.recv_timeout(PATIENCE).expect("release signal");
        })
    };
    wait_for_waiters(&gil, 1);
    drop(guard);
    // Direct hand-off: the GIL never became free, so the releaser cannot take it back.
    assert_eq!(
        gil.try_acquire().map(drop),
        Err(TryAcquireError::WouldBlock)
    );
    release.send(()).unwrap();
    let guard = gil.acquire();
    log.lock().unwrap().push("releaser");
    drop(guard);
    join(waiter);
    assert_eq!(*log.lock().unwrap(), ["waiter", "releaser"]);
}
