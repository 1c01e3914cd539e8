//! CPU-bound threads sharing one lock in turns: the GIL ([`fairness`]) and, as the bare probe
//! of the same protocol, a baton passed in FIFO order with park/unpark ([`baton`]). Both run
//! the same worker loop and measure the same way, so their waits compare directly: the
//! baton's are what the machine's scheduler allows a strict FIFO hand-off to parked threads.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use gil_core::Policy;

use crate::stats::{jain, pct};
use crate::workload::{gil, work_unit};

/// What [`fairness`] measured in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct FairnessRun {
    /// Jain's index of the per-thread iteration counts.
    pub jain: f64,
    /// Median time slice (ms a thread ran between two gaps).
    pub slice_ms_p50: f64,
    /// Wait (gap) percentiles in ms.
    pub wait_ms_p50: f64,
    /// 99th percentile wait, ms.
    pub wait_ms_p99: f64,
    /// Longest wait, ms.
    pub wait_ms_max: f64,
    /// GIL hand-offs per second (gaps per second, as the anchor counts them).
    pub handoffs_per_s: f64,
    /// Hand-offs per second as the GIL's own statistics count them.
    pub switches_per_s: f64,
    /// Per-thread iteration counts.
    pub counts: Vec<u64>,
    /// Every wait (gap) of every thread, ms, in no particular order: the distribution the
    /// percentiles come from.
    pub waits_ms: Vec<f64>,
}

/// The gap (µs) between two consecutive clock reads that counts as "lost the GIL", as in
/// `e_gil_sharing.py`.
pub const GAP: Duration = Duration::from_micros(200);

/// One worker's result: iterations, waits (s) and slices (s).
type Worker = (u64, Vec<f64>, Vec<f64>);

/// The worker loop: read the clock, count a gap longer than [`GAP`] since the last read as a
/// wait, do a [`work_unit`], call `yield_point` with the time read; until `stop_at`.
fn worker_loop(stop_at: Instant, mut yield_point: impl FnMut(Instant)) -> Worker {
    let (mut n, mut x) = (0u64, 0u64);
    let (mut gaps, mut slices) = (Vec::new(), Vec::new());
    let mut last = Instant::now();
    let mut slice_start = last;
    loop {
        let now = Instant::now();
        if now - last > GAP {
            gaps.push((now - last).as_secs_f64());
            slices.push((last - slice_start).as_secs_f64());
            slice_start = now;
        }
        last = now;
        n += 1;
        x = work_unit(x);
        yield_point(now);
        if now >= stop_at {
            break;
        }
    }
    black_box(x);
    (n, gaps, slices)
}

/// Starts `k` threads running `body(i, stop_at)` together and summarizes their results;
/// `switches` counts the hand-offs as the lock itself saw them.
fn share(
    k: usize,
    duration: Duration,
    body: impl Fn(usize, Instant) -> Worker + Send + Sync + 'static,
    switches: impl FnOnce() -> u64,
) -> FairnessRun {
    let start = Arc::new(Barrier::new(k + 1));
    let stop_at = Instant::now() + duration + Duration::from_millis(20);
    let body = Arc::new(body);
    let workers: Vec<_> = (0..k)
        .map(|i| {
            let (start, body) = (Arc::clone(&start), Arc::clone(&body));
            thread::spawn(move || {
                start.wait();
                body(i, stop_at)
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let results: Vec<Worker> = workers
        .into_iter()
        .map(|w| w.join().expect("worker panicked"))
        .collect();
    let elapsed = t0.elapsed().as_secs_f64();
    let counts: Vec<f64> = results.iter().map(|r| r.0 as f64).collect();
    let gaps: Vec<f64> = results.iter().flat_map(|r| r.1.iter().copied()).collect();
    let slices: Vec<f64> = results
        .iter()
        .flat_map(|r| r.2.iter().skip(1).copied())
        .collect();
    FairnessRun {
        jain: jain(&counts),
        slice_ms_p50: pct(&slices, 0.5) * 1e3,
        wait_ms_p50: pct(&gaps, 0.5) * 1e3,
        wait_ms_p99: pct(&gaps, 0.99) * 1e3,
        wait_ms_max: gaps.iter().copied().fold(f64::NAN, f64::max) * 1e3,
        handoffs_per_s: gaps.len() as f64 / elapsed,
        switches_per_s: switches() as f64 / elapsed,
        counts: results.iter().map(|r| r.0).collect(),
        waits_ms: gaps.iter().map(|g| g * 1e3).collect(),
    }
}

/// K CPU-bound threads share one GIL for `duration`; each loops reading the clock, doing a
/// [`work_unit`] and calling `check()`. A gap longer than [`GAP`] between two clock reads is a
/// wait. Mirrors `e_gil_sharing.py`.
///
/// # Panics
///
/// If a worker thread panics.
pub fn fairness(policy: Policy, k: usize, interval: Duration, duration: Duration) -> FairnessRun {
    let g = gil(policy, interval);
    let shared = g.clone();
    share(
        k,
        duration,
        move |_, stop_at| {
            let mut guard = shared.acquire();
            let r = worker_loop(stop_at, |_| {
                let _interrupted = guard.check().is_err(); // nothing interrupts this measurement
            });
            drop(guard);
            r
        },
        || g.stats().switches,
    )
}

/// How many times a thread polls for its turn before it parks (as the fair GIL's head of the
/// queue spins before parking).
const BATON_SPINS: u32 = 256;

/// The baton: whose turn it is, and the threads to wake.
struct Baton {
    turn: AtomicUsize,
    stop: AtomicBool,
    passes: AtomicUsize,
    threads: OnceLock<Vec<Thread>>,
    ready: Barrier,
}

impl Baton {
    /// Waits (spin, then park) until it is `me`'s turn or the run stops.
    fn wait_turn(&self, me: usize) {
        let mut spins = 0;
        // Acquire: pairs with the Release store in `pass`, as a lock hand-off would.
        while self.turn.load(Ordering::Acquire) != me && !self.stop.load(Ordering::Relaxed) {
            if spins < BATON_SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                thread::park();
            }
        }
    }

    /// Passes the turn from `me` to the next thread and wakes it.
    fn pass(&self, me: usize, k: usize) {
        let next = (me + 1) % k;
        self.passes.fetch_add(1, Ordering::Relaxed);
        self.turn.store(next, Ordering::Release);
        if let Some(t) = self.threads.get() {
            t[next].unpark();
        }
    }

    /// Ends the run: everyone stops waiting.
    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.get().into_iter().flatten() {
            t.unpark();
        }
    }
}

/// The bare probe of [`fairness`] with the fair policy: `k` threads take turns of `interval`
/// in strict FIFO order, each timing its own turn with the clock it reads anyway, passing a
/// baton (an atomic turn number) and unparking the next thread, which spins briefly and then
/// parks while it waits. No GIL: what this waits is the floor a FIFO hand-off to parked
/// threads can reach on this machine (scheduler wake-up, steal), measured the same way.
///
/// # Panics
///
/// If a worker thread panics, or `k` is 0.
pub fn baton(k: usize, interval: Duration, duration: Duration) -> FairnessRun {
    assert!(k > 0, "the baton needs at least one thread");
    let baton = Arc::new(Baton {
        turn: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        passes: AtomicUsize::new(0),
        threads: OnceLock::new(),
        ready: Barrier::new(k),
    });
    let registered = Arc::new(std::sync::Mutex::new(vec![None; k]));
    let b = Arc::clone(&baton);
    share(
        k,
        duration,
        move |me, stop_at| {
            // Everyone registers its handle before the first pass.
            registered.lock().expect("registry")[me] = Some(thread::current());
            if b.ready.wait().is_leader() {
                let all = registered
                    .lock()
                    .expect("registry")
                    .iter()
                    .flatten()
                    .cloned()
                    .collect();
                b.threads.set(all).ok();
            }
            b.ready.wait();
            b.wait_turn(me);
            let mut turn_start = Instant::now();
            let r = worker_loop(stop_at, |now| {
                if now - turn_start >= interval && !b.stop.load(Ordering::Relaxed) {
                    b.pass(me, k);
                    b.wait_turn(me);
                    turn_start = Instant::now();
                }
            });
            b.stop();
            r
        },
        move || baton.passes.load(Ordering::Relaxed) as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every thread gets turns and the run ends (a lost wake-up or a stuck stop would hang
    /// the test harness's watchdog instead). Generous: 2 noisy cores.
    #[test]
    fn baton_gives_every_thread_turns_and_stops() {
        let r = baton(3, Duration::from_millis(2), Duration::from_millis(150));
        assert_eq!(r.counts.len(), 3);
        assert!(r.counts.iter().all(|&c| c > 0), "{:?}", r.counts);
        assert!(r.switches_per_s > 0.0, "{r:?}");
        assert!(r.wait_ms_max < 1_000.0, "{r:?}");
    }

    #[test]
    fn one_thread_never_waits_for_itself() {
        let r = baton(1, Duration::from_millis(1), Duration::from_millis(30));
        assert_eq!(r.counts.len(), 1);
        assert!(r.counts[0] > 0);
    }
}
