//! `RLock`: nested, mixed operations over one counter.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{AcquireError, RLock, RLockGuard, ReleaseError};
use gil_test_support::Rng;

use crate::{Interp, MaxWait, Report, bump, per_thread, test_gil, threads, timed, work};

/// Takes the first level by a random method; `None` if a non-blocking or timed one failed
/// (after checking a timeout did not come early).
fn first_level<'a>(lock: &'a RLock, rng: &mut Rng, max: &mut Duration) -> Option<RLockGuard<'a>> {
    match rng.below(8) {
        0 => lock.try_acquire().ok(),
        1 | 2 => {
            let timeout = rng.micros(30);
            let t0 = Instant::now();
            let result = if rng.below(2) == 0 {
                lock.acquire_timeout(timeout)
            } else {
                lock.acquire_deadline(t0 + timeout)
            };
            let waited = t0.elapsed();
            *max = (*max).max(waited);
            match result {
                Ok(guard) => Some(guard),
                Err(AcquireError::TimedOut) => {
                    assert!(
                        waited >= timeout,
                        "a {timeout:?} acquire timed out after {waited:?}"
                    );
                    None
                }
                Err(e) => panic!("acquire_timeout: {e}"),
            }
        }
        _ => Some(timed(max, || lock.acquire())),
    }
}

/// Re-enters a lock the caller owns, by a random method: none may block or fail.
fn next_level<'a>(lock: &'a RLock, rng: &mut Rng) -> RLockGuard<'a> {
    match rng.below(4) {
        0 => lock.try_acquire().expect("re-entry never blocks"),
        1 => lock
            .acquire_timeout(Duration::ZERO)
            .expect("re-entry with a zero timeout succeeds"),
        2 => lock
            .acquire_deadline(Instant::now())
            .expect("re-entry at a past deadline succeeds"),
        _ => lock.acquire(),
    }
}

/// Keeps a level as a guard, or (at random) leaks it and counts it in `bare`, to be released
/// with `RLock::release`.
fn keep<'a>(guard: RLockGuard<'a>, rng: &mut Rng, bare: &mut u64) -> Option<RLockGuard<'a>> {
    if rng.below(2) == 0 {
        guard.leak();
        *bare += 1;
        None
    } else {
        Some(guard)
    }
}

stress_test! {
    /// `RLock`, mixed: each worker makes `GIL_SYNC_STRESS_OPS` operations, each at a nesting
    /// depth of 1 to 3. The first level is taken by `acquire`, `try_acquire`,
    /// `acquire_timeout` or `acquire_deadline` (0–30 µs; these may fail, and a failed timed
    /// one took at least its timeout); deeper levels by any of them, which never block nor
    /// fail. Each level is kept as a guard or leaked and later released with `RLock::release`,
    /// in random order. One operation in 16 also does `release_save` + `acquire_restore`
    /// (another thread may get in meanwhile) and gets its levels back. Between operations a
    /// non-owner's `release` is refused, `is_owned` is false and `recursion_count` 0. The
    /// counter incremented inside is exact and `recursion_count` matches at every level.
    fn rlock_mixed_ops_counter_exact() {
        let (threads, n) = (threads(), per_thread());
        let gil = test_gil();
        let lock = RLock::new();
        let counter = AtomicU64::new(0);
        let inside = AtomicBool::new(false);
        let (acquired, failed, restores) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for t in 0..threads {
                let (gil, lock, counter, inside, acquired, failed, restores, max_wait) =
                    (&gil, &lock, &counter, &inside, &acquired, &failed, &restores, &max_wait);
                s.spawn(move || {
                    let mut interp = Interp::new(gil, t);
                    let mut rng = Rng::new(100 + t as u64);
                    let mut max = Duration::ZERO;
                    let (mut ok, mut not_taken, mut round_trips) = (0u64, 0u64, 0u64);
                    let claim = || assert!(!inside.swap(true, SeqCst), "two owners of an RLock");
                    let unclaim = || inside.store(false, SeqCst);
                    let mut guards = Vec::with_capacity(3);
                    for i in 0..n {
                        interp.tick();
                        let depth = 1 + rng.below(3);
                        let Some(first) = first_level(lock, &mut rng, &mut max) else {
                            not_taken += 1;
                            continue;
                        };
                        claim();
                        let mut bare = 0;
                        guards.extend(keep(first, &mut rng, &mut bare));
                        assert_eq!(lock.recursion_count(), 1);
                        for level in 2..=depth {
                            let guard = next_level(lock, &mut rng);
                            guards.extend(keep(guard, &mut rng, &mut bare));
                            assert_eq!(lock.recursion_count(), level);
                        }
                        work(i);
                        bump(counter);
                        if rng.below(16) == 0 {
                            unclaim();
                            let saved = lock.release_save().expect("the owner's release_save");
                            assert_eq!(saved.count(), depth);
                            assert!(!lock.is_owned());
                            timed(&mut max, || lock.acquire_restore(saved));
                            claim();
                            assert_eq!(lock.recursion_count(), depth);
                            round_trips += 1;
                        }
                        unclaim();
                        // Levels go in random order: guards and bare releases interleaved.
                        while bare > 0 || !guards.is_empty() {
                            if bare > 0 && (guards.is_empty() || rng.below(2) == 0) {
                                lock.release().expect("the owner's release");
                                bare -= 1;
                            } else {
                                guards.pop();
                            }
                        }
                        assert_eq!(lock.recursion_count(), 0);
                        assert!(!lock.is_owned());
                        if rng.below(32) == 0 {
                            assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
                        }
                        ok += 1;
                    }
                    acquired.fetch_add(ok, Relaxed);
                    failed.fetch_add(not_taken, Relaxed);
                    restores.fetch_add(round_trips, Relaxed);
                    max_wait.merge(max);
                });
            }
        });
        let acquired = acquired.load(SeqCst);
        assert_eq!(counter.load(SeqCst), acquired, "lost updates under the lock");
        assert!(!lock.locked());
        Report::new(threads, n * threads as u64, max_wait.get()).note(format!(
            "{acquired} nested acquisitions, {} first levels not taken (try/timeout), {} \
             release_save/acquire_restore; odd workers held a GIL",
            failed.load(SeqCst),
            restores.load(SeqCst)
        ))
    }
}
