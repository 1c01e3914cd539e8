//! `Semaphore` and `BoundedSemaphore`: permit conservation, `release_n` waking several
//! waiters, a timed acquire racing a release, and over-release refused under races.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::{AcquireError, BoundedSemaphore, ReleaseError, Semaphore};
use gil_test_support::loom::model_bounded;

use crate::support::Exclusive;

/// Three threads share two permits: at most two inside at once, and both permits are back
/// at the end.
///
/// Catches: a take that lets the value underflow or two takers share one permit (three
/// inside), a release that loses a permit or a wake-up (the third thread parks forever:
/// deadlock), a `QUEUED_BIT` dropped while a waiter is queued.
#[test]
fn permits_conserved_three_threads() {
    model_bounded(2, || {
        let sem = Arc::new(Semaphore::new(2));
        let ex = Arc::new(Exclusive::with_max(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (sem, ex) = (sem.clone(), ex.clone());
                loom::thread::spawn(move || {
                    let _permit = sem.acquire();
                    ex.section();
                })
            })
            .collect();
        {
            let _permit = sem.acquire();
            ex.section();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sem.value(), 2);
    });
}

/// One permit, two threads: the blocking path (queue, park, wake, retry) with the data
/// hand-over checked for happens-before.
///
/// Catches: a release that is not `Release` or a take that is not `Acquire` (cell race), a
/// lost wake-up between the waiter setting `QUEUED_BIT` and the holder's release (deadlock).
#[test]
fn single_permit_is_a_lock() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let ex = Arc::new(Exclusive::new());
        let t = {
            let (sem, ex) = (sem.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _permit = sem.acquire();
                ex.section();
            })
        };
        {
            let _permit = sem.acquire();
            ex.section();
        }
        t.join().unwrap();
        assert_eq!(ex.count(), 2);
        assert_eq!(sem.value(), 1);
    });
}

/// Two threads block on an empty semaphore; one `release_n(2)` must let both through.
///
/// Catches: `release_n` waking only one waiter (the other parks forever: deadlock), or
/// clearing `QUEUED_BIT` while a waiter is still queued.
#[test]
fn release_n_wakes_two() {
    model_bounded(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                loom::thread::spawn(move || sem.acquire().leak())
            })
            .collect();
        sem.release_n(2).unwrap();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sem.value(), 0);
    });
}

/// A timed acquire (loom: queue, yield once, cancel) and an untimed one race a single
/// release. The timed one gets the permit (and gives it back) or `TimedOut`; either way the
/// untimed one must get the permit in the end: a timed-out waiter never takes a wake-up or a
/// permit with it.
///
/// Catches: a cancel that leaves the timed-out waiter in the queue (the release pops that
/// ghost and the untimed thread, queued behind it, parks forever with a permit available:
/// deadlock), a cancel that clears `QUEUED_BIT` with the untimed one still queued (same), a
/// permit counted twice or lost (final value off).
#[test]
fn timed_acquire_races_release() {
    model_bounded(2, || {
        let sem = Arc::new(Semaphore::new(0));
        let timed = {
            let sem = sem.clone();
            loom::thread::spawn(move || match sem.acquire_timeout(Duration::from_secs(1)) {
                Ok(permit) => {
                    drop(permit);
                    true
                }
                Err(e) => {
                    assert_eq!(e, AcquireError::TimedOut);
                    false
                }
            })
        };
        let untimed = {
            let sem = sem.clone();
            loom::thread::spawn(move || sem.acquire().leak())
        };
        sem.release().unwrap();
        let _got = timed.join().unwrap();
        untimed.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
}

/// A `BoundedSemaphore(1)` with its permit taken: two threads race to release it. Exactly one
/// succeeds, the other gets `OverRelease`, and the value ends at the bound.
///
/// Catches: a bound check that is not part of the same CAS as the increment (both releases
/// pass the check: value 2).
#[test]
fn bounded_over_release_refused_under_race() {
    loom::model(|| {
        let sem = Arc::new(BoundedSemaphore::new(1));
        sem.acquire().leak();
        let t = {
            let sem = sem.clone();
            loom::thread::spawn(move || sem.release())
        };
        let mine = sem.release();
        let theirs = t.join().unwrap();
        let oks = usize::from(mine.is_ok()) + usize::from(theirs.is_ok());
        assert_eq!(oks, 1, "exactly one release fits under the bound");
        for r in [mine, theirs] {
            if let Err(e) = r {
                assert_eq!(e, ReleaseError::OverRelease);
            }
        }
        assert_eq!(sem.value(), 1);
    });
}

/// A waiter blocks on a `BoundedSemaphore(1)` while the holder releases and a third thread
/// tries an extra release: the waiter gets the permit and the extra release is refused or,
/// if it came after the waiter took the permit, accepted — the value never passes the bound.
///
/// Catches: an over-release check done against a stale value while a woken waiter takes the
/// permit (value 2 at the end, or a permit lost).
#[test]
fn bounded_release_races_waiter() {
    model_bounded(2, || {
        let sem = Arc::new(BoundedSemaphore::new(1));
        sem.acquire().leak();
        let waiter = {
            let sem = sem.clone();
            loom::thread::spawn(move || sem.acquire().leak())
        };
        let extra = {
            let sem = sem.clone();
            loom::thread::spawn(move || sem.release())
        };
        let mine = sem.release();
        let theirs = extra.join().unwrap();
        waiter.join().unwrap();
        // Two releases against one permit taken twice (main's, then the waiter's): both fit
        // only if the waiter took the first before the second came.
        let oks = usize::from(mine.is_ok()) + usize::from(theirs.is_ok());
        assert!(oks >= 1, "the first release always fits");
        assert_eq!(sem.value(), u64::try_from(oks).unwrap() - 1);
        assert!(sem.value() <= 1);
    });
}
