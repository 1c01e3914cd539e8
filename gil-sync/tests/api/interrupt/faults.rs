//! A pending call that panics inside a wait: the wait ends with
//! `Interrupted(PendingCallPanicked)` (Python has no panics; a binding raises `SystemError`),
//! the primitive and the GIL stay usable, and the calls queued behind it run later.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;

use gil_core::{Gil, Interrupt, Turn};
use gil_sync::{Lock, TryAcquireError};
use gil_test_support::{gil_free, join, quiet_panic, spawn};

use super::INTERRUPT_AFTER;

/// Every interruptible wait: a panicking pending call ends it with
/// `Interrupted(PendingCallPanicked)`, having taken nothing.
#[test]
fn a_panicking_pending_call_interrupts_every_wait() {
    super::a_pending_call_ends_every_wait(|| quiet_panic(), Interrupt::PendingCallPanicked);
}

/// After a panicking pending call ended a `Lock` wait: the lock is still held by its holder
/// only and works normally once released, the call queued behind the panicking one runs at
/// the next `check()`, and the GIL is released normally.
#[test]
fn a_lock_is_usable_after_a_panicking_pending_call_ended_its_wait() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let lock = Arc::new(Lock::new());
    let l = Arc::clone(&lock);
    join(spawn("holder", move || l.acquire().leak()));
    let behind = Arc::new(AtomicBool::new(false));
    let caller = {
        let (gil, behind) = (gil.clone(), Arc::clone(&behind));
        spawn("pending-caller", move || {
            thread::sleep(INTERRUPT_AFTER);
            gil.add_pending_call(|| quiet_panic()).unwrap();
            gil.add_pending_call(move || {
                behind.store(true, SeqCst);
                ControlFlow::Continue(())
            })
            .unwrap();
        })
    };
    assert_eq!(
        lock.acquire_interruptible().map(drop),
        Err(Interrupt::PendingCallPanicked)
    );
    join(caller);
    assert!(lock.locked() && !lock.is_owned());
    assert!(
        !behind.load(SeqCst),
        "the call behind the panic ran in the same run"
    );
    assert_eq!(guard.check(), Ok(Turn::Kept));
    assert!(behind.load(SeqCst), "the call behind the panic never ran");
    assert_eq!(gil.pending_calls(), 0);

    lock.release().unwrap();
    let g = lock
        .acquire_interruptible()
        .expect("a free lock is taken at once");
    assert_eq!(
        lock.try_acquire().map(drop),
        Err(TryAcquireError::WouldBlock)
    );
    drop(g);
    assert!(!lock.locked());
    drop(guard);
    assert!(gil_free(&gil));
}
