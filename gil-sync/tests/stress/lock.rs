//! `Lock`: every operation mixed over one counter; a release racing the last timed waiter.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{AcquireError, Lock};
use gil_test_support::Rng;

use crate::{Interp, MaxWait, Report, SetOnDrop, bump, per_thread, test_gil, threads, timed, work};

/// Runs `release`; if it panics, counts it in `failed` and releases `lock` again, so that one
/// failed release fails the test instead of leaving the lock held and every other thread hung.
fn release_or_recover(lock: &Lock, failed: &AtomicU64, release: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(release)).is_err() {
        failed.fetch_add(1, Relaxed);
        lock.release()
            .expect("the lock is still held after a release that panicked");
    }
}

/// Per-worker counts of [`lock_mixed_ops_counter_exact`].
#[derive(Default)]
struct Counts {
    acquired: AtomicU64,
    failed_tries: AtomicU64,
    timeouts: AtomicU64,
    cross_releases: AtomicU64,
}

stress_test! {
    /// `Lock`, mixed: each worker makes `GIL_SYNC_STRESS_OPS` operations, drawn at random:
    /// `acquire` (half), `try_acquire`, `acquire_timeout` of 0–50 µs, `acquire_deadline`
    /// 0–50 µs ahead, a bare acquire released with `Lock::release`, an acquire that checks
    /// `locked`/`is_owned`, and (1 in 128) a bare acquire released by another thread (a
    /// releaser fed through a channel). Every successful acquire checks that nobody else is
    /// inside and increments a counter non-atomically: the count equals the successes
    /// exactly. A timed acquire that fails took at least its timeout.
    fn lock_mixed_ops_counter_exact() {
        let (threads, n) = (threads(), per_thread());
        let gil = test_gil();
        let lock = Lock::new();
        let counter = AtomicU64::new(0);
        let inside = AtomicBool::new(false);
        let counts = Counts::default();
        let failed_releases = AtomicU64::new(0);
        let max_wait = MaxWait::default();
        let (tx, rx) = mpsc::channel::<()>();
        thread::scope(|s| {
            let (lock, failed) = (&lock, &failed_releases);
            s.spawn(move || {
                for () in rx {
                    release_or_recover(lock, failed, || {
                        lock.release().expect("held by the worker that sent the message");
                    });
                }
            });
            for t in 0..threads {
                let (gil, counter, inside, counts, max_wait, tx) =
                    (&gil, &counter, &inside, &counts, &max_wait, tx.clone());
                s.spawn(move || {
                    let mut interp = Interp::new(gil, t);
                    let mut rng = Rng::new(t as u64);
                    let mut max = Duration::ZERO;
                    let (mut acquired, mut failed_tries, mut timeouts, mut cross) = (0, 0, 0, 0);
                    let enter = || {
                        assert!(!inside.swap(true, SeqCst), "two threads inside the lock");
                        bump(counter);
                    };
                    let leave = || inside.store(false, SeqCst);
                    for i in 0..n {
                        interp.tick();
                        let op = rng.below(128);
                        match op {
                            0 => {
                                timed(&mut max, || lock.acquire()).leak();
                                enter();
                                leave();
                                cross += 1;
                                tx.send(()).expect("the releaser runs until the end");
                            }
                            1..64 => {
                                let guard = timed(&mut max, || lock.acquire());
                                enter();
                                work(i);
                                leave();
                                release_or_recover(lock, failed, || drop(guard));
                            }
                            64..80 => {
                                if let Ok(guard) = lock.try_acquire() {
                                    enter();
                                    leave();
                                    release_or_recover(lock, failed, || drop(guard));
                                } else {
                                    failed_tries += 1;
                                    continue;
                                }
                            }
                            80..104 => {
                                let timeout = rng.micros(50);
                                let t0 = Instant::now();
                                let result = if op < 96 {
                                    lock.acquire_timeout(timeout)
                                } else {
                                    lock.acquire_deadline(t0 + timeout)
                                };
                                let waited = t0.elapsed();
                                max = max.max(waited);
                                match result {
                                    Ok(guard) => {
                                        enter();
                                        leave();
                                        release_or_recover(lock, failed, || drop(guard));
                                    }
                                    Err(AcquireError::TimedOut) => {
                                        assert!(
                                            waited >= timeout,
                                            "a {timeout:?} acquire timed out after {waited:?}"
                                        );
                                        timeouts += 1;
                                        continue;
                                    }
                                    Err(e) => panic!("acquire_timeout: {e}"),
                                }
                            }
                            104..116 => {
                                timed(&mut max, || lock.acquire()).leak();
                                enter();
                                leave();
                                release_or_recover(lock, failed, || {
                                    lock.release().expect("a bare acquire's release");
                                });
                            }
                            _ => {
                                let guard = timed(&mut max, || lock.acquire());
                                assert!(lock.locked() && lock.is_owned());
                                enter();
                                leave();
                                release_or_recover(lock, failed, || drop(guard));
                            }
                        }
                        acquired += 1;
                    }
                    assert!(!lock.is_owned());
                    counts.acquired.fetch_add(acquired, Relaxed);
                    counts.failed_tries.fetch_add(failed_tries, Relaxed);
                    counts.timeouts.fetch_add(timeouts, Relaxed);
                    counts.cross_releases.fetch_add(cross, Relaxed);
                    max_wait.merge(max);
                });
            }
            drop(tx);
        });
        assert_eq!(
            failed_releases.load(SeqCst),
            0,
            "releases panicked (see the panic messages above)"
        );
        let acquired = counts.acquired.load(SeqCst);
        assert_eq!(counter.load(SeqCst), acquired, "lost updates under the lock");
        assert!(!lock.locked());
        Report::new(threads, n * threads as u64, max_wait.get()).note(format!(
            "{acquired} acquisitions ({} released by another thread), {} failed try_acquire, \
             {} timed out; odd workers held a GIL",
            counts.cross_releases.load(SeqCst),
            counts.failed_tries.load(SeqCst),
            counts.timeouts.load(SeqCst),
        ))
    }
}

stress_test! {
    /// `Lock` release racing the last timed waiter's cancellation: one thread takes and
    /// releases the lock `GIL_SYNC_STRESS_OPS` times, holding it 1–8 µs (guard drop, or a
    /// leaked acquire released with `Lock::release`), 2 others `acquire_timeout` with 0–15 µs
    /// timeouts, so the only queued waiter often times out just as the holder releases. Every
    /// release must succeed: the holder sees `QUEUED_BIT` set, the waiter cancels (removing
    /// itself and clearing the bit), and the holder's slow path must cope with the now-empty
    /// queue.
    fn lock_release_races_timed_out_waiter() {
        let n = per_thread();
        let lock = Lock::new();
        let stop = AtomicBool::new(false);
        let (acquired, timed_out) = (AtomicU64::new(0), AtomicU64::new(0));
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for t in 0..2u64 {
                let (lock, stop, acquired, timed_out, max_wait) =
                    (&lock, &stop, &acquired, &timed_out, &max_wait);
                s.spawn(move || {
                    let mut i = t;
                    let mut max = Duration::ZERO;
                    while !stop.load(Relaxed) {
                        i += 1;
                        match timed(&mut max, || lock.acquire_timeout(Duration::from_micros(i % 16)))
                        {
                            Ok(g) => {
                                acquired.fetch_add(1, Relaxed);
                                drop(g);
                                // Let the holder have it: the race needs it holding.
                                thread::yield_now();
                            }
                            Err(_) => {
                                timed_out.fetch_add(1, Relaxed);
                            }
                        }
                    }
                    max_wait.merge(max);
                });
            }
            let hold = |i: u64| {
                let until = Instant::now() + Duration::from_micros(1 + i % 8);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            };
            // Stops the waiters even if a release below panics.
            let _stop = SetOnDrop(&stop);
            let mut max = Duration::ZERO;
            for i in 0..n {
                if i % 2 == 0 {
                    let guard = timed(&mut max, || lock.acquire());
                    hold(i);
                    drop(guard);
                } else {
                    timed(&mut max, || lock.acquire()).leak();
                    hold(i);
                    lock.release().expect("the holder's release");
                }
            }
            max_wait.merge(max);
        });
        assert!(!lock.locked());
        let (acquired, timed_out) = (acquired.load(SeqCst), timed_out.load(SeqCst));
        Report::new(3, n + acquired + timed_out, max_wait.get()).note(format!(
            "holder: {n} acquire/release pairs; waiters: {acquired} acquires, {timed_out} \
             timeouts"
        ))
    }
}
