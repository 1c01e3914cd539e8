//! gil-core: `check()` cost, uncontended acquire, `allow_threads` round trip, and GIL
//! hand-off latency next to std and `parking_lot` `Mutex` + `Condvar`.
//!
//! `cargo bench -p gil-bench --bench core_gil` (or `cargo xtask bench`).
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "benchmarks run on real std threads and compare against std primitives"
)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gil_core::{Gil, Policy};

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

/// `check()` with nobody waiting, against the loop it must stay within 2x of: a relaxed load.
fn check(c: &mut Criterion) {
    let mut g = c.benchmark_group("check/uncontended");
    let word = AtomicU32::new(0);
    g.bench_function("relaxed_load", |b| {
        b.iter(|| black_box(word.load(Relaxed) != 0));
    });
    let gil = Gil::new();
    let guard = gil.acquire();
    g.bench_function("gil_check", |b| b.iter(|| black_box(guard.check())));
    g.finish();
}

/// `check()` while another thread waits for the GIL behind a long switch interval (so the
/// waiter's drop request is not yet due: the common case for a holder mid-slice).
fn check_with_waiter(c: &mut Criterion) {
    let mut g = c.benchmark_group("check/with_waiter");
    let gil = gil_bench::gil(Policy::Fair, Duration::from_hours(1));
    let guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        thread::spawn(move || drop(gil.acquire()))
    };
    while gil.waiters() == 0 {
        thread::yield_now();
    }
    g.bench_function("gil_check", |b| b.iter(|| black_box(guard.check())));
    g.finish();
    drop(guard);
    waiter.join().unwrap();
}

/// Uncontended acquire + release.
fn acquire(c: &mut Criterion) {
    let mut g = c.benchmark_group("acquire/uncontended");
    let m = Mutex::new(0u64);
    g.bench_function("std_mutex", |b| b.iter(|| *m.lock().unwrap() += 1));
    let pm = parking_lot::Mutex::new(0u64);
    g.bench_function("parking_lot_mutex", |b| b.iter(|| *pm.lock() += 1));
    for (name, policy) in [("gil_fair", Policy::Fair), ("gil_cpython", Policy::CPython)] {
        let gil = gil_bench::gil(policy, Duration::from_millis(5));
        g.bench_function(name, |b| b.iter(|| drop(black_box(gil.acquire()))));
    }
    let ft = Gil::builder()
        .mode(gil_core::Mode::FreeThreaded)
        .build()
        .unwrap();
    g.bench_function("gil_free_threaded", |b| {
        b.iter(|| drop(black_box(ft.acquire())));
    });
    g.finish();
}

/// `allow_threads(|| ())` with nobody waiting: release + re-acquire + bookkeeping.
fn allow_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("allow_threads/uncontended");
    for (name, policy) in [("gil_fair", Policy::Fair), ("gil_cpython", Policy::CPython)] {
        let gil = gil_bench::gil(policy, Duration::from_millis(5));
        let mut guard = gil.acquire();
        g.bench_function(name, |b| b.iter(|| guard.allow_threads(|| black_box(()))));
    }
    let ft = Gil::builder()
        .mode(gil_core::Mode::FreeThreaded)
        .build()
        .unwrap();
    let mut guard = ft.acquire();
    g.bench_function("gil_free_threaded", |b| {
        b.iter(|| guard.allow_threads(|| black_box(())));
    });
    g.finish();
}

/// Runs `rounds` round trips of a two-thread ping-pong where `side(me, rounds)` is each
/// thread's loop, and returns the time from the start barrier to both threads finishing.
fn pingpong(rounds: u64, side: impl Fn(u32, u64) + Send + Sync + 'static) -> Duration {
    let side = Arc::new(side);
    let start = Arc::new(Barrier::new(2));
    let other = {
        let (side, start) = (Arc::clone(&side), Arc::clone(&start));
        thread::spawn(move || {
            start.wait();
            side(1, rounds);
        })
    };
    start.wait();
    let t0 = Instant::now();
    side(0, rounds);
    other.join().unwrap();
    t0.elapsed()
}

/// Hand-off latency: two threads take turns; one round trip is two hand-offs
/// (holder releases → the waiter runs, twice).
fn handoff(c: &mut Criterion) {
    let mut g = c.benchmark_group("handoff/pingpong");
    g.bench_function("std_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
            pingpong(iters, move |me, rounds| {
                let (m, cv) = &*pair;
                for _ in 0..rounds {
                    let mut turn = m.lock().unwrap();
                    while *turn != me {
                        turn = cv.wait(turn).unwrap();
                    }
                    *turn = 1 - me;
                    cv.notify_one();
                }
            })
        });
    });
    g.bench_function("parking_lot_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            let pair = Arc::new((parking_lot::Mutex::new(0u32), parking_lot::Condvar::new()));
            pingpong(iters, move |me, rounds| {
                let (m, cv) = &*pair;
                for _ in 0..rounds {
                    let mut turn = m.lock();
                    while *turn != me {
                        cv.wait(&mut turn);
                    }
                    *turn = 1 - me;
                    cv.notify_one();
                }
            })
        });
    });
    for (name, policy) in [("gil_fair", Policy::Fair), ("gil_cpython", Policy::CPython)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let gil = gil_bench::gil(policy, Duration::from_millis(5));
                // Only touched with the GIL held; the GIL orders it.
                let turn = Arc::new(AtomicU64::new(0));
                pingpong(iters, move |me, rounds| {
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
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = check, check_with_waiter, acquire, allow_threads, handoff
}
criterion_main!(benches);
