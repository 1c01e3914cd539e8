//! `Lock` and `RLock` with six threads: blocking, timed and non-blocking acquires, and a
//! release by a thread that is not the owner.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::{Lock, RLock};
use gil_test_support::shuttle::{Exclusive, TIMEOUT, check, join_all, spawn_all};
use shuttle::thread;

use crate::one_of_three_ways;

/// Six threads, each taking the lock eight times in one of three ways; every section that
/// got the lock ran alone, and the lock ends free.
#[test]
fn lock_excludes_under_mixed_acquires() {
    check(|| {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        let got = Arc::new(AtomicUsize::new(0));
        join_all(spawn_all(6, {
            let (lock, ex, got) = (lock.clone(), ex.clone(), got.clone());
            move |i| {
                for step in 0..8 {
                    let guard = one_of_three_ways(
                        i + step,
                        || lock.acquire(),
                        || lock.acquire_timeout(TIMEOUT).ok(),
                        || lock.try_acquire().ok(),
                    );
                    if let Some(guard) = guard {
                        ex.section();
                        got.fetch_add(1, SeqCst);
                        drop(guard);
                    }
                }
            }
        }));
        assert_eq!(ex.entered(), got.load(SeqCst));
        assert!(!lock.locked(), "the lock ends free");
    });
}

/// Python lets any thread release a `Lock`: main hands a held lock to four queued workers
/// one at a time by releasing it; each worker keeps it (leaks its guard) for main to release
/// again. Every release reaches exactly one worker; none is lost or woken twice.
#[test]
fn lock_released_by_another_thread_reaches_one_waiter_each_time() {
    check(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire().leak();
        let taken = Arc::new(AtomicUsize::new(0));
        let workers = spawn_all(4, {
            let (lock, taken) = (lock.clone(), taken.clone());
            move |_| {
                lock.acquire().leak();
                taken.fetch_add(1, SeqCst);
            }
        });
        for released in 0..4 {
            while taken.load(SeqCst) < released {
                thread::yield_now();
            }
            assert!(lock.locked());
            lock.release().unwrap();
        }
        join_all(workers);
        assert_eq!(taken.load(SeqCst), 4);
        assert!(lock.locked(), "the last worker still holds it");
        lock.release().unwrap();
        assert!(lock.release().is_err(), "releasing a free lock is an error");
    });
}

/// Five threads re-entering an `RLock` three levels deep (blocking, timed, non-blocking):
/// one owner at a time, its count exact, and non-owners cannot release.
#[test]
fn rlock_reentry_under_contention() {
    check(|| {
        let lock = Arc::new(RLock::new());
        let ex = Arc::new(Exclusive::new());
        join_all(spawn_all(5, {
            let (lock, ex) = (lock.clone(), ex.clone());
            move |i| {
                for step in 0..4 {
                    let Some(outer) = one_of_three_ways(
                        i + step,
                        || lock.acquire(),
                        || lock.acquire_timeout(TIMEOUT).ok(),
                        || lock.try_acquire().ok(),
                    ) else {
                        assert!(lock.release().is_err(), "a non-owner cannot release");
                        continue;
                    };
                    let inner = lock.acquire_timeout(TIMEOUT).expect("re-entry never waits");
                    let innermost = lock.try_acquire().expect("re-entry never waits");
                    assert_eq!(lock.recursion_count(), 3);
                    ex.section();
                    drop(innermost);
                    drop(inner);
                    assert_eq!(lock.recursion_count(), 1);
                    drop(outer);
                }
            }
        }));
        assert!(!lock.locked());
    });
}
