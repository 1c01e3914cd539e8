//! Probes: mutual exclusion, tests that need the machine to themselves, and code that runs
//! while a thread's storage is torn down.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};

use crate::panic_message;

/// Asserts that nobody else is inside while `f` runs: a mutual-exclusion probe (`inside` is
/// shared by every thread that enters).
///
/// # Panics
///
/// If another thread is inside when this one enters.
pub fn exclusive<R>(inside: &AtomicBool, f: impl FnOnce() -> R) -> R {
    assert!(!inside.swap(true, SeqCst), "two threads inside at once");
    let r = f();
    inside.store(false, SeqCst);
    r
}

/// Serializes the tests that measure or depend on scheduling, so that they do not run
/// alongside each other and steal each other's cores (within one test binary; nextest runs
/// each test in its own process, so their bounds are wide anyway).
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs its closure when the thread's storage is destroyed.
struct AtExit(RefCell<Option<Box<dyn FnOnce()>>>);

impl Drop for AtExit {
    fn drop(&mut self) {
        if let Some(f) = self.0.borrow_mut().take() {
            f();
        }
    }
}

thread_local! {
    static AT_EXIT: AtExit = const { AtExit(RefCell::new(None)) };
}

/// Registers the calling thread's exit probe now, unless it already is: its destructor then
/// runs after those of every thread-local first used after this call (thread-local
/// destructors run in reverse order of registration on Linux). Call it first on a fresh
/// thread to run [`check_at_thread_exit`]'s checks after everything else is gone.
pub fn register_exit_probe() {
    AT_EXIT.with(|_| ());
}

/// Runs `checks` in the calling thread's exit probe (registered now, unless it already is;
/// see [`register_exit_probe`]), and sends to `report` what happened: `Ok(())`, or the
/// message of the panic, caught there because a panic in a thread-local destructor aborts
/// the process.
pub fn check_at_thread_exit(
    report: mpsc::Sender<Result<(), String>>,
    checks: impl FnOnce() + 'static,
) {
    AT_EXIT.with(|at_exit| {
        *at_exit.0.borrow_mut() = Some(Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(checks));
            let _ = report.send(outcome.map_err(|payload| panic_message(&*payload)));
        }));
    });
}
