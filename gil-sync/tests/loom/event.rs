//! `Event`: no lost wake-up, set + clear racing a waiter, a timed wait racing `set`, and one
//! `set` waking every waiter.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::Event;

use crate::support::model_bounded;

/// A waiter blocks; main sets.
///
/// Catches: a waiter that queues without re-checking the flag under the queue lock, or
/// `set` that reads a stale `PARKED_BIT` (the waiter parks after the only `set`: deadlock).
#[test]
fn set_wakes_blocked_waiter() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let t = {
            let event = event.clone();
            loom::thread::spawn(move || assert!(event.wait()))
        };
        event.set();
        t.join().unwrap();
        assert!(event.is_set());
    });
}

/// Main clears, sets, clears and sets again while a thread waits: the waiter always returns
/// `true`, also when the first `set` woke it and the flag was cleared before it ran.
///
/// Catches: a woken waiter that reports the flag's current value instead of "woken" (returns
/// `false` from an untimed `wait`), a `clear` that also drops `PARKED_BIT` (the waiter
/// queued before it is never woken by the following `set`: deadlock).
#[test]
fn set_clear_racing_waiter() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let t = {
            let event = event.clone();
            loom::thread::spawn(move || event.wait())
        };
        event.clear();
        event.set();
        event.clear();
        event.set();
        assert!(t.join().unwrap(), "an untimed wait returns true");
        assert!(event.is_set());
    });
}

/// A timed wait (loom: queue, yield once, cancel) races `set`. It returns `true` or `false`;
/// either way the event is left consistent: set, and after a `clear` a new waiter is woken by
/// the next `set` (`PARKED_BIT` neither lost nor wrongly kept in a way that loses a wake-up).
///
/// Catches: a cancel that clears `PARKED_BIT` with waiters still queued or a `set` that skips
/// the wake because of it (the second waiter parks forever), a timed waiter that returns
/// `false` although it was popped by `set` and `is_set` says so... (see the assertion), a flag
/// lowered by a cancel.
#[test]
fn timed_wait_races_set() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let t = {
            let event = event.clone();
            loom::thread::spawn(move || event.wait_timeout(Duration::from_secs(1)))
        };
        event.set();
        let _got = t.join().unwrap();
        assert!(event.is_set(), "a cancel must not touch the flag");
        assert!(event.wait_timeout(Duration::from_secs(1)), "set stays set");
        event.clear();
        assert!(!event.wait_timeout(Duration::ZERO));
        // A fresh round after the race: no stale state may lose this wake-up.
        let t = {
            let event = event.clone();
            loom::thread::spawn(move || event.wait())
        };
        event.set();
        assert!(t.join().unwrap());
    });
}

/// Two waiters, one `set`: both return `true`.
///
/// Catches: `set` waking only the oldest waiter (the other parks forever: deadlock), or
/// clearing `PARKED_BIT` before the whole queue is drained.
#[test]
fn one_set_wakes_two_waiters() {
    model_bounded(2, || {
        let event = Arc::new(Event::new());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let event = event.clone();
                loom::thread::spawn(move || event.wait())
            })
            .collect();
        event.set();
        for t in threads {
            assert!(t.join().unwrap());
        }
    });
}

/// A timed waiter and an untimed one race `set`: the untimed one always returns `true`, the
/// timed one `true` or `false`; whatever the timed one's cancel did to the queue and
/// `PARKED_BIT`, the untimed one is woken.
///
/// Catches: a cancel that clears `PARKED_BIT` although the untimed waiter is still queued
/// (`set` then skips the wake: deadlock).
#[test]
fn timed_and_untimed_waiters_race_set() {
    model_bounded(2, || {
        let event = Arc::new(Event::new());
        let timed = {
            let event = event.clone();
            loom::thread::spawn(move || event.wait_timeout(Duration::from_secs(1)))
        };
        let untimed = {
            let event = event.clone();
            loom::thread::spawn(move || event.wait())
        };
        event.set();
        let _ = timed.join().unwrap();
        assert!(untimed.join().unwrap());
    });
}
