//! `Semaphore` and `BoundedSemaphore` with six threads: blocking, timed and non-blocking
//! acquires against `release` and `release_n`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::{BoundedSemaphore, Semaphore};
use shuttle::thread;

use crate::TIMEOUT;
use crate::support::{Exclusive, check};

/// Two permits, six threads: never more than two inside, and every permit comes back.
#[test]
fn permits_are_conserved() {
    check(|| {
        let sem = Arc::new(Semaphore::new(2));
        let ex = Arc::new(Exclusive::with_max(2));
        let threads: Vec<_> = (0..6)
            .map(|i| {
                let (sem, ex) = (sem.clone(), ex.clone());
                thread::spawn(move || {
                    for step in 0..6 {
                        let permit = match (i + step) % 3 {
                            0 => Some(sem.acquire()),
                            1 => sem.acquire_timeout(TIMEOUT).ok(),
                            _ => sem.try_acquire().ok(),
                        };
                        if let Some(permit) = permit {
                            ex.section();
                            drop(permit);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
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
        let waiters: Vec<_> = (0..5)
            .map(|i| {
                let (sem, got) = (sem.clone(), got.clone());
                thread::spawn(move || {
                    let permit = if i < 3 {
                        Some(sem.acquire())
                    } else {
                        sem.acquire_timeout(TIMEOUT).ok()
                    };
                    if let Some(permit) = permit {
                        got.fetch_add(1, SeqCst);
                        permit.leak();
                    }
                })
            })
            .collect();
        for n in [2, 1, 2] {
            sem.release_n(n).unwrap();
            thread::yield_now();
        }
        for t in waiters {
            t.join().unwrap();
        }
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
        let mut threads: Vec<_> = (0..4)
            .map(|_| {
                let (sem, refused) = (sem.clone(), refused.clone());
                thread::spawn(move || {
                    for _ in 0..3 {
                        if let Ok(permit) = sem.acquire_timeout(TIMEOUT) {
                            assert!(sem.value() <= 2);
                            if permit.release().is_err() {
                                refused.fetch_add(1, SeqCst);
                            }
                        }
                    }
                })
            })
            .collect();
        threads.extend((0..2).map(|_| {
            let (sem, extra) = (sem.clone(), extra.clone());
            thread::spawn(move || {
                for _ in 0..3 {
                    if sem.release().is_ok() {
                        extra.fetch_add(1, SeqCst);
                    }
                    assert!(sem.value() <= 2);
                }
            })
        }));
        for t in threads {
            t.join().unwrap();
        }
        let (extra, refused) = (extra.load(SeqCst), refused.load(SeqCst));
        assert_eq!(
            usize::try_from(sem.value()).unwrap(),
            2 + extra - refused,
            "{extra} extra releases, {refused} refused"
        );
    });
}
