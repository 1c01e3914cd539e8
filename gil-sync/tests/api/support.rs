//! Helpers shared by the api tests: the timeouts they use, spawning named threads, and
//! joining or polling with a deadline instead of forever, so that a lost wake-up or a deadlock
//! fails the test instead of hanging it.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_core::{Gil, GilGuard};

/// How long any wait may take before the test calls it a lost wake-up or a deadlock: far
/// beyond what a healthy run needs, even on a loaded 2-core VM. Also the timeout of the
/// "blocking" calls that must succeed, so that a regression fails rather than hangs.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// A timeout that is meant to expire.
pub(crate) const SHORT: Duration = Duration::from_millis(20);

/// How long to let spawned threads run into a blocking call when nothing tells that they are
/// there (semaphores and events have no waiter count). Tests stay correct if it is too short;
/// they only test less.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);

/// Sleeps [`SETTLE`].
pub(crate) fn settle() {
    thread::sleep(SETTLE);
}

/// Polls `cond` until it holds; panics after [`TIMEOUT`].
pub(crate) fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_micros(200));
    }
}

/// Spawns a named thread (`std::thread::spawn` is disallowed by the workspace's clippy.toml).
pub(crate) fn spawn<T, F>(name: &str, f: F) -> JoinHandle<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn a test thread")
}

/// Joins `handle`, failing the test (instead of hanging) if the thread is still running after
/// [`TIMEOUT`]; a panic of the thread is resumed here.
pub(crate) fn join<T>(handle: JoinHandle<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    while !handle.is_finished() {
        assert!(
            Instant::now() < deadline,
            "thread {:?} still running after {TIMEOUT:?}: lost wake-up or deadlock",
            handle.thread().name()
        );
        thread::sleep(Duration::from_millis(1));
    }
    handle
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// Joins every handle (see [`join`]).
pub(crate) fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    handles.into_iter().map(join).collect()
}

/// Asserts that at least `timeout` passed since `start`, and not absurdly more (a wide upper
/// bound: only a hang fails it).
pub(crate) fn assert_waited(start: Instant, timeout: Duration) {
    let elapsed = start.elapsed();
    assert!(
        elapsed >= timeout,
        "returned after {elapsed:?}, before {timeout:?}"
    );
    assert!(
        elapsed < timeout + TIMEOUT,
        "returned only after {elapsed:?}"
    );
}

/// Acquires `gil` on the calling thread by polling `try_acquire`, failing the test after
/// [`TIMEOUT`] (some other thread never released it).
pub(crate) fn acquire_gil_within(gil: &Gil) -> GilGuard<'_> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Ok(guard) = gil.try_acquire() {
            return guard;
        }
        assert!(
            Instant::now() < deadline,
            "the GIL was not released within {TIMEOUT:?}: a blocked thread kept it"
        );
        thread::sleep(Duration::from_micros(200));
    }
}

/// Asserts that nobody else is inside while `f` runs: a mutual-exclusion probe.
pub(crate) fn exclusive<R>(inside: &AtomicBool, f: impl FnOnce() -> R) -> R {
    assert!(
        !inside.swap(true, SeqCst),
        "two threads inside the lock at once"
    );
    let r = f();
    inside.store(false, SeqCst);
    r
}
