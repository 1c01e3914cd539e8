//! `Semaphore` and `BoundedSemaphore`: mixed operations under a gauge; `release_n` feeding
//! blocked consumers.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{
    AcquireError, BoundedSemaphore, ReleaseError, Semaphore, SemaphoreGuard, TryAcquireError,
};
use gil_test_support::Rng;

use crate::{Interp, MaxWait, Report, per_thread, test_gil, threads, timed, total_ops, work};

/// A timed acquire (`acquire_timeout`, or `acquire_deadline` when `deadline`) of up to
/// `max_us` µs; checks a timeout did not come early.
fn timed_acquire<'a>(
    sem: &'a Semaphore,
    rng: &mut Rng,
    max_us: u64,
    max: &mut Duration,
) -> Option<SemaphoreGuard<'a>> {
    let timeout = rng.micros(max_us);
    let t0 = Instant::now();
    let result = if rng.below(4) == 0 {
        sem.acquire_deadline(t0 + timeout)
    } else {
        sem.acquire_timeout(timeout)
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

/// Takes one permit (or, for some `op`s, two) into `guards` by the method `op` draws; false
/// if none was taken (a failed try or timeout). The second permit is never waited for
/// without a timeout: threads holding one each could all wait for a second.
fn take<'a>(
    sem: &'a Semaphore,
    op: u64,
    rng: &mut Rng,
    max: &mut Duration,
    guards: &mut Vec<SemaphoreGuard<'a>>,
) -> bool {
    let first = match op {
        0..6 | 11..16 => Some(timed(max, || sem.acquire())),
        6..8 => match sem.try_acquire() {
            Ok(g) => Some(g),
            Err(TryAcquireError::WouldBlock) => None,
            Err(e) => panic!("try_acquire: {e}"),
        },
        _ => timed_acquire(sem, rng, 40, max),
    };
    let Some(first) = first else {
        return false;
    };
    guards.push(first);
    if (11..13).contains(&op) {
        let second = if op == 11 {
            sem.try_acquire().ok()
        } else {
            timed_acquire(sem, rng, 40, max)
        };
        guards.extend(second);
    }
    true
}

/// Counts of [`semaphore_mixed`].
#[derive(Default)]
struct Counts {
    permits: AtomicU64,
    not_taken: AtomicU64,
    pairs: AtomicU64,
    cross: AtomicU64,
    release_n: AtomicU64,
}

/// The workers of a mixed-operation test pass through `sem` (holding `permits`) with, drawn at
/// random: `acquire`, `try_acquire`, `acquire_timeout`/`acquire_deadline` of 0–40 µs, a
/// second permit on top of a first (never blocking for it while holding one: timed or try,
/// else threads holding one each could all wait for a second), a permit leaked and released
/// by another thread. Permits go back by guard drop, `SemaphoreGuard::release` (must be `Ok`)
/// or `release_n(k)` after leaking them. A gauge counts the permits held (raised after
/// acquiring, lowered before releasing): it never passes `permits`. At the end the value is
/// `permits` again.
fn semaphore_mixed(sem: &Semaphore, permits: u32) -> Report {
    let (threads, n) = (threads(), per_thread());
    let gil = test_gil();
    let held = AtomicU32::new(0);
    let most = AtomicU32::new(0);
    let counts = Counts::default();
    let max_wait = MaxWait::default();
    let (tx, rx) = mpsc::channel::<()>();
    thread::scope(|s| {
        s.spawn(move || {
            for () in rx {
                sem.release().expect("a permit released by another thread");
            }
        });
        for t in 0..threads {
            let (gil, held, most, counts, max_wait, tx) =
                (&gil, &held, &most, &counts, &max_wait, tx.clone());
            s.spawn(move || {
                let mut interp = Interp::new(gil, t);
                let mut rng = Rng::new(200 + t as u64);
                let mut max = Duration::ZERO;
                let (mut taken, mut not_taken, mut pairs, mut cross, mut by_n) = (0, 0, 0, 0, 0);
                let mut guards: Vec<SemaphoreGuard<'_>> = Vec::with_capacity(2);
                for i in 0..n {
                    interp.tick();
                    let op = rng.below(16);
                    if !take(sem, op, &mut rng, &mut max, &mut guards) {
                        not_taken += 1;
                        continue;
                    }
                    pairs += u64::from(guards.len() == 2);
                    let k = u32::try_from(guards.len()).expect("one or two");
                    taken += u64::from(k);
                    let now = held.fetch_add(k, SeqCst) + k;
                    assert!(
                        now <= permits,
                        "{now} permits held from a semaphore of {permits}"
                    );
                    most.fetch_max(now, Relaxed);
                    work(i);
                    held.fetch_sub(k, SeqCst);
                    if op == 13 {
                        for g in guards.drain(..) {
                            g.leak();
                            cross += 1;
                            tx.send(()).expect("the releaser runs until the end");
                        }
                    } else if k == 2 && rng.below(2) == 0 {
                        guards.drain(..).for_each(SemaphoreGuard::leak);
                        sem.release_n(2).expect("release_n of two held permits");
                        by_n += 1;
                    } else {
                        for g in guards.drain(..) {
                            if rng.below(2) == 0 {
                                g.release().expect("a held permit's release");
                            } else {
                                drop(g);
                            }
                        }
                    }
                }
                counts.permits.fetch_add(taken, Relaxed);
                counts.not_taken.fetch_add(not_taken, Relaxed);
                counts.pairs.fetch_add(pairs, Relaxed);
                counts.cross.fetch_add(cross, Relaxed);
                counts.release_n.fetch_add(by_n, Relaxed);
                max_wait.merge(max);
            });
        }
        drop(tx);
    });
    assert_eq!(sem.value(), u64::from(permits), "permits lost or created");
    Report::new(threads, n * threads as u64, max_wait.get()).note(format!(
        "{} permits taken ({} pairs, {} released by another thread, {} release_n(2)), {} \
         acquires not taken (try/timeout); most held at once {} of {permits}; odd workers \
         held a GIL",
        counts.permits.load(SeqCst),
        counts.pairs.load(SeqCst),
        counts.cross.load(SeqCst),
        counts.release_n.load(SeqCst),
        counts.not_taken.load(SeqCst),
        most.load(SeqCst),
    ))
}

stress_test! {
    /// `Semaphore(3)`, mixed operations (see `semaphore_mixed`): never more than 3 permits
    /// held; the value is 3 again at the end.
    fn semaphore_mixed_ops_permits_conserved() {
        semaphore_mixed(&Semaphore::new(3), 3)
    }
}

stress_test! {
    /// `BoundedSemaphore(2)`, mixed operations (see `semaphore_mixed`): never more than 2
    /// permits held, no legitimate release refused; at the end the value is 2 and one more
    /// `release` or `release_n` is refused, leaving it at 2.
    fn bounded_semaphore_mixed_ops_permits_conserved() {
        let sem = BoundedSemaphore::new(2);
        let report = semaphore_mixed(&sem, 2);
        assert_eq!(sem.release(), Err(ReleaseError::OverRelease));
        assert_eq!(sem.release_n(2), Err(ReleaseError::OverRelease));
        assert_eq!(sem.value(), 2);
        report
    }
}

stress_test! {
    /// `release_n` feeding blocked consumers: `Semaphore(0)`, half the threads produce
    /// permits with `release_n(1..=4)` (waiting while the value is above 4, so consumers
    /// really block), the others consume `threads × GIL_SYNC_STRESS_OPS / 16` permits in
    /// total, each with `acquire`, `acquire_timeout` of 0–100 µs (retried) or `try_acquire`
    /// (retried after a yield). Producers count a release before making it: every consumer
    /// checks that the permits handed out so far never exceed the permits released (no
    /// waiter woken twice, no permit given to two). At the end exactly all permits are taken
    /// and the value is 0.
    fn semaphore_release_n_hands_out_no_more_than_released() {
        let threads = threads();
        let producers = threads / 2;
        let consumers = threads - producers;
        let per_consumer = (total_ops() / 16 / consumers as u64).max(1);
        let total = per_consumer * consumers as u64;
        let sem = Semaphore::new(0);
        let released = AtomicU64::new(0);
        let acquired = AtomicU64::new(0);
        let (timeouts, failed_tries, calls) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for p in 0..producers {
                let (sem, released, calls) = (&sem, &released, &calls);
                s.spawn(move || {
                    let mut rng = Rng::new(300 + p as u64);
                    loop {
                        let want = 1 + rng.below(4);
                        // Reserve up to `want` of what is left to release.
                        let Ok(before) = released.fetch_update(SeqCst, SeqCst, |r| {
                            (r < total).then(|| r + want.min(total - r))
                        }) else {
                            break;
                        };
                        sem.release_n(want.min(total - before)).expect("release_n");
                        calls.fetch_add(1, Relaxed);
                        while sem.value() > 4 {
                            thread::yield_now();
                        }
                    }
                });
            }
            for c in 0..consumers {
                let (sem, released, acquired, timeouts, failed_tries, max_wait) =
                    (&sem, &released, &acquired, &timeouts, &failed_tries, &max_wait);
                s.spawn(move || {
                    let mut rng = Rng::new(400 + c as u64);
                    let mut max = Duration::ZERO;
                    for _ in 0..per_consumer {
                        let guard = match rng.below(4) {
                            0 | 1 => timed(&mut max, || sem.acquire()),
                            2 => loop {
                                if let Some(g) = timed_acquire(sem, &mut rng, 100, &mut max) {
                                    break g;
                                }
                                timeouts.fetch_add(1, Relaxed);
                            },
                            _ => loop {
                                if let Ok(g) = sem.try_acquire() {
                                    break g;
                                }
                                failed_tries.fetch_add(1, Relaxed);
                                thread::yield_now();
                            },
                        };
                        guard.leak();
                        let got = acquired.fetch_add(1, SeqCst) + 1;
                        let out = released.load(SeqCst);
                        assert!(got <= out, "{got} permits handed out, {out} released");
                    }
                    max_wait.merge(max);
                });
            }
        });
        assert_eq!(acquired.load(SeqCst), total);
        assert_eq!(released.load(SeqCst), total);
        assert_eq!(sem.value(), 0, "permits left over");
        Report::new(threads, total + calls.load(SeqCst), max_wait.get()).note(format!(
            "{total} permits from {} release_n calls by {producers} producers to {consumers} \
             consumers; {} timed acquires timed out, {} try_acquire failed",
            calls.load(SeqCst),
            timeouts.load(SeqCst),
            failed_tries.load(SeqCst)
        ))
    }
}
