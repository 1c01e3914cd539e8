//! gil-sync's `Barrier` next to `std::sync::Barrier` (`parking_lot` has none): a cycle of
//! `wait()` by N threads, and the single-party `wait()` that measures the bookkeeping alone.
//! No GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_barrier` (about 25 s); add `-- uncontended` or
//! `-- '^contended'` for one kind. Groups and ids (`common` explains the scheme):
//!
//! - `uncontended/wait/{gil_sync, std}`: `wait()` on a barrier of one party, which returns at
//!   once (the caller is the last to arrive).
//! - `contended/<threads>/wait/{gil_sync, std}`: `threads` threads call `wait()` on a barrier
//!   of `threads` parties in a loop; one iteration is one full cycle (every thread passed the
//!   barrier once), so this is a latency of `threads` - 1 wake-ups.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let barrier = gil_sync::Barrier::new(1).unwrap();
    g.bench_function(BenchmarkId::new("wait", "gil_sync"), |b| {
        b.iter(|| black_box(barrier.wait().unwrap()));
    });
    let barrier = std::sync::Barrier::new(1);
    g.bench_function(BenchmarkId::new("wait", "std"), |b| {
        b.iter(|| black_box(barrier.wait()));
    });
    g.finish();
}

fn contended(c: &mut Criterion) {
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        g.bench_function(BenchmarkId::new("wait", "gil_sync"), |b| {
            b.iter_custom(|cycles| {
                let barrier = gil_sync::Barrier::new(threads).unwrap();
                common::run_threads(threads, cycles, barrier, |barrier, _, cycles| {
                    for _ in 0..cycles {
                        barrier.wait().unwrap();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("wait", "std"), |b| {
            b.iter_custom(|cycles| {
                let barrier = std::sync::Barrier::new(threads);
                common::run_threads(threads, cycles, barrier, |barrier, _, cycles| {
                    for _ in 0..cycles {
                        barrier.wait();
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
    targets = uncontended, contended
}
criterion_main!(benches);
