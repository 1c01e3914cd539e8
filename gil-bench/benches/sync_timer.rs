//! gil-sync's `Timer`: the cost of a timer's life, next to a std thread doing the same
//! (`parking_lot` has no timer). Both are dominated by creating and ending an OS thread
//! (compare the `thread` bench). No GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_timer` (about 10 s). Groups and ids (`common` explains
//! the scheme; one timer at a time, so there is only `uncontended`):
//!
//! - `uncontended/fire_join/{gil_sync, std}`: a zero-delay timer created, started, fired and
//!   joined (Python: `t = Timer(0, f); t.start(); t.join()`); `std` is
//!   `thread::spawn(|| { sleep(0); f() }).join()`.
//! - `uncontended/start_cancel_join/{gil_sync, std}`: a timer with an endless interval
//!   created, started, cancelled and joined; `std` is a thread waiting on a channel with a
//!   long timeout, cancelled by a send.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std"
)]

mod common;

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_sync::Timer;

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    g.bench_function(BenchmarkId::new("fire_join", "gil_sync"), |b| {
        b.iter(|| {
            let timer = Timer::new(Duration::ZERO, || black_box(()));
            timer.start().unwrap();
            timer.join().unwrap();
        });
    });
    g.bench_function(BenchmarkId::new("fire_join", "std"), |b| {
        b.iter(|| {
            thread::spawn(|| {
                thread::sleep(Duration::ZERO);
                black_box(());
            })
            .join()
            .unwrap();
        });
    });
    g.bench_function(BenchmarkId::new("start_cancel_join", "gil_sync"), |b| {
        b.iter(|| {
            let timer = Timer::new(Duration::MAX, || black_box(()));
            timer.start().unwrap();
            timer.cancel();
            timer.join().unwrap();
        });
    });
    g.bench_function(BenchmarkId::new("start_cancel_join", "std"), |b| {
        b.iter(|| {
            let (cancel, cancelled) = mpsc::channel::<()>();
            let t = thread::spawn(move || {
                if cancelled.recv_timeout(Duration::from_hours(1)).is_err() {
                    black_box(());
                }
            });
            cancel.send(()).unwrap();
            t.join().unwrap();
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = uncontended
}
criterion_main!(benches);
