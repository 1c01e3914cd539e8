//! GIL release while blocked: a thread that holds a `gil_core::Gil` and blocks on a primitive
//! must let another thread take the same GIL (which then unblocks it), and must hold the GIL
//! again when the blocking call returns. Every wait is bounded, so a regression fails instead
//! of hanging.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use gil_core::Gil;
use gil_sync::{BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, WaitResult};
use gil_test_support::{PATIENCE, SHORT, acquire_within, join, spawn};

use crate::support::settle;

/// Runs `block` on a thread that holds a fresh GIL; once it blocks, the calling thread takes
/// the GIL (proving it was released) and runs `unblock` under it. Returns whether the blocked
/// thread held the GIL again after `block` returned.
fn blocked_thread_releases_the_gil(
    block: impl FnOnce() + Send + 'static,
    unblock: impl FnOnce(),
) -> bool {
    let gil = Gil::new();
    let (tx, rx) = mpsc::channel();
    let g = gil.clone();
    let blocked = spawn("blocked", move || {
        let _guard = g.acquire();
        tx.send(()).unwrap();
        block();
        g.is_held_by_current_thread()
    });
    rx.recv_timeout(PATIENCE)
        .expect("the blocked thread took the GIL");
    // `block` cannot return before `unblock` runs, so getting the GIL here means the blocked
    // thread released it while blocking.
    let guard = acquire_within(&gil);
    unblock();
    // Woken, the blocked thread must wait for the GIL before returning.
    settle();
    assert!(
        !blocked.is_finished(),
        "returned from a blocking call without the GIL"
    );
    drop(guard);
    join(blocked)
}

#[test]
fn lock_acquire_releases_the_gil() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let held =
        blocked_thread_releases_the_gil(move || l.acquire().leak(), || lock.release().unwrap());
    assert!(held);
    assert!(lock.locked());
}

#[test]
fn lock_acquire_timeout_releases_the_gil() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let held = blocked_thread_releases_the_gil(
        move || {
            l.acquire_timeout(PATIENCE)
                .expect("released in time")
                .leak();
        },
        || lock.release().unwrap(),
    );
    assert!(held);
}

#[test]
fn rlock_acquire_releases_the_gil() {
    let lock = Arc::new(RLock::new());
    let guard = lock.acquire();
    let l = Arc::clone(&lock);
    let held = blocked_thread_releases_the_gil(
        move || {
            let _g = l.acquire_timeout(PATIENCE).expect("released in time");
        },
        move || drop(guard),
    );
    assert!(held);
    assert!(!lock.locked());
}

#[test]
fn condition_wait_releases_the_gil() {
    let cond = Arc::new(Condition::new());
    let c = Arc::clone(&cond);
    let held = blocked_thread_releases_the_gil(
        move || {
            let _g = c.acquire();
            assert_eq!(c.wait_timeout(PATIENCE), Ok(WaitResult::Notified));
        },
        || {
            gil_test_support::wait_until("the waiter waits", || cond.waiting() == 1);
            let _g = cond.acquire();
            cond.notify(1).unwrap();
        },
    );
    assert!(held);
}

#[test]
fn condition_reacquiring_its_lock_after_a_notify_releases_the_gil() {
    let gil = Gil::new();
    let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
    let (c, g) = (Arc::clone(&cond), gil.clone());
    let waiter = spawn("waiter", move || {
        let _guard = g.acquire();
        let _lock = c.acquire();
        c.wait().unwrap();
        g.is_held_by_current_thread()
    });
    gil_test_support::wait_until("the waiter waits", || cond.waiting() == 1);
    let lock = {
        let _guard = acquire_within(&gil);
        let lock = cond.acquire();
        cond.notify(1).unwrap();
        lock
    };
    // The waiter is now woken but blocked on the condition's lock: it must not keep the GIL.
    settle();
    let guard = acquire_within(&gil);
    drop(lock);
    drop(guard);
    assert!(join(waiter));
}

#[test]
fn semaphore_acquire_releases_the_gil() {
    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    let held =
        blocked_thread_releases_the_gil(move || s.acquire().leak(), || sem.release().unwrap());
    assert!(held);
    assert_eq!(sem.value(), 0);
}

#[test]
fn bounded_semaphore_acquire_timeout_releases_the_gil() {
    let sem = Arc::new(BoundedSemaphore::new(1));
    sem.acquire().leak();
    let s = Arc::clone(&sem);
    let held = blocked_thread_releases_the_gil(
        move || drop(s.acquire_timeout(PATIENCE).expect("released in time")),
        || sem.release().unwrap(),
    );
    assert!(held);
    assert_eq!(sem.value(), 1);
}

#[test]
fn event_wait_releases_the_gil() {
    let event = Arc::new(Event::new());
    let e = Arc::clone(&event);
    let held = blocked_thread_releases_the_gil(move || assert!(e.wait()), || event.set());
    assert!(held);
}

#[test]
fn event_wait_timeout_releases_the_gil() {
    let event = Arc::new(Event::new());
    let e = Arc::clone(&event);
    let held =
        blocked_thread_releases_the_gil(move || assert!(e.wait_timeout(PATIENCE)), || event.set());
    assert!(held);
}

#[test]
fn timed_out_waits_return_holding_the_gil() {
    let gil = Gil::new();
    let _guard = gil.acquire();
    let lock = Lock::new();
    let _held = lock.acquire();
    assert!(lock.acquire_timeout(SHORT).is_err());
    assert!(gil.is_held_by_current_thread());

    let sem = Semaphore::new(0);
    assert!(sem.acquire_timeout(SHORT).is_err());
    assert!(gil.is_held_by_current_thread());

    let event = Event::new();
    assert!(!event.wait_timeout(SHORT));
    assert!(gil.is_held_by_current_thread());

    let cond = Condition::new();
    let _c = cond.acquire();
    assert_eq!(cond.wait_timeout(SHORT), Ok(WaitResult::TimedOut));
    assert!(gil.is_held_by_current_thread());
}

#[test]
fn uncontended_calls_keep_the_gil() {
    let gil = Gil::new();
    let _guard = gil.acquire();
    let lock = Lock::new();
    drop(lock.acquire());
    let rlock = RLock::new();
    drop(rlock.acquire_timeout(Duration::MAX).unwrap());
    let sem = Semaphore::new(1);
    drop(sem.acquire());
    let event = Event::new();
    event.set();
    assert!(event.wait());
    assert!(gil.is_held_by_current_thread());
}
