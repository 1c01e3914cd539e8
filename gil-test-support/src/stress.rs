//! What the stress suites share: a watchdog, a tiny PRNG, sizes from the environment and
//! rates.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::thread;
use std::time::{Duration, Instant};

/// Aborts the process if the test it guards runs past its limit: a lost wake-up then ends the
/// run with a message instead of hanging `cargo test`. Stops watching when dropped.
#[derive(Debug)]
pub struct Watchdog {
    done: Arc<AtomicBool>,
}

impl Watchdog {
    /// Starts watching the test `name`, which may run for `limit`.
    ///
    /// # Panics
    ///
    /// If the OS cannot start the watchdog's thread.
    pub fn start(name: &'static str, limit: Duration) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        thread::Builder::new()
            .name(format!("watchdog-{name}"))
            .spawn(move || {
                let start = Instant::now();
                // Relaxed: the flag orders nothing; it only stops the polling.
                while !flag.load(Relaxed) {
                    if start.elapsed() > limit {
                        eprintln!("stress test {name} hung for {limit:?}: aborting");
                        std::process::abort();
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            })
            .expect("spawn the watchdog");
        Self { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Relaxed);
    }
}

/// A tiny per-thread PRNG (xorshift64*), to vary sleeps and mix operations without a pattern
/// the scheduler could fall into step with. The state must not be zero: build it with
/// [`Rng::new`], or spell a non-zero state out.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// A generator for stream `seed` (any value: it is mixed, and the state made non-zero).
    pub fn new(seed: u64) -> Self {
        Self(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1)
    }

    /// The next number, in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    /// A duration of 0 to `max_us` − 1 microseconds.
    pub fn micros(&mut self, max_us: u64) -> Duration {
        Duration::from_micros(self.below(max_us))
    }
}

/// A positive size from the environment variable `name` (`_` separators allowed), else
/// `default`.
pub fn env_size<T: FromStr + PartialOrd + From<u8>>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .filter(|n| *n > T::from(0))
        .unwrap_or(default)
}

/// `count` per second of `elapsed`.
#[expect(clippy::cast_precision_loss, reason = "a printed rate")]
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}
