//! `check()` (the eval breaker) and `request_drop()`: no switch without a waiter, a switch
//! once the interval has passed or a drop was requested, and the waiter really runs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gil_core::Policy;
use gil_test_support::{PATIENCE, join, serial, spawn};

use crate::support::{HOUR, gil, wait_for_waiters};

fn check_without_waiters_returns_false(policy: Policy) {
    let interval = Duration::from_millis(1);
    let gil = gil(policy, interval);
    let mut guard = gil.acquire();
    let start = Instant::now();
    // Many intervals pass, but nobody waits: the holder keeps the GIL.
    while start.elapsed() < 20 * interval {
        assert!(!guard.check().unwrap().switched());
    }
    drop(guard);
    let stats = gil.stats();
    assert_eq!(stats.drop_requests, 0);
    assert_eq!(stats.forced_switches, 0);
}

#[test]
fn check_without_waiters_returns_false_fair() {
    check_without_waiters_returns_false(Policy::Fair);
}

#[test]
fn check_without_waiters_returns_false_cpython() {
    check_without_waiters_returns_false(Policy::CPython);
}

fn request_drop_without_waiters_is_a_no_op(policy: Policy) {
    let gil = gil(policy, HOUR);
    gil.request_drop(); // not even held
    let mut guard = gil.acquire();
    gil.request_drop();
    assert!(!guard.check().unwrap().switched());
    assert!(gil.is_held_by_current_thread());
    drop(guard);
    let stats = gil.stats();
    assert_eq!(stats.drop_requests, 0);
    assert_eq!(stats.forced_switches, 0);
}

#[test]
fn request_drop_without_waiters_is_a_no_op_fair() {
    request_drop_without_waiters_is_a_no_op(Policy::Fair);
}

#[test]
fn request_drop_without_waiters_is_a_no_op_cpython() {
    request_drop_without_waiters_is_a_no_op(Policy::CPython);
}

/// The interval is an hour, so only `request_drop` can make the holder yield.
fn request_drop_with_a_waiter_hands_over_at_the_next_check(policy: Policy) {
    let gil = gil(policy, HOUR);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut guard = gil.acquire();
    let waiter = {
        let (gil, log) = (gil.clone(), Arc::clone(&log));
        spawn("waiter", move || {
            let _g = gil.acquire();
            log.lock().unwrap().push("waiter");
        })
    };
    wait_for_waiters(&gil, 1);
    // A waiter alone (its interval far away) does not make the holder yield.
    assert!(!guard.check().unwrap().switched());
    log.lock().unwrap().push("holder before");
    gil.request_drop();
    assert_eq!(gil.stats().drop_requests, 1);
    assert!(
        guard.check().unwrap().switched(),
        "a drop request with a waiter must switch"
    );
    assert!(gil.is_held_by_current_thread());
    log.lock().unwrap().push("holder after");
    drop(guard);
    join(waiter);
    assert_eq!(
        *log.lock().unwrap(),
        ["holder before", "waiter", "holder after"]
    );
    let stats = gil.stats();
    assert_eq!(stats.forced_switches, 1);
    assert!(stats.switches >= 2, "{stats:?}");
}

#[test]
fn request_drop_with_a_waiter_hands_over_at_the_next_check_fair() {
    request_drop_with_a_waiter_hands_over_at_the_next_check(Policy::Fair);
}

#[test]
fn request_drop_with_a_waiter_hands_over_at_the_next_check_cpython() {
    request_drop_with_a_waiter_hands_over_at_the_next_check(Policy::CPython);
}

/// A holder calling `check()` in a loop yields once a waiter has waited one interval: not
/// before (a lower bound, safe on any machine), and eventually (within [`PATIENCE`]).
fn check_switches_once_the_interval_has_passed(policy: Policy) {
    let interval = Duration::from_millis(5);
    let _serial = serial();
    let gil = gil(policy, interval);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut guard = gil.acquire();
    let before_waiter = Instant::now();
    let waiter = {
        let (gil, log) = (gil.clone(), Arc::clone(&log));
        spawn("waiter", move || {
            let _g = gil.acquire();
            log.lock().unwrap().push("waiter");
        })
    };
    wait_for_waiters(&gil, 1);
    while !guard.check().unwrap().switched() {
        assert!(
            before_waiter.elapsed() < PATIENCE,
            "the holder was never asked to yield"
        );
    }
    let switched_after = before_waiter.elapsed();
    log.lock().unwrap().push("holder");
    drop(guard);
    join(waiter);
    assert_eq!(*log.lock().unwrap(), ["waiter", "holder"]);
    assert!(
        switched_after >= interval,
        "yielded after {switched_after:?}, before the {interval:?} interval"
    );
    let stats = gil.stats();
    assert!(stats.drop_requests >= 1, "{stats:?}");
    assert_eq!(stats.forced_switches, 1);
}

#[test]
fn check_switches_once_the_interval_has_passed_fair() {
    check_switches_once_the_interval_has_passed(Policy::Fair);
}

#[test]
fn check_switches_once_the_interval_has_passed_cpython() {
    check_switches_once_the_interval_has_passed(Policy::CPython);
}
