//! Thread exit (issue 13, "thread-local access during teardown"): code in a thread-local
//! destructor that runs *after* the crate's own per-thread storage was destroyed still gets
//! the documented behaviour from every API that touches a thread-local, never a panic
//! (which would abort the process there).
//!
//! The checks run in `gil_test_support`'s exit probe, registered first on a fresh thread so
//! that its destructor runs last.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;

use gil_runtime::__probe::local_entries;
use gil_runtime::{Local, Runtime, get_ident};
use gil_test_support::{check_at_thread_exit, join, recv, register_exit_probe, spawn};

use crate::support::Counted;

/// A `Local`, `current_thread` and `get_ident` from a destructor that runs after the
/// thread's `Local` values were dropped and its "current thread" records destroyed.
#[test]
fn locals_and_current_thread_after_the_threads_storage_is_gone() {
    let rt = Runtime::new();
    let local = Arc::new(Local::new());
    let with_init = Arc::new(Local::with_init(|| 40u32));
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let (h, l, w, d) = (rt.handle(), local.clone(), with_init.clone(), drops.clone());
    let os = spawn("teardown", move || {
        // Registered first, so destroyed last.
        register_exit_probe();
        let before = h.current_thread(); // a dummy, recorded
        let ident = get_ident();
        l.set(Counted(d.clone()));
        w.with(|_| ());
        check_at_thread_exit(tx, move || {
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
        });
    });
    join(os);
    assert_eq!(recv(&rx), Ok(()));
    assert_eq!(drops.load(SeqCst), 2);
    assert_eq!(rt.active_count(), 1, "the dummy left the registry");
}
