//! Panics: a panic while holding releases the GIL (and wakes a queued waiter); a panic inside
//! `allow_threads` re-acquires the GIL before unwinding on, and the guard then releases it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::time::Duration;

use gil_core::{GilGuard, Policy, TryAcquireError, allow_threads};
use gil_test_support::{PATIENCE, join, quiet_panic, spawn};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

fn panicking_holder_thread_releases_the_gil(policy: Policy) {
    let gil = gil(policy, HOUR);
    let panicker = {
        let gil = gil.clone();
        spawn("panicker", move || {
            let _guard = gil.acquire();
            quiet_panic();
        })
    };
    assert!(panicker.join().is_err(), "the thread panicked");
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
    let _guard = gil.try_acquire().expect("the gil is free after the panic");
}

#[test]
fn panicking_holder_thread_releases_the_gil_fair() {
    panicking_holder_thread_releases_the_gil(Policy::Fair);
}

#[test]
fn panicking_holder_thread_releases_the_gil_cpython() {
    panicking_holder_thread_releases_the_gil(Policy::CPython);
}

fn caught_panic_while_holding_releases_the_gil(policy: Policy) {
    let gil = gil(policy, HOUR);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _guard = gil.acquire();
        let _nested = gil.acquire();
        quiet_panic();
    }));
    assert!(caught.is_err());
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn caught_panic_while_holding_releases_the_gil_fair() {
    caught_panic_while_holding_releases_the_gil(Policy::Fair);
}

#[test]
fn caught_panic_while_holding_releases_the_gil_cpython() {
    caught_panic_while_holding_releases_the_gil(Policy::CPython);
}

fn panic_in_a_nested_guard_keeps_the_outer_hold(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _inner = gil.acquire();
        quiet_panic();
    }));
    assert!(caught.is_err());
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(outer);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn panic_in_a_nested_guard_keeps_the_outer_hold_fair() {
    panic_in_a_nested_guard_keeps_the_outer_hold(Policy::Fair);
}

#[test]
fn panic_in_a_nested_guard_keeps_the_outer_hold_cpython() {
    panic_in_a_nested_guard_keeps_the_outer_hold(Policy::CPython);
}

/// A waiter queued behind a holder that panics is woken: nobody sleeps forever.
fn panicking_holder_wakes_the_queued_waiter(policy: Policy) {
    let gil = gil(policy, HOUR);
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let panicker = {
        let gil = gil.clone();
        spawn("panicker", move || {
            let _guard = gil.acquire();
            holding_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            quiet_panic();
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("panicker holds");
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || {
            let _guard = gil.acquire();
            gil.is_held_by_current_thread()
        })
    };
    wait_for_waiters(&gil, 1);
    go_tx.send(()).unwrap();
    assert!(panicker.join().is_err());
    assert!(join(waiter), "the waiter got the gil after the panic");
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn panicking_holder_wakes_the_queued_waiter_fair() {
    panicking_holder_wakes_the_queued_waiter(Policy::Fair);
}

#[test]
fn panicking_holder_wakes_the_queued_waiter_cpython() {
    panicking_holder_wakes_the_queued_waiter(Policy::CPython);
}

/// The closure panics while another thread holds the GIL: the unwinding re-acquires (waiting
/// for that thread to let go), the GIL is held after `catch_unwind`, and dropping the guard
/// releases it.
fn panic_inside_allow_threads_reacquires_before_unwinding(
    policy: Policy,
    release: fn(&mut GilGuard<'_>, &mut dyn FnMut()),
) {
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
    let caught = catch_unwind(AssertUnwindSafe(|| {
        release(&mut guard, &mut || {
            entered_rx.recv_timeout(PATIENCE).expect("visitor ran");
            quiet_panic();
        });
    }));
    assert!(caught.is_err(), "the panic goes on after the re-acquire");
    assert!(
        !holding.load(SeqCst),
        "re-acquired while the visitor held the gil"
    );
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    assert!(guard.gil().ptr_eq(&gil));
    assert!(!guard.check().unwrap().switched());
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
    join(visitor);
}

fn with_guard(guard: &mut GilGuard<'_>, f: &mut dyn FnMut()) {
    guard.allow_threads(f);
}

fn with_free_fn(_guard: &mut GilGuard<'_>, f: &mut dyn FnMut()) {
    allow_threads(f);
}

#[test]
fn panic_inside_guard_allow_threads_reacquires_before_unwinding_fair() {
    panic_inside_allow_threads_reacquires_before_unwinding(Policy::Fair, with_guard);
}

#[test]
fn panic_inside_guard_allow_threads_reacquires_before_unwinding_cpython() {
    panic_inside_allow_threads_reacquires_before_unwinding(Policy::CPython, with_guard);
}

#[test]
fn panic_inside_free_allow_threads_reacquires_before_unwinding_fair() {
    panic_inside_allow_threads_reacquires_before_unwinding(Policy::Fair, with_free_fn);
}

#[test]
fn panic_inside_free_allow_threads_reacquires_before_unwinding_cpython() {
    panic_inside_allow_threads_reacquires_before_unwinding(Policy::CPython, with_free_fn);
}

/// A thread whose `allow_threads` closure panics, uncaught: the thread ends, its guard is
/// dropped during unwinding, and the GIL is free afterwards.
fn uncaught_panic_inside_allow_threads_releases_the_gil(policy: Policy) {
    let gil = gil(policy, HOUR);
    let thread = {
        let gil = gil.clone();
        spawn("panicker", move || {
            let mut guard = gil.acquire();
            guard.allow_threads(|| quiet_panic());
        })
    };
    assert!(thread.join().is_err());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn uncaught_panic_inside_allow_threads_releases_the_gil_fair() {
    uncaught_panic_inside_allow_threads_releases_the_gil(Policy::Fair);
}

#[test]
fn uncaught_panic_inside_allow_threads_releases_the_gil_cpython() {
    uncaught_panic_inside_allow_threads_releases_the_gil(Policy::CPython);
}
