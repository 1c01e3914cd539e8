//! `GilGuard::allow_threads` and the free `allow_threads`: the GIL is released while the
//! closure runs (another thread really holds it meanwhile), taken back afterwards with the
//! same nesting depth, and the free function without a GIL just runs the closure.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use gil_core::{Gil, Policy, TryAcquireError, allow_threads, holds_any_gil};
use gil_test_support::{PATIENCE, join, spawn};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

/// A thread that acquires `gil`, reports it on the returned receiver, and holds it until
/// told to let go on the returned sender.
fn visitor(gil: &Gil) -> (JoinHandle<()>, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (leave_tx, leave_rx) = mpsc::channel();
    let gil = gil.clone();
    let handle = spawn("visitor", move || {
        let _guard = gil.acquire();
        entered_tx.send(()).unwrap();
        leave_rx.recv_timeout(PATIENCE).expect("told to leave");
    });
    (handle, entered_rx, leave_tx)
}

/// Inside the closure: the visitor gets the GIL and holds it while we are still inside.
fn visit_while_released(gil: &Gil, entered: &mpsc::Receiver<()>, leave: &mpsc::Sender<()>) {
    assert!(!gil.is_held_by_current_thread());
    assert!(!holds_any_gil());
    entered
        .recv_timeout(PATIENCE)
        .expect("another thread acquires the gil while it is released");
    assert_eq!(try_acquire_elsewhere(gil), Err(TryAcquireError::WouldBlock));
    leave.send(()).unwrap();
}

fn guard_allow_threads_lets_another_thread_hold_the_gil(policy: Policy) {
    let gil = gil(policy, HOUR);
    let mut guard = gil.acquire();
    let (visitor, entered, leave) = visitor(&gil);
    wait_for_waiters(&gil, 1);
    let value = guard.allow_threads(|| {
        visit_while_released(&gil, &entered, &leave);
        42
    });
    assert_eq!(value, 42);
    assert!(gil.is_held_by_current_thread());
    join(visitor);
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(guard);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn guard_allow_threads_lets_another_thread_hold_the_gil_fair() {
    guard_allow_threads_lets_another_thread_hold_the_gil(Policy::Fair);
}

#[test]
fn guard_allow_threads_lets_another_thread_hold_the_gil_cpython() {
    guard_allow_threads_lets_another_thread_hold_the_gil(Policy::CPython);
}

fn free_allow_threads_lets_another_thread_hold_the_gil(policy: Policy) {
    let gil = gil(policy, HOUR);
    let guard = gil.acquire();
    let (visitor, entered, leave) = visitor(&gil);
    wait_for_waiters(&gil, 1);
    let value = allow_threads(|| {
        visit_while_released(&gil, &entered, &leave);
        "done"
    });
    assert_eq!(value, "done");
    assert!(gil.is_held_by_current_thread());
    join(visitor);
    drop(guard);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn free_allow_threads_lets_another_thread_hold_the_gil_fair() {
    free_allow_threads_lets_another_thread_hold_the_gil(Policy::Fair);
}

#[test]
fn free_allow_threads_lets_another_thread_hold_the_gil_cpython() {
    free_allow_threads_lets_another_thread_hold_the_gil(Policy::CPython);
}

#[test]
fn free_allow_threads_without_a_gil_just_runs_the_closure() {
    assert!(!holds_any_gil());
    let mut ran = false;
    let value = allow_threads(|| {
        ran = true;
        7
    });
    assert!(ran);
    assert_eq!(value, 7);
    assert!(!holds_any_gil());
    // A GIL the thread touched and released earlier is not re-acquired either.
    let gil = Gil::new();
    drop(gil.acquire());
    allow_threads(|| assert!(!gil.is_held_by_current_thread()));
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn free_allow_threads_inside_allow_threads_just_runs_the_closure() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let value = guard.allow_threads(|| allow_threads(|| allow_threads(|| 3)));
    assert_eq!(value, 3);
    assert!(gil.is_held_by_current_thread());
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
}

/// `allow_threads` on an inner guard releases the GIL entirely (not one nesting level), and
/// restores the nesting depth afterwards.
fn nested_guard_allow_threads_releases_completely(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let mut inner = gil.acquire();
    let (visitor, entered, leave) = visitor(&gil);
    wait_for_waiters(&gil, 1);
    inner.allow_threads(|| visit_while_released(&gil, &entered, &leave));
    join(visitor);
    drop(inner);
    assert!(
        gil.is_held_by_current_thread(),
        "the outer guard still holds"
    );
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(outer);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn nested_guard_allow_threads_releases_completely_fair() {
    nested_guard_allow_threads_releases_completely(Policy::Fair);
}

#[test]
fn nested_guard_allow_threads_releases_completely_cpython() {
    nested_guard_allow_threads_releases_completely(Policy::CPython);
}

/// Coming back from `allow_threads` waits for whoever took the GIL meanwhile to let go: the
/// re-acquire excludes like any acquire.
fn return_from_allow_threads_waits_for_the_current_holder(policy: Policy) {
    let gil = gil(policy, HOUR);
    let mut guard = gil.acquire();
    let holding = Arc::new(AtomicBool::new(false));
    let (entered_tx, entered_rx) = mpsc::channel();
    let visitor = {
        let (gil, holding) = (gil.clone(), Arc::clone(&holding));
        spawn("visitor", move || {
            let _guard = gil.acquire();
            holding.store(true, SeqCst);
            entered_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(10));
            holding.store(false, SeqCst);
        })
    };
    wait_for_waiters(&gil, 1);
    guard.allow_threads(|| entered_rx.recv_timeout(PATIENCE).expect("visitor ran"));
    assert!(
        !holding.load(SeqCst),
        "allow_threads returned while another thread held the gil"
    );
    drop(guard);
    join(visitor);
}

#[test]
fn return_from_allow_threads_waits_for_the_current_holder_fair() {
    return_from_allow_threads_waits_for_the_current_holder(Policy::Fair);
}

#[test]
fn return_from_allow_threads_waits_for_the_current_holder_cpython() {
    return_from_allow_threads_waits_for_the_current_holder(Policy::CPython);
}
