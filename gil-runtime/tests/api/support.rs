//! Helpers shared by the api tests: timeouts, gates that hold a target until the test lets
//! it go, and running a blocking call with a deadline so that a deadlock fails the test
//! instead of hanging it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_runtime::{Handle, Thread};
use gil_sync::Event;

/// How long any wait may take before the test calls it a lost wake-up or a deadlock: far
/// beyond what a healthy run needs, even on a loaded 2-core VM.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// A timeout that is meant to expire (used to check that something is still blocked on a
/// gate the test controls: correct behaviour always lets it expire).
pub(crate) const SHORT: Duration = Duration::from_millis(20);

/// Counts drops of its values (on the shared counter).
pub(crate) struct Counted(pub(crate) Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// An event the test opens to let targets go on. Opens on drop too, so that a failing
/// assertion unwinds into a runtime shutdown that can finish instead of hanging.
#[derive(Debug, Default)]
pub(crate) struct Gate(Arc<Event>);

/// The waiting side of a [`Gate`] (does not open it when dropped).
#[derive(Debug, Clone)]
pub(crate) struct GateWaiter(Arc<Event>);

impl Gate {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A waiter to move into a target.
    pub(crate) fn waiter(&self) -> GateWaiter {
        GateWaiter(self.0.clone())
    }

    pub(crate) fn open(&self) {
        self.0.set();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.0.set();
    }
}

impl GateWaiter {
    /// Waits (GIL released, as every `gil_sync` wait) until the gate opens; panics after
    /// [`TIMEOUT`].
    pub(crate) fn wait(&self) {
        assert!(self.0.wait_timeout(TIMEOUT), "the gate never opened");
    }
}

/// Builds and starts a thread whose target waits for `gate` (so it stays alive until the test
/// opens it).
pub(crate) fn start_held(handle: &Handle, gate: &Gate) -> Thread {
    let waiter = gate.waiter();
    let t = handle.thread(move |_| waiter.wait());
    t.start().expect("start a held thread");
    t
}

/// Installs an excepthook that does nothing, for tests that panic on purpose.
pub(crate) fn silence(handle: &Handle) {
    handle.set_excepthook(|_| {});
}

/// Spawns a named std thread (`std::thread::spawn` is disallowed by the workspace's
/// clippy.toml).
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

/// Joins a std thread, failing the test (instead of hanging) if it still runs after
/// [`TIMEOUT`]; a panic of the thread is resumed here.
pub(crate) fn join_std<T>(handle: JoinHandle<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    while !handle.is_finished() {
        assert!(
            Instant::now() < deadline,
            "std thread {:?} still running after {TIMEOUT:?}: deadlock",
            handle.thread().name()
        );
        thread::sleep(Duration::from_millis(1));
    }
    handle
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// Runs `f` on a std thread and returns its result, failing the test after [`TIMEOUT`]
/// (the stuck thread is leaked).
pub(crate) fn within<T, F>(what: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    join_std(spawn(what, f))
}

/// Receives from `rx`, failing the test after [`TIMEOUT`].
pub(crate) fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(TIMEOUT)
        .expect("nothing received within TIMEOUT")
}

/// Whether `threads` contains `t` (by identity).
pub(crate) fn listed(threads: &[Thread], t: &Thread) -> bool {
    threads.iter().any(|x| x.ptr_eq(t))
}

/// Spawns a std thread (foreign to the runtime) that calls `current_thread` — registering a
/// dummy thread — and then waits for `gate` before its OS thread ends. Returns the dummy and
/// the std handle (join it to end the OS thread).
pub(crate) fn spawn_dummy(handle: &Handle, gate: &Gate) -> (Thread, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let (h, waiter) = (handle.clone(), gate.waiter());
    let os = spawn("foreign", move || {
        tx.send(h.current_thread()).expect("send the dummy");
        waiter.wait();
    });
    (recv(&rx), os)
}

/// Starts every thread, then joins every one (each must end cleanly).
pub(crate) fn start_then_join_all(threads: &[Thread]) {
    for t in threads {
        t.start().expect("start");
    }
    for t in threads {
        t.join().expect("a clean exit");
    }
}
