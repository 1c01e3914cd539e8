//! gil-sync's `Lock`: uncontended acquire + release, two-thread hand-off latency and N-thread
//! contention, next to std and `parking_lot` `Mutex` in the same groups. The scenarios mirror
//! `d.lock.*` of `gil-bench/python/anchors/d_primitives.py`; no GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_lock` (about 50 s); add `-- uncontended`,
//! `-- pingpong` or `-- '^contended'` for one kind. Groups and ids (`common` explains the
//! scheme):
//!
//! - `uncontended/acquire_release/{gil_sync, std, parking_lot}`: lock + unlock
//!   (`d.lock.acquire_release`).
//! - `pingpong/handoff/{gil_sync, std, parking_lot}`: two locks, each released by the other
//!   thread (`d.lock.handoff_pingpong`); one round trip is two hand-offs. A `Mutex` cannot be
//!   released by another thread, so `std` / `parking_lot` are binary semaphores built from
//!   `Mutex<bool>` + `Condvar`.
//! - `contended/<threads>/acquire_release/{gil_sync, std, parking_lot}`: every thread locks
//!   one shared lock, increments a counter, unlocks.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use common::{PlFlag, StdFlag};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_sync::Lock;

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let lock = Lock::new();
    g.bench_function(BenchmarkId::new("acquire_release", "gil_sync"), |b| {
        b.iter(|| drop(black_box(lock.acquire())));
    });
    let m = Mutex::new(());
    g.bench_function(BenchmarkId::new("acquire_release", "std"), |b| {
        b.iter(|| drop(black_box(m.lock().unwrap())));
    });
    let pm = parking_lot::Mutex::new(());
    g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
        b.iter(|| drop(black_box(pm.lock())));
    });
    g.finish();
}

fn pingpong(c: &mut Criterion) {
    let mut g = common::pingpong_group(c);
    g.bench_function(BenchmarkId::new("handoff", "gil_sync"), |b| {
        b.iter_custom(|iters| {
            let (a, bl) = (Lock::new(), Lock::new());
            a.acquire().leak();
            bl.acquire().leak();
            common::pingpong(iters, (a, bl), |(a, b), me, rounds| {
                for _ in 0..rounds {
                    if me == 0 {
                        a.release().unwrap(); // ping
                        b.acquire().leak(); // wait for pong
                    } else {
                        a.acquire().leak(); // wait for ping
                        b.release().unwrap(); // pong
                    }
                }
            })
        });
    });
    g.bench_function(BenchmarkId::new("handoff", "std"), |b| {
        b.iter_custom(|iters| {
            let shared = (StdFlag::default(), StdFlag::default());
            common::pingpong(iters, shared, |(a, b), me, rounds| {
                for _ in 0..rounds {
                    if me == 0 {
                        a.give();
                        b.take();
                    } else {
                        a.take();
                        b.give();
                    }
                }
            })
        });
    });
    g.bench_function(BenchmarkId::new("handoff", "parking_lot"), |b| {
        b.iter_custom(|iters| {
            let shared = (PlFlag::default(), PlFlag::default());
            common::pingpong(iters, shared, |(a, b), me, rounds| {
                for _ in 0..rounds {
                    if me == 0 {
                        a.give();
                        b.take();
                    } else {
                        a.take();
                        b.give();
                    }
                }
            })
        });
    });
    g.finish();
}

fn contended(c: &mut Criterion) {
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        g.bench_function(BenchmarkId::new("acquire_release", "gil_sync"), |b| {
            b.iter_custom(|iters| {
                let shared = (Lock::new(), AtomicU32::new(0));
                common::contended(threads, iters, shared, |(l, n)| {
                    let guard = l.acquire();
                    // Only touched with the lock held; the lock orders it.
                    n.store(n.load(Relaxed) + 1, Relaxed);
                    drop(guard);
                })
            });
        });
        g.bench_function(BenchmarkId::new("acquire_release", "std"), |b| {
            b.iter_custom(|iters| {
                common::contended(threads, iters, Mutex::new(0u32), |m| {
                    *m.lock().unwrap() += 1;
                })
            });
        });
        g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                common::contended(threads, iters, parking_lot::Mutex::new(0u32), |m| {
                    *m.lock() += 1;
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
