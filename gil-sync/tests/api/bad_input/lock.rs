//! The bad-input rows of `Lock` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Lock::release` on an unlocked lock (never acquired, or released twice) | `Err(ReleaseError::Unlocked)` | `release unlocked lock` | `RuntimeError: release unlocked lock` |
//! | `Lock::release` while a live `LockGuard` holds it, then the guard drops | `Ok`; the guard's drop does nothing | — | — |
//! | `Lock::release` from a thread that did not acquire it | `Ok` (a `Lock` has no owner) | — | allowed |
//! | `Lock::try_acquire` on a held lock | `Err(TryAcquireError::WouldBlock)` | `acquire would block` | `acquire(False)` returns `False` |
//! | `Lock::acquire_timeout(ZERO / 1 ns)` on a held lock | `Err(AcquireError::TimedOut)` at once (free lock: `Ok`) | `timed out waiting to acquire` | `acquire(timeout=0)` returns `False` |
//! | `Lock::acquire_timeout(Duration::MAX)` | `Ok` at once when free; waits for a release otherwise | — | `acquire()` (`TIMEOUT_MAX` accepted) |
//! | `Lock::acquire_deadline(past)` | one try: `Ok` when free, `Err(AcquireError::TimedOut)` at once when held | `timed out waiting to acquire` | — |

use std::sync::Arc;
use std::time::Duration;

use gil_sync::{AcquireError, Lock, ReleaseError, TryAcquireError};
use gil_test_support::{join, within};

use super::{EDGE, later, past, prompt};

/// Free: taken at once, excludes, released; nobody left holding it.
fn assert_lock_usable(lock: &Lock) {
    assert!(!lock.locked());
    let guard = lock.try_acquire().expect("a free lock is taken at once");
    assert!(lock.locked());
    assert_eq!(
        lock.try_acquire().map(drop),
        Err(TryAcquireError::WouldBlock)
    );
    drop(guard);
    assert!(!lock.locked());
    lock.acquire().leak();
    lock.release().expect("release what was acquired");
    assert!(!lock.locked());
}

#[test]
fn lock_release_unlocked_is_release_error_unlocked() {
    let lock = Lock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err, ReleaseError::Unlocked);
    assert_eq!(err.to_string(), "release unlocked lock");
    assert_lock_usable(&lock);
    // Released twice.
    lock.acquire().leak();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    assert_lock_usable(&lock);
}

#[test]
fn lock_release_under_a_live_guard_makes_the_guard_drop_a_no_op() {
    let lock = Lock::new();
    let guard = lock.acquire();
    lock.release()
        .expect("a held lock may be released by anyone");
    assert!(!lock.locked());
    drop(guard);
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    assert_lock_usable(&lock);
}

#[test]
fn lock_release_from_another_thread_is_allowed() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    assert_eq!(within("releaser", move || l.release()), Ok(()));
    assert_lock_usable(&lock);
}

#[test]
fn lock_try_acquire_held_is_try_acquire_error_would_block() {
    let lock = Lock::new();
    let guard = lock.acquire();
    let err = lock.try_acquire().map(drop).unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "acquire would block");
    assert!(lock.locked());
    drop(guard);
    assert_lock_usable(&lock);
}

#[test]
fn lock_acquire_timeout_zero_and_1ns_held_is_acquire_error_timed_out() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    for timeout in EDGE {
        let l = Arc::clone(&lock);
        let err = prompt("acquire_timeout", move || {
            l.acquire_timeout(timeout).map(drop).unwrap_err()
        });
        assert_eq!(err, AcquireError::TimedOut, "{timeout:?}");
        assert_eq!(err.to_string(), "timed out waiting to acquire");
        assert!(lock.locked());
    }
    lock.release().unwrap();
    // Free: a single try succeeds.
    for timeout in EDGE {
        let l = Arc::clone(&lock);
        let got = prompt("acquire_timeout", move || {
            l.acquire_timeout(timeout).map(drop)
        });
        assert_eq!(got, Ok(()), "{timeout:?}");
    }
    assert_lock_usable(&lock);
}

#[test]
fn lock_acquire_timeout_max_waits_without_overflow() {
    let lock = Arc::new(Lock::new());
    let l = Arc::clone(&lock);
    let got = prompt("acquire_timeout(MAX) on a free lock", move || {
        l.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let releaser = later("releaser", move || l.release().unwrap());
    let l = Arc::clone(&lock);
    let got = within("acquire_timeout(MAX) on a held lock", move || {
        l.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    join(releaser);
    assert_lock_usable(&lock);
}

#[test]
fn lock_acquire_deadline_in_the_past_is_a_single_try() {
    let lock = Arc::new(Lock::new());
    let l = Arc::clone(&lock);
    assert_eq!(
        prompt("free", move || l.acquire_deadline(past()).map(drop)),
        Ok(())
    );
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let err = prompt("held", move || l.acquire_deadline(past()).map(drop)).unwrap_err();
    assert_eq!(err, AcquireError::TimedOut);
    assert_eq!(err.to_string(), "timed out waiting to acquire");
    lock.release().unwrap();
    assert_lock_usable(&lock);
}
