//! `Lock`: acquire and release, non-blocking and timed acquires, release from any thread,
//! non-re-entrancy, guards, `repr`, and mutual exclusion (CPython's `lock_tests.BaseLockTests`
//! and `LockTests`).

use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{AcquireError, Lock, LockGuard, ReleaseError, TryAcquireError};
use gil_test_support::{PATIENCE, SHORT, exclusive, join, spawn};

use crate::support::{assert_waited, settle};

#[test]
fn new_lock_is_unlocked() {
    let lock = Lock::new();
    assert!(!lock.locked());
    assert!(!lock.is_owned());
    assert!(!Lock::default().locked());
}

#[test]
fn acquire_locks_and_dropping_the_guard_releases() {
    let lock = Lock::new();
    let guard = lock.acquire();
    assert!(lock.locked());
    drop(guard);
    assert!(!lock.locked());
    // And again: the lock is reusable.
    let guard = lock.acquire();
    assert!(lock.locked());
    drop(guard);
    assert!(!lock.locked());
}

#[test]
fn try_acquire_on_a_held_lock_would_block() {
    let lock = Lock::new();
    let guard = lock.try_acquire().expect("a free lock is acquired");
    assert_eq!(lock.try_acquire().unwrap_err(), TryAcquireError::WouldBlock);
    thread::scope(|s| {
        s.spawn(|| assert_eq!(lock.try_acquire().unwrap_err(), TryAcquireError::WouldBlock));
    });
    drop(guard);
    assert!(lock.try_acquire().is_ok());
}

#[test]
fn try_acquire_error_message() {
    assert_eq!(
        TryAcquireError::WouldBlock.to_string(),
        "acquire would block"
    );
    assert_eq!(
        AcquireError::TimedOut.to_string(),
        "timed out waiting to acquire"
    );
}

#[test]
fn acquire_timeout_zero_is_a_single_try() {
    let lock = Lock::new();
    let guard = lock
        .acquire_timeout(Duration::ZERO)
        .expect("free: acquired");
    let start = Instant::now();
    assert_eq!(
        lock.acquire_timeout(Duration::ZERO).unwrap_err(),
        AcquireError::TimedOut
    );
    assert!(start.elapsed() < PATIENCE);
    drop(guard);
    assert!(lock.acquire_timeout(Duration::ZERO).is_ok());
}

#[test]
fn acquire_timeout_times_out_after_at_least_the_timeout() {
    let lock = Lock::new();
    let _guard = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            assert_eq!(
                lock.acquire_timeout(SHORT).unwrap_err(),
                AcquireError::TimedOut
            );
            assert_waited(start, SHORT);
        });
    });
    assert!(lock.locked());
}

#[test]
fn acquire_deadline_in_the_past_is_a_single_try() {
    let lock = Lock::new();
    let guard = lock
        .acquire_deadline(Instant::now())
        .expect("free: acquired");
    assert_eq!(
        lock.acquire_deadline(Instant::now()).unwrap_err(),
        AcquireError::TimedOut
    );
    let start = Instant::now();
    assert_eq!(
        lock.acquire_deadline(start + SHORT).unwrap_err(),
        AcquireError::TimedOut
    );
    assert_waited(start, SHORT);
    drop(guard);
}

#[test]
fn acquire_timeout_succeeds_when_released_in_time() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let waiter = spawn("waiter", move || {
        l.acquire_timeout(PATIENCE).map(LockGuard::leak)
    });
    settle();
    lock.release().unwrap();
    assert_eq!(join(waiter), Ok(()));
    assert!(lock.locked());
}

#[test]
fn acquire_timeout_duration_max_waits_until_released_by_another_thread() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let acquired = Arc::new(AtomicBool::new(false));
    let (l, a) = (Arc::clone(&lock), Arc::clone(&acquired));
    let waiter = spawn("waiter", move || {
        let guard = l.acquire_timeout(Duration::MAX).expect("MAX waits forever");
        a.store(true, SeqCst);
        drop(guard);
    });
    settle();
    assert!(!acquired.load(SeqCst), "acquired a held lock");
    lock.release().unwrap();
    join(waiter);
    assert!(acquired.load(SeqCst));
    assert!(!lock.locked());
}

#[test]
fn acquire_blocks_until_released_by_another_thread() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let acquired = Arc::new(AtomicBool::new(false));
    let (l, a) = (Arc::clone(&lock), Arc::clone(&acquired));
    let waiter = spawn("waiter", move || {
        l.acquire().leak();
        a.store(true, SeqCst);
    });
    settle();
    assert!(!acquired.load(SeqCst), "acquired a held lock");
    lock.release().unwrap();
    join(waiter);
    assert!(acquired.load(SeqCst));
    assert!(lock.locked());
    lock.release().unwrap();
}

#[test]
fn release_from_a_different_thread() {
    // CPython's LockTests.test_different_thread: acquired in one thread, released in another.
    let lock = Lock::new();
    thread::scope(|s| {
        s.spawn(|| lock.acquire().leak());
    });
    assert!(lock.locked());
    assert!(!lock.is_owned());
    lock.release().unwrap();
    assert!(!lock.locked());

    lock.acquire().leak();
    thread::scope(|s| {
        s.spawn(|| lock.release().unwrap());
    });
    assert!(!lock.locked());
}

#[test]
fn reacquire_after_release_by_another_thread() {
    // CPython's LockTests.test_reacquire: the holder blocks re-acquiring its own lock until
    // another thread releases it.
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let releaser = spawn("releaser", move || {
        thread::sleep(SHORT);
        l.release().unwrap();
    });
    let guard = lock
        .acquire_timeout(PATIENCE)
        .expect("released by the other thread");
    join(releaser);
    drop(guard);
    assert!(!lock.locked());
}

#[test]
fn reacquire_from_the_holding_thread_blocks() {
    let lock = Lock::new();
    let _guard = lock.acquire();
    assert_eq!(lock.try_acquire().unwrap_err(), TryAcquireError::WouldBlock);
    let start = Instant::now();
    assert_eq!(
        lock.acquire_timeout(SHORT).unwrap_err(),
        AcquireError::TimedOut
    );
    assert_waited(start, SHORT);
    assert!(lock.locked());
}

#[test]
fn release_unlocked_lock_is_an_error() {
    let lock = Lock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err, ReleaseError::Unlocked);
    assert_eq!(err.to_string(), "release unlocked lock");

    lock.acquire().leak();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    assert!(!lock.locked());
}

#[test]
fn locked_reports_the_state_in_every_thread() {
    let lock = Lock::new();
    let guard = lock.acquire();
    thread::scope(|s| {
        s.spawn(|| assert!(lock.locked()));
    });
    drop(guard);
    thread::scope(|s| {
        s.spawn(|| assert!(!lock.locked()));
    });
}

#[test]
fn is_owned_only_in_the_acquiring_thread() {
    let lock = Lock::new();
    assert!(!lock.is_owned());
    let guard = lock.acquire();
    assert!(lock.is_owned());
    thread::scope(|s| {
        s.spawn(|| assert!(!lock.is_owned()));
    });
    drop(guard);
    assert!(!lock.is_owned());

    thread::scope(|s| {
        s.spawn(|| {
            lock.acquire().leak();
            assert!(lock.is_owned());
        });
    });
    assert!(!lock.is_owned());
    lock.release().unwrap();
}

#[test]
fn leaked_guard_keeps_the_lock_until_release() {
    let lock = Lock::new();
    lock.acquire().leak();
    assert!(lock.locked());
    assert!(lock.try_acquire().is_err());
    lock.release().unwrap();
    assert!(!lock.locked());
}

#[test]
fn guard_sent_to_another_thread_releases_there() {
    let lock = Lock::new();
    let guard = lock.acquire();
    let lock_ref = &lock;
    thread::scope(|s| {
        s.spawn(move || {
            assert!(lock_ref.locked());
            drop(guard);
            assert!(!lock_ref.locked());
        });
    });
    assert!(!lock.locked());
    assert!(lock.try_acquire().is_ok());
}

#[test]
fn guard_drop_after_explicit_release_leaves_a_new_holder_alone() {
    let lock = Lock::new();
    let guard = lock.acquire();
    lock.release().unwrap();
    assert!(!lock.locked());
    thread::scope(|s| {
        s.spawn(|| lock.acquire().leak());
    });
    drop(guard);
    assert!(
        lock.locked(),
        "the stale guard released another thread's acquire"
    );
    lock.release().unwrap();
}

#[test]
fn guard_drop_after_explicit_release_with_nobody_holding_is_a_no_op() {
    let lock = Lock::new();
    let guard = lock.acquire();
    lock.release().unwrap();
    drop(guard);
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
}

#[test]
fn debug_is_pythons_repr() {
    let lock = Lock::new();
    assert_eq!(format!("{lock:?}"), "<unlocked _thread.lock object>");
    let guard = lock.acquire();
    assert_eq!(format!("{lock:?}"), "<locked _thread.lock object>");
    assert_eq!(
        format!("{guard:?}"),
        "LockGuard { lock: <locked _thread.lock object> }"
    );
}

#[test]
fn mutual_exclusion_under_contention() {
    const THREADS: usize = 4;
    // Miri interprets: 10⁴ rounds would take it an hour, 10² still race every thread.
    const ROUNDS: u64 = if cfg!(miri) { 100 } else { 10_000 };
    let lock = Lock::new();
    let inside = AtomicBool::new(false);
    // Read-then-write, not a read-modify-write: a lost update shows a broken exclusion.
    let counter = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..ROUNDS {
                    let _guard = lock.acquire();
                    exclusive(&inside, || {
                        counter.store(counter.load(Relaxed) + 1, Relaxed);
                    });
                }
            });
        }
    });
    assert_eq!(counter.load(Relaxed), THREADS as u64 * ROUNDS);
    assert!(!lock.locked());
}

#[test]
fn every_blocked_waiter_gets_the_lock_in_turn() {
    const THREADS: usize = 5;
    let lock = Arc::new(Lock::new());
    let done = Arc::new(AtomicU64::new(0));
    lock.acquire().leak();
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (l, d) = (Arc::clone(&lock), Arc::clone(&done));
            spawn(format!("waiter-{i}"), move || {
                let _guard = l.acquire();
                d.fetch_add(1, SeqCst);
            })
        })
        .collect();
    settle();
    assert_eq!(done.load(SeqCst), 0);
    lock.release().unwrap();
    for h in handles {
        join(h);
    }
    assert_eq!(done.load(SeqCst), THREADS as u64);
    assert!(!lock.locked());
}
