//! gil-sync's `Condition`: `notify` with nobody waiting, two-thread wait/notify latency and
//! an N-thread `notify_all` ring, next to std and `parking_lot` `Mutex` + `Condvar` in the
//! same groups. The scenarios mirror `d.condition.*` of `gil-bench/python/anchors/d_primitives.py`; no
//! GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_condition` (about 1 minute); add `-- uncontended`,
//! `-- pingpong` or `-- '^contended'` for one kind. Groups and ids (`common` explains the
//! scheme; `gil_sync_lock` is a `Condition` over a `Lock`, `gil_sync_rlock` over an `RLock`,
//! Python's default):
//!
//! - `uncontended/notify_no_waiter/*`: `with c: c.notify()` with nobody waiting
//!   (`d.condition.notify_no_waiter`).
//! - `pingpong/wait_notify/*`: two threads take turns through a turn variable under the lock,
//!   `wait` until it is theirs, flip it, `notify` (`d.condition.pingpong`).
//! - `contended/<threads>/ring_notify_all/*`: the same turn-taking among all threads in a
//!   ring, waking everyone with `notify_all` on each pass; one iteration is one turn.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_sync::{Condition, Lock};

/// A `Condition` over a plain `Lock` (Python: `Condition(Lock())`).
fn condition_lock() -> Condition {
    Condition::with_lock(Arc::new(Lock::new()))
}

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let plain_cond = condition_lock();
    g.bench_function(BenchmarkId::new("notify_no_waiter", "gil_sync_lock"), |b| {
        b.iter(|| {
            let guard = plain_cond.acquire();
            plain_cond.notify(1).unwrap();
            drop(guard);
        });
    });
    let default_cond = Condition::new();
    g.bench_function(
        BenchmarkId::new("notify_no_waiter", "gil_sync_rlock"),
        |b| {
            b.iter(|| {
                let guard = default_cond.acquire();
                default_cond.notify(1).unwrap();
                drop(guard);
            });
        },
    );
    let (m, cv) = (Mutex::new(()), Condvar::new());
    g.bench_function(BenchmarkId::new("notify_no_waiter", "std"), |b| {
        b.iter(|| {
            let guard = m.lock().unwrap();
            cv.notify_one();
            drop(guard);
        });
    });
    let (pm, pcv) = (parking_lot::Mutex::new(()), parking_lot::Condvar::new());
    g.bench_function(BenchmarkId::new("notify_no_waiter", "parking_lot"), |b| {
        b.iter(|| {
            let guard = pm.lock();
            pcv.notify_one();
            drop(guard);
        });
    });
    g.finish();
}

fn pingpong(c: &mut Criterion) {
    fn gil_side((cond, turn): &(Condition, AtomicU32), me: u32, rounds: u64) {
        for _ in 0..rounds {
            let guard = cond.acquire();
            // Only touched with the condition's lock held; the lock orders it.
            while turn.load(Relaxed) != me {
                cond.wait().unwrap();
            }
            turn.store(1 - me, Relaxed);
            cond.notify(1).unwrap();
            drop(guard);
        }
    }
    let mut g = common::pingpong_group(c);
    g.bench_function(BenchmarkId::new("wait_notify", "gil_sync_lock"), |b| {
        b.iter_custom(|iters| {
            common::pingpong(iters, (condition_lock(), AtomicU32::new(0)), gil_side)
        });
    });
    g.bench_function(BenchmarkId::new("wait_notify", "gil_sync_rlock"), |b| {
        b.iter_custom(|iters| {
            common::pingpong(iters, (Condition::new(), AtomicU32::new(0)), gil_side)
        });
    });
    g.bench_function(BenchmarkId::new("wait_notify", "std"), |b| {
        b.iter_custom(|iters| {
            let shared = (Mutex::new(0u32), Condvar::new());
            common::pingpong(iters, shared, common::std_turns)
        });
    });
    g.bench_function(BenchmarkId::new("wait_notify", "parking_lot"), |b| {
        b.iter_custom(|iters| {
            let shared = (parking_lot::Mutex::new(0u32), parking_lot::Condvar::new());
            common::pingpong(iters, shared, common::parking_lot_turns)
        });
    });
    g.finish();
}

/// A turn counter passed round a ring of `threads` threads: thread `me` takes the turns
/// `t` with `t % threads == me`.
fn contended(c: &mut Criterion) {
    fn gil_side((cond, turn, threads): &(Condition, AtomicU64, u64), me: usize, turns: u64) {
        let me = me as u64;
        for _ in 0..turns {
            let guard = cond.acquire();
            // Only touched with the condition's lock held; the lock orders it.
            while turn.load(Relaxed) % threads != me {
                cond.wait().unwrap();
            }
            turn.store(turn.load(Relaxed) + 1, Relaxed);
            cond.notify_all().unwrap();
            drop(guard);
        }
    }
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        let n = threads as u64;
        // Each thread takes its share of the `iters` turns.
        let turns = |iters: u64| iters.div_ceil(n);
        g.bench_function(BenchmarkId::new("ring_notify_all", "gil_sync_lock"), |b| {
            b.iter_custom(|iters| {
                let shared = (condition_lock(), AtomicU64::new(0), n);
                common::run_threads(threads, turns(iters), shared, gil_side)
            });
        });
        g.bench_function(BenchmarkId::new("ring_notify_all", "gil_sync_rlock"), |b| {
            b.iter_custom(|iters| {
                let shared = (Condition::new(), AtomicU64::new(0), n);
                common::run_threads(threads, turns(iters), shared, gil_side)
            });
        });
        g.bench_function(BenchmarkId::new("ring_notify_all", "std"), |b| {
            b.iter_custom(|iters| {
                let shared = (Mutex::new(0u64), Condvar::new(), n);
                common::run_threads(threads, turns(iters), shared, |(m, cv, n), me, k| {
                    let me = me as u64;
                    for _ in 0..k {
                        let mut turn = m.lock().unwrap();
                        while *turn % n != me {
                            turn = cv.wait(turn).unwrap();
                        }
                        *turn += 1;
                        cv.notify_all();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("ring_notify_all", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                let shared = (
                    parking_lot::Mutex::new(0u64),
                    parking_lot::Condvar::new(),
                    n,
                );
                common::run_threads(threads, turns(iters), shared, |(m, cv, n), me, k| {
                    let me = me as u64;
                    for _ in 0..k {
                        let mut turn = m.lock();
                        while *turn % n != me {
                            cv.wait(&mut turn);
                        }
                        *turn += 1;
                        cv.notify_all();
                    }
                })
            });
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = uncontended, pingpong, contended
}
criterion_main!(benches);
