//! `Event`: the flag, `wait` with and without timeouts, `set` waking every waiter, a waiter
//! woken by `set` returning `true` even if the flag is cleared at once (gh-57711), and `repr`
//! (CPython's `lock_tests.EventTests`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gil_sync::Event;
use gil_test_support::{PATIENCE, SHORT, join, join_all, spawn};

use crate::support::{assert_waited, settle};

#[test]
fn new_event_is_clear() {
    assert!(!Event::new().is_set());
    assert!(!Event::default().is_set());
}

#[test]
fn set_and_clear_are_idempotent() {
    let event = Event::new();
    event.set();
    assert!(event.is_set());
    event.set();
    assert!(event.is_set());
    event.clear();
    assert!(!event.is_set());
    event.clear();
    assert!(!event.is_set());
}

#[test]
fn wait_returns_true_at_once_when_set() {
    let event = Event::new();
    event.set();
    assert!(event.wait());
    assert!(event.wait_timeout(SHORT));
    assert!(event.wait_timeout(Duration::MAX));
    assert!(event.wait_deadline(Instant::now()));
}

#[test]
fn wait_timeout_returns_false_after_the_timeout() {
    let event = Event::new();
    let start = Instant::now();
    assert!(!event.wait_timeout(SHORT));
    assert_waited(start, SHORT);
    let start = Instant::now();
    assert!(!event.wait_deadline(start + SHORT));
    assert_waited(start, SHORT);
}

#[test]
fn zero_timeout_returns_the_flag() {
    let event = Event::new();
    assert!(!event.wait_timeout(Duration::ZERO));
    assert!(!event.wait_deadline(Instant::now()));
    event.set();
    assert!(event.wait_timeout(Duration::ZERO));
    assert!(event.wait_deadline(Instant::now()));
}

#[test]
fn set_wakes_every_waiter() {
    let event = Arc::new(Event::new());
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let e = Arc::clone(&event);
            spawn(format!("waiter-{i}"), move || e.wait())
        })
        .collect();
    let timed: Vec<_> = (0..3)
        .map(|i| {
            let e = Arc::clone(&event);
            spawn(format!("timed-{i}"), move || e.wait_timeout(PATIENCE))
        })
        .collect();
    settle();
    assert!(
        handles.iter().chain(&timed).all(|h| !h.is_finished()),
        "woke before set"
    );
    event.set();
    assert!(join_all(handles).into_iter().all(|woken| woken));
    assert!(join_all(timed).into_iter().all(|woken| woken));
}

#[test]
fn waiter_woken_by_set_returns_true_even_if_cleared_at_once() {
    // gh-57711: `set(); clear()` must still wake the waiters with `True`. If a waiter had not
    // started waiting when `set` ran, it times out and the test fails (after PATIENCE).
    let event = Arc::new(Event::new());
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let e = Arc::clone(&event);
            spawn(format!("waiter-{i}"), move || e.wait_timeout(PATIENCE))
        })
        .collect();
    settle();
    event.set();
    event.clear();
    assert!(
        join_all(handles).into_iter().all(|woken| woken),
        "a waiter woken by set returned false"
    );
    assert!(!event.is_set());
}

#[test]
fn wait_duration_max_waits_until_set() {
    let event = Arc::new(Event::new());
    let e = Arc::clone(&event);
    let waiter = spawn("waiter", move || e.wait_timeout(Duration::MAX));
    settle();
    assert!(!waiter.is_finished());
    event.set();
    assert!(join(waiter));
}

#[test]
fn debug_is_pythons_repr() {
    let event = Event::new();
    assert_eq!(format!("{event:?}"), "<threading.Event: unset>");
    event.set();
    assert_eq!(format!("{event:?}"), "<threading.Event: set>");
}
