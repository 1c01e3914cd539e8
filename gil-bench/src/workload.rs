//! The CPU-bound work every measurement is made of: one "bytecode" ([`work_unit`]), a GIL
//! built for a measurement ([`gil`]), and [`Spinners`], threads that hold the GIL and only
//! compute.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use gil_core::{Gil, Mode, Policy};

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
                    let mut guard = gil.acquire();
                    let (mut n, mut x) = (0u64, 0u64);
                    while !stop.load(Relaxed) {
                        x = work_unit(x);
                        n += 1;
                        // Relaxed: a progress counter read twice by the measuring thread.
                        count.store(n, Relaxed);
                        if guard.check().is_err() {
                            break; // interrupted: stop spinning
                        }
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

    /// Each spinner's count so far, in start order.
    pub fn counts(&self) -> Vec<u64> {
        self.counts.iter().map(|c| c.load(Relaxed)).collect()
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
