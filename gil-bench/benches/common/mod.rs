//! What every gil-bench criterion bench shares: the criterion configuration, the group
//! names, the runners for two-thread ping-pongs and N-thread contention, and the std /
//! `parking_lot` builds of Python primitives that neither library has.
//!
//! Each bench is its own crate, so each includes this module with `mod common;`.
//!
//! # Groups
//!
//! Every bench file uses the same group names, so one filter selects the same kind of
//! measurement in any file (`cargo bench -p gil-bench --bench sync_lock -- uncontended`):
//!
//! - `uncontended`: one thread, nobody else touching the primitive.
//! - `pingpong`: two threads taking turns; one iteration is one round trip (two hand-offs).
//! - `contended/<threads>` for `threads` in [`THREADS`]: all threads hammer one primitive;
//!   one iteration is one operation of one thread (criterion reports time per operation,
//!   wall time over all threads). `-- '^contended'` selects all thread counts.
//!
//! Bench ids are `<operation>/<implementation>`, the implementation being `gil_sync`
//! (or `gil_fair` / `gil_cpython` / `gil_free_threaded` for the GIL, `gil_runtime` for
//! threads), `std` or `parking_lot`. `GilCell` rows are `gil_cell_<policy or mode>`, and
//! since two std types take part there, its baselines are named by type: `refcell`,
//! `std_mutex`, `parking_lot_mutex`. Multi-thread benches use `iter_custom`: threads are
//! spawned outside the timed region and released together by a start barrier.
#![allow(
    dead_code,
    reason = "every bench binary includes this whole module and uses a part of it"
)]

use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};

/// The thread counts of the `contended/<threads>` groups (the bench machine has 2 cores, so
/// 8 is oversubscription and each of its groups runs few samples).
pub(crate) const THREADS: [usize; 3] = [2, 4, 8];

/// Short runs: about 2 s per single-thread bench and 3.5 s per threaded one (see
/// [`threaded_group`]), so the whole `cargo bench -p gil-bench` takes about 7 minutes on 2
/// cores.
pub(crate) fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}

/// The `uncontended` group.
pub(crate) fn uncontended(c: &mut Criterion) -> BenchmarkGroup<'_, WallTime> {
    c.benchmark_group("uncontended")
}

/// The `pingpong` group (two threads): fewer samples, a little more time.
pub(crate) fn pingpong_group(c: &mut Criterion) -> BenchmarkGroup<'_, WallTime> {
    threaded_group(c, "pingpong")
}

/// The `contended/<threads>` group: fewer samples, a little more time.
pub(crate) fn contended_group(c: &mut Criterion, threads: usize) -> BenchmarkGroup<'_, WallTime> {
    threaded_group(c, &format!("contended/{threads}"))
}

/// A group for benches that run threads: fewer samples, a little more time.
fn threaded_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .measurement_time(Duration::from_millis(1500));
    g
}

// ---------------------------------------------------------------------------------------------
// runners

/// Runs `rounds` round trips of a two-thread ping-pong where `side(shared, me, rounds)` is
/// each thread's loop (`me` is 0 on the calling thread, 1 on the partner, which is spawned
/// once per measurement batch), and returns the time from the start barrier to both threads
/// finishing.
pub(crate) fn pingpong<S: Send + Sync + 'static>(
    rounds: u64,
    shared: S,
    side: fn(&S, u32, u64),
) -> Duration {
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

/// The std side of a `Mutex` + `Condvar` turn-taking ping-pong, for [`pingpong`]: wait for
/// the turn counter to say `me`, pass the turn, notify. The baseline of both the GIL's
/// hand-off and `Condition`'s wait/notify.
pub(crate) fn std_turns((turn, cv): &(Mutex<u32>, Condvar), me: u32, rounds: u64) {
    for _ in 0..rounds {
        let mut t = turn.lock().unwrap();
        while *t != me {
            t = cv.wait(t).unwrap();
        }
        *t = 1 - me;
        cv.notify_one();
    }
}

/// [`std_turns`] with `parking_lot`'s `Mutex` and `Condvar`.
pub(crate) fn parking_lot_turns(
    (turn, cv): &(parking_lot::Mutex<u32>, parking_lot::Condvar),
    me: u32,
    rounds: u64,
) {
    for _ in 0..rounds {
        let mut t = turn.lock();
        while *t != me {
            cv.wait(&mut t);
        }
        *t = 1 - me;
        cv.notify_one();
    }
}

/// `threads` threads share `iters` operations `op(&shared)`; returns the wall time from the
/// start barrier to the last thread finishing (criterion divides by `iters`: time per op).
pub(crate) fn contended<S: Send + Sync + 'static>(
    threads: usize,
    iters: u64,
    shared: S,
    op: fn(&S),
) -> Duration {
    let per_thread = iters.div_ceil(threads as u64);
    run_threads(threads, per_thread, (shared, op), |(shared, op), _, n| {
        for _ in 0..n {
            op(shared);
        }
    })
}

/// Spawns `threads` threads running `body(&shared, me, per_thread)` (`me` in
/// `0..threads`), releases them together and returns the wall time from the release to the
/// last one finishing. For loops that are more than "repeat one op", such as holding a lock
/// across operations or taking turns.
pub(crate) fn run_threads<S: Send + Sync + 'static>(
    threads: usize,
    per_thread: u64,
    shared: S,
    body: fn(&S, usize, u64),
) -> Duration {
    let shared = Arc::new(shared);
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|me| {
            let (shared, start) = (Arc::clone(&shared), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                body(&shared, me, per_thread);
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

// ---------------------------------------------------------------------------------------------
// std / parking_lot equivalents of the Python primitives
//
// Where std has no such primitive, the baseline is the textbook `Mutex` + `Condvar` build of
// it (a flag or a counter under the mutex), which is what a Rust program would write.

/// A flag under a std `Mutex` + `Condvar`: an `Event` (`set` wakes all) or, with `take`, a
/// binary semaphore (`give` wakes one).
#[derive(Default)]
pub(crate) struct StdFlag {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl StdFlag {
    pub(crate) fn is_set(&self) -> bool {
        *self.flag.lock().unwrap()
    }
    pub(crate) fn set(&self) {
        *self.flag.lock().unwrap() = true;
        self.cv.notify_all();
    }
    pub(crate) fn clear(&self) {
        *self.flag.lock().unwrap() = false;
    }
    pub(crate) fn wait(&self) {
        let mut f = self.flag.lock().unwrap();
        while !*f {
            f = self.cv.wait(f).unwrap();
        }
    }
    /// Lock-style release: raise the flag, wake one.
    pub(crate) fn give(&self) {
        *self.flag.lock().unwrap() = true;
        self.cv.notify_one();
    }
    /// Lock-style acquire: wait for the flag and lower it.
    pub(crate) fn take(&self) {
        let mut f = self.flag.lock().unwrap();
        while !*f {
            f = self.cv.wait(f).unwrap();
        }
        *f = false;
    }
}

/// [`StdFlag`] on `parking_lot`.
#[derive(Default)]
pub(crate) struct PlFlag {
    flag: parking_lot::Mutex<bool>,
    cv: parking_lot::Condvar,
}

impl PlFlag {
    pub(crate) fn is_set(&self) -> bool {
        *self.flag.lock()
    }
    pub(crate) fn set(&self) {
        *self.flag.lock() = true;
        self.cv.notify_all();
    }
    pub(crate) fn clear(&self) {
        *self.flag.lock() = false;
    }
    pub(crate) fn wait(&self) {
        let mut f = self.flag.lock();
        while !*f {
            self.cv.wait(&mut f);
        }
    }
    pub(crate) fn give(&self) {
        *self.flag.lock() = true;
        self.cv.notify_one();
    }
    pub(crate) fn take(&self) {
        let mut f = self.flag.lock();
        while !*f {
            self.cv.wait(&mut f);
        }
        *f = false;
    }
}

/// A counting semaphore under a std `Mutex` + `Condvar`.
pub(crate) struct StdSem {
    value: Mutex<u32>,
    cv: Condvar,
}

impl StdSem {
    pub(crate) fn new(value: u32) -> Self {
        Self {
            value: Mutex::new(value),
            cv: Condvar::new(),
        }
    }
    pub(crate) fn acquire(&self) {
        let mut v = self.value.lock().unwrap();
        while *v == 0 {
            v = self.cv.wait(v).unwrap();
        }
        *v -= 1;
    }
    pub(crate) fn release(&self) {
        *self.value.lock().unwrap() += 1;
        self.cv.notify_one();
    }
}

/// [`StdSem`] on `parking_lot`.
pub(crate) struct PlSem {
    value: parking_lot::Mutex<u32>,
    cv: parking_lot::Condvar,
}

impl PlSem {
    pub(crate) fn new(value: u32) -> Self {
        Self {
            value: parking_lot::Mutex::new(value),
            cv: parking_lot::Condvar::new(),
        }
    }
    pub(crate) fn acquire(&self) {
        let mut v = self.value.lock();
        while *v == 0 {
            self.cv.wait(&mut v);
        }
        *v -= 1;
    }
    pub(crate) fn release(&self) {
        *self.value.lock() += 1;
        self.cv.notify_one();
    }
}
