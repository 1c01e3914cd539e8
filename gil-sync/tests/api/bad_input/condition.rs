//! The bad-input rows of `Condition` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Condition::wait` / `wait_timeout` / `wait_deadline` / `wait_for*` (false predicate) without the lock (over `Lock` or `RLock`; lock free or held by another thread) | `Err(WaitError::NotOwner)`; nothing released | `cannot wait on un-acquired lock` | `RuntimeError: cannot wait on un-acquired lock` (over a `Lock` held by another thread CPython does not raise, gh-69702) |
//! | `Condition::wait_for*` with a true predicate without the lock | `Ok(true)` without checking ownership | — | returns the predicate's value |
//! | `Condition::notify(n)` (any `n`, incl. 0 and `usize::MAX`) / `notify_all` without the lock | `Err(NotifyError::NotOwner)` | `cannot notify on un-acquired lock` | `RuntimeError: cannot notify on un-acquired lock` (same gh-69702 caveat) |
//! | `Condition::release` without the lock | over `Lock`: `Err(ReleaseError::Unlocked)`; over `RLock`: `Err(ReleaseError::NotOwner)` | `release unlocked lock` / `cannot release un-acquired lock` | `RuntimeError` (same texts) |
//! | `Condition::try_acquire` while held (by another thread; over a `Lock` also by this one) | `Err(TryAcquireError::WouldBlock)` | `acquire would block` | `acquire(False)` returns `False` |
//! | `Condition::wait_timeout(ZERO / 1 ns)` / `wait_deadline(past)` | `Ok(WaitResult::TimedOut)` at once, lock (every `RLock` level) held again | — | `wait(0)` returns `False` |
//! | `Condition::wait_timeout(Duration::MAX)` / `wait_for_timeout(_, MAX)` | wait until notified: `Ok(Notified)` / `Ok(true)` | — | `wait()` / `wait_for(pred)` |
//! | `Condition::wait_for_timeout(false, ZERO / 1 ns)` / `wait_for_deadline(false, past)` | `Ok(false)`, predicate called twice | — | `wait_for(pred, 0)` returns the falsy value |
//! | `Condition::acquire_timeout(ZERO / 1 ns / MAX)` / `acquire_deadline(past)` | as the underlying lock | `timed out waiting to acquire` | as the lock |

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use gil_sync::{
    AcquireError, Condition, Lock, NotifyError, RLock, ReleaseError, TryAcquireError, WaitError,
    WaitResult,
};
use gil_test_support::{PATIENCE, SHORT, join, spawn, wait_until, within};

use super::{EDGE, past, prompt};

/// A condition over a `Lock`, over an `RLock`, and the default (an `RLock`).
fn conditions() -> Vec<(&'static str, Arc<Condition>)> {
    vec![
        (
            "lock",
            Arc::new(Condition::with_lock(Arc::new(Lock::new()))),
        ),
        (
            "rlock",
            Arc::new(Condition::with_rlock(Arc::new(RLock::new()))),
        ),
        ("default", Arc::new(Condition::new())),
    ]
}

/// Every wait flavour, from a thread that does not hold the lock.
fn every_wait(cond: &Condition) -> Vec<Result<(), WaitError>> {
    vec![
        cond.wait(),
        cond.wait_timeout(Duration::ZERO).map(drop),
        cond.wait_timeout(Duration::from_nanos(1)).map(drop),
        cond.wait_timeout(Duration::MAX).map(drop),
        cond.wait_deadline(past()).map(drop),
        cond.wait_for(|| false).map(drop),
        cond.wait_for_timeout(|| false, Duration::ZERO).map(drop),
        cond.wait_for_timeout(|| false, Duration::MAX).map(drop),
        cond.wait_for_deadline(|| false, past()).map(drop),
    ]
}

/// Every notify flavour.
fn every_notify(cond: &Condition) -> Vec<Result<(), NotifyError>> {
    vec![
        cond.notify(0),
        cond.notify(1),
        cond.notify(usize::MAX),
        cond.notify_all(),
    ]
}

/// A full wait/notify round trip with another thread, then the lock is free.
fn assert_condition_usable(cond: &Arc<Condition>) {
    assert!(!cond.is_owned());
    let c = Arc::clone(cond);
    let waiter = spawn("waiter", move || {
        let _guard = c.acquire();
        c.wait_timeout(PATIENCE)
    });
    wait_until("the waiter waits", || cond.waiting() == 1);
    {
        let _guard = cond.acquire();
        cond.notify(1).expect("notify with the lock held");
    }
    assert_eq!(join(waiter), Ok(WaitResult::Notified));
    let guard = cond.try_acquire().expect("the lock is free again");
    assert!(cond.is_owned());
    drop(guard);
    assert!(!cond.is_owned());
}

/// Whether some thread holds `cond`'s lock.
fn lock_is_held(cond: &Condition) -> bool {
    match cond.lock() {
        gil_sync::ConditionLock::Lock(lock) => lock.locked(),
        gil_sync::ConditionLock::RLock(lock) => lock.locked(),
    }
}

#[test]
fn condition_wait_without_the_lock_is_wait_error_not_owner() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let results = prompt("unowned wait", move || every_wait(&c));
        for result in results {
            let err = result.unwrap_err();
            assert_eq!(err, WaitError::NotOwner, "{kind}");
            assert_eq!(err.to_string(), "cannot wait on un-acquired lock");
        }
        assert!(!lock_is_held(&cond), "{kind}: nothing was acquired");
        assert_eq!(cond.waiting(), 0, "{kind}: nobody was queued");
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_while_another_thread_holds_the_lock_is_wait_error_not_owner() {
    for (kind, cond) in conditions() {
        let guard = cond.acquire();
        let c = Arc::clone(&cond);
        let results = prompt("non-owner wait", move || every_wait(&c));
        for result in results {
            assert_eq!(result, Err(WaitError::NotOwner), "{kind}");
        }
        assert!(cond.is_owned(), "{kind}: the owner's hold is untouched");
        assert!(lock_is_held(&cond));
        drop(guard);
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_for_a_true_predicate_without_the_lock_returns_true() {
    for (kind, cond) in conditions() {
        assert_eq!(cond.wait_for(|| true), Ok(true), "{kind}");
        assert_eq!(cond.wait_for_timeout(|| true, Duration::ZERO), Ok(true));
        assert_eq!(cond.wait_for_timeout(|| true, Duration::MAX), Ok(true));
        assert_eq!(cond.wait_for_deadline(|| true, past()), Ok(true));
        assert!(!lock_is_held(&cond));
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_notify_without_the_lock_is_notify_error_not_owner() {
    for (kind, cond) in conditions() {
        for result in every_notify(&cond) {
            let err = result.unwrap_err();
            assert_eq!(err, NotifyError::NotOwner, "{kind}");
            assert_eq!(err.to_string(), "cannot notify on un-acquired lock");
        }
        // From a thread that does not hold it while another does.
        let guard = cond.acquire();
        let c = Arc::clone(&cond);
        for result in within("non-owner notify", move || every_notify(&c)) {
            assert_eq!(result, Err(NotifyError::NotOwner), "{kind}");
        }
        assert!(cond.is_owned());
        drop(guard);
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_release_without_the_lock_is_unlocked_or_not_owner() {
    for (kind, cond) in conditions() {
        let err = cond.release().unwrap_err();
        let expected = if kind == "lock" {
            (ReleaseError::Unlocked, "release unlocked lock")
        } else {
            (ReleaseError::NotOwner, "cannot release un-acquired lock")
        };
        assert_eq!((err, err.to_string().as_str()), expected, "{kind}");
        // Once too many.
        cond.acquire().leak();
        cond.release().unwrap();
        assert_eq!(cond.release(), Err(expected.0));
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_try_acquire_held_is_try_acquire_error_would_block() {
    for (kind, cond) in conditions() {
        let guard = cond.acquire();
        let again = cond.try_acquire().map(drop);
        if kind == "lock" {
            let err = again.unwrap_err();
            assert_eq!(err, TryAcquireError::WouldBlock);
            assert_eq!(err.to_string(), "acquire would block");
        } else {
            assert_eq!(again, Ok(()), "an rlock re-enters");
        }
        let c = Arc::clone(&cond);
        assert_eq!(
            within("contender", move || c.try_acquire().map(drop)),
            Err(TryAcquireError::WouldBlock),
            "{kind}"
        );
        drop(guard);
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_timeout_zero_1ns_and_past_deadline_time_out_with_the_lock_held() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let (results, levels) = prompt("timed waits", move || {
            let outer = c.acquire();
            // Two levels of an rlock: both must come back.
            let inner = (kind != "lock").then(|| c.acquire());
            let mut results: Vec<_> = EDGE.iter().map(|&t| c.wait_timeout(t)).collect();
            results.push(c.wait_deadline(past()));
            let owned = c.is_owned();
            let levels = match c.lock() {
                gil_sync::ConditionLock::RLock(lock) => lock.recursion_count(),
                gil_sync::ConditionLock::Lock(_) => u64::from(owned),
            };
            drop(inner);
            drop(outer);
            (results, levels)
        });
        assert_eq!(results, [Ok(WaitResult::TimedOut); 3], "{kind}");
        assert_eq!(levels, if kind == "lock" { 1 } else { 2 }, "{kind}");
        assert_eq!(
            cond.waiting(),
            0,
            "{kind}: timed-out waiters left the queue"
        );
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_for_timeout_zero_1ns_and_past_deadline_return_false() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let outcomes = prompt("timed wait_for", move || {
            let _guard = c.acquire();
            let mut outcomes = Vec::new();
            for timeout in EDGE {
                let mut calls = 0;
                let r = c.wait_for_timeout(
                    || {
                        calls += 1;
                        false
                    },
                    timeout,
                );
                outcomes.push((r, calls));
            }
            let mut calls = 0;
            let r = c.wait_for_deadline(
                || {
                    calls += 1;
                    false
                },
                past(),
            );
            outcomes.push((r, calls));
            assert!(c.is_owned());
            outcomes
        });
        // Before the wait and after it, as CPython.
        assert_eq!(outcomes, [(Ok(false), 2); 3], "{kind}");
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_timeout_max_is_woken_by_notify() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let waiter = spawn("waiter", move || {
            let _guard = c.acquire();
            c.wait_timeout(Duration::MAX)
        });
        wait_until("the waiter waits", || cond.waiting() == 1);
        {
            let _guard = cond.acquire();
            cond.notify(1).unwrap();
        }
        assert_eq!(join(waiter), Ok(WaitResult::Notified), "{kind}");

        let flag = Arc::new(AtomicBool::new(false));
        let (c, f) = (Arc::clone(&cond), Arc::clone(&flag));
        let waiter = spawn("wait_for", move || {
            let _guard = c.acquire();
            c.wait_for_timeout(|| f.load(SeqCst), Duration::MAX)
        });
        wait_until("the waiter waits", || cond.waiting() == 1);
        {
            let _guard = cond.acquire();
            flag.store(true, SeqCst);
            cond.notify_all().unwrap();
        }
        assert_eq!(join(waiter), Ok(true), "{kind}");
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_acquire_timeout_zero_1ns_max_and_past_deadline() {
    for (kind, cond) in conditions() {
        // Free: every flavour takes it.
        let c = Arc::clone(&cond);
        let free = prompt("free", move || {
            let mut r: Vec<_> = [Duration::ZERO, Duration::from_nanos(1), Duration::MAX]
                .iter()
                .map(|&t| c.acquire_timeout(t).map(drop))
                .collect();
            r.push(c.acquire_deadline(past()).map(drop));
            r
        });
        assert_eq!(free, [Ok(()); 4], "{kind}");
        // Held by this thread: the contender fails at once, then waits with MAX.
        cond.acquire().leak();
        let c = Arc::clone(&cond);
        let held = prompt("held", move || {
            let mut r: Vec<_> = EDGE
                .iter()
                .map(|&t| c.acquire_timeout(t).map(drop))
                .collect();
            r.push(c.acquire_deadline(past()).map(drop));
            r
        });
        assert_eq!(held, [Err(AcquireError::TimedOut); 3], "{kind}");
        let c = Arc::clone(&cond);
        let waiter = spawn("waiter", move || c.acquire_timeout(Duration::MAX).map(drop));
        thread::sleep(SHORT);
        cond.release().unwrap();
        assert_eq!(join(waiter), Ok(()), "{kind}");
        assert_condition_usable(&cond);
    }
}
