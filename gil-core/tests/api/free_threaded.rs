//! `Mode::FreeThreaded`: guards never exclude, `check()` never switches, `allow_threads`
//! just runs the closure, and the bookkeeping (`is_held_by_current_thread`, nesting,
//! statistics) still works.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use gil_core::{Gil, Mode, Policy, allow_threads, holds_any_gil};
use gil_test_support::{PATIENCE, join, quiet_panic, spawn};

fn free_threaded(policy: Policy) -> Gil {
    Gil::builder()
        .policy(policy)
        .mode(Mode::FreeThreaded)
        .switch_interval(std::time::Duration::from_millis(1))
        .build()
        .unwrap()
}

/// Both threads are inside their guards at the same time: each reports it is in, and waits
/// (with a deadline, so that an excluding GIL fails instead of hanging) for the other.
fn free_threaded_guards_are_held_at_once(policy: Policy) {
    let gil = free_threaded(policy);
    let mut guard = gil.acquire();
    let (in_tx, in_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let other = {
        let gil = gil.clone();
        spawn("other", move || {
            let mut guard = gil.acquire();
            assert!(gil.is_held_by_current_thread());
            in_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            assert!(!guard.check().unwrap().switched());
        })
    };
    in_rx
        .recv_timeout(PATIENCE)
        .expect("a free-threaded gil lets a second thread in");
    assert!(gil.is_held_by_current_thread());
    assert_eq!(gil.try_acquire().map(drop), Ok(()));
    gil.request_drop();
    assert!(!guard.check().unwrap().switched());
    assert_eq!(gil.waiters(), 0);
    go_tx.send(()).unwrap();
    join(other);
    drop(guard);
    let stats = gil.stats();
    assert_eq!(stats.switches, 0);
    assert_eq!(stats.drop_requests, 0);
    assert_eq!(stats.forced_switches, 0);
    assert_eq!(stats.threads.len(), 2);
}

#[test]
fn free_threaded_guards_are_held_at_once_fair() {
    free_threaded_guards_are_held_at_once(Policy::Fair);
}

#[test]
fn free_threaded_guards_are_held_at_once_cpython() {
    free_threaded_guards_are_held_at_once(Policy::CPython);
}

#[test]
fn free_threaded_try_acquire_succeeds_while_another_thread_holds() {
    let gil = free_threaded(Policy::Fair);
    let _guard = gil.acquire();
    let other = gil.clone();
    let ok = join(spawn("other", move || {
        let g = other.try_acquire();
        g.is_ok() && other.is_held_by_current_thread()
    }));
    assert!(ok);
}

#[test]
fn free_threaded_guards_nest_and_track_holding() {
    let gil = free_threaded(Policy::Fair);
    assert!(!gil.is_held_by_current_thread());
    let outer = gil.acquire();
    let inner = gil.acquire();
    assert!(holds_any_gil());
    drop(outer);
    assert!(gil.is_held_by_current_thread());
    drop(inner);
    assert!(!gil.is_held_by_current_thread());
    assert!(!holds_any_gil());
}

#[test]
fn free_threaded_allow_threads_runs_the_closure() {
    let gil = free_threaded(Policy::Fair);
    let mut guard = gil.acquire();
    let value = guard.allow_threads(|| {
        assert!(!gil.is_held_by_current_thread());
        1
    });
    assert_eq!(value, 1);
    assert!(gil.is_held_by_current_thread());
    assert_eq!(allow_threads(|| 2), 2);
    assert!(gil.is_held_by_current_thread());
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
    // Acquisitions: the first, and one after each allow_threads.
    assert_eq!(gil.stats().threads[0].acquisitions, 3);
}

#[test]
fn free_threaded_panic_inside_allow_threads_restores_the_hold() {
    let gil = free_threaded(Policy::Fair);
    let mut guard = gil.acquire();
    let caught = catch_unwind(AssertUnwindSafe(|| guard.allow_threads(|| quiet_panic())));
    assert!(caught.is_err());
    assert!(gil.is_held_by_current_thread());
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
}
