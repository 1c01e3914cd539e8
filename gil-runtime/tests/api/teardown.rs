//! Thread exit (issue 13, "thread-local access during teardown"): code in a thread-local
//! destructor that runs *after* the crate's own per-thread storage was destroyed still gets
//! the documented behaviour from every API that touches a thread-local, never a panic
//! (which would abort the process there).
//!
//! The probe's thread-local is touched first on a fresh thread, so its destructor runs last
//! (thread-local destructors run in reverse order of registration on Linux); each check runs
//! inside a catch and reports through a channel.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;

use gil_runtime::__probe::local_entries;
use gil_runtime::{Local, Runtime, get_ident};

use crate::support::{Counted, join_std, recv, spawn};

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

/// A `Local`, `current_thread` and `get_ident` from a destructor that runs after the
/// thread's `Local` values were dropped and its "current thread" records destroyed.
#[test]
fn locals_and_current_thread_after_the_threads_storage_is_gone() {
    let rt = Runtime::new();
    let local = Arc::new(Local::new());
    let with_init = Arc::new(Local::with_init(|| 40u32));
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<Result<(), String>>();
    let (h, l, w, d) = (rt.handle(), local.clone(), with_init.clone(), drops.clone());
    let os = spawn("teardown", move || {
        // Registered first, so destroyed last.
        AT_EXIT.with(|_| ());
        let before = h.current_thread(); // a dummy, recorded
        let ident = get_ident();
        l.set(Counted(d.clone()));
        w.with(|_| ());
        AT_EXIT.with(|at_exit| {
            *at_exit.0.borrow_mut() = Some(Box::new(move || {
                let checks = catch_unwind(AssertUnwindSafe(|| {
                    assert_eq!(d.load(SeqCst), 1, "the value set below was dropped first");
                    assert_eq!(l.take().map(|_| ()), None, "no value left");
                    assert!(l.set(Counted(d.clone())).is_none());
                    assert_eq!(d.load(SeqCst), 2, "a value set now is dropped at once");
                    assert!(l.with(|v| v.is_none()));
                    assert_eq!(
                        w.with(|v| v.as_deref().copied()),
                        Some(40),
                        "with_init's value"
                    );
                    assert_eq!(w.get(), Some(40));
                    assert_eq!(local_entries(&l) + local_entries(&w), 0, "nothing kept");
                    assert_eq!(get_ident(), ident, "the identity survives");
                    let late = h.current_thread();
                    assert!(!late.ptr_eq(&before), "the record is gone");
                    assert!(
                        !h.enumerate().iter().any(|t| t.ptr_eq(&late)),
                        "an unrecorded dummy is not listed"
                    );
                }));
                let _ = tx.send(checks.map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default()
                }));
            }));
        });
    });
    join_std(os);
    assert_eq!(recv(&rx), Ok(()));
    assert_eq!(drops.load(SeqCst), 2);
    assert_eq!(rt.active_count(), 1, "the dummy left the registry");
}
