//! The daemon flag: inherited from the creating thread at construction, set by the builder
//! or by `set_daemon` before start only, and true for dummy threads.

use std::sync::mpsc;

use gil_runtime::{DaemonError, Runtime, Thread};
use gil_test_support::{join, recv, spawn};

use crate::support::{Gate, spawn_dummy, start_held};

/// Builds a thread inside a target of a thread with the given daemon flag (and the given
/// explicit flag for the inner one), returning the inner, unstarted thread.
fn built_inside(rt: &Runtime, outer_daemon: bool, inner: Option<bool>) -> Thread {
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let outer = rt.thread_builder().daemon(outer_daemon).target(move |_| {
        let b = h.thread_builder();
        let b = match inner {
            Some(d) => b.daemon(d),
            None => b,
        };
        tx.send(b.target(|_| {})).unwrap();
    });
    outer.start().unwrap();
    outer.join().unwrap();
    recv(&rx)
}

#[test]
fn threads_built_by_the_main_thread_are_not_daemon() {
    let rt = Runtime::new();
    assert!(!rt.main_thread().daemon());
    assert!(!rt.thread(|_| {}).daemon());
}

#[test]
fn a_thread_built_inside_a_daemon_thread_is_daemon() {
    let rt = Runtime::new();
    assert!(built_inside(&rt, true, None).daemon());
}

#[test]
fn a_thread_built_inside_a_non_daemon_thread_is_not_daemon() {
    let rt = Runtime::new();
    assert!(!built_inside(&rt, false, None).daemon());
}

#[test]
fn an_explicit_flag_overrides_inheritance() {
    let rt = Runtime::new();
    assert!(!built_inside(&rt, true, Some(false)).daemon());
    assert!(built_inside(&rt, false, Some(true)).daemon());
    assert!(rt.thread_builder().daemon(true).target(|_| {}).daemon());
}

#[test]
fn inheritance_happens_at_construction_not_at_start() {
    let rt = Runtime::new();
    // Built in a daemon thread, started by the (non-daemon) main thread: stays daemon.
    let t = built_inside(&rt, true, None);
    t.start().unwrap();
    assert!(t.daemon());
    t.join().unwrap();
}

#[test]
fn a_thread_built_by_a_dummy_thread_is_daemon() {
    let rt = Runtime::new();
    let h = rt.handle();
    let t = join(spawn("foreign", move || {
        assert!(h.current_thread().daemon());
        h.thread(|_| {})
    }));
    assert!(t.daemon());
}

/// Python's `Thread()` reads `current_thread().daemon`, which turns a foreign thread into a
/// daemon dummy thread even if it never asked for `current_thread` itself.
#[test]
fn a_thread_built_by_a_foreign_thread_is_daemon_even_before_current_thread() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (t, dummy) = join(spawn("foreign", move || {
        let t = h.thread(|_| {});
        (t, h.current_thread())
    }));
    assert!(t.daemon());
    assert_eq!(t.name(), "Thread-1", "the name is taken before the dummy's");
    assert_eq!(dummy.name(), "Dummy-2");
}

#[test]
fn set_daemon_before_start_is_kept() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    assert_eq!(t.set_daemon(true), Ok(()));
    assert!(t.daemon());
    assert_eq!(t.set_daemon(false), Ok(()));
    assert!(!t.daemon());
    t.set_daemon(true).unwrap();
    t.start().unwrap();
    assert!(t.daemon());
    t.join().unwrap();
}

#[test]
fn set_daemon_once_started_is_refused_even_after_the_thread_ended() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let err = t.set_daemon(true).unwrap_err();
    assert_eq!(err, DaemonError::Active);
    assert_eq!(err.to_string(), "cannot set daemon status of active thread");
    gate.open();
    t.join().unwrap();
    assert_eq!(t.set_daemon(true), Err(DaemonError::Active));
    assert!(!t.daemon(), "a refused set changes nothing");
}

#[test]
fn set_daemon_on_the_main_thread_is_refused() {
    let rt = Runtime::new();
    assert_eq!(rt.main_thread().set_daemon(true), Err(DaemonError::Active));
    assert!(!rt.main_thread().daemon());
}

#[test]
fn dummy_threads_are_daemon_and_cannot_change_it() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert!(dummy.daemon());
    assert_eq!(dummy.set_daemon(false), Err(DaemonError::Active));
    assert!(dummy.daemon());
    gate.open();
    join(os);
}
