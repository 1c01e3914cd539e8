//! Unusual but safe uses: leaked guards, guards kept in thread-locals, acquiring or checking
//! through another guard while `allow_threads` has released the GIL.

use std::cell::RefCell;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};

use gil_core::{Gil, GilGuard, Policy, TryAcquireError};
use gil_test_support::{PATIENCE, join, spawn};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

/// A thread's identity is never reused: a guard leaked by a thread that has exited keeps the
/// GIL held for everyone, including a new thread that may get the old one's thread-local
/// storage (and so would share a TLS-address identity).
#[test]
fn leaked_guard_of_an_exited_thread_is_not_inherited() {
    let gil = Gil::new();
    for _ in 0..2 {
        let gil = gil.clone();
        join(spawn("leaker", move || std::mem::forget(gil.try_acquire())));
    }
    for _ in 0..8 {
        let gil = gil.clone();
        let (took, nested) = join(spawn("newcomer", move || {
            (gil.try_acquire().is_ok(), gil.is_held_by_current_thread())
        }));
        assert!(
            !took && !nested,
            "a new thread inherited an exited thread's hold"
        );
    }
}

/// `acquire`, `allow_threads` and `check` from a thread-local destructor that runs after
/// gil-core's own thread-locals are gone (the value was registered before the thread's first
/// acquire, so it is destroyed after them): no panic, the GIL is released, the destructor
/// runs to its end.
#[test]
fn acquire_in_a_thread_local_destructor_after_gil_core_teardown() {
    struct AcquiresOnDrop(Gil, Arc<AtomicBool>);
    impl Drop for AcquiresOnDrop {
        fn drop(&mut self) {
            // A contended acquire first: another thread holds the GIL for a while, so this
            // one queues and parks (its wait node is a thread-local too).
            let (held_tx, held_rx) = mpsc::channel();
            let holder = {
                let gil = self.0.clone();
                std::thread::spawn(move || {
                    let _g = gil.acquire();
                    held_tx.send(()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(20));
                })
            };
            held_rx.recv().unwrap();
            drop(self.0.acquire());
            holder.join().unwrap();
            let mut guard = self.0.acquire();
            guard.check().unwrap();
            guard.allow_threads(|| ());
            gil_core::allow_threads(|| ());
            assert!(self.0.is_held_by_current_thread());
            drop(guard);
            drop(self.0.try_acquire().expect("free"));
            self.1.store(true, SeqCst);
        }
    }
    thread_local! {
        static SLOT: RefCell<Option<AcquiresOnDrop>> = const { RefCell::new(None) };
    }
    for policy in [Policy::Fair, Policy::CPython] {
        let gil = gil(policy, HOUR);
        let finished = Arc::new(AtomicBool::new(false));
        let t = {
            let (gil, finished) = (gil.clone(), Arc::clone(&finished));
            spawn("exiting", move || {
                // Registered first, destroyed last.
                SLOT.with(|s| *s.borrow_mut() = Some(AcquiresOnDrop(gil.clone(), finished)));
                // A contended acquire, so that gil-core's wait node exists (and is destroyed
                // before the slot).
                let (held_tx, held_rx) = mpsc::channel();
                let holder = {
                    let gil = gil.clone();
                    std::thread::spawn(move || {
                        let _g = gil.acquire();
                        held_tx.send(()).unwrap();
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    })
                };
                held_rx.recv().unwrap();
                drop(gil.acquire());
                holder.join().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
                drop(gil.acquire());
            })
        };
        join(t);
        assert!(
            finished.load(SeqCst),
            "{policy:?}: the destructor did not run to its end"
        );
        assert_eq!(try_acquire_elsewhere(&gil), Ok(()), "{policy:?}");
    }
}

#[test]
fn leaked_guard_keeps_the_gil_held() {
    let gil = Gil::new();
    let leaker = {
        let gil = gil.clone();
        spawn("leaker", move || std::mem::forget(gil.acquire()))
    };
    join(leaker);
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
}

fn acquire_inside_allow_threads_takes_a_fresh_hold(policy: Policy) {
    let gil = gil(policy, HOUR);
    let mut outer = gil.acquire();
    outer.allow_threads(|| {
        assert!(!gil.is_held_by_current_thread());
        let again = gil.acquire();
        assert!(gil.is_held_by_current_thread());
        assert_eq!(
            try_acquire_elsewhere(&gil),
            Err(TryAcquireError::WouldBlock)
        );
        drop(again);
        assert!(!gil.is_held_by_current_thread());
        assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
    });
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(outer);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn acquire_inside_allow_threads_takes_a_fresh_hold_fair() {
    acquire_inside_allow_threads_takes_a_fresh_hold(Policy::Fair);
}

#[test]
fn acquire_inside_allow_threads_takes_a_fresh_hold_cpython() {
    acquire_inside_allow_threads_takes_a_fresh_hold(Policy::CPython);
}

/// While an inner guard's `allow_threads` has released the GIL, another thread holds it and
/// a third waits with a drop request pending. `check()` on the outer guard must not hand
/// over a GIL this thread does not hold.
fn check_on_an_outer_guard_inside_allow_threads_does_not_switch(policy: Policy) {
    let gil = gil(policy, HOUR);
    let mut outer = gil.acquire();
    let mut inner = gil.acquire();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (leave_tx, leave_rx) = mpsc::channel::<()>();
    let third_ran = Arc::new(AtomicBool::new(false));
    let holder = {
        let gil = gil.clone();
        spawn("holder", move || {
            let _guard = gil.acquire();
            entered_tx.send(()).unwrap();
            leave_rx.recv_timeout(PATIENCE).expect("leave signal");
        })
    };
    wait_for_waiters(&gil, 1);
    inner.allow_threads(|| {
        entered_rx.recv_timeout(PATIENCE).expect("holder entered");
        let third = {
            let (gil, third_ran) = (gil.clone(), Arc::clone(&third_ran));
            spawn("third", move || {
                let _guard = gil.acquire();
                third_ran.store(true, SeqCst);
            })
        };
        wait_for_waiters(&gil, 1);
        gil.request_drop();
        assert!(
            !outer.check().unwrap().switched(),
            "check() switched a gil this thread does not hold"
        );
        assert!(!third_ran.load(SeqCst));
        leave_tx.send(()).unwrap();
        join(third);
    });
    join(holder);
    assert!(gil.is_held_by_current_thread());
    drop(inner);
    drop(outer);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn check_on_an_outer_guard_inside_allow_threads_does_not_switch_fair() {
    check_on_an_outer_guard_inside_allow_threads_does_not_switch(Policy::Fair);
}

#[test]
fn check_on_an_outer_guard_inside_allow_threads_does_not_switch_cpython() {
    check_on_an_outer_guard_inside_allow_threads_does_not_switch(Policy::CPython);
}

thread_local! {
    static KEPT: RefCell<Option<GilGuard<'static>>> = const { RefCell::new(None) };
}

/// A guard kept in a thread-local is dropped when its thread exits, releasing the GIL to a
/// queued waiter. `touch_first` decides whether the thread-local is registered before or
/// after gil-core's own, so both destruction orders are covered.
fn guard_in_a_thread_local_is_released_at_thread_exit(policy: Policy, touch_first: bool) {
    // The kept guard borrows a `'static` GIL: one per case, in a static rather than leaked,
    // so the memcheck run sees no lost block.
    static GILS: [OnceLock<Gil>; 4] = [const { OnceLock::new() }; 4];
    let case = usize::from(policy == Policy::CPython) * 2 + usize::from(touch_first);
    let gil: &'static Gil = GILS[case].get_or_init(|| gil(policy, HOUR));
    let (holding_tx, holding_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let keeper = spawn("keeper", move || {
        if touch_first {
            KEPT.with(|_| ());
        }
        let guard = gil.acquire();
        KEPT.with(|kept| *kept.borrow_mut() = Some(guard));
        holding_tx.send(()).unwrap();
        exit_rx.recv_timeout(PATIENCE).expect("exit signal");
    });
    holding_rx.recv_timeout(PATIENCE).expect("keeper holds");
    let waiter = spawn("waiter", move || drop(gil.acquire()));
    wait_for_waiters(gil, 1);
    exit_tx.send(()).unwrap();
    join(keeper);
    join(waiter);
    assert_eq!(try_acquire_elsewhere(gil), Ok(()));
}

#[test]
fn guard_in_a_thread_local_is_released_at_thread_exit_fair() {
    guard_in_a_thread_local_is_released_at_thread_exit(Policy::Fair, true);
    guard_in_a_thread_local_is_released_at_thread_exit(Policy::Fair, false);
}

#[test]
fn guard_in_a_thread_local_is_released_at_thread_exit_cpython() {
    guard_in_a_thread_local_is_released_at_thread_exit(Policy::CPython, true);
    guard_in_a_thread_local_is_released_at_thread_exit(Policy::CPython, false);
}

/// `allow_threads` on an outer guard while an inner guard's `allow_threads` has already
/// released the GIL: there is nothing left to release, so it just runs the closure (the
/// "not actually held" path of `allow_threads`), and the nesting is intact afterwards.
fn allow_threads_on_an_outer_guard_inside_allow_threads(policy: Policy) {
    let gil = gil(policy, HOUR);
    let mut outer = gil.acquire();
    let mut inner = gil.acquire();
    let value = inner.allow_threads(|| {
        outer.allow_threads(|| {
            assert!(!gil.is_held_by_current_thread());
            assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
            5
        })
    });
    assert_eq!(value, 5);
    assert!(gil.is_held_by_current_thread());
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
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn allow_threads_on_an_outer_guard_inside_allow_threads_fair() {
    allow_threads_on_an_outer_guard_inside_allow_threads(Policy::Fair);
}

#[test]
fn allow_threads_on_an_outer_guard_inside_allow_threads_cpython() {
    allow_threads_on_an_outer_guard_inside_allow_threads(Policy::CPython);
}

/// Dropping the outer guard inside the inner guard's `allow_threads` (safe code: the
/// closure owns it) while another thread holds the GIL must not release that thread's GIL,
/// and the inner guard must still release when it drops.
fn dropping_an_outer_guard_inside_allow_threads(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let mut inner = gil.acquire();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (leave_tx, leave_rx) = mpsc::channel::<()>();
    let visitor = {
        let gil = gil.clone();
        spawn("visitor", move || {
            let _guard = gil.acquire();
            entered_tx.send(()).unwrap();
            leave_rx.recv_timeout(PATIENCE).expect("leave signal");
        })
    };
    wait_for_waiters(&gil, 1);
    inner.allow_threads(|| {
        entered_rx.recv_timeout(PATIENCE).expect("visitor entered");
        // Tolerate a panic here (a documented misuse check would be fine); what matters is
        // that the visitor's hold is untouched.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(outer)));
        assert_eq!(
            try_acquire_elsewhere(&gil),
            Err(TryAcquireError::WouldBlock),
            "dropping a guard released a gil another thread holds"
        );
        leave_tx.send(()).unwrap();
    });
    join(visitor);
    assert!(gil.is_held_by_current_thread());
    drop(inner);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn dropping_an_outer_guard_inside_allow_threads_fair() {
    dropping_an_outer_guard_inside_allow_threads(Policy::Fair);
}

#[test]
fn dropping_an_outer_guard_inside_allow_threads_cpython() {
    dropping_an_outer_guard_inside_allow_threads(Policy::CPython);
}

/// Inside an inner guard's `allow_threads`, the thread acquires again (a fresh level) and
/// then drops the outer guard: the fresh guard still holds the GIL, exclusively, until it
/// goes itself.
fn dropping_an_outer_guard_while_a_fresh_level_holds(policy: Policy) {
    let gil = gil(policy, HOUR);
    let outer = gil.acquire();
    let mut inner = gil.acquire();
    inner.allow_threads(|| {
        let fresh = gil.acquire();
        drop(outer);
        assert!(
            gil.is_held_by_current_thread(),
            "the fresh guard still holds"
        );
        assert_eq!(
            try_acquire_elsewhere(&gil),
            Err(TryAcquireError::WouldBlock),
            "dropping an outer guard released the gil under a live guard"
        );
        drop(fresh);
        assert!(!gil.is_held_by_current_thread());
        assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
    });
    assert!(gil.is_held_by_current_thread());
    drop(inner);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn dropping_an_outer_guard_while_a_fresh_level_holds_fair() {
    dropping_an_outer_guard_while_a_fresh_level_holds(Policy::Fair);
}

#[test]
fn dropping_an_outer_guard_while_a_fresh_level_holds_cpython() {
    dropping_an_outer_guard_while_a_fresh_level_holds(Policy::CPython);
}

/// The free `allow_threads` does not borrow the guard, so its closure may drop the only
/// guard: then there is nothing to take back, and the GIL stays released afterwards.
fn free_allow_threads_closure_dropping_the_only_guard(policy: Policy) {
    let gil = gil(policy, HOUR);
    let guard = gil.acquire();
    gil_core::allow_threads(move || drop(guard));
    assert!(!gil.is_held_by_current_thread());
    assert!(!gil_core::holds_any_gil());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
    let _again = gil.try_acquire().expect("the gil is free");
}

#[test]
fn free_allow_threads_closure_dropping_the_only_guard_fair() {
    free_allow_threads_closure_dropping_the_only_guard(Policy::Fair);
}

#[test]
fn free_allow_threads_closure_dropping_the_only_guard_cpython() {
    free_allow_threads_closure_dropping_the_only_guard(Policy::CPython);
}

/// A guard acquired inside an `allow_threads` closure may be returned from it: afterwards
/// both guards hold, and the GIL is released only when the last of them goes, in either
/// order.
fn guard_acquired_inside_allow_threads_escapes_the_closure(policy: Policy, escaped_first: bool) {
    let gil = gil(policy, HOUR);
    let mut guard = gil.acquire();
    let escaped = guard.allow_threads(|| gil.acquire());
    assert!(gil.is_held_by_current_thread());
    let (first, second) = if escaped_first {
        (escaped, guard)
    } else {
        (guard, escaped)
    };
    drop(first);
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    drop(second);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}

#[test]
fn guard_acquired_inside_allow_threads_escapes_the_closure_fair() {
    guard_acquired_inside_allow_threads_escapes_the_closure(Policy::Fair, true);
    guard_acquired_inside_allow_threads_escapes_the_closure(Policy::Fair, false);
}

#[test]
fn guard_acquired_inside_allow_threads_escapes_the_closure_cpython() {
    guard_acquired_inside_allow_threads_escapes_the_closure(Policy::CPython, true);
    guard_acquired_inside_allow_threads_escapes_the_closure(Policy::CPython, false);
}
