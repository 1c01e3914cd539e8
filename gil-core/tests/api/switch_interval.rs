//! The switch interval: defaults, validation, changing it, and `Duration::MAX` ("never ask
//! the holder to yield").

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{DEFAULT_SWITCH_INTERVAL, Gil, Mode, Policy, SwitchIntervalError};
use gil_test_support::{PATIENCE, join, spawn};

use crate::support::{HOUR, gil, wait_for_waiters};

#[test]
fn new_gil_is_fair_enabled_with_the_default_interval() {
    for gil in [Gil::new(), Gil::default(), Gil::builder().build().unwrap()] {
        assert_eq!(gil.policy(), Policy::Fair);
        assert_eq!(gil.mode(), Mode::Enabled);
        assert_eq!(gil.switch_interval(), DEFAULT_SWITCH_INTERVAL);
    }
    assert_eq!(DEFAULT_SWITCH_INTERVAL, Duration::from_millis(5));
}

#[test]
fn builder_sets_policy_mode_and_interval() {
    let gil = Gil::builder()
        .policy(Policy::CPython)
        .mode(Mode::FreeThreaded)
        .switch_interval(Duration::from_micros(250))
        .build()
        .unwrap();
    assert_eq!(gil.policy(), Policy::CPython);
    assert_eq!(gil.mode(), Mode::FreeThreaded);
    assert_eq!(gil.switch_interval(), Duration::from_micros(250));
}

#[test]
fn builder_rejects_a_zero_interval() {
    let err = Gil::builder()
        .switch_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err, SwitchIntervalError::Zero);
}

#[test]
fn set_switch_interval_rejects_zero_and_keeps_the_old_value() {
    let gil = Gil::new();
    gil.set_switch_interval(Duration::from_millis(2)).unwrap();
    assert_eq!(gil.switch_interval(), Duration::from_millis(2));
    assert_eq!(
        gil.set_switch_interval(Duration::ZERO),
        Err(SwitchIntervalError::Zero)
    );
    assert_eq!(gil.switch_interval(), Duration::from_millis(2));
    // The smallest positive interval is accepted.
    gil.set_switch_interval(Duration::from_nanos(1)).unwrap();
    assert_eq!(gil.switch_interval(), Duration::from_nanos(1));
}

#[test]
fn set_switch_interval_is_seen_through_every_clone() {
    let gil = Gil::new();
    let clone = gil.clone();
    clone.set_switch_interval(Duration::from_millis(3)).unwrap();
    assert_eq!(gil.switch_interval(), Duration::from_millis(3));
}

/// A GIL built with an hour-long interval and lowered to 1 ms before a waiter arrives: the
/// holder is asked to yield within [`PATIENCE`] (it would take an hour otherwise).
fn lowered_interval_applies_to_the_next_waiter(policy: Policy) {
    let gil = gil(policy, HOUR);
    gil.set_switch_interval(Duration::from_millis(1)).unwrap();
    let mut guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || drop(gil.acquire()))
    };
    wait_for_waiters(&gil, 1);
    let start = Instant::now();
    while !guard.check().unwrap().switched() {
        assert!(
            start.elapsed() < PATIENCE,
            "the new interval was not applied"
        );
    }
    drop(guard);
    join(waiter);
}

#[test]
fn lowered_interval_applies_to_the_next_waiter_fair() {
    lowered_interval_applies_to_the_next_waiter(Policy::Fair);
}

#[test]
fn lowered_interval_applies_to_the_next_waiter_cpython() {
    lowered_interval_applies_to_the_next_waiter(Policy::CPython);
}

/// `Duration::MAX`: no deadline overflows; time never makes the holder yield, while releases
/// still hand over. A thread coming back from I/O preempts the holder under the fair policy
/// (urgent request), and waits for the holder to stop on its own under the CPython policy.
fn max_interval_never_forces_a_switch(policy: Policy) {
    let gil = Gil::builder()
        .policy(policy)
        .switch_interval(Duration::MAX)
        .build()
        .expect("Duration::MAX is a valid interval");
    gil.set_switch_interval(Duration::MAX)
        .expect("Duration::MAX is a valid interval");
    let mut guard = gil.acquire();
    let (entered, has_entered) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let holder = {
        let (gil, stop) = (gil.clone(), Arc::clone(&stop));
        spawn("holder", move || {
            let mut guard = gil.acquire();
            entered.send(()).unwrap();
            let start = Instant::now();
            let mut switched = false;
            // Fair: stop once preempted. CPython: stop after a while, on our own.
            while !stop.load(SeqCst) && start.elapsed() < Duration::from_millis(50) {
                if guard.check().unwrap().switched() {
                    switched = true;
                    break;
                }
            }
            switched
        })
    };
    wait_for_waiters(&gil, 1);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(20) {
        assert!(
            !guard.check().unwrap().switched(),
            "time made the holder yield with an infinite interval"
        );
    }
    // Releasing hands over; coming back takes the GIL back.
    guard.allow_threads(|| has_entered.recv_timeout(PATIENCE).expect("holder ran"));
    assert!(gil.is_held_by_current_thread());
    stop.store(true, SeqCst);
    drop(guard);
    let holder_was_preempted = join(holder);
    assert_eq!(holder_was_preempted, policy == Policy::Fair);
}

#[test]
fn max_interval_never_forces_a_switch_fair() {
    max_interval_never_forces_a_switch(Policy::Fair);
}

#[test]
fn max_interval_never_forces_a_switch_cpython() {
    max_interval_never_forces_a_switch(Policy::CPython);
}

#[test]
fn switch_interval_round_trips_duration_max() {
    let gil = Gil::new();
    gil.set_switch_interval(Duration::MAX).unwrap();
    assert_eq!(gil.switch_interval(), Duration::MAX);
    let built = Gil::builder()
        .switch_interval(Duration::MAX)
        .build()
        .unwrap();
    assert_eq!(built.switch_interval(), Duration::MAX);
}
