//! The bad-input table of gil-sync (issue #6): one test per case, each checking the exact
//! typed error (or documented outcome), its message, and that the primitive is still usable
//! afterwards. Timeouts of `Duration::ZERO` and 1 ns must return within [`PROMPT`];
//! `Duration::MAX` must neither panic nor overflow, both when the primitive is available at
//! once and when another thread makes it available shortly after; a deadline in the past is
//! a single try.
//!
//! One module per primitive, each with its rows of the table (`case`, `result`, `message`,
//! and what Python does); the timeout conversions of `gil_sync::timeout` in `timeout`.

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_test_support::{SHORT, spawn, within};

mod barrier;
mod condition;
mod event;
mod interrupt;
mod lock;
mod rlock;
mod semaphore;
mod timeout;
mod timer;

/// "Returns promptly": a zero, 1 ns or past-deadline call must be back within this, however
/// loaded the machine (it never sleeps for real).
const PROMPT: Duration = Duration::from_secs(2);

/// The timeouts that must act as a single try.
const EDGE: [Duration; 2] = [Duration::ZERO, Duration::from_nanos(1)];

/// As [`within`], and asserts that `f` returned within [`PROMPT`].
fn prompt<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let start = Instant::now();
    let result = within(what, f);
    let elapsed = start.elapsed();
    assert!(elapsed < PROMPT, "{what} took {elapsed:?}");
    result
}

/// Runs `f` on another thread after [`SHORT`].
fn later(what: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    spawn(what, move || {
        thread::sleep(SHORT);
        f();
    })
}

/// A deadline that has passed.
fn past() -> Instant {
    let now = Instant::now();
    now.checked_sub(Duration::from_secs(1)).unwrap_or(now)
}
