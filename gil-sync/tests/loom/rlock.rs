//! `RLock`: re-entry, the owner's last release handing the lock to a waiter, non-owner
//! releases, and a timed acquire racing the owner's release.

use std::sync::Arc;
use std::time::Duration;

use gil_sync::{AcquireError, RLock, ReleaseError};
use gil_test_support::loom::model_bounded;

use crate::support::Exclusive;

/// Main enters twice; another thread blocks until main has released *both* levels, then
/// holds exactly one level itself.
///
/// Catches: an inner release that unlocks the lock (the other thread gets in while main is
/// still inside: two inside), a recursion count carried over to the next owner, a last
/// release that does not wake the queued thread (deadlock), an unordered count/data hand-over
/// (cell race).
#[test]
fn reentry_then_release_to_waiter() {
    loom::model(|| {
        let lock = Arc::new(RLock::new());
        let ex = Arc::new(Exclusive::new());
        let t = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                assert_eq!(lock.recursion_count(), 1);
                ex.section();
            })
        };
        let outer = lock.acquire();
        let inner = lock.acquire();
        assert_eq!(lock.recursion_count(), 2);
        ex.section();
        drop(inner);
        assert!(lock.is_owned(), "the inner release must keep the lock");
        assert_eq!(lock.recursion_count(), 1);
        ex.section();
        drop(outer);
        t.join().unwrap();
        assert_eq!(ex.count(), 3);
        assert!(!lock.locked());
    });
}

/// A thread that does not own the lock tries to release it while the owner holds (and then
/// releases) it; it must get `NotOwner` and leave the owner's levels alone, then acquire the
/// lock normally.
///
/// Catches: a release that checks "is locked" instead of "is mine" (main's level would be
/// taken away: main sees itself no longer owner, or the other thread gets in while main is
/// inside), a failed release that still decrements the count.
#[test]
fn non_owner_release_refused() {
    loom::model(|| {
        let lock = Arc::new(RLock::new());
        let ex = Arc::new(Exclusive::new());
        let t = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
                let _g = lock.acquire();
                assert_eq!(lock.recursion_count(), 1);
                ex.section();
            })
        };
        {
            let _outer = lock.acquire();
            let _inner = lock.acquire();
            ex.section();
            assert!(lock.is_owned());
            assert_eq!(lock.recursion_count(), 2);
        }
        t.join().unwrap();
        assert_eq!(ex.count(), 2);
        assert!(!lock.locked());
        assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    });
}

/// A timed acquire (loom: queue, yield once, cancel) races the re-entrant owner's final
/// release, with a third, untimed acquirer. The timed one gets one level or `TimedOut`; the
/// untimed one never hangs; one owner at a time.
///
/// Catches: a timed-out acquire that leaves a recursion count or owner behind, a cancelled
/// waiter that swallows the owner's wake-up (deadlock of the untimed thread), and the
/// `RawLock` release/cancel races of the `Lock` models seen through `RLock`.
#[test]
fn timed_acquire_races_owner_release() {
    model_bounded(2, || {
        let lock = Arc::new(RLock::new());
        let ex = Arc::new(Exclusive::new());
        let outer = lock.acquire();
        let inner = lock.acquire();
        let timed = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || match lock.acquire_timeout(Duration::from_secs(1)) {
                Ok(_g) => {
                    assert_eq!(lock.recursion_count(), 1);
                    ex.section();
                    true
                }
                Err(e) => {
                    assert_eq!(e, AcquireError::TimedOut);
                    assert!(!lock.is_owned());
                    false
                }
            })
        };
        let untimed = {
            let (lock, ex) = (lock.clone(), ex.clone());
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                assert_eq!(lock.recursion_count(), 1);
                ex.section();
            })
        };
        ex.section();
        drop(inner);
        drop(outer);
        let got = timed.join().unwrap();
        untimed.join().unwrap();
        assert_eq!(ex.count(), 2 + usize::from(got));
        assert!(!lock.locked());
    });
}
