//! `Event`: no lost wake-up, set + clear racing a waiter, a timed wait racing `set`, and one
//! `set` waking every waiter.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::Event;
use gil_test_support::loom::model_bounded;

/// A waiter blocks; main sets.
///
/// Catches: a waiter that queues without re-checking the flag under the queue lock, or
/// `set` that reads a stale `QUEUED_BIT` (the waiter parks after the only `set`: deadlock).
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
/// `false` from an untimed `wait`), a `clear` that also drops `QUEUED_BIT` (the waiter
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
/// the next `set`.
///
/// Catches: a cancel that lowers the flag, or that leaves `QUEUED_BIT` in a state that makes
/// the next round's `set` skip its wake-up (the second waiter parks forever: deadlock). Note
/// that `true` versus `false` cannot be checked from outside: a cancel that lands between
/// `set`'s flag write and its wake-up legitimately reports `false`.
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
/// clearing `QUEUED_BIT` before the whole queue is drained.
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
/// `QUEUED_BIT`, the untimed one is woken.
///
/// Catches: a cancel that clears `QUEUED_BIT` although the untimed waiter is still queued
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

/// A waiter that clears the event and then waits must not be woken by a `set` that happened
/// *before* its `clear`: with W1 queued, main's `set` raises the flag and goes to wake the
/// queue; W2 clears the flag and queues behind W1 before that wake runs. W2 may return
/// `true` only if the flag was raised after its `clear` — and then, with no later `clear`,
/// it is still raised at the end.
///
/// Catches: a `set` whose wake-all pops waiters that queued after the flag it raised was
/// already cleared again (W2 returns `true` from a wait during which the flag was never
/// raised; CPython serializes `set`, `clear` and `wait` under one lock, so there it would
/// time out).
#[test]
fn clear_then_wait_not_woken_by_earlier_set() {
    model_bounded(2, || {
        let event = Arc::new(Event::new());
        let w1 = {
            let event = event.clone();
            // Timed: W2's clear may come before W1 even starts, and then nothing wakes it.
            loom::thread::spawn(move || event.wait_timeout(Duration::from_secs(1)))
        };
        let w2 = {
            let event = event.clone();
            loom::thread::spawn(move || {
                event.clear();
                event.wait_timeout(Duration::from_secs(1))
            })
        };
        event.set();
        let _ = w1.join().unwrap();
        let woke = w2.join().unwrap();
        assert!(
            !woke || event.is_set(),
            "W2 returned true, but the flag was never raised after its clear"
        );
    });
}
