//! gil-core's `GilCell`: one borrow under a held guard, next to `RefCell` (what
//! single-threaded code would use) and, for the mutable borrow, next to std and `parking_lot`
//! `Mutex` lock + unlock (what the free-threaded mode has to compete with), in the same groups.
//!
//! `cargo bench -p gil-bench --bench core_cell` (about 20 s); add `-- borrow_mut` or
//! `-- 'borrow/'` for one operation. Groups and ids (`common` explains the scheme; the
//! implementations are `gil_cell_fair`, `gil_cell_cpython`, `gil_cell_free_threaded` — a
//! `GilCell<u64>` of a [`gil_core::Gil`] with that policy or mode, 5 ms switch interval — and
//! the baselines `refcell`, `std_mutex`, `parking_lot_mutex`, named by type since two std
//! types take part):
//!
//! - `uncontended/borrow/{refcell, gil_cell_fair, gil_cell_cpython}`: shared borrow, read the
//!   value through it, drop. Goal (issue #15): the GIL rows within 2x of `refcell`.
//! - `uncontended/borrow_mut/{refcell, gil_cell_fair, gil_cell_free_threaded, std_mutex,
//!   parking_lot_mutex}`: mutable borrow, increment, drop (the `Mutex` rows: lock, increment,
//!   unlock). Goal: `gil_cell_free_threaded` within 1.5x of `parking_lot_mutex`.
//!
//! Every row takes its cell (or mutex) through `black_box` each iteration, so the compiler
//! can neither hoist the borrow out of the loop nor merge one iteration's release with the
//! next one's borrow, and hands the value to `black_box` while the borrow (lock) is held, so
//! the borrow's bookkeeping really happens: without that, the compiler deletes `RefCell`'s
//! two flag writes in `borrow_mut` (nothing reads the flag between them), and `refcell`
//! would time a flag test and an increment. The guard is acquired once, outside the timed
//! loop. The third figure of issue #15, `check()` with nothing due within 2x of a relaxed
//! load, is `uncontended/check/*` in `core_gil`.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "benchmarks compare against std primitives; `common` runs real std threads"
)]

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_core::{Gil, GilCell, Mode, Policy};

/// The policies of an enabled GIL, with their bench id.
const POLICIES: [(&str, Policy); 2] = [
    ("gil_cell_fair", Policy::Fair),
    ("gil_cell_cpython", Policy::CPython),
];

/// The switch interval of every enabled GIL here (CPython's default; nothing waits, so it
/// never comes due).
const INTERVAL: Duration = Duration::from_millis(5);

fn free_threaded() -> Gil {
    Gil::builder().mode(Mode::FreeThreaded).build().unwrap()
}

/// Shared borrow + read + drop.
fn borrow(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let cell = RefCell::new(0u64);
    g.bench_function(BenchmarkId::new("borrow", "refcell"), |b| {
        b.iter(|| {
            let r = black_box(&cell).borrow();
            black_box(*r);
        });
    });
    for (name, policy) in POLICIES {
        let gil = gil_bench::gil(policy, INTERVAL);
        let cell = GilCell::new(&gil, 0u64);
        let guard = gil.acquire();
        g.bench_function(BenchmarkId::new("borrow", name), |b| {
            b.iter(|| {
                let r = black_box(&cell).borrow(&guard);
                black_box(*r);
            });
        });
        drop(guard);
    }
    g.finish();
}

/// Mutable borrow + increment + drop; lock + increment + unlock.
fn borrow_mut(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let cell = RefCell::new(0u64);
    g.bench_function(BenchmarkId::new("borrow_mut", "refcell"), |b| {
        b.iter(|| {
            let mut r = black_box(&cell).borrow_mut();
            *r += 1;
            black_box(&*r);
        });
    });
    let fair = gil_bench::gil(Policy::Fair, INTERVAL);
    let ft = free_threaded();
    for (name, gil) in [("gil_cell_fair", &fair), ("gil_cell_free_threaded", &ft)] {
        let cell = GilCell::new(gil, 0u64);
        let guard = gil.acquire();
        g.bench_function(BenchmarkId::new("borrow_mut", name), |b| {
            b.iter(|| {
                let mut r = black_box(&cell).borrow_mut(&guard);
                *r += 1;
                black_box(&*r);
            });
        });
        drop(guard);
    }
    let m = Mutex::new(0u64);
    g.bench_function(BenchmarkId::new("borrow_mut", "std_mutex"), |b| {
        b.iter(|| {
            let mut n = black_box(&m).lock().unwrap();
            *n += 1;
            black_box(&*n);
        });
    });
    let pm = parking_lot::Mutex::new(0u64);
    g.bench_function(BenchmarkId::new("borrow_mut", "parking_lot_mutex"), |b| {
        b.iter(|| {
            let mut n = black_box(&pm).lock();
            *n += 1;
            black_box(&*n);
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = borrow, borrow_mut
}
criterion_main!(benches);
