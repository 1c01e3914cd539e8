//! `Condition`: the flag + predicate pattern over both lock kinds, exact `notify(n)` counts,
//! and a timed wait racing a notify.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::{Condition, Lock, RLock, WaitResult};
use gil_test_support::loom::model_bounded;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;

/// The classic pattern: the waiter `wait_for(|| flag)`, the notifier sets the flag and
/// notifies, both under the lock.
///
/// Catches: a waiter that registers in the queue only after releasing the lock (the notify
/// can fall in between: lost wake-up, deadlock), a `wait` that does not release the lock (the
/// notifier can never get in: deadlock), a `wait` that returns without the lock (the flag
/// read races), a release/re-acquire that is not ordered (the `Relaxed` flag, protected only
/// by the lock, would be read stale and the waiter would wait forever).
fn flag_and_predicate(cond: Condition) {
    let cond = Arc::new(cond);
    let flag = Arc::new(AtomicUsize::new(0));
    let t = {
        let (cond, flag) = (cond.clone(), flag.clone());
        loom::thread::spawn(move || {
            let _g = cond.acquire();
            cond.notify(1).unwrap();
            flag.store(1, Relaxed);
            // notify before or after the store: either way under the lock.
            cond.notify(1).unwrap();
        })
    };
    {
        let _g = cond.acquire();
        let ok = cond.wait_for(|| flag.load(Relaxed) == 1).unwrap();
        assert!(ok);
        assert!(cond.is_owned(), "wait returns with the lock held");
    }
    t.join().unwrap();
    assert!(!cond.is_owned());
}

/// [`flag_and_predicate`] over a plain `Lock`.
#[test]
fn wait_for_flag_over_lock() {
    loom::model(|| flag_and_predicate(Condition::with_lock(Arc::new(Lock::new()))));
}

/// [`flag_and_predicate`] over an `RLock` held twice by the waiter: `wait` must release every
/// level and restore them.
///
/// Catches, besides [`flag_and_predicate`]'s: a `wait` that releases one level only (the
/// notifier never gets in: deadlock) or restores the wrong count.
#[test]
fn wait_for_flag_over_rlock_reentered() {
    loom::model(|| {
        let lock = Arc::new(RLock::new());
        let cond = Arc::new(Condition::with_rlock(lock.clone()));
        let flag = Arc::new(AtomicUsize::new(0));
        let t = {
            let (cond, flag) = (cond.clone(), flag.clone());
            loom::thread::spawn(move || {
                let _g = cond.acquire();
                flag.store(1, Relaxed);
                cond.notify_all().unwrap();
            })
        };
        {
            let _outer = cond.acquire();
            let _inner = cond.acquire();
            let ok = cond.wait_for(|| flag.load(Relaxed) == 1).unwrap();
            assert!(ok);
            assert_eq!(lock.recursion_count(), 2, "wait restores every level");
        }
        t.join().unwrap();
        assert!(!lock.locked());
    });
}

/// The plain flag pattern over the default `Condition::new()` (an `RLock`, one level).
#[test]
fn wait_for_flag_over_default_rlock() {
    loom::model(|| flag_and_predicate(Condition::new()));
}

/// Two waiters block in `wait()`; main waits until both are queued, then `notify(1)`: exactly
/// one wakes (the other is still queued when the first has come back), and a second
/// `notify(1)` wakes the other.
///
/// Catches: `notify(n)` waking more than `n` (main sees 2 woken, or 0 waiting once 1 woke),
/// waking none (deadlock: main spins forever, loom reports it), a spurious wake-up (a waiter
/// returns before any notify: `woken` ahead of `notified`).
#[test]
fn notify_one_wakes_exactly_one() {
    model_bounded(2, || {
        let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
        // Both protected by the condition's lock.
        let notified = Arc::new(AtomicUsize::new(0));
        let woken = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (cond, notified, woken) = (cond.clone(), notified.clone(), woken.clone());
                loom::thread::spawn(move || {
                    let _g = cond.acquire();
                    cond.wait().unwrap();
                    let w = woken.fetch_add(1, Relaxed) + 1;
                    assert!(w <= notified.load(Relaxed), "woken without a notify");
                })
            })
            .collect();
        wait_until(&cond, || cond.waiting() == 2);
        {
            let _g = cond.acquire();
            notified.store(1, Relaxed);
            cond.notify(1).unwrap();
        }
        wait_until(&cond, || {
            let w = woken.load(Relaxed);
            assert!(w <= 1, "notify(1) woke {w} waiters");
            w == 1
        });
        {
            let _g = cond.acquire();
            assert_eq!(cond.waiting(), 1, "the other waiter must still be queued");
            notified.store(2, Relaxed);
            cond.notify(1).unwrap();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(woken.load(Relaxed), 2);
        assert_eq!(cond.waiting(), 0);
    });
}

/// A timed waiter (loom: queue, yield once, cancel) and an untimed one; main notifies once
/// the untimed one is queued. `notify(1)` pops exactly one of them: if the timed one reports
/// `Notified`, the untimed one must still be queued; if it reports `TimedOut`, the
/// notification went to the untimed one, which must no longer be queued.
///
/// Catches: a cancel that reports `TimedOut` although a notify popped it (the notification is
/// lost: the untimed waiter is still queued although the timed one says it timed out), a
/// cancel that does not remove the waiter (the notify is spent on a thread that left: the
/// untimed one stays queued), a waiter reporting `Notified` without being popped.
#[test]
fn timed_wait_races_notify() {
    model_bounded(2, || {
        let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
        let untimed_in = Arc::new(AtomicUsize::new(0));
        let timed = {
            let cond = cond.clone();
            loom::thread::spawn(move || {
                let _g = cond.acquire();
                cond.wait_timeout(Duration::from_secs(1)).unwrap()
            })
        };
        let untimed = {
            let (cond, untimed_in) = (cond.clone(), untimed_in.clone());
            loom::thread::spawn(move || {
                let _g = cond.acquire();
                untimed_in.store(1, Relaxed);
                cond.wait().unwrap();
            })
        };
        wait_until(&cond, || untimed_in.load(Relaxed) == 1);
        {
            let _g = cond.acquire();
            cond.notify(1).unwrap();
        }
        let result = timed.join().unwrap();
        {
            let _g = cond.acquire();
            let expected = match result {
                WaitResult::Notified => 1,
                WaitResult::TimedOut => 0,
            };
            assert_eq!(
                cond.waiting(),
                expected,
                "the timed waiter reported {result:?}: notify(1) must have popped exactly one"
            );
            cond.notify_all().unwrap();
        }
        untimed.join().unwrap();
    });
}

/// Spins (yielding to loom) until `done` holds, evaluated under the condition's lock.
fn wait_until(cond: &Condition, mut done: impl FnMut() -> bool) {
    loop {
        {
            let _g = cond.acquire();
            if done() {
                return;
            }
        }
        loom::thread::yield_now();
    }
}
