//! gil-core's GIL: `check()` cost with and without a waiter, uncontended acquire + release,
//! the `allow_threads` round trip, hand-off latency and N-thread contention, next to std and
//! `parking_lot` `Mutex` (+ `Condvar`) in the same groups.
//!
//! `cargo bench -p gil-bench --bench core_gil` (about 2 minutes); add `-- uncontended`,
//! `-- pingpong` or `-- '^contended'` for one kind. Groups and ids (`common` explains the
//! scheme; implementations are `gil_fair`, `gil_cpython`, `gil_free_threaded` — policies and
//! modes of [`gil_core::Gil`], 5 ms switch interval — `std` and `parking_lot`):
//!
//! - `uncontended/check/{relaxed_load, gil_fair}`: `check()` with nobody waiting, next to the
//!   loop it must stay within 2x of, a relaxed load.
//! - `uncontended/acquire_release/*`: acquire + release; `std` and `parking_lot` lock a
//!   `Mutex<u64>` and increment it, the GIL rows increment a `Cell<u64>` under the guard.
//! - `uncontended/allow_threads/*`: `allow_threads(|| ())` with nobody waiting (release +
//!   re-acquire + bookkeeping); `parking_lot` is `MutexGuard::unlocked`, the API it mirrors,
//!   `std` is drop + lock.
//! - `pingpong/handoff/*`: two threads take turns holding the GIL (a turn variable under it);
//!   one round trip is two hand-offs. `std` / `parking_lot`: the same with `Mutex` + `Condvar`.
//! - `contended/2/check_waiter_queued/gil_fair`: `check()` while another thread is queued for
//!   the GIL behind a long switch interval (its drop request not yet due: the common case for
//!   a holder mid-slice). Only the holder runs, so this one is a plain `iter`.
//! - `contended/<threads>/acquire_release/*`: each thread acquires, does one
//!   [`work_unit`](gil_bench::work_unit) on a shared counter, releases.
//! - `contended/<threads>/work_check/*`: each thread holds the GIL and runs work units with a
//!   `check()` after each, as an interpreter's eval loop does (the GIL changes hands at the
//!   switch interval); `parking_lot` holds its `Mutex` and calls `MutexGuard::bump` after each
//!   unit (the std `Mutex` has no equivalent; see `acquire_release/std`).
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_bench::work_unit;
use gil_core::{Gil, Mode, Policy};

/// The policies of an enabled GIL, with their bench id.
const POLICIES: [(&str, Policy); 2] =
    [("gil_fair", Policy::Fair), ("gil_cpython", Policy::CPython)];

/// The switch interval of every GIL here but `check_waiter_queued`'s (CPython's default).
const INTERVAL: Duration = Duration::from_millis(5);

fn free_threaded() -> Gil {
    Gil::builder().mode(Mode::FreeThreaded).build().unwrap()
}

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);

    // `check()` with nobody waiting, against the loop it must stay within 2x of.
    let word = AtomicU32::new(0);
    g.bench_function(BenchmarkId::new("check", "relaxed_load"), |b| {
        b.iter(|| black_box(word.load(Relaxed) != 0));
    });
    let gil = Gil::new();
    let mut guard = gil.acquire();
    g.bench_function(BenchmarkId::new("check", "gil_fair"), |b| {
        b.iter(|| black_box(guard.check().is_ok()));
    });
    drop(guard);

    // Acquire + release, with the same work under the lock as the `Mutex<u64>` rows: one
    // increment. (Not `drop(black_box(guard))`: that forces the guard through memory and
    // copies it with one wide load of what `acquire` stored field by field, a store-to-load
    // forwarding stall of ~10 ns that no caller pays and the `Mutex` rows do not have.)
    let count = Cell::new(0u64);
    for (name, policy) in POLICIES {
        let gil = gil_bench::gil(policy, INTERVAL);
        g.bench_function(BenchmarkId::new("acquire_release", name), |b| {
            b.iter(|| {
                let _guard = gil.acquire();
                count.set(count.get() + 1);
            });
        });
    }
    let ft = free_threaded();
    g.bench_function(
        BenchmarkId::new("acquire_release", "gil_free_threaded"),
        |b| {
            b.iter(|| {
                let _guard = ft.acquire();
                count.set(count.get() + 1);
            });
        },
    );
    black_box(count.get());
    let m = Mutex::new(0u64);
    g.bench_function(BenchmarkId::new("acquire_release", "std"), |b| {
        b.iter(|| *m.lock().unwrap() += 1);
    });
    let pm = parking_lot::Mutex::new(0u64);
    g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
        b.iter(|| *pm.lock() += 1);
    });

    // `allow_threads(|| ())`: release + re-acquire + bookkeeping.
    for (name, policy) in POLICIES {
        let gil = gil_bench::gil(policy, INTERVAL);
        let mut guard = gil.acquire();
        g.bench_function(BenchmarkId::new("allow_threads", name), |b| {
            b.iter(|| guard.allow_threads(|| black_box(())));
        });
    }
    let mut guard = ft.acquire();
    g.bench_function(
        BenchmarkId::new("allow_threads", "gil_free_threaded"),
        |b| {
            b.iter(|| guard.allow_threads(|| black_box(())));
        },
    );
    drop(guard);
    let mut held = Some(m.lock().unwrap());
    g.bench_function(BenchmarkId::new("allow_threads", "std"), |b| {
        b.iter(|| {
            drop(held.take());
            black_box(());
            held = Some(m.lock().unwrap());
        });
    });
    drop(held);
    let mut guard = pm.lock();
    g.bench_function(BenchmarkId::new("allow_threads", "parking_lot"), |b| {
        b.iter(|| parking_lot::MutexGuard::unlocked(&mut guard, || black_box(())));
    });
    drop(guard);
    g.finish();
}

/// Hand-off latency: two threads take turns; one round trip is two hand-offs
/// (holder releases → the waiter runs, twice).
fn pingpong(c: &mut Criterion) {
    let mut g = common::pingpong_group(c);
    for (name, policy) in POLICIES {
        g.bench_function(BenchmarkId::new("handoff", name), |b| {
            b.iter_custom(|iters| {
                // The turn is only touched with the GIL held; the GIL orders it.
                let shared = (gil_bench::gil(policy, INTERVAL), AtomicU64::new(0));
                common::pingpong(iters, shared, |(gil, turn), me, rounds| {
                    let me = u64::from(me);
                    let mut done = 0;
                    while done < rounds {
                        let guard = gil.acquire();
                        if turn.load(Relaxed) == me {
                            turn.store(1 - me, Relaxed);
                            done += 1;
                        }
                        drop(guard);
                    }
                })
            });
        });
    }
    g.bench_function(BenchmarkId::new("handoff", "std"), |b| {
        b.iter_custom(|iters| {
            let shared = (Mutex::new(0u32), Condvar::new());
            common::pingpong(iters, shared, common::std_turns)
        });
    });
    g.bench_function(BenchmarkId::new("handoff", "parking_lot"), |b| {
        b.iter_custom(|iters| {
            let shared = (parking_lot::Mutex::new(0u32), parking_lot::Condvar::new());
            common::pingpong(iters, shared, common::parking_lot_turns)
        });
    });
    g.finish();
}

/// `check()` while another thread waits for the GIL behind a long switch interval.
fn check_waiter_queued(g: &mut BenchmarkGroup<'_, WallTime>) {
    let gil = gil_bench::gil(Policy::Fair, Duration::from_hours(1));
    let mut guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        thread::spawn(move || drop(gil.acquire()))
    };
    while gil.waiters() == 0 {
        thread::yield_now();
    }
    g.bench_function(BenchmarkId::new("check_waiter_queued", "gil_fair"), |b| {
        b.iter(|| black_box(guard.check().is_ok()));
    });
    drop(guard);
    waiter.join().unwrap();
}

/// N threads on one GIL (or mutex): a work unit per acquire, or many under one hold.
fn contended(c: &mut Criterion) {
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        if threads == 2 {
            check_waiter_queued(&mut g);
        }
        for (name, policy) in POLICIES {
            g.bench_function(BenchmarkId::new("acquire_release", name), |b| {
                b.iter_custom(|iters| {
                    // The counter is only touched with the GIL held; the GIL orders it.
                    let shared = (gil_bench::gil(policy, INTERVAL), AtomicU64::new(0));
                    common::contended(threads, iters, shared, |(gil, n)| {
                        let guard = gil.acquire();
                        n.store(work_unit(n.load(Relaxed)), Relaxed);
                        drop(guard);
                    })
                });
            });
        }
        g.bench_function(BenchmarkId::new("acquire_release", "std"), |b| {
            b.iter_custom(|iters| {
                common::contended(threads, iters, Mutex::new(0u64), |m| {
                    let mut n = m.lock().unwrap();
                    *n = work_unit(*n);
                })
            });
        });
        g.bench_function(BenchmarkId::new("acquire_release", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                common::contended(threads, iters, parking_lot::Mutex::new(0u64), |m| {
                    let mut n = m.lock();
                    *n = work_unit(*n);
                })
            });
        });
        let per_thread = |iters: u64| iters.div_ceil(threads as u64);
        for (name, policy) in POLICIES {
            g.bench_function(BenchmarkId::new("work_check", name), |b| {
                b.iter_custom(|iters| {
                    let shared = (gil_bench::gil(policy, INTERVAL), AtomicU64::new(0));
                    common::run_threads(threads, per_thread(iters), shared, |(gil, n), _, k| {
                        let mut guard = gil.acquire();
                        for _ in 0..k {
                            n.store(work_unit(n.load(Relaxed)), Relaxed);
                            guard.check().unwrap();
                        }
                        drop(guard);
                    })
                });
            });
        }
        g.bench_function(BenchmarkId::new("work_check", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                let shared = parking_lot::Mutex::new(0u64);
                common::run_threads(threads, per_thread(iters), shared, |m, _, k| {
                    let mut n = m.lock();
                    for _ in 0..k {
                        *n = work_unit(*n);
                        parking_lot::MutexGuard::bump(&mut n);
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
