//! gil-sync: uncontended costs, two-thread ping-pong latency and contended throughput of
//! `Lock`, `RLock`, `Semaphore`, `Event` and `Condition`, next to std and `parking_lot`
//! equivalents in the same group. The scenarios mirror `shared/anchors/d_primitives.py`.
//!
//! `cargo bench -p gil-bench --bench sync_primitives` (about 2 minutes).
//!
//! Where std has no such primitive, the baseline is the textbook `Mutex` + `Condvar` build of
//! it (a flag or a counter under the mutex), which is what a Rust program would write.
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    missing_docs,
    reason = "baselines: benchmarks run on real std threads and compare against std primitives"
)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use gil_sync::{BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore};

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}

/// A group for benches that run threads: fewer samples, a little more time.
fn threaded_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .measurement_time(Duration::from_millis(1500));
    g
}

// ---------------------------------------------------------------------------------------------
// std / parking_lot equivalents of the Python primitives

/// A flag under a std `Mutex` + `Condvar`: an `Event` (`set` wakes all) or, with `take`, a
/// binary semaphore (`give` wakes one).
#[derive(Default)]
struct StdFlag {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl StdFlag {
    fn is_set(&self) -> bool {
        *self.flag.lock().unwrap()
    }
    fn set(&self) {
        *self.flag.lock().unwrap() = true;
        self.cv.notify_all();
    }
    fn clear(&self) {
        *self.flag.lock().unwrap() = false;
    }
    fn wait(&self) {
        let mut f = self.flag.lock().unwrap();
        while !*f {
            f = self.cv.wait(f).unwrap();
        }
    }
    /// Lock-style release: raise the flag, wake one.
    fn give(&self) {
        *self.flag.lock().unwrap() = true;
        self.cv.notify_one();
    }
    /// Lock-style acquire: wait for the flag and lower it.
    fn take(&self) {
        let mut f = self.flag.lock().unwrap();
        while !*f {
            f = self.cv.wait(f).unwrap();
        }
        *f = false;
    }
}

/// [`StdFlag`] on `parking_lot`.
#[derive(Default)]
struct PlFlag {
    flag: parking_lot::Mutex<bool>,
    cv: parking_lot::Condvar,
}

impl PlFlag {
    fn is_set(&self) -> bool {
        *self.flag.lock()
    }
    fn set(&self) {
        *self.flag.lock() = true;
        self.cv.notify_all();
    }
    fn clear(&self) {
        *self.flag.lock() = false;
    }
    fn wait(&self) {
        let mut f = self.flag.lock();
        while !*f {
            self.cv.wait(&mut f);
        }
    }
    fn give(&self) {
        *self.flag.lock() = true;
        self.cv.notify_one();
    }
    fn take(&self) {
        let mut f = self.flag.lock();
        while !*f {
            self.cv.wait(&mut f);
        }
        *f = false;
    }
}

/// A counting semaphore under a std `Mutex` + `Condvar`.
struct StdSem {
    value: Mutex<u32>,
    cv: Condvar,
}

impl StdSem {
    fn new(value: u32) -> Self {
        Self {
            value: Mutex::new(value),
            cv: Condvar::new(),
        }
    }
    fn acquire(&self) {
        let mut v = self.value.lock().unwrap();
        while *v == 0 {
            v = self.cv.wait(v).unwrap();
        }
        *v -= 1;
    }
    fn release(&self) {
        *self.value.lock().unwrap() += 1;
        self.cv.notify_one();
    }
}

/// [`StdSem`] on `parking_lot`.
struct PlSem {
    value: parking_lot::Mutex<u32>,
    cv: parking_lot::Condvar,
}

impl PlSem {
    fn new(value: u32) -> Self {
        Self {
            value: parking_lot::Mutex::new(value),
            cv: parking_lot::Condvar::new(),
        }
    }
    fn acquire(&self) {
        let mut v = self.value.lock();
        while *v == 0 {
            self.cv.wait(&mut v);
        }
        *v -= 1;
    }
    fn release(&self) {
        *self.value.lock() += 1;
        self.cv.notify_one();
    }
}

// ---------------------------------------------------------------------------------------------
// uncontended

/// Lock acquire + release (`d.lock.acquire_release`).
fn uncontended_lock(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended/lock");
    let lock = Lock::new();
    g.bench_function("gil_sync_lock", |b| {
        b.iter(|| drop(black_box(lock.acquire())));
    });
    let m = Mutex::new(());
    g.bench_function("std_mutex", |b| {
        b.iter(|| drop(black_box(m.lock().unwrap())));
    });
    let pm = parking_lot::Mutex::new(());
    g.bench_function("parking_lot_mutex", |b| {
        b.iter(|| drop(black_box(pm.lock())));
    });
    g.finish();
}

/// `RLock` acquire + release (`d.rlock.acquire_release`) and re-entry at depth 2
/// (`d.rlock.reentrant_depth2`).
fn uncontended_rlock(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended/rlock");
    let rlock = RLock::new();
    g.bench_function("gil_sync_rlock", |b| {
        b.iter(|| drop(black_box(rlock.acquire())));
    });
    let pr = parking_lot::ReentrantMutex::new(());
    g.bench_function("parking_lot_reentrant", |b| {
        b.iter(|| drop(black_box(pr.lock())));
    });
    {
        let outer = rlock.acquire();
        g.bench_function("gil_sync_rlock_depth2", |b| {
            b.iter(|| drop(black_box(rlock.acquire())));
        });
        drop(outer);
    }
    {
        let outer = pr.lock();
        g.bench_function("parking_lot_reentrant_depth2", |b| {
            b.iter(|| drop(black_box(pr.lock())));
        });
        drop(outer);
    }
    g.finish();
}

/// Semaphore(1) acquire + release (`d.semaphore.acquire_release`,
/// `d.bounded_semaphore.acquire_release`).
fn uncontended_semaphore(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended/semaphore");
    let gil_sem = Semaphore::new(1);
    g.bench_function("gil_sync_semaphore", |b| {
        b.iter(|| drop(black_box(gil_sem.acquire())));
    });
    let gil_bounded = BoundedSemaphore::new(1);
    g.bench_function("gil_sync_bounded_semaphore", |b| {
        b.iter(|| drop(black_box(gil_bounded.acquire())));
    });
    let std_sem = StdSem::new(1);
    g.bench_function("std_mutex_condvar", |b| {
        b.iter(|| {
            std_sem.acquire();
            std_sem.release();
        });
    });
    let pl_sem = PlSem::new(1);
    g.bench_function("parking_lot_mutex_condvar", |b| {
        b.iter(|| {
            pl_sem.acquire();
            pl_sem.release();
        });
    });
    g.finish();
}

/// Event `is_set`, `set`+`clear`, `wait` on a set event (`d.event.*`).
fn uncontended_event(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended/event");
    let ev = Event::new();
    let sf = StdFlag::default();
    let pf = PlFlag::default();
    g.bench_function("is_set/gil_sync_event", |b| {
        b.iter(|| black_box(ev.is_set()));
    });
    g.bench_function("is_set/std_mutex_condvar", |b| {
        b.iter(|| black_box(sf.is_set()));
    });
    g.bench_function("is_set/parking_lot_mutex_condvar", |b| {
        b.iter(|| black_box(pf.is_set()));
    });
    g.bench_function("set_clear/gil_sync_event", |b| {
        b.iter(|| {
            ev.set();
            ev.clear();
        });
    });
    g.bench_function("set_clear/std_mutex_condvar", |b| {
        b.iter(|| {
            sf.set();
            sf.clear();
        });
    });
    g.bench_function("set_clear/parking_lot_mutex_condvar", |b| {
        b.iter(|| {
            pf.set();
            pf.clear();
        });
    });
    ev.set();
    sf.set();
    pf.set();
    g.bench_function("wait_on_set/gil_sync_event", |b| {
        b.iter(|| black_box(ev.wait()));
    });
    g.bench_function("wait_on_set/std_mutex_condvar", |b| b.iter(|| sf.wait()));
    g.bench_function("wait_on_set/parking_lot_mutex_condvar", |b| {
        b.iter(|| pf.wait());
    });
    g.finish();
}

/// `with c: c.notify()` with nobody waiting (`d.condition.notify_no_waiter`).
fn uncontended_condition(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended/condition_notify_no_waiter");
    let plain_cond = Condition::with_lock(Arc::new(Lock::new()));
    g.bench_function("gil_sync_condition_lock", |b| {
        b.iter(|| {
            let guard = plain_cond.acquire();
            plain_cond.notify(1).unwrap();
            drop(guard);
        });
    });
    let default_cond = Condition::new();
    g.bench_function("gil_sync_condition_rlock", |b| {
        b.iter(|| {
            let guard = default_cond.acquire();
            default_cond.notify(1).unwrap();
            drop(guard);
        });
    });
    let (m, cv) = (Mutex::new(()), Condvar::new());
    g.bench_function("std_mutex_condvar", |b| {
        b.iter(|| {
            let guard = m.lock().unwrap();
            cv.notify_one();
            drop(guard);
        });
    });
    let (pm, pcv) = (parking_lot::Mutex::new(()), parking_lot::Condvar::new());
    g.bench_function("parking_lot_mutex_condvar", |b| {
        b.iter(|| {
            let guard = pm.lock();
            pcv.notify_one();
            drop(guard);
        });
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// ping-pong

/// Runs `rounds` round trips of a two-thread ping-pong where `side(me, rounds)` is each
/// thread's loop (the partner is spawned once per measurement batch), and returns the time
/// from the start barrier to both threads finishing.
fn pingpong<S: Send + Sync + 'static>(rounds: u64, shared: S, side: fn(&S, u32, u64)) -> Duration {
    let shared = Arc::new(shared);
    let start = Arc::new(Barrier::new(2));
    let other = {
        let (shared, start) = (Arc::clone(&shared), Arc::clone(&start));
        thread::spawn(move || {
            start.wait();
            side(&shared, 1, rounds);
        })
    };
    start.wait();
    let t0 = Instant::now();
    side(&shared, 0, rounds);
    other.join().unwrap();
    t0.elapsed()
}

/// Condition ping-pong with a turn variable (`d.condition.pingpong`).
fn pingpong_condition(c: &mut Criterion) {
    fn gil_side(cond: &(Condition, AtomicU32), me: u32, rounds: u64) {
        let (cond, turn) = cond;
        for _ in 0..rounds {
            let guard = cond.acquire();
            // Only touched with the condition's lock held; the lock orders it.
            while turn.load(Relaxed) != me {
                cond.wait().unwrap();
            }
            turn.store(1 - me, Relaxed);
            cond.notify(1).unwrap();
            drop(guard);
        }
    }
    let mut g = threaded_group(c, "pingpong/condition");
    g.bench_function("gil_sync_condition_lock", |b| {
        b.iter_custom(|iters| {
            let shared = (
                Condition::with_lock(Arc::new(Lock::new())),
                AtomicU32::new(0),
            );
            pingpong(iters, shared, gil_side)
        });
    });
    g.bench_function("gil_sync_condition_rlock", |b| {
        b.iter_custom(|iters| pingpong(iters, (Condition::new(), AtomicU32::new(0)), gil_side));
    });
    g.bench_function("std_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (Mutex::new(0u32), Condvar::new()),
                |(m, cv), me, rounds| {
                    for _ in 0..rounds {
                        let mut turn = m.lock().unwrap();
                        while *turn != me {
                            turn = cv.wait(turn).unwrap();
                        }
                        *turn = 1 - me;
                        cv.notify_one();
                    }
                },
            )
        });
    });
    g.bench_function("parking_lot_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (parking_lot::Mutex::new(0u32), parking_lot::Condvar::new()),
                |(m, cv), me, rounds| {
                    for _ in 0..rounds {
                        let mut turn = m.lock();
                        while *turn != me {
                            cv.wait(&mut turn);
                        }
                        *turn = 1 - me;
                        cv.notify_one();
                    }
                },
            )
        });
    });
    g.finish();
}

/// Two locks, each released by the other thread (`d.lock.handoff_pingpong`).
fn pingpong_lock_handoff(c: &mut Criterion) {
    let mut g = threaded_group(c, "pingpong/lock_handoff");
    g.bench_function("gil_sync_lock", |b| {
        b.iter_custom(|iters| {
            let (a, bl) = (Lock::new(), Lock::new());
            a.acquire().leak();
            bl.acquire().leak();
            pingpong(iters, (a, bl), |(a, b), me, rounds| {
                for _ in 0..rounds {
                    if me == 0 {
                        a.release().unwrap(); // ping
                        b.acquire().leak(); // wait for pong
                    } else {
                        a.acquire().leak(); // wait for ping
                        b.release().unwrap(); // pong
                    }
                }
            })
        });
    });
    g.bench_function("std_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (StdFlag::default(), StdFlag::default()),
                |(a, b), me, rounds| {
                    for _ in 0..rounds {
                        if me == 0 {
                            a.give();
                            b.take();
                        } else {
                            a.take();
                            b.give();
                        }
                    }
                },
            )
        });
    });
    g.bench_function("parking_lot_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (PlFlag::default(), PlFlag::default()),
                |(a, b), me, rounds| {
                    for _ in 0..rounds {
                        if me == 0 {
                            a.give();
                            b.take();
                        } else {
                            a.take();
                            b.give();
                        }
                    }
                },
            )
        });
    });
    g.finish();
}

/// Two events set/wait/clear (`d.event.pingpong`).
fn pingpong_event(c: &mut Criterion) {
    let mut g = threaded_group(c, "pingpong/event");
    g.bench_function("gil_sync_event", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (Event::new(), Event::new()),
                |(ping, pong), me, rounds| {
                    for _ in 0..rounds {
                        if me == 0 {
                            ping.set();
                            pong.wait();
                            pong.clear();
                        } else {
                            ping.wait();
                            ping.clear();
                            pong.set();
                        }
                    }
                },
            )
        });
    });
    g.bench_function("std_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (StdFlag::default(), StdFlag::default()),
                |(ping, pong), me, rounds| {
                    for _ in 0..rounds {
                        if me == 0 {
                            ping.set();
                            pong.wait();
                            pong.clear();
                        } else {
                            ping.wait();
                            ping.clear();
                            pong.set();
                        }
                    }
                },
            )
        });
    });
    g.bench_function("parking_lot_mutex_condvar", |b| {
        b.iter_custom(|iters| {
            pingpong(
                iters,
                (PlFlag::default(), PlFlag::default()),
                |(ping, pong), me, rounds| {
                    for _ in 0..rounds {
                        if me == 0 {
                            ping.set();
                            pong.wait();
                            pong.clear();
                        } else {
                            ping.wait();
                            ping.clear();
                            pong.set();
                        }
                    }
                },
            )
        });
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// contended

/// `threads` threads share `iters` operations `op(&shared)`; returns the wall time from the
/// start barrier to the last thread finishing (criterion divides by `iters`: time per op).
fn contended_run<S: Send + Sync + 'static>(
    threads: u64,
    iters: u64,
    shared: S,
    op: fn(&S),
) -> Duration {
    let shared = Arc::new(shared);
    let per_thread = iters.div_ceil(threads);
    let start = Arc::new(Barrier::new(usize::try_from(threads).unwrap() + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (shared, start) = (Arc::clone(&shared), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for _ in 0..per_thread {
                    op(&shared);
                }
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    for w in workers {
        w.join().unwrap();
    }
    t0.elapsed()
}

/// N threads each doing lock/unlock of one shared lock (or `Semaphore(1)`), time per op.
fn contended(c: &mut Criterion) {
    for threads in [2u64, 4] {
        let mut g = threaded_group(c, &format!("contended/{threads}"));
        g.bench_function("gil_sync_lock", |b| {
            b.iter_custom(|iters| {
                contended_run(
                    threads,
                    iters,
                    (Lock::new(), AtomicU32::new(0)),
                    |(l, n)| {
                        let guard = l.acquire();
                        n.store(n.load(Relaxed) + 1, Relaxed);
                        drop(guard);
                    },
                )
            });
        });
        g.bench_function("gil_sync_semaphore1", |b| {
            b.iter_custom(|iters| {
                contended_run(
                    threads,
                    iters,
                    (Semaphore::new(1), AtomicU32::new(0)),
                    |(s, n)| {
                        let guard = s.acquire();
                        n.store(n.load(Relaxed) + 1, Relaxed);
                        drop(guard);
                    },
                )
            });
        });
        g.bench_function("std_mutex", |b| {
            b.iter_custom(|iters| {
                contended_run(threads, iters, Mutex::new(0u32), |m| {
                    *m.lock().unwrap() += 1;
                })
            });
        });
        g.bench_function("parking_lot_mutex", |b| {
            b.iter_custom(|iters| {
                contended_run(threads, iters, parking_lot::Mutex::new(0u32), |m| {
                    *m.lock() += 1;
                })
            });
        });
        g.bench_function("std_mutex_condvar_semaphore1", |b| {
            b.iter_custom(|iters| {
                contended_run(threads, iters, StdSem::new(1), |s| {
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
    config = config();
    targets = uncontended_lock, uncontended_rlock, uncontended_semaphore, uncontended_event,
        uncontended_condition, pingpong_condition, pingpong_lock_handoff, pingpong_event,
        contended
}
criterion_main!(benches);
