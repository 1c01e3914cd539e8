//! gil-sync's `RLock`: uncontended acquire + release, re-entry, and N-thread contention, next
//! to `parking_lot::ReentrantMutex` in the same groups (std has no re-entrant lock on stable
//! Rust: `ReentrantLock` is unstable). The scenarios mirror `d.rlock.*` of
//! `gil-bench/python/anchors/d_primitives.py`; no GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_rlock` (about 30 s); add `-- uncontended` or
//! `-- '^contended'` for one kind. Groups and ids (`common` explains the scheme):
//!
//! - `uncontended/acquire_release/{gil_sync, parking_lot}`: lock + unlock
//!   (`d.rlock.acquire_release`).
//! - `uncontended/reentrant_depth2/{gil_sync, parking_lot}`: lock + unlock while already
//!   holding it once (`d.rlock.reentrant_depth2`).
//! - `contended/<threads>/acquire_release/{gil_sync, parking_lot}`: every thread locks one
//!   shared re-entrant lock, increments a counter, unlocks.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_sync::RLock;

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let rlock = RLock::new();
    g.bench_function(BenchmarkId::new("acquire_release", "gil_sync"), |b| {
        b.iter(|| drop(black_box(rlock.acquire())));
    });
    let pr = parking_lot::ReentrantMutex::new(());
    g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
        b.iter(|| drop(black_box(pr.lock())));
    });
    let outer = rlock.acquire();
    g.bench_function(BenchmarkId::new("reentrant_depth2", "gil_sync"), |b| {
        b.iter(|| drop(black_box(rlock.acquire())));
    });
    drop(outer);
    let outer = pr.lock();
    g.bench_function(BenchmarkId::new("reentrant_depth2", "parking_lot"), |b| {
        b.iter(|| drop(black_box(pr.lock())));
    });
    drop(outer);
    g.finish();
}

fn contended(c: &mut Criterion) {
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        g.bench_function(BenchmarkId::new("acquire_release", "gil_sync"), |b| {
            b.iter_custom(|iters| {
                let shared = (RLock::new(), AtomicU32::new(0));
                common::contended(threads, iters, shared, |(l, n)| {
                    let guard = l.acquire();
                    // Only touched with the lock held; the lock orders it.
                    n.store(n.load(Relaxed) + 1, Relaxed);
                    drop(guard);
                })
            });
        });
        g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                let shared = parking_lot::ReentrantMutex::new(Cell::new(0u32));
                common::contended(threads, iters, shared, |m| {
                    let n = m.lock();
                    n.set(n.get() + 1);
                })
            });
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = uncontended, contended
}
criterion_main!(benches);
