//! The bad-input rows of `RLock` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `RLock::release` by a thread that does not own it (unowned, or owned by another thread) | `Err(ReleaseError::NotOwner)`, owner and count unchanged | `cannot release un-acquired lock` | `RuntimeError: cannot release un-acquired lock` |
//! | `RLock::release_save` by a non-owner | `Err(ReleaseError::NotOwner)` | `cannot release un-acquired lock` | `_release_save()`: `RuntimeError` (same text) |
//! | `RLock::try_acquire` / `acquire_timeout(ZERO)` / `acquire_deadline(past)` by the owner | `Ok`: one more level | — | `acquire(False)` / `acquire(timeout=0)` return `True` |
//! | `RLock::try_acquire` / `acquire_timeout(ZERO / 1 ns)` / `acquire_deadline(past)` while another thread owns it | `Err(WouldBlock)` / `Err(TimedOut)` at once | `acquire would block` / `timed out waiting to acquire` | `False` |
//! | `RLock::acquire_timeout(Duration::MAX)` | `Ok` at once when free; waits for the owner's release otherwise | — | `acquire()` |

use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use gil_sync::{AcquireError, RLock, ReleaseError, TryAcquireError};
use gil_test_support::{PATIENCE, SHORT, join, spawn, within};

use super::{EDGE, past, prompt};

/// Unowned; taken, re-entered and released level by level.
fn assert_rlock_usable(lock: &RLock) {
    assert!(!lock.locked());
    let outer = lock.try_acquire().expect("a free rlock is taken at once");
    let inner = lock.acquire();
    assert_eq!(lock.recursion_count(), 2);
    drop(inner);
    assert!(lock.is_owned());
    drop(outer);
    assert!(!lock.locked());
    assert_eq!(lock.recursion_count(), 0);
}

/// Holds `lock` on another thread until the returned sender is used (or dropped).
fn hold_rlock_elsewhere(lock: &Arc<RLock>) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let l = Arc::clone(lock);
    let holder = spawn("holder", move || {
        let _guard = l.acquire();
        held_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(PATIENCE);
    });
    held_rx.recv_timeout(PATIENCE).expect("the holder holds");
    (release_tx, holder)
}

#[test]
fn rlock_release_unowned_is_release_error_not_owner() {
    let lock = RLock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err, ReleaseError::NotOwner);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    assert_rlock_usable(&lock);
    // One release too many.
    lock.acquire().leak();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_release_by_a_non_owner_thread_is_release_error_not_owner() {
    let lock = Arc::new(RLock::new());
    lock.acquire().leak();
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let (release, save) = within("non-owner", move || (l.release(), l.release_save()));
    assert_eq!(release, Err(ReleaseError::NotOwner));
    assert_eq!(save.map(|s| s.count()), Err(ReleaseError::NotOwner));
    assert!(lock.is_owned(), "a refused release changes nothing");
    assert_eq!(lock.recursion_count(), 2);
    lock.release().unwrap();
    lock.release().unwrap();
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_release_save_unowned_is_release_error_not_owner() {
    let lock = RLock::new();
    let err = lock.release_save().unwrap_err();
    assert_eq!(err, ReleaseError::NotOwner);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_owner_reentry_with_zero_timeout_or_past_deadline_succeeds() {
    let lock = RLock::new();
    let outer = lock.acquire();
    let levels = vec![
        lock.try_acquire().expect("re-entry never fails"),
        lock.acquire_timeout(Duration::ZERO).expect("re-entry"),
        lock.acquire_timeout(Duration::from_nanos(1))
            .expect("re-entry"),
        lock.acquire_deadline(past()).expect("re-entry"),
        lock.acquire_timeout(Duration::MAX).expect("re-entry"),
    ];
    assert_eq!(lock.recursion_count(), 6);
    drop(levels);
    assert_eq!(lock.recursion_count(), 1);
    drop(outer);
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_try_acquire_zero_1ns_and_past_deadline_owned_elsewhere_fail_at_once() {
    let lock = Arc::new(RLock::new());
    let (release, holder) = hold_rlock_elsewhere(&lock);
    let l = Arc::clone(&lock);
    let (tried, timed, deadline) = prompt("contender", move || {
        let tried = l.try_acquire().map(drop);
        let timed: Vec<_> = EDGE
            .iter()
            .map(|&t| l.acquire_timeout(t).map(drop))
            .collect();
        (tried, timed, l.acquire_deadline(past()).map(drop))
    });
    let err = tried.unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "acquire would block");
    for result in timed {
        let err = result.unwrap_err();
        assert_eq!(err, AcquireError::TimedOut);
        assert_eq!(err.to_string(), "timed out waiting to acquire");
    }
    assert_eq!(deadline, Err(AcquireError::TimedOut));
    release.send(()).unwrap();
    join(holder);
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_acquire_timeout_max_waits_without_overflow() {
    let lock = Arc::new(RLock::new());
    let l = Arc::clone(&lock);
    let got = prompt("free", move || l.acquire_timeout(Duration::MAX).map(drop));
    assert_eq!(got, Ok(()));
    let (release, holder) = hold_rlock_elsewhere(&lock);
    let l = Arc::clone(&lock);
    let waiter = spawn("waiter", move || l.acquire_timeout(Duration::MAX).map(drop));
    thread::sleep(SHORT);
    release.send(()).unwrap();
    assert_eq!(join(waiter), Ok(()));
    join(holder);
    assert_rlock_usable(&lock);
}
