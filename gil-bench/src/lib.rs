//! Workloads shared by the benchmarks, the fairness/convoy harness and (later) the demo.
//!
//! Each workload mirrors a CPython anchor script in `shared/anchors/` so the numbers compare:
//!
//! - [`fairness`] ↔ `e_gil_sharing.py`: K CPU-bound threads share the GIL for a fixed time;
//!   Jain's index of their progress, wait-time percentiles, hand-offs per second.
//! - [`convoy`] ↔ `c_convoy.py`: socketpair round trips (each send/recv releases the GIL)
//!   alone and next to CPU-bound spinners; slowdown and the spinners' share of their solo rate.
//!
//! [`load`] puts other busy processes beside any of them and reads the machine's load;
//! [`under_load`] measures the convoy and sharing next to them.
//!
//! A "bytecode" here is [`work_unit`]: a few dozen dependent additions (~20–40 ns), followed by
//! [`GilGuard::check`](gil_core::GilGuard::check), as an interpreter's eval loop would.
#![forbid(unsafe_code)]
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurement code: counts and durations far below 2^52 become f64 for statistics"
)]
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "benchmarks run on real std threads and compare against std primitives"
)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode, Policy};

pub mod contention;
pub mod demo;
pub mod harness;
pub mod load;
pub mod sharing;
pub mod under_load;

pub use crate::sharing::{FairnessRun, GAP, baton, fairness};

/// One "bytecode" of CPU-bound work: 16 dependent rounds of multiply, add and xor-shift on a
/// black-boxed value, about 20–40 ns. The xor-shift keeps the rounds from folding into one
/// multiply-add (32 plain `x * 31 + i` steps compile to exactly that, about 1.5 ns).
#[inline]
pub fn work_unit(x: u64) -> u64 {
    let mut x = black_box(x);
    for i in 0..16 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
        x ^= x >> 17;
    }
    x
}

/// Runs `f(i)` for each of `n` variants, `rounds` times, rotating which variant goes first
/// (round `r` runs `r % n, r % n + 1, …`), so that the machine's drift over seconds hits
/// every variant alike; returns each variant's results in round order. Stops at the first
/// error.
///
/// # Errors
///
/// The first error `f` returns.
pub fn try_interleaved<T, E>(
    n: usize,
    rounds: usize,
    mut f: impl FnMut(usize) -> Result<T, E>,
) -> Result<Vec<Vec<T>>, E> {
    let mut results: Vec<Vec<T>> = (0..n).map(|_| Vec::with_capacity(rounds)).collect();
    for r in 0..rounds {
        for j in 0..n {
            let i = (r + j) % n;
            results[i].push(f(i)?);
        }
    }
    Ok(results)
}

/// [`try_interleaved`] for an `f` that cannot fail.
pub fn interleaved<T>(n: usize, rounds: usize, mut f: impl FnMut(usize) -> T) -> Vec<Vec<T>> {
    match try_interleaved(n, rounds, |i| Ok::<T, std::convert::Infallible>(f(i))) {
        Ok(results) => results,
        Err(never) => match never {},
    }
}

/// Builds a GIL with the given policy and switch interval.
///
/// # Panics
///
/// If `interval` is zero.
pub fn gil(policy: Policy, interval: Duration) -> Gil {
    Gil::builder()
        .policy(policy)
        .mode(Mode::Enabled)
        .switch_interval(interval)
        .build()
        .expect("non-zero interval")
}

/// The `p`-quantile (0..=1) of `xs` by nearest rank, as the anchor scripts compute it;
/// `NaN` for an empty slice.
pub fn pct(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short vector"
    )]
    let i = ((p * v.len() as f64) as usize).min(v.len() - 1);
    v[i]
}

/// The median of `xs` (`NaN` when empty).
pub fn median(xs: &[f64]) -> f64 {
    pct(xs, 0.5)
}

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one has everything.
pub fn jain(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let sq: f64 = xs.iter().map(|x| x * x).sum();
    let n = xs.len() as f64;
    if sq == 0.0 {
        f64::NAN
    } else {
        sum * sum / (n * sq)
    }
}

/// CPU-bound threads holding the GIL and counting [`work_unit`]s until stopped.
#[derive(Debug)]
pub struct Spinners {
    stop: Arc<AtomicBool>,
    counts: Vec<Arc<AtomicU64>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Spinners {
    /// Starts `k` spinners on `gil` and lets them run for 20 ms (as `c_convoy.py` does).
    pub fn start(gil: &Gil, k: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let counts: Vec<_> = (0..k).map(|_| Arc::new(AtomicU64::new(0))).collect();
        let threads = counts
            .iter()
            .map(|count| {
                let (gil, stop, count) = (gil.clone(), Arc::clone(&stop), Arc::clone(count));
                thread::spawn(move || {
                    let guard = gil.acquire();
                    let (mut n, mut x) = (0u64, 0u64);
                    while !stop.load(Relaxed) {
                        x = work_unit(x);
                        n += 1;
                        // Relaxed: a progress counter read twice by the measuring thread.
                        count.store(n, Relaxed);
                        guard.check();
                    }
                    black_box(x);
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(20));
        Self {
            stop,
            counts,
            threads,
        }
    }

    /// The spinners' total count so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Relaxed)).sum()
    }

    /// Stops and joins the spinners.
    ///
    /// # Panics
    ///
    /// If a spinner panicked.
    pub fn stop(self) {
        self.stop.store(true, Relaxed);
        for t in self.threads {
            t.join().expect("spinner panicked");
        }
    }
}

/// What one [`convoy`] run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvoyRun {
    /// Wall time of all round trips, seconds.
    pub seconds: f64,
    /// Round trips done (fewer than asked when [`convoy_within`]'s budget ran out).
    pub trips: usize,
    /// Per-trip latency percentiles, µs.
    pub trip_us_p50: f64,
    /// 99th percentile trip, µs.
    pub trip_us_p99: f64,
    /// Longest trip, µs.
    pub trip_us_max: f64,
    /// The spinners' total rate during the trips, work units per second (0 without spinners).
    pub spinner_rate: f64,
}

impl ConvoyRun {
    /// Mean time per round trip, µs.
    pub fn us_per_trip(&self) -> f64 {
        self.seconds * 1e6 / self.trips.max(1) as f64
    }
}

/// `trips` socketpair round trips on the calling thread, which holds `gil` and releases it
/// around each of the four `send`/`recv` calls (`pingpong1` of `c_convoy.py`), next to
/// `spinners` CPU-bound threads.
///
/// # Panics
///
/// On a socket error.
pub fn convoy(gil: &Gil, spinners: usize, trips: usize) -> ConvoyRun {
    convoy_within(gil, spinners, trips, Duration::MAX)
}

/// [`convoy`], stopping after `budget` if the trips are not done by then (under
/// `Policy::CPython` with spinners a trip can take 4 switch intervals).
///
/// # Panics
///
/// On a socket error.
pub fn convoy_within(gil: &Gil, spinners: usize, trips: usize, budget: Duration) -> ConvoyRun {
    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
    let spin = (spinners > 0).then(|| Spinners::start(gil, spinners));
    let mut guard = gil.acquire();
    let mut lat = Vec::with_capacity(trips);
    let mut buf = [0u8; 1];
    let c0 = spin.as_ref().map_or(0, Spinners::count);
    let t0 = Instant::now();
    let mut prev = t0;
    for _ in 0..trips {
        guard.allow_threads(|| a.write_all(b"x")).expect("send");
        guard
            .allow_threads(|| b.read_exact(&mut buf))
            .expect("recv");
        guard.allow_threads(|| b.write_all(b"x")).expect("send");
        guard
            .allow_threads(|| a.read_exact(&mut buf))
            .expect("recv");
        let now = Instant::now();
        lat.push((now - prev).as_secs_f64() * 1e6);
        prev = now;
        if now - t0 > budget {
            break;
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let c1 = spin.as_ref().map_or(0, Spinners::count);
    drop(guard);
    if let Some(s) = spin {
        s.stop();
    }
    let spinner_rate = (c1 - c0) as f64 / seconds;
    ConvoyRun {
        seconds,
        trips: lat.len(),
        trip_us_p50: pct(&lat, 0.5),
        trip_us_p99: pct(&lat, 0.99),
        trip_us_max: lat.iter().copied().fold(f64::NAN, f64::max),
        spinner_rate,
    }
}

/// The spinners' solo rate: `spinners` spinners for `dur` while the caller sleeps without the
/// GIL (the reference for their share, as `spinner_solo_rate` in `c_convoy.py`).
pub fn spinner_solo_rate(gil: &Gil, spinners: usize, dur: Duration) -> f64 {
    let s = Spinners::start(gil, spinners);
    let c0 = s.count();
    let t0 = Instant::now();
    thread::sleep(dur);
    let rate = (s.count() - c0) as f64 / t0.elapsed().as_secs_f64();
    s.stop();
    rate
}

/// Medians of interleaved [`convoy_within`] runs, one row per spinner count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvoySummary {
    /// Mean time per round trip, µs (median over runs).
    pub us_per_trip: f64,
    /// Per-trip latency percentiles, µs (medians over runs).
    pub p50: f64,
    /// 99th percentile trip, µs.
    pub p99: f64,
    /// Longest trip of all runs, µs.
    pub max: f64,
    /// `us_per_trip` over the same with no spinners (`NaN` if 0 spinners was not run).
    pub slowdown: f64,
    /// The spinners' rate during the trips over their solo rate (`NaN` when not measured or
    /// with no spinners).
    pub share: f64,
}

/// [`convoy_within`] on `gil` for each count in `spinners`, `rounds` times, the counts
/// interleaved with a rotating start (the VM's speed drifts); with `solo = Some(d)` each run
/// with spinners is followed by a [`spinner_solo_rate`] of `d` for their share. Rows in
/// `spinners` order.
///
/// # Panics
///
/// On a socket error.
pub fn convoy_summary(
    gil: &Gil,
    spinners: &[usize],
    trips: usize,
    budget: Duration,
    rounds: usize,
    solo: Option<Duration>,
) -> Vec<ConvoySummary> {
    let n = spinners.len();
    let mut solo_rates: Vec<Vec<f64>> = vec![Vec::new(); n];
    let runs = interleaved(n, rounds.max(1), |i| {
        let run = convoy_within(gil, spinners[i], trips, budget);
        if let (Some(d), true) = (solo, spinners[i] > 0) {
            solo_rates[i].push(spinner_solo_rate(gil, spinners[i], d));
        }
        run
    });
    let med = |runs: &[ConvoyRun], f: fn(&ConvoyRun) -> f64| {
        median(&runs.iter().map(f).collect::<Vec<_>>())
    };
    let alone = spinners
        .iter()
        .position(|&s| s == 0)
        .map_or(f64::NAN, |i| med(&runs[i], ConvoyRun::us_per_trip));
    (0..n)
        .map(|i| {
            let us = med(&runs[i], ConvoyRun::us_per_trip);
            let solo = median(&solo_rates[i]);
            ConvoySummary {
                us_per_trip: us,
                p50: med(&runs[i], |r| r.trip_us_p50),
                p99: med(&runs[i], |r| r.trip_us_p99),
                max: runs[i]
                    .iter()
                    .map(|r| r.trip_us_max)
                    .fold(f64::NAN, f64::max),
                slowdown: us / alone,
                share: median(
                    &runs[i]
                        .iter()
                        .map(|r| r.spinner_rate / solo)
                        .collect::<Vec<_>>(),
                ),
            }
        })
        .collect()
}

/// One way of starting and joining a thread with an empty body, for [`start_join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartJoin {
    /// `std::thread::spawn(|| {}).join()`: the floor.
    StdSpawn,
    /// `std::thread::Builder` with a name (what `Thread::start` uses: one `prctl` more).
    StdNamed,
    /// std spawn, then wait for the new thread to signal that it runs, then join: the
    /// handshake Python's `Thread.start` performs (and gil-runtime's no longer does).
    StdHandshake,
    /// `gil_runtime::Thread` `start` + `join` on an enabled (fair) GIL.
    Runtime,
    /// The same on a free-threaded runtime.
    RuntimeFreeThreaded,
}

impl StartJoin {
    /// Every variant, in table order.
    pub const ALL: [Self; 5] = [
        Self::StdSpawn,
        Self::StdNamed,
        Self::StdHandshake,
        Self::Runtime,
        Self::RuntimeFreeThreaded,
    ];

    /// The table label.
    pub fn label(self) -> &'static str {
        match self {
            Self::StdSpawn => "std spawn+join",
            Self::StdNamed => "std named spawn+join",
            Self::StdHandshake => "std spawn+handshake+join",
            Self::Runtime => "Thread start+join (GIL)",
            Self::RuntimeFreeThreaded => "Thread start+join (free-threaded)",
        }
    }
}

/// Thread start+join cost per variant, in µs per thread: `rounds` rounds, each timing
/// `per_block` start+joins of every variant in a rotating order, so that the machine's
/// drift (these VMs swing 2–4× over seconds) hits every variant alike; the median block of
/// each variant is returned, in [`StartJoin::ALL`] order.
///
/// # Panics
///
/// If a thread cannot be spawned.
pub fn start_join(rounds: usize, per_block: usize) -> Vec<(StartJoin, f64)> {
    let enabled = gil_runtime::Runtime::new();
    let free = gil_runtime::Runtime::builder()
        .mode(Mode::FreeThreaded)
        .build()
        .expect("default interval");
    let one = |variant: StartJoin| match variant {
        StartJoin::StdSpawn => thread::spawn(|| {}).join().expect("empty body"),
        StartJoin::StdNamed => thread::Builder::new()
            .name("Thread-1".to_owned())
            .spawn(|| {})
            .expect("spawn")
            .join()
            .expect("empty body"),
        StartJoin::StdHandshake => {
            let started = Arc::new(gil_sync::Event::new());
            let s = started.clone();
            let t = thread::spawn(move || s.set());
            started.wait();
            t.join().expect("empty body");
        }
        StartJoin::Runtime | StartJoin::RuntimeFreeThreaded => {
            let rt = if variant == StartJoin::Runtime {
                &enabled
            } else {
                &free
            };
            let t = rt.thread(|_| {});
            t.start().expect("start");
            t.join().expect("empty body");
        }
    };
    let samples = interleaved(StartJoin::ALL.len(), rounds, |i| {
        let started = Instant::now();
        for _ in 0..per_block {
            one(StartJoin::ALL[i]);
        }
        started.elapsed().as_secs_f64() * 1e6 / per_block as f64
    });
    StartJoin::ALL
        .iter()
        .zip(&samples)
        .map(|(&v, s)| (v, median(s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_starts_each_round_one_later() {
        let mut order = Vec::new();
        let results = interleaved(3, 5, |i| {
            order.push(i);
            order.len()
        });
        // Rounds 0, 1, 2, 3 (= 0), 4 (= 1): rotated left by the round number.
        assert_eq!(order, [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2, 1, 2, 0]);
        // Each variant's results in round order.
        assert_eq!(
            results,
            [
                vec![1, 6, 8, 10, 15],
                vec![2, 4, 9, 11, 13],
                vec![3, 5, 7, 12, 14]
            ]
        );
    }

    #[test]
    fn try_interleaving_stops_at_the_first_error() {
        let mut calls = 0;
        let result = try_interleaved(3, 4, |i| {
            calls += 1;
            if calls == 5 { Err(i) } else { Ok(i) }
        });
        assert_eq!(result, Err(2)); // round 1 runs 1, 2, 0: the fifth call is variant 2
        assert_eq!(calls, 5);
    }
}
