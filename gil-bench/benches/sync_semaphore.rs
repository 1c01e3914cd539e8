//! gil-sync's `Semaphore` and `BoundedSemaphore`: uncontended acquire + release and N-thread
//! contention on a `Semaphore(1)`, next to the std and `parking_lot` builds of a counting
//! semaphore (a counter under a `Mutex` + `Condvar`; neither library has one) in the same
//! groups. The scenarios mirror `d.semaphore.*` and `d.bounded_semaphore.*` of
//! `gil-bench/python/anchors/d_primitives.py`; no GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_semaphore` (about 50 s); add `-- uncontended` or
//! `-- '^contended'` for one kind. Groups and ids (`common` explains the scheme;
//! `gil_sync_bounded` is a `BoundedSemaphore`):
//!
//! - `uncontended/acquire_release/{gil_sync, gil_sync_bounded, std, parking_lot}`: acquire +
//!   release of a `Semaphore(1)` (`d.semaphore.acquire_release`,
//!   `d.bounded_semaphore.acquire_release`).
//! - `contended/<threads>/acquire_release/{gil_sync, gil_sync_bounded, std, parking_lot}`:
//!   every thread acquires and releases one shared `Semaphore(1)`; the gil-sync ones
//!   increment a counter while holding it.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use common::{PlSem, StdSem};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_sync::{BoundedSemaphore, Semaphore};

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let gil_sem = Semaphore::new(1);
    g.bench_function(BenchmarkId::new("acquire_release", "gil_sync"), |b| {
        b.iter(|| drop(black_box(gil_sem.acquire())));
    });
    let gil_bounded = BoundedSemaphore::new(1);
    g.bench_function(
        BenchmarkId::new("acquire_release", "gil_sync_bounded"),
        |b| {
            b.iter(|| drop(black_box(gil_bounded.acquire())));
        },
    );
    let std_sem = StdSem::new(1);
    g.bench_function(BenchmarkId::new("acquire_release", "std"), |b| {
        b.iter(|| {
            std_sem.acquire();
            std_sem.release();
        });
    });
    let pl_sem = PlSem::new(1);
    g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
        b.iter(|| {
            pl_sem.acquire();
            pl_sem.release();
        });
    });
    g.finish();
}

fn contended(c: &mut Criterion) {
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        g.bench_function(BenchmarkId::new("acquire_release", "gil_sync"), |b| {
            b.iter_custom(|iters| {
                let shared = (Semaphore::new(1), AtomicU32::new(0));
                common::contended(threads, iters, shared, |(s, n)| {
                    let guard = s.acquire();
                    // Only touched with the semaphore held; the semaphore orders it.
                    n.store(n.load(Relaxed) + 1, Relaxed);
                    drop(guard);
                })
            });
        });
        g.bench_function(
            BenchmarkId::new("acquire_release", "gil_sync_bounded"),
            |b| {
                b.iter_custom(|iters| {
                    let shared = (BoundedSemaphore::new(1), AtomicU32::new(0));
                    common::contended(threads, iters, shared, |(s, n)| {
                        let guard = s.acquire();
                        // As above.
                        n.store(n.load(Relaxed) + 1, Relaxed);
                        drop(guard);
                    })
                });
            },
        );
        g.bench_function(BenchmarkId::new("acquire_release", "std"), |b| {
            b.iter_custom(|iters| {
                common::contended(threads, iters, StdSem::new(1), |s| {
                    s.acquire();
                    s.release();
                })
            });
        });
        g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                common::contended(threads, iters, PlSem::new(1), |s| {
                    s.acquire();
                    s.release();
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
