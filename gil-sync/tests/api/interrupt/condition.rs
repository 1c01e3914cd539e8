//! What only a `Condition` wait has: its lock is released while it waits and re-acquired
//! (every `RLock` level) before an interrupted wait returns, an interrupted waiter leaves the
//! notifications to the others, and pending calls run without the condition's lock.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU8};

use gil_core::{Gil, Interrupt, Turn};
use gil_sync::{Condition, ConditionLock, Lock, RLock, TryAcquireError, WaitError, WaitResult};
use gil_test_support::{PATIENCE, join, spawn, wait_until};

use crate::support::second_waiter;

/// Another thread's `try_acquire` of `cond`'s lock (released at once if taken).
fn try_elsewhere(cond: &Arc<Condition>) -> Result<(), TryAcquireError> {
    let cond = Arc::clone(cond);
    join(spawn("try-lock", move || cond.try_acquire().map(drop)))
}

/// The lock is free while the waiter sleeps, and held again, with both `RLock` levels, when
/// the interrupted wait returns; the waiter left the queue.
#[test]
fn an_interrupted_wait_releases_the_lock_and_restores_every_level() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let lock = Arc::new(RLock::new());
    let cond = Arc::new(Condition::with_rlock(Arc::clone(&lock)));
    let outer = cond.acquire();
    let inner = cond.acquire();
    let helper = {
        let (cond, interrupter) = (Arc::clone(&cond), gil.interrupter());
        spawn("helper", move || {
            wait_until("the waiter is queued", || cond.waiting() == 1);
            let free = cond.try_acquire().map(drop);
            interrupter.interrupt().unwrap();
            free
        })
    };
    assert_eq!(
        cond.wait_timeout(PATIENCE),
        Err(WaitError::Interrupted(Interrupt::Requested))
    );
    assert_eq!(join(helper), Ok(()), "the lock was held during the wait");
    assert!(cond.is_owned());
    assert_eq!(lock.recursion_count(), 2);
    assert_eq!(cond.waiting(), 0);
    assert_eq!(try_elsewhere(&cond), Err(TryAcquireError::WouldBlock));
    drop(inner);
    drop(outer);
    assert_eq!(try_elsewhere(&cond), Ok(()));
    assert_eq!(guard.check(), Ok(Turn::Kept));
}

/// Two waiters; the first is interrupted: it leaves the queue, and a `notify(1)` after that
/// goes to the second, which was queued behind it.
#[test]
fn an_interrupted_waiter_leaves_the_notification_to_the_next() {
    let gil = Gil::new();
    let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
    let second = second_waiter(&cond);
    let interrupter = {
        let (cond, interrupter) = (Arc::clone(&cond), gil.interrupter());
        spawn("interrupter", move || {
            wait_until("both waiters are queued", || cond.waiting() == 2);
            interrupter.interrupt().unwrap();
        })
    };
    {
        let _g = cond.acquire();
        assert_eq!(
            cond.wait_timeout(PATIENCE),
            Err(WaitError::Interrupted(Interrupt::Requested))
        );
        assert_eq!(cond.waiting(), 1, "the second waiter must still be queued");
        cond.notify(1).unwrap();
    }
    join(interrupter);
    assert_eq!(join(second), WaitResult::Notified);
    assert_eq!(cond.waiting(), 0);
}

/// A pending call runs inside the wait without the condition's lock (it can take the lock),
/// and the wait goes on until notified.
#[test]
fn a_pending_call_runs_without_the_conditions_lock() {
    for cond in [
        Condition::with_lock(Arc::new(Lock::new())),
        Condition::new(),
    ] {
        let gil = Gil::new();
        let mut guard = gil.acquire();
        let cond = Arc::new(cond);
        // 1: the call ran and could take the lock; 2: it could not.
        let took = Arc::new(AtomicU8::new(0));
        let notifier = {
            let (gil, cond, took) = (gil.clone(), Arc::clone(&cond), Arc::clone(&took));
            spawn("notifier", move || {
                wait_until("the waiter is queued", || cond.waiting() == 1);
                let (c, t) = (Arc::clone(&cond), Arc::clone(&took));
                gil.add_pending_call(move || {
                    let free = c.try_acquire().is_ok();
                    t.store(if free { 1 } else { 2 }, SeqCst);
                    ControlFlow::Continue(())
                })
                .unwrap();
                wait_until("the pending call ran", || took.load(SeqCst) != 0);
                let _g = cond.acquire();
                cond.notify(1).unwrap();
            })
        };
        {
            let _g = cond.acquire();
            assert_eq!(cond.wait_timeout(PATIENCE), Ok(WaitResult::Notified));
            if let ConditionLock::RLock(lock) = cond.lock() {
                assert_eq!(lock.recursion_count(), 1);
            }
        }
        join(notifier);
        assert_eq!(took.load(SeqCst), 1, "the call ran holding the lock");
        assert_eq!(guard.check(), Ok(Turn::Kept));
    }
}

/// `wait_for` whose predicate becomes true while the waiter runs a pending call: the call
/// itself sets the flag (it runs on the waiting thread) and a notify follows; the predicate
/// is evaluated once more and the wait returns `true`.
#[test]
fn wait_for_goes_on_after_a_pending_call() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
    let flag = Arc::new(AtomicBool::new(false));
    let helper = {
        let (gil, cond, flag) = (gil.clone(), Arc::clone(&cond), Arc::clone(&flag));
        spawn("helper", move || {
            wait_until("the waiter is queued", || cond.waiting() == 1);
            let f = Arc::clone(&flag);
            gil.add_pending_call(move || {
                f.store(true, SeqCst);
                ControlFlow::Continue(())
            })
            .unwrap();
            wait_until("the pending call ran", || flag.load(SeqCst));
            let _g = cond.acquire();
            cond.notify(1).unwrap();
        })
    };
    let mut calls = 0;
    {
        let _g = cond.acquire();
        let ok = cond.wait_for_timeout(
            || {
                calls += 1;
                flag.load(SeqCst)
            },
            PATIENCE,
        );
        assert_eq!(ok, Ok(true));
    }
    join(helper);
    assert_eq!(calls, 2, "once before the wait, once after the notify");
    assert_eq!(guard.check(), Ok(Turn::Kept));
}
