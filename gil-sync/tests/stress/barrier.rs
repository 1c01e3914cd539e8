//! `Barrier`: generations counted exactly; generations mixed with aborts, resets and timeouts.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use gil_sync::Barrier as PyBarrier;
use gil_test_support::Rng;

use crate::{MaxWait, Report, threads, timed, total_ops};

/// A barrier of `parties` whose action counts its runs.
fn counting_barrier(parties: usize) -> (PyBarrier, Arc<AtomicU64>) {
    let actions = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&actions);
    let barrier = PyBarrier::with_action(parties, move || {
        counter.fetch_add(1, Relaxed);
        Ok(())
    })
    .expect("parties > 0");
    (barrier, actions)
}

stress_test! {
    /// `Barrier(threads)` passed by every thread for `threads × GIL_SYNC_STRESS_OPS / 1000`
    /// generations (8 000 by default), alternating `wait` and `wait_timeout(30 s)`: every
    /// generation's indices are a permutation of `0..threads` (their sum is checked in total),
    /// the action runs exactly once per generation, one thread per generation is last, and
    /// nobody sees the barrier broken.
    fn barrier_generations_exact() {
        let threads = threads();
        let generations = (total_ops() / 1000).max(1);
        let (barrier, actions) = counting_barrier(threads);
        let (index_sum, last_count) = (AtomicU64::new(0), AtomicU64::new(0));
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for t in 0..threads as u64 {
                let (barrier, index_sum, last_count, max_wait) =
                    (&barrier, &index_sum, &last_count, &max_wait);
                s.spawn(move || {
                    let mut max = Duration::ZERO;
                    for g in 0..generations {
                        let r = if (g + t) % 2 == 0 {
                            timed(&mut max, || barrier.wait())
                        } else {
                            timed(&mut max, || barrier.wait_timeout(Duration::from_secs(30)))
                        }
                        .expect("barrier never breaks here");
                        index_sum.fetch_add(r.index() as u64, Relaxed);
                        if r.is_last() {
                            last_count.fetch_add(1, Relaxed);
                        }
                    }
                    max_wait.merge(max);
                });
            }
        });
        let per_generation: u64 = (0..threads as u64).sum();
        assert_eq!(index_sum.load(SeqCst), generations * per_generation);
        assert_eq!(actions.load(SeqCst), generations);
        assert_eq!(last_count.load(SeqCst), generations);
        assert!(!barrier.broken());
        Report::new(threads, generations * threads as u64, max_wait.get())
            .note(format!("{generations} generations"))
    }
}

/// What a generation of [`barrier_mixed_generations_aborts_resets_timeouts`] does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Round {
    /// Everyone waits (`wait` or `wait_timeout(30 s)`): it passes.
    Pass,
    /// One thread aborts instead of waiting: everyone else gets `Broken`.
    Abort,
    /// One thread waits with a zero timeout: the generation passes for all (it came last)
    /// or for none (it broke the barrier).
    ZeroTimeout,
}

fn round(g: u64) -> Round {
    match g % 32 {
        31 => Round::Abort,
        15 => Round::ZeroTimeout,
        _ => Round::Pass,
    }
}

stress_test! {
    /// `Barrier(threads)` for `threads × GIL_SYNC_STRESS_OPS / 1000` generations, mixed: in
    /// one generation of 32 a thread (a different one each time) calls `abort` after a short
    /// random delay instead of waiting, and every other thread's wait fails with `Broken`; in
    /// another a thread waits with a zero timeout, so the generation passes for all or fails
    /// for all. After either, every thread meets outside (a std barrier), the leader checks
    /// `broken()` and calls `reset`, and the barrier works again. (Threads also meet before
    /// these generations: an `abort` while the previous generation drains would fail its late
    /// waiters too, as in CPython.) The action runs exactly once per passed generation, the
    /// indices of passed generations sum up, and the last index appears once per pass.
    fn barrier_mixed_generations_aborts_resets_timeouts() {
        let threads = threads();
        let generations = (total_ops() / 1000).max(1);
        let (barrier, actions) = counting_barrier(threads);
        let outside = Barrier::new(threads);
        let (index_sum, last_count, broken_waits) =
            (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        // Per generation with a zero timeout: threads that passed (only the last one matters).
        let passed_now = AtomicU64::new(0);
        let (passed, aborted, timed_out) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for t in 0..threads as u64 {
                let (barrier, outside, index_sum, last_count, broken_waits, passed_now) =
                    (&barrier, &outside, &index_sum, &last_count, &broken_waits, &passed_now);
                let (passed, aborted, timed_out, max_wait) =
                    (&passed, &aborted, &timed_out, &max_wait);
                s.spawn(move || {
                    let mut rng = Rng::new(700 + t);
                    let mut max = Duration::ZERO;
                    let record = |r: gil_sync::BarrierWaitResult| {
                        index_sum.fetch_add(r.index() as u64, Relaxed);
                        if r.is_last() {
                            last_count.fetch_add(1, Relaxed);
                        }
                    };
                    for g in 0..generations {
                        let kind = round(g);
                        let chosen = (g / 16) % threads as u64 == t;
                        if kind != Round::Pass {
                            outside.wait();
                        }
                        match kind {
                            Round::Pass => {
                                let r = if rng.below(2) == 0 {
                                    timed(&mut max, || barrier.wait())
                                } else {
                                    timed(&mut max, || {
                                        barrier.wait_timeout(Duration::from_secs(30))
                                    })
                                };
                                record(r.expect("a generation without abort or timeout passes"));
                                if t == 0 {
                                    passed.fetch_add(1, Relaxed);
                                }
                            }
                            Round::Abort if chosen => {
                                for _ in 0..rng.below(64) {
                                    thread::yield_now();
                                }
                                barrier.abort();
                            }
                            Round::Abort => {
                                let r = timed(&mut max, || barrier.wait());
                                assert!(
                                    r.is_err_and(|e| e.is_broken()),
                                    "a wait passed a generation that a thread aborted"
                                );
                                broken_waits.fetch_add(1, Relaxed);
                            }
                            Round::ZeroTimeout => {
                                let r = if chosen {
                                    barrier.wait_timeout(Duration::ZERO)
                                } else {
                                    timed(&mut max, || barrier.wait())
                                };
                                match r {
                                    Ok(r) => {
                                        record(r);
                                        passed_now.fetch_add(1, SeqCst);
                                    }
                                    Err(e) => {
                                        assert!(e.is_broken(), "{e}");
                                        broken_waits.fetch_add(1, Relaxed);
                                    }
                                }
                            }
                        }
                        if kind != Round::Pass && outside.wait().is_leader() {
                            let all = passed_now.swap(0, SeqCst);
                            match (kind, all) {
                                (Round::Abort, _) => {
                                    assert!(barrier.broken(), "abort did not break the barrier");
                                    aborted.fetch_add(1, Relaxed);
                                }
                                (_, 0) => {
                                    assert!(barrier.broken(), "a zero timeout broke nothing");
                                    timed_out.fetch_add(1, Relaxed);
                                }
                                (_, n) if n == threads as u64 => {
                                    assert!(!barrier.broken());
                                    passed.fetch_add(1, Relaxed);
                                }
                                (_, n) => panic!("{n} of {threads} threads passed a generation"),
                            }
                            barrier.reset();
                            assert!(!barrier.broken(), "reset left the barrier broken");
                            assert_eq!(barrier.n_waiting(), 0);
                        }
                        if kind != Round::Pass {
                            outside.wait();
                        }
                    }
                    max_wait.merge(max);
                });
            }
        });
        let passed = passed.load(SeqCst);
        let per_generation: u64 = (0..threads as u64).sum();
        assert_eq!(index_sum.load(SeqCst), passed * per_generation);
        assert_eq!(actions.load(SeqCst), passed, "action runs vs passed generations");
        assert_eq!(last_count.load(SeqCst), passed);
        let (aborted, timed_out) = (aborted.load(SeqCst), timed_out.load(SeqCst));
        assert_eq!(passed + aborted + timed_out, generations);
        let parties = threads as u64;
        assert_eq!(
            broken_waits.load(SeqCst),
            aborted * (parties - 1) + timed_out * parties,
            "failed waits vs broken generations"
        );
        assert!(!barrier.broken());
        Report::new(threads, generations * threads as u64, max_wait.get()).note(format!(
            "{generations} generations: {passed} passed, {aborted} aborted, {timed_out} broken \
             by a zero timeout; {} waits failed with Broken",
            broken_waits.load(SeqCst)
        ))
    }
}
