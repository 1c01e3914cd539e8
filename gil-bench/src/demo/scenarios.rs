//! The demo's measurements that have no harness counterpart: CPU-bound and I/O-bound work on
//! gil-runtime threads, and the uncontended `Lock` cost. Convoy and sharing reuse
//! [`convoy_within`](crate::convoy_within) and [`fairness`](crate::fairness).

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gil_core::{GilGuard, Mode, Policy};
use gil_runtime::Runtime;

use crate::stats::{interleaved, median};
use crate::workload::work_unit;

/// How a runtime's GIL is set up for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// GIL enabled, `Policy::Fair`.
    Fair,
    /// GIL enabled, `Policy::CPython` (the model of CPython 3.11's algorithm).
    CPython,
    /// `Mode::FreeThreaded`: no exclusion.
    FreeThreaded,
}

impl Flavor {
    /// All three, in table order.
    pub const ALL: [Self; 3] = [Self::Fair, Self::CPython, Self::FreeThreaded];

    /// The column title.
    pub fn label(self) -> &'static str {
        match self {
            Self::Fair => "GIL, Fair",
            Self::CPython => "GIL, CPython policy",
            Self::FreeThreaded => "free-threaded",
        }
    }

    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Fair => "fair",
            Self::CPython => "cpython_policy",
            Self::FreeThreaded => "free_threaded",
        }
    }

    /// A runtime of this flavour with `interval`.
    ///
    /// # Errors
    ///
    /// A zero `interval`.
    pub fn runtime(self, interval: Duration) -> Result<Runtime, String> {
        let b = Runtime::builder().switch_interval(interval);
        let b = match self {
            Self::Fair => b.policy(Policy::Fair),
            Self::CPython => b.policy(Policy::CPython),
            Self::FreeThreaded => b.mode(Mode::FreeThreaded),
        };
        b.build().map_err(|e| e.to_string())
    }
}

/// `units` "bytecodes" ([`work_unit`] then the eval breaker), as an interpreter's loop runs.
pub fn cpu_job(guard: &mut GilGuard<'_>, units: u64) -> u64 {
    let mut x = 1u64;
    for _ in 0..units {
        x = work_unit(x);
        if guard.check().is_err() {
            break; // interrupted: the job ends, as KeyboardInterrupt would end it
        }
    }
    black_box(x)
}

/// Nanoseconds per [`cpu_job`] unit on this machine, from a short run holding a fresh GIL.
pub fn ns_per_unit() -> f64 {
    let gil = gil_core::Gil::new();
    let mut guard = gil.acquire();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t0 = Instant::now();
        cpu_job(&mut guard, 200_000);
        best = best.min(t0.elapsed().as_secs_f64() * 1e9 / 200_000.0);
    }
    best
}

/// Thread `i`'s part of `total` split over `k` threads: the parts differ by at most one and
/// add up to `total`.
pub fn part(total: u64, k: usize, i: usize) -> u64 {
    let (k, i) = (k.max(1) as u64, i as u64);
    total / k + u64::from(i < total % k)
}

/// Starts `k` runtime threads, thread `i` running `body(i, guard)`, and joins them; the wall
/// time from the first start to the last join.
///
/// # Errors
///
/// A thread that could not start or that panicked (its panic was reported on stderr by the
/// runtime's excepthook).
pub fn run_threads(
    rt: &Runtime,
    k: usize,
    body: impl Fn(usize, &mut GilGuard<'_>) + Clone + Send + 'static,
) -> Result<Duration, String> {
    let t0 = Instant::now();
    let threads: Vec<_> = (0..k)
        .map(|i| {
            let body = body.clone();
            let t = rt.thread(move |guard| body(i, guard));
            t.start().map(|()| t).map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    for t in threads {
        t.join()
            .map_err(|e| format!("a worker thread failed: {e}"))?;
    }
    Ok(t0.elapsed())
}

/// `units` of CPU-bound work split over `k` threads of `rt`.
///
/// # Errors
///
/// As [`run_threads`].
pub fn cpu_threads(rt: &Runtime, k: usize, units: u64) -> Result<Duration, String> {
    run_threads(rt, k, move |i, guard| {
        cpu_job(guard, part(units, k, i));
    })
}

/// `units` of CPU-bound work on the calling thread, holding `rt`'s GIL: the sequential run.
pub fn cpu_sequential(rt: &Runtime, units: u64) -> Duration {
    let mut guard = rt.gil().acquire();
    let t0 = Instant::now();
    cpu_job(&mut guard, units);
    t0.elapsed()
}

/// `units` of the same work split over `k` plain `std` threads, with no GIL and no `check()`:
/// what this machine's cores can do in parallel, the ceiling for free-threaded mode.
///
/// # Panics
///
/// If a thread cannot be spawned.
pub fn cpu_std_threads(k: usize, units: u64) -> Duration {
    let t0 = Instant::now();
    std::thread::scope(|scope| {
        for i in 0..k {
            std::thread::Builder::new()
                .spawn_scoped(scope, move || {
                    let mut x = 1u64;
                    for _ in 0..part(units, k, i) {
                        x = work_unit(x);
                    }
                    black_box(x)
                })
                .expect("spawn a std thread");
        }
    });
    t0.elapsed()
}

/// `sleeps` sleeps of `each`, split over `k` threads of `rt`, each inside `allow_threads`.
///
/// # Errors
///
/// As [`run_threads`].
pub fn sleep_threads(
    rt: &Runtime,
    k: usize,
    sleeps: usize,
    each: Duration,
) -> Result<Duration, String> {
    run_threads(rt, k, move |i, guard| {
        for _ in 0..part(sleeps as u64, k, i) {
            guard.allow_threads(|| std::thread::sleep(each));
        }
    })
}

/// `trips` one-byte requests over loopback TCP, split over `k` client threads of `rt`, served
/// by `k` echo threads of `rt` that answer each after `delay` (a stand-in for a remote
/// service); every send, receive, connect, accept and the delay release the GIL, as
/// CPython's socket module and `time.sleep` do.
///
/// # Errors
///
/// A socket error (reported as a failed thread) or a failed thread.
///
/// # Panics
///
/// Not on the calling thread: a socket error panics the worker thread that met it, which the
/// runtime reports on stderr and this function returns as an error.
pub fn tcp_threads(
    rt: &Runtime,
    k: usize,
    trips: usize,
    delay: Duration,
) -> Result<Duration, String> {
    let listener =
        Arc::new(TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("loopback bind: {e}"))?);
    let addr = listener
        .local_addr()
        .map_err(|e| format!("loopback address: {e}"))?;

    let t0 = Instant::now();
    let servers: Vec<_> = (0..k)
        .map(|_| {
            let listener = Arc::clone(&listener);
            let t = rt.thread(move |guard| {
                let (mut conn, _) = guard
                    .allow_threads(|| listener.accept())
                    .expect("accept a loopback connection");
                conn.set_nodelay(true).expect("TCP_NODELAY");
                let mut b = [0u8; 1];
                loop {
                    let n = guard
                        .allow_threads(|| conn.read(&mut b))
                        .expect("echo read");
                    if n == 0 {
                        return;
                    }
                    guard.allow_threads(|| std::thread::sleep(delay));
                    guard
                        .allow_threads(|| conn.write_all(&b))
                        .expect("echo write");
                }
            });
            t.start().map(|()| t).map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let clients = run_threads(rt, k, move |i, guard| {
        let mut c = guard
            .allow_threads(|| TcpStream::connect(addr))
            .expect("connect over loopback");
        c.set_nodelay(true).expect("TCP_NODELAY");
        let mut b = [0u8; 1];
        for _ in 0..part(trips as u64, k, i) {
            guard
                .allow_threads(|| c.write_all(b"x"))
                .expect("client write");
            guard
                .allow_threads(|| c.read_exact(&mut b))
                .expect("client read");
        }
    });
    if clients.is_err() {
        // A client died before connecting: unblock the echo threads still in `accept` with
        // connections that close at once (they read end-of-stream and return).
        for _ in 0..k {
            drop(TcpStream::connect(addr));
        }
    }
    for s in servers {
        s.join()
            .map_err(|e| format!("an echo thread failed: {e}"))?;
    }
    clients?;
    Ok(t0.elapsed())
}

/// The uncontended lock costs compared in the demo, ns per acquire + release.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LockCosts {
    /// `gil_sync::Lock`.
    pub gil_sync: f64,
    /// `std::sync::Mutex`.
    pub std: f64,
    /// `parking_lot::Mutex`.
    pub parking_lot: f64,
}

/// Uncontended acquire + release of `gil_sync::Lock`, std `Mutex` and `parking_lot::Mutex`:
/// `rounds` rounds of one block of `per_block` operations each, variants interleaved with a
/// rotating start; medians of the blocks.
#[allow(
    clippy::disallowed_types,
    reason = "std::sync::Mutex is the baseline being measured"
)]
pub fn lock_costs(rounds: usize, per_block: usize) -> LockCosts {
    let lock = gil_sync::Lock::new();
    let std_mutex = std::sync::Mutex::new(0u64);
    let pl = parking_lot::Mutex::new(0u64);
    let block = |i: usize| -> f64 {
        let t0 = Instant::now();
        match i {
            0 => {
                for _ in 0..per_block {
                    drop(black_box(lock.acquire()));
                }
            }
            1 => {
                for _ in 0..per_block {
                    drop(black_box(std_mutex.lock()));
                }
            }
            _ => {
                for _ in 0..per_block {
                    drop(black_box(pl.lock()));
                }
            }
        }
        t0.elapsed().as_secs_f64() * 1e9 / per_block.max(1) as f64
    };
    let samples = interleaved(3, rounds.max(1), block);
    LockCosts {
        gil_sync: median(&samples[0]),
        std: median(&samples[1]),
        parking_lot: median(&samples[2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flavor_builds_and_runs_threads() {
        for f in Flavor::ALL {
            let rt = f.runtime(Duration::from_millis(1)).unwrap();
            assert!(cpu_threads(&rt, 2, 1000).is_ok());
            assert!(sleep_threads(&rt, 2, 2, Duration::from_micros(10)).is_ok());
            assert!(tcp_threads(&rt, 2, 10, Duration::from_micros(10)).is_ok());
            assert!(cpu_sequential(&rt, 100) < Duration::from_secs(10));
            assert!(cpu_std_threads(3, 100) < Duration::from_secs(10));
        }
        assert!(Flavor::Fair.runtime(Duration::ZERO).is_err());
    }

    #[test]
    fn parts_add_up_and_differ_by_at_most_one() {
        for (total, k) in [(12, 8), (30, 8), (7, 1), (0, 3), (5, 7), (1_000_003, 4)] {
            let parts: Vec<u64> = (0..k).map(|i| part(total, k, i)).collect();
            assert_eq!(parts.iter().sum::<u64>(), total, "{total} over {k}");
            let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
            assert!(hi - lo <= 1, "{parts:?}");
        }
    }

    #[test]
    fn lock_costs_are_positive() {
        let c = lock_costs(2, 1000);
        for x in [c.gil_sync, c.std, c.parking_lot] {
            assert!(x.is_finite() && x > 0.0, "{c:?}");
        }
        assert!(ns_per_unit() > 0.0);
    }

    #[test]
    fn a_failing_thread_is_an_error() {
        let rt = Flavor::Fair.runtime(Duration::from_millis(5)).unwrap();
        rt.set_excepthook(|_| {}); // keep the test's output clean
        let e = run_threads(&rt, 1, |_, _| panic!("boom")).unwrap_err();
        assert!(e.contains("failed"), "{e}");
    }
}
