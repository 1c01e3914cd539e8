//! Spawning, joining and waiting, each bounded by [`PATIENCE`].

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::PATIENCE;

/// Spawns a named thread (`std::thread::spawn` is disallowed by the workspace's clippy.toml).
///
/// # Panics
///
/// If the OS cannot start a thread.
pub fn spawn<T, F>(name: impl Into<String>, f: F) -> JoinHandle<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .expect("spawn a test thread")
}

/// Joins `handle`, failing the test (instead of hanging) if the thread is still running after
/// [`PATIENCE`]; a panic of the thread is resumed here.
///
/// # Panics
///
/// If the thread panicked (with its payload), or is still running after [`PATIENCE`].
pub fn join<T>(handle: JoinHandle<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    while !handle.is_finished() {
        assert!(
            Instant::now() < deadline,
            "thread {:?} still running after {PATIENCE:?}: lost wake-up or deadlock",
            handle.thread().name()
        );
        thread::sleep(Duration::from_millis(1));
    }
    handle
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// Joins every handle, in order (see [`join`]).
///
/// # Panics
///
/// As [`join`].
pub fn join_all<T>(handles: impl IntoIterator<Item = JoinHandle<T>>) -> Vec<T> {
    handles.into_iter().map(join).collect()
}

/// Runs `f` on a thread named `what` and returns its result, failing the test after
/// [`PATIENCE`] (the stuck thread is leaked).
///
/// # Panics
///
/// As [`join`].
pub fn within<T, F>(what: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    join(spawn(what, f))
}

/// Polls `cond` until it holds.
///
/// # Panics
///
/// If it still does not hold after [`PATIENCE`]; `what` says what was waited for.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_micros(200));
    }
}

/// Receives from `rx`.
///
/// # Panics
///
/// If nothing arrives within [`PATIENCE`], or every sender is gone.
pub fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(PATIENCE)
        .expect("nothing received within PATIENCE")
}
