//! `Local`: a thread's end (which drops its values through its registry) racing the drop
//! of the `Local` (which drops every thread's value and leaves every registry). Each value
//! is dropped once, and neither side waits for the other: a registry's lock and a table's
//! lock are never held together. (Injected on 2026-12-03 and reverted: holding the table's
//! lock while leaving the registries in `Local::drop`, and the registry's lock while
//! dropping values in `Registry::drop_values`: both models report the deadlock at
//! `LOOM_MAX_PREEMPTIONS=2`, the runtime one as an abort, since loom's deadlock panic
//! happens during unwinding there.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_runtime::{Local, Runtime};
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::{Acquire, Release};

/// Counts drops of its values.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A plain thread sets a value, lets go of the `Local` and ends (its thread-local destructor
/// drops its values through its registry) while the main thread drops the last reference,
/// so `Local::drop` races the thread's exit: the value is dropped once, by one side or the
/// other.
#[test]
fn thread_exit_races_the_local_drop() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let local = Arc::new(Local::new());
        let set = Arc::new(AtomicBool::new(false));
        let (l, d, s) = (local.clone(), drops.clone(), set.clone());
        let t = loom::thread::spawn(move || {
            l.set(Counted(d));
            drop(l);
            s.store(true, Release);
        });
        // Acquire: pairs with the Release above, after the thread let go of the `Local`.
        while !set.load(Acquire) {
            loom::thread::yield_now();
        }
        drop(local);
        t.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1, "the value was dropped once");
    });
}

/// The same race on a runtime thread, whose values are dropped before `done` (by
/// `drop_thread_values`), and a second `Local` that outlives the thread: its entry for the
/// thread is gone once `join` returns.
#[test]
fn runtime_thread_exit_races_the_local_drop() {
    loom::model(|| {
        let rt = Runtime::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let (short, long) = (Arc::new(Local::new()), Arc::new(Local::new()));
        let (s, l, d) = (short.clone(), long.clone(), drops.clone());
        let t = rt.thread(move |_| {
            s.set(Counted(d.clone()));
            l.set(Counted(d));
            drop(s);
        });
        t.start().unwrap();
        drop(short);
        t.join().unwrap();
        assert_eq!(
            drops.load(SeqCst),
            2,
            "both values dropped once, before join"
        );
        assert_eq!(format!("{long:?}"), "Local { threads: 0, .. }");
    });
}
