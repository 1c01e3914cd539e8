//! Every interruptible wait (each row of [`interruptible_waits`]): an interrupt wakes it with
//! `Interrupted(Requested)`, an interrupt raised before it returns at once, pending calls run
//! inside it and it goes on, a failing pending call ends it with `Interrupted(PendingCall)`.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, Interrupt, InterruptError, Turn, ident, signal};
use gil_sync::Lock;
use gil_test_support::{PATIENCE, join, spawn};

use super::{Ending, INTERRUPT_AFTER, interruptible_waits};
use crate::support::timing_asserts;

/// "Returns at once": generous, on a loaded 2-core machine (the wait never parks).
const PROMPT: Duration = Duration::from_secs(2);

/// An interrupt from another thread wakes every interruptible wait, on a thread holding its
/// GIL and on one holding none: the wait returns `Interrupted(Requested)` only after the
/// interrupt, took nothing, and took the interrupt (the next `check()` sees nothing).
#[test]
fn an_interrupt_wakes_every_interruptible_wait() {
    for holds_gil in [true, false] {
        for row in interruptible_waits() {
            let name = row.name;
            let gil = Gil::new();
            let mut guard = holds_gil.then(|| gil.acquire());
            let interrupter = gil.interrupter();
            let start = Instant::now();
            let result = row.interrupted_by(move || {
                thread::sleep(INTERRUPT_AFTER);
                interrupter.interrupt().unwrap();
            });
            let waited = start.elapsed();
            assert_eq!(result, Err(Interrupt::Requested), "{name}");
            assert!(
                waited >= INTERRUPT_AFTER,
                "{name}: returned after {waited:?}, before the interrupt"
            );
            assert!(
                !signal::is_interrupted(),
                "{name}: the interrupt was not taken"
            );
            if let Some(guard) = &mut guard {
                assert_eq!(guard.check(), Ok(Turn::Kept), "{name}");
            }
        }
    }
}

/// An interrupt raised before the wait (by the thread itself) ends it at once, before it
/// sleeps.
#[test]
fn an_interrupt_raised_before_the_wait_ends_it_at_once() {
    for row in interruptible_waits() {
        let name = row.name;
        let gil = Gil::new();
        let mut guard = gil.acquire();
        gil.interrupter().interrupt().unwrap();
        let start = Instant::now();
        assert_eq!(
            row.interrupted_by(|| {}),
            Err(Interrupt::Requested),
            "{name}"
        );
        assert!(
            start.elapsed() < PROMPT || !timing_asserts(),
            "{name} took {:?}",
            start.elapsed()
        );
        assert_eq!(guard.check(), Ok(Turn::Kept), "{name}");
    }
}

/// A pending call queued while the GIL's main thread waits runs inside the wait — on that
/// thread, before the wait is let through — and the wait goes on, then succeeds.
#[test]
fn a_pending_call_runs_inside_the_wait_which_goes_on() {
    for row in interruptible_waits() {
        let name = row.name;
        // Built here: this thread is the GIL's main thread and runs its pending calls.
        let gil = Gil::new();
        let mut guard = gil.acquire();
        let ran_on = Arc::new(AtomicU64::new(0));
        let returned = Arc::new(AtomicBool::new(false));
        let caller = {
            let (gil, ran_on, returned) = (gil.clone(), Arc::clone(&ran_on), Arc::clone(&returned));
            let release = row.release;
            spawn("pending-caller", move || {
                let r = Arc::clone(&ran_on);
                gil.add_pending_call(move || {
                    r.store(ident::current(), SeqCst);
                    ControlFlow::Continue(())
                })
                .unwrap();
                let deadline = Instant::now() + PATIENCE;
                while ran_on.load(SeqCst) == 0 && Instant::now() < deadline {
                    thread::sleep(Duration::from_micros(200));
                }
                let returned_early = returned.load(SeqCst);
                // Let it through either way, so that a failure cannot hang the test.
                release(Ending::LetThrough);
                (ran_on.load(SeqCst) != 0, returned_early)
            })
        };
        assert_eq!((row.wait)(), Ok(()), "{name}");
        returned.store(true, SeqCst);
        let (ran, returned_early) = join(caller);
        assert!(ran, "{name}: the pending call did not run during the wait");
        assert!(
            !returned_early,
            "{name}: the wait returned before it was let through"
        );
        assert_eq!(
            ran_on.load(SeqCst),
            ident::current(),
            "{name}: ran elsewhere"
        );
        assert_eq!(gil.pending_calls(), 0, "{name}");
        assert_eq!(
            guard.check(),
            Ok(Turn::Kept),
            "{name}: an interrupt was left"
        );
    }
}

/// A pending call that returns `Break` during the wait ends it with
/// `Interrupted(PendingCall)` (Python: the signal handler's exception), taken.
#[test]
fn a_failing_pending_call_interrupts_the_wait() {
    super::a_pending_call_ends_every_wait(|| ControlFlow::Break(()), Interrupt::PendingCall);
}

/// Pending calls run on the GIL's main thread only: another thread's wait neither runs them
/// nor is interrupted by their failure; the main thread's next `check()` runs them.
#[test]
fn pending_calls_do_not_run_in_another_threads_wait() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    gil.add_pending_call(|| ControlFlow::Break(())).unwrap();
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let waiter = {
        let (gil, lock) = (gil.clone(), Arc::clone(&lock));
        spawn("other", move || {
            let _g = gil.acquire();
            lock.acquire_timeout(INTERRUPT_AFTER).map(drop)
        })
    };
    let result = guard.allow_threads(|| join(waiter));
    assert_eq!(result, Err(gil_sync::AcquireError::TimedOut));
    assert_eq!(gil.pending_calls(), 1);
    assert_eq!(guard.check(), Err(Interrupt::PendingCall));
    lock.release().unwrap();
}

/// An interrupter of a thread that has exited (after an interrupted wait) fails with
/// `ThreadExited`.
#[test]
fn interrupting_an_exited_thread_is_an_error() {
    let gil = Gil::new();
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let interrupter = {
        let (gil, lock) = (gil.clone(), Arc::clone(&lock));
        join(spawn("waiter", move || {
            let me = gil.interrupter();
            let other = me.clone();
            let t = spawn("interrupter", move || other.interrupt().unwrap());
            assert_eq!(
                lock.acquire_interruptible().map(drop),
                Err(Interrupt::Requested)
            );
            join(t);
            me
        }))
    };
    assert!(interrupter.is_finished());
    assert_eq!(interrupter.interrupt(), Err(InterruptError::ThreadExited));
    lock.release().unwrap();
}
