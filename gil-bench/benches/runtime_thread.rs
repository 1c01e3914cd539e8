//! gil-runtime: the cost of a thread's life — `Thread::start` + `join` with an empty target —
//! next to `std::thread::spawn` + `join` in the same group. Mirrors `thread_start_join` of
//! `shared/anchors/d_primitives.py` (CPython 3.11 / 3.12 / 3.13 on this kind of machine: 121 /
//! 126 / 99 µs per thread).
//!
//! `cargo bench -p gil-bench --bench runtime_thread` (about 30 s).
//!
//! - `std/spawn+join`: `std::thread::spawn(|| {}).join()`, the floor.
//! - `std/builder+join`: the same through `std::thread::Builder` with a name, which is what
//!   `Thread::start` does (naming the OS thread is one `prctl` more).
//! - `runtime/<mode>`: `rt.thread(|_| {})`, `start`, `join` on a runtime whose GIL is
//!   enabled (the target acquires it, uncontended) or free-threaded. The main thread does not
//!   hold the GIL, as in a program whose main thread only starts and joins.
//! - `runtime/enabled, main holds GIL`: the main thread holds the GIL across `start`+`join`,
//!   as Python's main thread does; `join` releases it, and the new thread takes it.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std"
)]

use std::thread;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gil_core::Mode;
use gil_runtime::Runtime;

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

fn start_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("start_join");
    g.bench_function("std/spawn+join", |b| {
        b.iter(|| thread::spawn(|| {}).join().unwrap());
    });
    g.bench_function("std/builder+join", |b| {
        b.iter(|| {
            thread::Builder::new()
                .name("Thread-1".to_owned())
                .spawn(|| {})
                .unwrap()
                .join()
                .unwrap();
        });
    });
    for (label, mode) in [
        ("runtime/enabled", Mode::Enabled),
        ("runtime/free-threaded", Mode::FreeThreaded),
    ] {
        let rt = Runtime::builder().mode(mode).build().unwrap();
        g.bench_function(label, |b| {
            b.iter(|| {
                let t = rt.thread(|_| {});
                t.start().unwrap();
                t.join().unwrap();
            });
        });
    }
    let rt = Runtime::new();
    g.bench_function("runtime/enabled, main holds GIL", |b| {
        let _guard = rt.gil().acquire();
        b.iter(|| {
            let t = rt.thread(|_| {});
            t.start().unwrap();
            t.join().unwrap();
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = start_join
}
criterion_main!(benches);
