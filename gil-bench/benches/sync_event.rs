//! gil-sync's `Event`: uncontended `is_set`, `set` + `clear` and `wait` on a set event,
//! two-thread set/wait latency and N threads waiting on a set event, next to the std and
//! `parking_lot` builds of an event (a `bool` under a `Mutex` + `Condvar`; neither library
//! has one) in the same groups. The scenarios mirror `d.event.*` of
//! `gil-bench/python/anchors/d_primitives.py`; no GIL is involved.
//!
//! `cargo bench -p gil-bench --bench sync_event` (about 1 minute); add `-- uncontended`,
//! `-- pingpong` or `-- '^contended'` for one kind. Groups and ids (`common` explains the
//! scheme), each with `{gil_sync, std, parking_lot}`:
//!
//! - `uncontended/is_set/*`, `uncontended/set_clear/*`, `uncontended/wait_on_set/*`
//!   (`d.event.*`).
//! - `pingpong/set_wait_clear/*`: two events; one thread sets `ping` and waits for `pong`,
//!   the other waits for `ping` and sets `pong`, each clearing what it waited for
//!   (`d.event.pingpong`).
//! - `contended/<threads>/wait_on_set/*`: every thread calls `wait` on one set event (the
//!   read side of an event many threads poll).
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

mod common;

use std::hint::black_box;

use common::{PlFlag, StdFlag};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gil_sync::Event;

fn uncontended(c: &mut Criterion) {
    let mut g = common::uncontended(c);
    let ev = Event::new();
    let sf = StdFlag::default();
    let pf = PlFlag::default();
    g.bench_function(BenchmarkId::new("is_set", "gil_sync"), |b| {
        b.iter(|| black_box(ev.is_set()));
    });
    g.bench_function(BenchmarkId::new("is_set", "std"), |b| {
        b.iter(|| black_box(sf.is_set()));
    });
    g.bench_function(BenchmarkId::new("is_set", "parking_lot"), |b| {
        b.iter(|| black_box(pf.is_set()));
    });
    g.bench_function(BenchmarkId::new("set_clear", "gil_sync"), |b| {
        b.iter(|| {
            ev.set();
            ev.clear();
        });
    });
    g.bench_function(BenchmarkId::new("set_clear", "std"), |b| {
        b.iter(|| {
            sf.set();
            sf.clear();
        });
    });
    g.bench_function(BenchmarkId::new("set_clear", "parking_lot"), |b| {
        b.iter(|| {
            pf.set();
            pf.clear();
        });
    });
    ev.set();
    sf.set();
    pf.set();
    g.bench_function(BenchmarkId::new("wait_on_set", "gil_sync"), |b| {
        b.iter(|| black_box(ev.wait()));
    });
    g.bench_function(BenchmarkId::new("wait_on_set", "std"), |b| {
        b.iter(|| sf.wait());
    });
    g.bench_function(BenchmarkId::new("wait_on_set", "parking_lot"), |b| {
        b.iter(|| pf.wait());
    });
    g.finish();
}

/// The part of an event the ping-pong uses, so one body serves all three implementations.
trait Flag: Default + Send + Sync + 'static {
    fn set(&self);
    fn wait(&self);
    fn clear(&self);
}

impl Flag for Event {
    fn set(&self) {
        Event::set(self);
    }
    fn wait(&self) {
        Event::wait(self);
    }
    fn clear(&self) {
        Event::clear(self);
    }
}

impl Flag for StdFlag {
    fn set(&self) {
        StdFlag::set(self);
    }
    fn wait(&self) {
        StdFlag::wait(self);
    }
    fn clear(&self) {
        StdFlag::clear(self);
    }
}

impl Flag for PlFlag {
    fn set(&self) {
        PlFlag::set(self);
    }
    fn wait(&self) {
        PlFlag::wait(self);
    }
    fn clear(&self) {
        PlFlag::clear(self);
    }
}

/// `rounds` round trips: thread 0 sets `there` and waits for `back`, thread 1 answers.
fn set_wait_clear<F: Flag>((there, back): &(F, F), me: u32, rounds: u64) {
    for _ in 0..rounds {
        if me == 0 {
            there.set();
            back.wait();
            back.clear();
        } else {
            there.wait();
            there.clear();
            back.set();
        }
    }
}

fn pingpong(c: &mut Criterion) {
    let mut g = common::pingpong_group(c);
    g.bench_function(BenchmarkId::new("set_wait_clear", "gil_sync"), |b| {
        b.iter_custom(|iters| {
            common::pingpong(iters, <(Event, Event)>::default(), set_wait_clear::<Event>)
        });
    });
    g.bench_function(BenchmarkId::new("set_wait_clear", "std"), |b| {
        b.iter_custom(|iters| {
            common::pingpong(
                iters,
                <(StdFlag, StdFlag)>::default(),
                set_wait_clear::<StdFlag>,
            )
        });
    });
    g.bench_function(BenchmarkId::new("set_wait_clear", "parking_lot"), |b| {
        b.iter_custom(|iters| {
            common::pingpong(
                iters,
                <(PlFlag, PlFlag)>::default(),
                set_wait_clear::<PlFlag>,
            )
        });
    });
    g.finish();
}

fn contended(c: &mut Criterion) {
    for threads in common::THREADS {
        let mut g = common::contended_group(c, threads);
        g.bench_function(BenchmarkId::new("wait_on_set", "gil_sync"), |b| {
            b.iter_custom(|iters| {
                let ev = Event::new();
                ev.set();
                common::contended(threads, iters, ev, |ev| {
                    black_box(ev.wait());
                })
            });
        });
        g.bench_function(BenchmarkId::new("wait_on_set", "std"), |b| {
            b.iter_custom(|iters| {
                let sf = StdFlag::default();
                sf.set();
                common::contended(threads, iters, sf, StdFlag::wait)
            });
        });
        g.bench_function(BenchmarkId::new("wait_on_set", "parking_lot"), |b| {
            b.iter_custom(|iters| {
                let pf = PlFlag::default();
                pf.set();
                common::contended(threads, iters, pf, PlFlag::wait)
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
