//! gil-core's `GilCell` rule, "a thread that holds a borrow never blocks" (issue #15): every
//! blocking call here panics before it changes anything, so the primitive stays usable; calls
//! that do not block are unaffected.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use gil_core::{Gil, GilCell, Mode};
use gil_sync::{Barrier, Condition, Event, Lock, Semaphore};
use gil_test_support::{join, panic_message, spawn};

/// Runs `blocking` on a thread holding a `GilCell` borrow (under `mode`); asserts it panicked
/// with gil-core's message, and that the thread's GIL and cell are fine afterwards.
fn panics_with_a_borrow(mode: Mode, blocking: impl FnOnce()) {
    let gil = Gil::builder().mode(mode).build().unwrap();
    let cell = GilCell::new(&gil, 0u32);
    let guard = gil.acquire();
    let r = cell.borrow(&guard);
    let payload = panic::catch_unwind(AssertUnwindSafe(blocking)).expect_err("must panic");
    let msg = panic_message(&*payload);
    assert!(msg.contains("holding a GilCell borrow"), "{mode:?}: {msg}");
    drop(r);
    *cell.borrow_mut(&guard) += 1;
    assert!(gil.is_held_by_current_thread());
}

#[test]
fn a_contended_lock_panics_and_stays_usable() {
    for mode in [Mode::Enabled, Mode::FreeThreaded] {
        let lock = Lock::new();
        let held = lock.acquire();
        panics_with_a_borrow(mode, || drop(lock.acquire()));
        panics_with_a_borrow(mode, || drop(lock.acquire_timeout(Duration::from_secs(60))));
        // Not blocking: fine with a borrow.
        let gil = Gil::new();
        let cell = GilCell::new(&gil, ());
        let guard = gil.acquire();
        let _r = cell.borrow(&guard);
        assert!(lock.try_acquire().is_err());
        drop(held);
        drop(lock.acquire()); // uncontended: takes it without waiting
        assert!(!lock.locked());
    }
}

#[test]
fn condition_wait_panics_with_the_lock_still_held() {
    let cond = Condition::new();
    let g = cond.acquire();
    panics_with_a_borrow(Mode::Enabled, || {
        let _: Result<(), _> = cond.wait();
    });
    assert!(
        cond.wait_timeout(Duration::ZERO).unwrap().timed_out(),
        "still owned"
    );
    drop(g);
}

#[test]
fn barrier_wait_panics_without_counting_the_caller() {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    panics_with_a_borrow(Mode::Enabled, || drop(barrier.wait()));
    assert_eq!(barrier.n_waiting(), 0);
    let other = {
        let barrier = barrier.clone();
        spawn("other", move || barrier.wait().unwrap())
    };
    barrier.wait().unwrap();
    join(other);
}

#[test]
fn event_and_semaphore_waits_panic_when_they_would_block() {
    let event = Event::new();
    panics_with_a_borrow(Mode::Enabled, || {
        event.wait();
    });
    event.set();
    assert!(event.wait());
    let sem = Semaphore::new(0);
    panics_with_a_borrow(Mode::FreeThreaded, || drop(sem.acquire()));
    sem.release().unwrap();
    drop(sem.acquire());
}
