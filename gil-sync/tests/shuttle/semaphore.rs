//! `Semaphore` and `BoundedSemaphore` with six threads: blocking, timed and non-blocking
//! acquires against `release` and `release_n`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::{BoundedSemaphore, Semaphore};
use gil_test_support::shuttle::{Exclusive, TIMEOUT, check, join_all, spawn_all};
use shuttle::thread;

use crate::one_of_three_ways;

/// Two permits, six threads: never more than two inside, and every permit comes back.
#[test]
fn permits_are_conserved() {
    check(|| {
        let sem = Arc::new(Semaphore::new(2));
        let ex = Arc::new(Exclusive::with_max(2));
        join_all(spawn_all(6, {
            let (sem, ex) = (sem.clone(), ex.clone());
            move |i| {
                for step in 0..6 {
                    let permit = one_of_three_ways(
                        i + step,
                        || sem.acquire(),
                        || sem.acquire_timeout(TIMEOUT).ok(),
                        || sem.try_acquire().ok(),
                    );
                    if let Some(permit) = permit {
                        ex.section();
                        drop(permit);
                    }
                }
            }
        }));
        assert_eq!(sem.value(), 2);
    });
}

/// No permits at first: five waiters (two of them timed) against a releaser handing out
/// permits in batches with `release_n`. Each permit is taken at most once, the untimed
/// waiters all get one, and whatever nobody took is still there at the end.
#[test]
fn release_n_feeds_waiting_threads() {
    check(|| {
        let sem = Arc::new(Semaphore::new(0));
        let got = Arc::new(AtomicUsize::new(0));
        let waiters = spawn_all(5, {
            let (sem, got) = (sem.clone(), got.clone());
            move |i| {
                let permit = if i < 3 {
                    Some(sem.acquire())
                } else {
                    sem.acquire_timeout(TIMEOUT).ok()
                };
                if let Some(permit) = permit {
                    got.fetch_add(1, SeqCst);
                    permit.leak();
                }
            }
        });
        for n in [2, 1, 2] {
            sem.release_n(n).unwrap();
            thread::yield_now();
        }
        join_all(waiters);
        let got = got.load(SeqCst);
        assert!(got >= 3, "the untimed waiters all got a permit");
        assert_eq!(sem.value(), 5 - u64::try_from(got).unwrap());
    });
}

/// A `BoundedSemaphore` of 2 with four threads acquiring and releasing while two others
/// release extra permits: a release that would pass the bound fails, whoever makes it, and
/// the count balances: final value = 2 + extra releases that succeeded − guard releases that
/// failed (their permit had been "returned" by an extra release already).
#[test]
fn bounded_semaphore_refuses_over_release_under_races() {
    check(|| {
        let sem = Arc::new(BoundedSemaphore::new(2));
        let extra = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        join_all(spawn_all(6, {
            let (sem, extra, refused) = (sem.clone(), extra.clone(), refused.clone());
            move |i| {
                for _ in 0..3 {
                    if i < 2 {
                        // The extra releases.
                        if sem.release().is_ok() {
                            extra.fetch_add(1, SeqCst);
                        }
                    } else if let Ok(permit) = sem.acquire_timeout(TIMEOUT)
                        && permit.release().is_err()
                    {
                        refused.fetch_add(1, SeqCst);
                    }
                    assert!(sem.value() <= 2);
                }
            }
        }));
        let (extra, refused) = (extra.load(SeqCst), refused.load(SeqCst));
        assert_eq!(
            usize::try_from(sem.value()).unwrap(),
            2 + extra - refused,
            "{extra} extra releases, {refused} refused"
        );
    });
}
