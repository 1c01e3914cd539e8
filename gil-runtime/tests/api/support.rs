//! gil-runtime's own helpers for the api tests: gates that hold a target until the test lets
//! it go, dummy threads, drop counters (the workspace's shared ones, from spawning to bounded
//! joins, are in `gil_test_support`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread::JoinHandle;

use gil_runtime::{ExceptHookArgs, Handle, Thread};
use gil_sync::Event;
use gil_test_support::{PATIENCE, recv, spawn};

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
    /// [`PATIENCE`].
    pub(crate) fn wait(&self) {
        assert!(self.0.wait_timeout(PATIENCE), "the gate never opened");
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

/// Installs an excepthook that sends each call's thread and message to the returned receiver.
pub(crate) fn recording_hook(handle: &Handle) -> mpsc::Receiver<(Thread, String)> {
    let (tx, rx) = mpsc::channel();
    handle.set_excepthook(move |args: &ExceptHookArgs| {
        tx.send((args.thread.clone(), args.message.clone()))
            .unwrap();
    });
    rx
}

/// Installs an excepthook that does nothing, for tests that panic on purpose.
pub(crate) fn silence(handle: &Handle) {
    handle.set_excepthook(|_| {});
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
