//! `Lock`: mutual exclusion, release by another thread, timed acquires racing a release, and
//! the fair hand-off.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::{AcquireError, Lock};
use gil_test_support::loom::{model_bounded, model_with_bound};

use crate::support::Exclusive;

/// Two threads take turns in a critical section.
///
/// Catches: a second holder (an acquire CAS that ignores the owner bits), and a release or
/// acquire that is not `Release`/`Acquire` (the unsynchronized cell in [`Exclusive`] races).
#[test]
fn mutual_exclusion_two_threads() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        let t = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                ex.section();
            })
        };
        {
            let _g = lock.acquire();
            ex.section();
        }
        t.join().unwrap();
        assert_eq!(ex.count(), 2);
        assert!(!lock.locked());
    });
}

/// Three threads contend, so one of them queues while another is queued or being woken:
/// the slow release (pop, `QUEUED_BIT` bookkeeping) and the barging retry both run.
///
/// Catches: a lost wake-up (a release that misses a queued waiter, or a `QUEUED_BIT` cleared
/// while the queue is not empty: loom reports the parked thread as a deadlock), two holders.
#[test]
fn mutual_exclusion_three_threads() {
    model_bounded(2, || {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (lock, ex) = (lock.clone(), ex.clone());
                loom::thread::spawn(move || {
                    let _g = lock.acquire();
                    ex.section();
                })
            })
            .collect();
        {
            let _g = lock.acquire();
            ex.section();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ex.count(), 3);
        assert!(!lock.locked());
    });
}

/// Main acquires and leaks the lock; a second thread blocks on it; a third releases it (Python
/// allows any thread to release a `Lock`). The blocked thread must get in, exactly once.
///
/// Catches: `release` refusing a non-acquirer, a release-by-anyone that takes the fast path
/// with waiters queued (lost wake-up: deadlock), a second `release` succeeding (the model
/// releases twice in total: once by the stranger, once by the guard).
#[test]
fn release_by_another_thread() {
    model_bounded(2, || {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        lock.acquire().leak();
        let waiter = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                ex.section();
            })
        };
        let releaser = {
            let lock = lock.clone();
            loom::thread::spawn(move || lock.release())
        };
        releaser.join().unwrap().expect("the lock was held");
        waiter.join().unwrap();
        assert_eq!(ex.count(), 1);
        assert!(!lock.locked());
        assert!(lock.release().is_err(), "released twice");
    });
}

/// A timed acquire (loom: queue, yield once, cancel) races the holder's release, and an
/// untimed acquirer comes in too. The timed one either gets the lock or `TimedOut`; the
/// untimed one must never hang; nobody is ever inside twice.
///
/// Catches: a cancel that drops a hand-off or wake-up it was given (the untimed thread then
/// parks forever), a cancel that forgets to clear `QUEUED_BIT` or clears it with others still
/// queued, a release that trusts a `QUEUED_BIT` it read before a cancel emptied the queue.
#[test]
fn timed_acquire_races_release() {
    model_bounded(2, || {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        let guard = lock.acquire();
        let timed = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || match lock.acquire_timeout(Duration::from_secs(1)) {
                Ok(_g) => {
                    ex.section();
                    true
                }
                Err(e) => {
                    assert_eq!(e, AcquireError::TimedOut);
                    false
                }
            })
        };
        let untimed = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                ex.section();
            })
        };
        ex.section();
        drop(guard);
        let got = timed.join().unwrap();
        untimed.join().unwrap();
        assert_eq!(ex.count(), 2 + usize::from(got));
        assert!(!lock.locked());
    });
}

/// Two threads only: the holder releases exactly while the timed waiter cancels, with
/// nobody else queued (the smallest shape of the race, explored exhaustively).
///
/// Catches: the same bugs as [`timed_acquire_races_release`] with no preemption bound; in
/// particular a release that read `QUEUED_BIT` before the waiter's cancel emptied the queue
/// must still release (and not find an "impossible" empty queue).
#[test]
fn timed_acquire_races_release_alone() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let guard = lock.acquire();
        let timed = {
            let lock = lock.clone();
            loom::thread::spawn(move || lock.acquire_timeout(Duration::from_secs(1)).is_ok())
        };
        drop(guard);
        let _got = timed.join().unwrap();
        assert!(!lock.locked());
        // Whatever happened, the lock works afterwards.
        drop(lock.acquire());
    });
}

/// The fairness path: main holds the lock, two threads contend, then main comes back for a
/// second turn. When main releases, a woken waiter may lose the race to a barger (it
/// requeues, and under loom is then owed a direct hand-off) or win it; the hand-off may
/// happen while main is queued again behind it. Every path must end with everyone having
/// been inside once.
///
/// Catches: a hand-off that writes the wrong owner or leaves the word unlocked (the waiter
/// is not the owner, or a barger gets in on top: two inside), that drops `QUEUED_BIT` while
/// main is still queued behind the new owner (lost wake-up: deadlock), or whose `Relaxed`
/// store is not made visible through the waiter's token (cell race).
///
/// The hand-off with main queued behind the new owner needs 3 preemptions (main -> waiter
/// before the first release, main -> waiter while main holds again, and the barger's turn),
/// so this model runs with at least 3 whatever `LOOM_MAX_PREEMPTIONS` says (about 2 s).
#[test]
fn fair_handoff_with_barger() {
    model_with_bound(3, || {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        let guard = lock.acquire();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (lock, ex) = (lock.clone(), ex.clone());
                loom::thread::spawn(move || {
                    let g = lock.acquire();
                    ex.section();
                    assert!(lock.is_owned(), "a hand-off must make the waiter the owner");
                    drop(g);
                })
            })
            .collect();
        drop(guard);
        {
            let _g = lock.acquire();
            ex.section();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ex.count(), 3);
        assert!(!lock.locked());
    });
}

/// The fairness path with a *timed* waiter: main holds, a timed acquirer queues, main
/// releases and barges back in, so the timed waiter loses its race and is owed the hand-off;
/// a third thread queues too. The hand-off may land exactly as the timed waiter cancels: it
/// must then report success (it owns the lock) rather than `TimedOut`.
///
/// Catches: a cancel that reports `TimedOut` although a release popped it with the hand-off
/// (the lock stays held by a thread that thinks it failed: the others deadlock), a hand-off
/// that drops `QUEUED_BIT` (lost wake-up). Needs 3 preemptions, as
/// [`fair_handoff_with_barger`].
#[test]
fn timed_waiter_handed_off() {
    model_with_bound(3, || {
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        let guard = lock.acquire();
        let timed = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || match lock.acquire_timeout(Duration::from_secs(1)) {
                Ok(g) => {
                    assert!(lock.is_owned());
                    ex.section();
                    drop(g);
                    true
                }
                Err(_) => false,
            })
        };
        let untimed = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                ex.section();
            })
        };
        drop(guard);
        {
            let _g = lock.acquire();
            ex.section();
        }
        let got = timed.join().unwrap();
        untimed.join().unwrap();
        assert_eq!(ex.count(), 2 + usize::from(got));
        assert!(!lock.locked());
    });
}
