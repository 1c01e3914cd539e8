//! The convoy workload of `c_convoy.py`: socketpair round trips on a thread that releases
//! the GIL around every `send`/`recv`, alone and next to CPU-bound [`Spinners`].

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::{Duration, Instant};

use gil_core::Gil;

use crate::stats::{interleaved, median, pct};
use crate::workload::Spinners;

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
