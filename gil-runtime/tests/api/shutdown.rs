//! `Runtime::shutdown` and drop: every non-daemon thread joined (also ones started
//! meanwhile), daemon threads abandoned but still running, idempotence, the main thread
//! stopped, and what a `Handle` kept past the drop still answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc;

use gil_runtime::{Runtime, StartError};
use gil_test_support::{SHORT, recv, spawn, within};

use crate::support::{Gate, silence, start_held};

/// Runs `rt.shutdown()` on another thread; the receiver gets `()` when it returns.
fn shutdown_in_background<'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    rt: &'scope Runtime,
) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    s.spawn(move || {
        rt.shutdown();
        tx.send(()).unwrap();
    });
    rx
}

#[test]
fn shutdown_waits_for_a_running_non_daemon_thread() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    std::thread::scope(|s| {
        let done = shutdown_in_background(s, &rt);
        assert!(done.recv_timeout(SHORT).is_err(), "shutdown did not wait");
        assert!(t.is_alive());
        gate.open();
        recv(&done);
    });
    assert!(!t.is_alive());
}

#[test]
fn shutdown_joins_a_thread_started_by_another_thread_while_it_waits() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (first_gate, second_gate) = (Gate::new(), Gate::new());
    let (w1, w2) = (first_gate.waiter(), second_gate.waiter());
    let second_ran = Arc::new(AtomicBool::new(false));
    let ran = second_ran.clone();
    let (tx, rx) = mpsc::channel();
    // The first thread starts the second just before it ends.
    let first = rt.thread(move |_| {
        w1.wait();
        let second = h.thread(move |_| {
            w2.wait();
            ran.store(true, SeqCst);
        });
        second.start().unwrap();
        tx.send(second).unwrap();
    });
    first.start().unwrap();
    std::thread::scope(|s| {
        let done = shutdown_in_background(s, &rt);
        assert!(done.recv_timeout(SHORT).is_err(), "shutdown did not wait");
        first_gate.open();
        let second = recv(&rx);
        assert!(
            done.recv_timeout(SHORT).is_err(),
            "shutdown did not wait for the thread started meanwhile"
        );
        assert!(second.is_alive());
        second_gate.open();
        recv(&done);
        assert!(!second.is_alive());
    });
    assert!(second_ran.load(SeqCst));
    assert!(!first.is_alive());
}

#[test]
fn dropping_the_runtime_joins_non_daemon_threads() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let dropper = spawn("dropper", move || drop(rt));
    assert!(t.join_timeout(SHORT).is_ok_and(|ended| !ended));
    assert!(!dropper.is_finished(), "drop did not wait");
    gate.open();
    gil_test_support::join(dropper);
    assert!(!t.is_alive());
}

#[test]
fn shutdown_does_not_wait_for_daemon_threads() {
    let rt = Arc::new(Runtime::new());
    let gate = Gate::new();
    let w = gate.waiter();
    let d = rt.thread_builder().daemon(true).target(move |_| w.wait());
    d.start().unwrap();
    let r = rt.clone();
    // Fails after PATIENCE, instead of hanging, if shutdown waits for the daemon.
    within("shutdown", move || r.shutdown());
    assert!(d.is_alive(), "the daemon ended before its gate opened");
    gate.open();
    assert_eq!(d.join_timeout(gil_test_support::PATIENCE), Ok(true));
}

#[test]
fn a_daemon_thread_outlives_the_runtime_and_cannot_start_threads() {
    let rt = Runtime::new();
    let h = rt.handle();
    let gate = Gate::new();
    let w = gate.waiter();
    let (tx, rx) = mpsc::channel();
    let d = rt.thread_builder().daemon(true).target(move |guard| {
        w.wait();
        guard.check().unwrap();
        let released = guard.allow_threads(|| !h.gil().is_held_by_current_thread());
        let started = h.thread(|_| {}).start();
        tx.send((guard.gil().is_held_by_current_thread(), released, started))
            .unwrap();
    });
    d.start().unwrap();
    drop(rt);
    assert!(d.is_alive());
    gate.open();
    assert_eq!(recv(&rx), (true, true, Err(StartError::Shutdown)));
    d.join().unwrap();
}

#[test]
fn shutdown_is_idempotent() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    t.start().unwrap();
    rt.shutdown();
    assert!(!t.is_alive());
    rt.shutdown();
    rt.shutdown();
    assert!(!rt.main_thread().is_alive());
    assert_eq!(rt.thread(|_| {}).start(), Err(StartError::Shutdown));
    drop(rt);
}

#[test]
fn the_main_thread_is_stopped_after_shutdown_but_still_current() {
    let rt = Runtime::new();
    let main = rt.main_thread();
    assert!(main.is_alive());
    rt.shutdown();
    assert!(!main.is_alive());
    assert_eq!(main.join(), Err(gil_runtime::JoinError::CurrentThread));
    // Python's current_thread() still returns the main thread at shutdown (bpo-31516).
    assert!(rt.current_thread().ptr_eq(&main));
}

#[test]
fn shutdown_carries_on_past_a_thread_that_panics() {
    let rt = Runtime::new();
    silence(&rt);
    let gate = Gate::new();
    let w = gate.waiter();
    let t = rt.thread(move |_| {
        w.wait();
        panic!("boom during shutdown");
    });
    t.start().unwrap();
    let u = start_held(&rt, &gate);
    std::thread::scope(|s| {
        let done = shutdown_in_background(s, &rt);
        gate.open();
        recv(&done);
    });
    assert!(!t.is_alive() && !u.is_alive());
}

#[test]
fn a_handle_kept_past_the_drop_still_answers() {
    let rt = Runtime::new();
    let h = rt.handle();
    let gate = Gate::new();
    let w = gate.waiter();
    let d = rt.thread_builder().daemon(true).target(move |_| w.wait());
    d.start().unwrap();
    let main = rt.main_thread();
    drop(rt);
    let all = h.enumerate();
    assert_eq!(all.len(), h.active_count());
    assert!(
        crate::support::listed(&all, &d),
        "a live daemon is still listed"
    );
    assert!(!main.is_alive());
    assert!(h.main_thread().ptr_eq(&main));
    let err = h.thread(|_| {}).start().unwrap_err();
    assert_eq!(err, StartError::Shutdown);
    gate.open();
    d.join().unwrap();
    assert!(!crate::support::listed(&h.enumerate(), &d));
}

#[test]
fn shutdown_releases_the_callers_gil_while_it_waits() {
    let rt = Arc::new(Runtime::new());
    let r = rt.clone();
    // The caller holds the GIL, then starts a thread that needs it: shutdown must let it in.
    // On a deadlock the caller (with its clone of the runtime) is leaked and the test fails.
    let alive_after = within("shutdown holding the GIL", move || {
        let _held = r.gil().acquire();
        let t = r
            .thread_builder()
            .daemon(false)
            .target(|guard| assert!(guard.gil().is_held_by_current_thread()));
        t.start().unwrap();
        r.shutdown();
        assert!(r.gil().is_held_by_current_thread());
        t.is_alive()
    });
    assert!(!alive_after);
}
