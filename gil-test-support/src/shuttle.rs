//! The runner every shuttle test of the three library crates goes through (`--cfg shuttle`
//! only), and a checker for sections that admit a bounded number of threads.
//!
//! Budget, from the environment (`cargo xtask verify` sets the defaults, `--deep` a larger
//! set; see `xtask/src/verify.rs`):
//! - `GIL_SHUTTLE_SEEDS`: PCT seeds, comma-separated, or a range `first-last`; default
//!   `1-4`. A fixed set, so a failure in CI happens again on the next run, and shuttle
//!   prints the failing schedule for `shuttle::replay`.
//! - `GIL_SHUTTLE_ITERATIONS`: schedules per seed and test, default 250.
//! - `GIL_SHUTTLE_DEPTH`: PCT's bug depth (preemptions it places per schedule), default 3.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use shuttle::scheduler::PctScheduler;
use shuttle::thread::JoinHandle;
use shuttle::{Config, Runner};

/// A timeout long enough never to pass on a real clock: under shuttle a timed wait expires,
/// or not, on a coin shuttle records, whatever its duration.
pub const TIMEOUT: Duration = Duration::from_secs(3600);

/// A shuttle thread's stack: room for a debug-assertion build of the GIL's slow paths.
const STACK_SIZE: usize = 256 * 1024;

/// An environment setting, or `default` when it is unset.
///
/// # Panics
///
/// If the variable is set but does not parse.
fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).map_or(default, |value| {
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} does not parse"))
    })
}

/// The seeds to run, from `GIL_SHUTTLE_SEEDS`.
///
/// # Panics
///
/// If the variable is set but is not a list of seeds or a range.
fn seeds() -> Vec<u64> {
    let spec = std::env::var("GIL_SHUTTLE_SEEDS").unwrap_or_else(|_| "1-4".to_owned());
    let seed = |text: &str| -> u64 {
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("GIL_SHUTTLE_SEEDS={spec:?}: {text:?} is not a seed"))
    };
    match spec.split_once('-') {
        Some((first, last)) => (seed(first)..=seed(last)).collect(),
        None => spec.split(',').map(seed).collect(),
    }
}

/// Runs `f` under shuttle's PCT scheduler, for the budget the environment sets (see the
/// module docs).
///
/// # Panics
///
/// If a schedule fails (after shuttle has printed it for `replay`), or a budget variable does
/// not parse.
pub fn check<F>(f: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let iterations = setting("GIL_SHUTTLE_ITERATIONS", 250);
    let depth = setting("GIL_SHUTTLE_DEPTH", 3);
    let f = Arc::new(f);
    for seed in seeds() {
        let mut config = Config::new();
        config.stack_size = STACK_SIZE;
        // shuttle warns once that it models every atomic as SeqCst; the shims say so, and the
        // orderings are checked by loom and Miri instead.
        config.silence_warnings = true;
        let scheduler = PctScheduler::new_from_seed(seed, depth, iterations);
        let f = Arc::clone(&f);
        Runner::new(scheduler, config).run(move || f());
    }
}

/// Starts `n` shuttle threads, the `i`-th running `f(i)`; [`join_all`] waits for them.
pub fn spawn_all<F>(n: usize, f: F) -> Vec<JoinHandle<()>>
where
    F: Fn(usize) + Send + Sync + 'static,
{
    let f = Arc::new(f);
    (0..n)
        .map(|i| {
            let f = Arc::clone(&f);
            shuttle::thread::spawn(move || f(i))
        })
        .collect()
}

/// Joins every thread of [`spawn_all`].
///
/// # Panics
///
/// If one of them panicked (the schedule then fails, and shuttle prints it).
pub fn join_all(threads: Vec<JoinHandle<()>>) {
    for t in threads {
        t.join().unwrap();
    }
}

/// Counts the threads inside a section that admits at most `max` at once, and the sections
/// that ran. Its atomics are std's, not shuttle's: they are no scheduling points, so they add
/// no interleavings of their own (and order nothing shuttle could miss: it runs one thread
/// at a time).
#[derive(Debug)]
pub struct Exclusive {
    inside: AtomicUsize,
    max: usize,
    entered: AtomicUsize,
}

impl Exclusive {
    /// At most one thread inside: a lock's (or the GIL's) critical section.
    pub fn new() -> Self {
        Self::with_max(1)
    }

    /// At most `max` threads inside: a semaphore's.
    pub fn with_max(max: usize) -> Self {
        Self {
            inside: AtomicUsize::new(0),
            max,
            entered: AtomicUsize::new(0),
        }
    }

    /// One section, with a scheduling point inside it so that every other thread gets the
    /// chance to break in.
    ///
    /// # Panics
    ///
    /// If the section already holds `max` threads.
    pub fn section(&self) {
        let before = self.inside.fetch_add(1, SeqCst);
        assert!(
            before < self.max,
            "{} threads inside a section that admits {}",
            before + 1,
            self.max
        );
        shuttle::thread::yield_now();
        self.inside.fetch_sub(1, SeqCst);
        self.entered.fetch_add(1, SeqCst);
    }

    /// How many sections ran.
    pub fn entered(&self) -> usize {
        self.entered.load(SeqCst)
    }
}

impl Default for Exclusive {
    /// At most one thread inside, as [`Exclusive::new`].
    fn default() -> Self {
        Self::new()
    }
}
