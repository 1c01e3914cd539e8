//! gil-runtime: the cost of a thread's life — `Thread::start` + `join` with an empty target —
//! next to `std::thread::spawn` + `join` in the same group. Mirrors `thread_start_join` of
//! `gil-bench/python/anchors/d_primitives.py` (CPython 3.11 / 3.12 / 3.13 on this kind of machine: 121 /
//! 126 / 99 µs per thread). This VM's speed drifts; `cargo xtask harness --only start-join`
//! interleaves the variants and is the number to quote.
//!
//! `cargo bench -p gil-bench --bench runtime_thread` (about 10 s). Groups and ids (`common`
//! explains the scheme; one thread at a time, so there is only `uncontended`):
//!
//! - `uncontended/start_join/std`: `std::thread::spawn(|| {}).join()`, the floor.
//! - `uncontended/start_join/std_builder`: the same through `std::thread::Builder` with a
//!   name, which is what `Thread::start` does (naming the OS thread is one `prctl` more).
//! - `uncontended/start_join/gil_runtime{,_free_threaded}`: `rt.thread(|_| {})`, `start`,
//!   `join` on a runtime whose GIL is enabled (the target acquires it, uncontended) or
//!   free-threaded. The main thread does not hold the GIL, as in a program whose main thread
//!   only starts and joins.
//! - `uncontended/start_join/gil_runtime_main_holds_gil`: the main thread holds the GIL
//!   across `start` + `join`, as Python's main thread does; `join` releases it, and the new
//!   thread takes it.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std"
)]

mod common;

use std::thread;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_core::Mode;
use gil_runtime::Runtime;

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    g.bench_function(BenchmarkId::new("start_join", "std"), |b| {
        b.iter(|| thread::spawn(|| {}).join().unwrap());
    });
    g.bench_function(BenchmarkId::new("start_join", "std_builder"), |b| {
        b.iter(|| {
            thread::Builder::new()
                .name("Thread-1".to_owned())
                .spawn(|| {})
                .unwrap()
                .join()
                .unwrap();
        });
    });
    for (name, mode) in [
        ("gil_runtime", Mode::Enabled),
        ("gil_runtime_free_threaded", Mode::FreeThreaded),
    ] {
        let rt = Runtime::builder().mode(mode).build().unwrap();
        g.bench_function(BenchmarkId::new("start_join", name), |b| {
            b.iter(|| {
                let t = rt.thread(|_| {});
                t.start().unwrap();
                t.join().unwrap();
            });
        });
    }
    let rt = Runtime::new();
    g.bench_function(
        BenchmarkId::new("start_join", "gil_runtime_main_holds_gil"),
        |b| {
            let _guard = rt.gil().acquire();
            b.iter(|| {
                let t = rt.thread(|_| {});
                t.start().unwrap();
                t.join().unwrap();
            });
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = uncontended
}
criterion_main!(benches);
