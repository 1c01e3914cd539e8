//! `Local`: per-thread isolation, `with_init` per thread, drop at thread end and with the
//! local.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use gil_runtime::{Local, Runtime};

/// Counts drops of its values.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn values_do_not_leak_across_threads() {
    let local = Arc::new(Local::new());
    local.set(1u32);
    let l = local.clone();
    thread::scope(|s| {
        s.spawn(move || {
            assert_eq!(l.get(), None);
            l.set(2);
            assert_eq!(l.get(), Some(2));
        });
    });
    assert_eq!(local.get(), Some(1));
}

#[test]
fn init_runs_once_per_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let local = Arc::new(Local::with_init(move || c.fetch_add(1, SeqCst)));
    assert_eq!(local.get(), Some(0));
    assert_eq!(local.get(), Some(0));
    let l = local.clone();
    thread::scope(|s| {
        s.spawn(move || assert_eq!(l.get(), Some(1)));
    });
    assert_eq!(calls.load(SeqCst), 2);
}

#[test]
fn value_dropped_when_its_thread_ends() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    let (l, d) = (local.clone(), drops.clone());
    thread::Builder::new()
        .spawn(move || {
            l.set(Counted(d));
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the thread's value outlived the thread"
    );
    assert_eq!(format!("{local:?}"), "Local { threads: 0, .. }");
}

#[test]
fn values_dropped_with_the_local() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Local::new();
    local.set(Counted(drops.clone()));
    drop(local);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn set_take_cycles_keep_one_cleanup() {
    let local = Local::new();
    for i in 0..10_000 {
        assert_eq!(local.set(i), None);
        assert_eq!(local.take(), Some(i));
    }
    assert_eq!(local.take(), None);
}

#[test]
fn runtime_threads_have_their_own_values() {
    let rt = Runtime::new();
    let local = Arc::new(Local::new());
    local.set("main");
    let l = local.clone();
    let t = rt.thread(move |_| {
        assert_eq!(l.get(), None);
        l.set("worker");
    });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(local.get(), Some("main"));
}

#[test]
fn runtime_thread_values_are_dropped_before_join_returns() {
    let rt = Runtime::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    for round in 1..=50 {
        let (l, d) = (local.clone(), drops.clone());
        let t = rt.thread(move |_| {
            l.set(Counted(d));
        });
        t.start().unwrap();
        t.join().unwrap();
        // Python clears a thread's locals before its join returns; the OS thread's own
        // destructors may run later, so this fails if only they drop the value.
        assert_eq!(
            drops.load(SeqCst),
            round,
            "join returned before the value dropped"
        );
    }
    assert_eq!(format!("{local:?}"), "Local { threads: 0, .. }");
}

/// Panics when dropped.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("drop failed");
    }
}

#[test]
fn a_value_whose_drop_panics_does_not_stop_the_others_or_the_thread() {
    let rt = Runtime::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(Local::new());
    let good = Arc::new(Local::new());
    let (b, g, d) = (bad.clone(), good.clone(), drops.clone());
    let t = rt.thread(move |_| {
        b.set(PanicsOnDrop);
        g.set(Counted(d));
    });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(drops.load(SeqCst), 1);
    assert!(!t.is_alive());
    assert_eq!(rt.active_count(), 1);
    let _gil = rt.gil().acquire(); // not left held
}
