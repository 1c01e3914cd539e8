//! `RLock`: re-entry and recursion counts, ownership (only the owner releases), the
//! `_release_save`/`_acquire_restore` pair, `locked()` seen from other threads, timeouts and
//! `repr` (CPython's `lock_tests.RLockTests`).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{AcquireError, RLock, ReleaseError, TryAcquireError};
use gil_test_support::{PATIENCE, SHORT, join, spawn};

use crate::support::{assert_waited, settle};

#[test]
fn new_rlock_is_unlocked() {
    let lock = RLock::new();
    assert!(!lock.locked());
    assert!(!lock.is_owned());
    assert_eq!(lock.recursion_count(), 0);
    assert!(!RLock::default().locked());
}

#[test]
fn reentrant_acquires_count_levels() {
    let lock = RLock::new();
    let a = lock.acquire();
    let b = lock.acquire();
    let c = lock.acquire();
    assert_eq!(lock.recursion_count(), 3);
    drop(c);
    assert_eq!(lock.recursion_count(), 2);
    assert!(lock.locked());
    drop(b);
    assert_eq!(lock.recursion_count(), 1);
    assert!(lock.locked());
    drop(a);
    assert_eq!(lock.recursion_count(), 0);
    assert!(!lock.locked());
}

#[test]
fn leaked_levels_are_released_one_by_one() {
    let lock = RLock::new();
    for _ in 0..5 {
        lock.acquire().leak();
    }
    assert_eq!(lock.recursion_count(), 5);
    for left in (0..5).rev() {
        lock.release().unwrap();
        assert_eq!(lock.recursion_count(), left);
    }
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
}

#[test]
fn recursion_count_is_zero_in_a_non_owner() {
    let lock = RLock::new();
    let _a = lock.acquire();
    let _b = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(lock.recursion_count(), 0);
            assert!(!lock.is_owned());
        });
    });
    assert_eq!(lock.recursion_count(), 2);
    assert!(lock.is_owned());
}

#[test]
fn release_by_a_non_owner_is_refused() {
    let lock = RLock::new();
    let _guard = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            let err = lock.release().unwrap_err();
            assert_eq!(err, ReleaseError::NotOwner);
            assert_eq!(err.to_string(), "cannot release un-acquired lock");
        });
    });
    assert!(lock.locked());
    assert_eq!(lock.recursion_count(), 1);
}

#[test]
fn release_of_an_unheld_rlock_is_refused() {
    let lock = RLock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err, ReleaseError::NotOwner);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    assert!(!lock.locked());
}

#[test]
fn release_save_then_acquire_restore_restores_the_count() {
    let lock = RLock::new();
    for _ in 0..3 {
        lock.acquire().leak();
    }
    let saved = lock.release_save().unwrap();
    assert_eq!(saved.count(), 3);
    assert!(!lock.locked());
    assert_eq!(lock.recursion_count(), 0);
    // Fully released: another thread can take it meanwhile.
    thread::scope(|s| {
        s.spawn(|| {
            let _g = lock.try_acquire().expect("released by release_save");
        });
    });
    lock.acquire_restore(saved);
    assert!(lock.is_owned());
    assert_eq!(lock.recursion_count(), 3);
    for _ in 0..3 {
        lock.release().unwrap();
    }
    assert!(!lock.locked());
}

#[test]
fn acquire_restore_waits_for_another_owner() {
    let lock = Arc::new(RLock::new());
    lock.acquire().leak();
    lock.acquire().leak();
    let saved = lock.release_save().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let l = Arc::clone(&lock);
    let other = spawn("other-owner", move || {
        let guard = l.acquire();
        tx.send(()).unwrap();
        thread::sleep(SHORT);
        drop(guard);
    });
    rx.recv_timeout(PATIENCE)
        .expect("the other thread acquired");
    lock.acquire_restore(saved);
    assert_eq!(lock.recursion_count(), 2);
    join(other);
    lock.release().unwrap();
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn release_save_by_a_non_owner_is_refused() {
    let lock = RLock::new();
    assert_eq!(lock.release_save().unwrap_err(), ReleaseError::NotOwner);
    let _guard = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| assert_eq!(lock.release_save().unwrap_err(), ReleaseError::NotOwner));
    });
    assert_eq!(lock.recursion_count(), 1);
}

#[test]
fn locked_is_true_while_another_thread_holds_it() {
    // gh-134323: CPython 3.14.0's `RLock.locked()` was wrong from a non-owner.
    let lock = RLock::new();
    let _guard = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| assert!(lock.locked()));
    });
}

#[test]
fn try_acquire_reenters_when_owned() {
    let lock = RLock::new();
    let a = lock.try_acquire().expect("free");
    let b = lock.try_acquire().expect("re-entry never blocks");
    assert_eq!(lock.recursion_count(), 2);
    thread::scope(|s| {
        s.spawn(|| assert_eq!(lock.try_acquire().unwrap_err(), TryAcquireError::WouldBlock));
    });
    drop(b);
    drop(a);
    assert!(!lock.locked());
}

#[test]
fn timed_acquires_reenter_at_once_when_owned() {
    let lock = RLock::new();
    let _a = lock.acquire();
    let _b = lock.acquire_timeout(Duration::ZERO).expect("re-entry");
    let _c = lock.acquire_deadline(Instant::now()).expect("re-entry");
    assert_eq!(lock.recursion_count(), 3);
}

#[test]
fn acquire_timeout_with_another_owner_times_out() {
    let lock = RLock::new();
    let _guard = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(
                lock.acquire_timeout(Duration::ZERO).unwrap_err(),
                AcquireError::TimedOut
            );
            let start = Instant::now();
            assert_eq!(
                lock.acquire_timeout(SHORT).unwrap_err(),
                AcquireError::TimedOut
            );
            assert_waited(start, SHORT);
            assert_eq!(lock.recursion_count(), 0);
        });
    });
    assert_eq!(lock.recursion_count(), 1);
}

#[test]
fn other_thread_gets_it_only_after_the_last_level() {
    let lock = Arc::new(RLock::new());
    lock.acquire().leak();
    lock.acquire().leak();
    let acquired = Arc::new(AtomicBool::new(false));
    let (l, a) = (Arc::clone(&lock), Arc::clone(&acquired));
    let waiter = spawn("waiter", move || {
        let _guard = l.acquire_timeout(Duration::MAX).expect("MAX waits forever");
        a.store(true, SeqCst);
    });
    lock.release().unwrap();
    settle();
    assert!(
        !acquired.load(SeqCst),
        "acquired while one level was still held"
    );
    lock.release().unwrap();
    join(waiter);
    assert!(acquired.load(SeqCst));
    assert!(!lock.locked());
}

#[test]
fn debug_is_pythons_repr() {
    let lock = RLock::new();
    assert_eq!(
        format!("{lock:?}"),
        "<unlocked _thread.RLock object owner=0 count=0>"
    );
    let _a = lock.acquire();
    let b = lock.acquire();
    let repr = format!("{lock:?}");
    assert!(
        repr.starts_with("<locked _thread.RLock object owner="),
        "{repr}"
    );
    assert!(repr.ends_with(" count=2>"), "{repr}");
    assert!(!repr.contains("owner=0 "), "{repr}");
    let guard_repr = format!("{b:?}");
    assert_eq!(guard_repr, format!("RLockGuard {{ lock: {repr} }}"));
}
