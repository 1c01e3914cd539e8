//! Interrupts racing the wake-up that ends a wait (`src/waiter.rs`, "interruptible"): a
//! `Lock` release, a `Condition` notify, an `Event` set, a `Barrier`'s last arrival.
//!
//! An interrupt ends a wait the way a timeout does, by cancelling: the waiter removes itself
//! under the queue lock and only then takes the interrupt (the barrier: removed, it then
//! decides under its state mutex); if a waker popped it first, the token stands and the
//! interrupt stays pending. Each model checks the outcomes this allows and nothing else:
//!
//! - exactly one of "the wait returned `Interrupted`" and "the interrupt is still pending
//!   afterwards" (an interrupt is neither lost nor reported twice);
//! - an interrupted wait took nothing (no lock, no notification, no passed cycle);
//! - no lost wake-up: every other waiter gets through (loom reports a deadlock otherwise).
//!
//! The waiting thread holds no GIL (the GIL's part is gil-core's, modelled there); its
//! interrupter is made on it with a `Gil` of its own.
//!
//! # Injected bugs
//!
//! Each model was run (at 2 preemptions) against these bugs, injected one at a time into
//! `WaitQueue::block`'s interrupt arm (`src/waiter.rs`) or, for the barrier, into
//! `RawBarrier::sleep` / `wait_released` (`src/raw_barrier.rs`), then reverted
//! (2026-12-03). Each model's doc comment says which failed it and how.
//!
//! - *no cancel*: return `Interrupted` (taking the interrupt) without removing the waiter;
//! - *token ignored*: cancel, but return `Interrupted` also when a waker popped it first;
//! - *taken early*: take the interrupt before the cancel, and let a popped waiter's token
//!   stand (the interrupt is then lost);
//! - *no `on_cancel`*: cancel without the primitive's `on_cancel` (a `ParkingWord` keeps
//!   `QUEUED_BIT` for an emptied queue);
//! - barrier only, *no state check*: leave the cycle after every removed interrupted waiter,
//!   without looking whether it passed between the cancel and the state lock.

use std::sync::Arc;

use gil_core::{Gil, Interrupt, signal};
use gil_sync::{Barrier, BarrierError, Condition, Event, Lock};
use gil_test_support::loom::model_capped;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;

use crate::support::Exclusive;

/// Runs an interrupt model at 2 preemptions at most. At 3 (`cargo xtask verify --deep`) the
/// models fail inside loom on correct code: a waker unparks a popped waiter after dropping
/// the queue lock, and the waiting thread — often running already, woken by its interrupt —
/// may have seen its token and gone on to `join` the waker before that unpark comes; loom 0.7
/// lets an unpark wake a thread blocked anywhere, then fails inside its `join` (`assertion
/// failed: state.notified`; `ARCHITECTURE.md`, "loom depth"), where std's stray unpark is
/// absorbed by the next park loop. Joining through a yield loop on a "done" flag avoids it, but
/// made the models 3–40 times slower (`interrupt_races_notify`: 141 s at 3), so they stay at 2,
/// where each fails on the injected bugs below.
fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    model_capped(
        name,
        2,
        "an unpark that lands in loom's join fails at 3 (see tests/loom/interrupt.rs)",
        f,
    );
}

/// Whether the calling thread's interrupt is still pending (taking it, so that it does not
/// leak into the next model run on the same thread).
fn still_pending() -> bool {
    signal::take_interrupt().is_some()
}

/// The interrupt was delivered exactly once: as the wait's error, or still pending.
fn delivered_once(interrupted: bool) {
    let pending = still_pending();
    assert!(
        interrupted != pending,
        "interrupted: {interrupted}, still pending: {pending} (lost or reported twice)"
    );
}

/// Main waits in `acquire_interruptible` on a held `Lock`, with a second, untimed waiter; a
/// third thread interrupts main, then releases the lock. Main either gets the lock (the
/// interrupt then stays pending) or `Interrupted` without the lock; the second waiter always
/// gets in; nobody is ever inside twice.
///
/// Injected bugs, all four fail it: *no cancel* (the release pops main's stale waiter and
/// the second waiter parks forever: loom's deadlock); *token ignored* (main reports
/// `Interrupted` after the release popped it, and nobody wakes the second waiter: deadlock);
/// *taken early* (`delivered_once`); *no `on_cancel`* (the next release finds `QUEUED_BIT` with
/// an empty queue: `unreachable!` in `ParkingWord::unpark_one`).
#[test]
fn interrupt_races_lock_release() {
    model("interrupt::interrupt_races_lock_release", || {
        let gil = Gil::new();
        let lock = Arc::new(Lock::new());
        let ex = Arc::new(Exclusive::new());
        lock.acquire().leak();
        let second = {
            let (lock, ex) = (Arc::clone(&lock), Arc::clone(&ex));
            loom::thread::spawn(move || {
                let _g = lock.acquire();
                ex.section();
            })
        };
        let releaser = {
            let (lock, interrupter) = (Arc::clone(&lock), gil.interrupter());
            loom::thread::spawn(move || {
                interrupter.interrupt().unwrap();
                lock.release().unwrap();
            })
        };
        let interrupted = match lock.acquire_interruptible() {
            Ok(g) => {
                assert!(lock.is_owned());
                ex.section();
                drop(g);
                false
            }
            Err(kind) => {
                assert_eq!(kind, Interrupt::Requested);
                // Took nothing: checked at the end (a lock handed to main that main thinks
                // it failed to take stays locked, or the second waiter never gets in).
                true
            }
        };
        releaser.join().unwrap();
        second.join().unwrap();
        delivered_once(interrupted);
        assert_eq!(ex.count(), 1 + usize::from(!interrupted));
        assert!(!lock.locked(), "an interrupted acquire kept the lock");
    });
}

/// Main waits on a `Condition` (first in its queue); a second thread waits for a flag with
/// `wait_for`; a third interrupts main, then sets the flag and `notify(1)`s. If main was
/// notified it passes the notification on (`notify(1)`); if it was interrupted, the
/// notification must have gone to the second waiter or to nobody (the second then finds the
/// flag set). Main holds the lock on return either way.
///
/// Injected bugs: *no cancel* fails (the notify pops main's stale waiter: the second waiter
/// is never woken, deadlock); *token ignored* fails (main reports `Interrupted` for a
/// notification it consumed and does not pass it on: deadlock); *taken early* fails
/// (`delivered_once`). *no `on_cancel`* passes: a `Condition`'s `on_cancel` does nothing.
#[test]
fn interrupt_races_notify() {
    model("interrupt::interrupt_races_notify", || {
        let gil = Gil::new();
        let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
        let flag = Arc::new(AtomicUsize::new(0));
        let second = {
            let (cond, flag) = (Arc::clone(&cond), Arc::clone(&flag));
            loom::thread::spawn(move || {
                let _g = cond.acquire();
                assert_eq!(cond.wait_for(|| flag.load(Relaxed) == 1), Ok(true));
            })
        };
        let notifier = {
            let (cond, flag, interrupter) =
                (Arc::clone(&cond), Arc::clone(&flag), gil.interrupter());
            loom::thread::spawn(move || {
                interrupter.interrupt().unwrap();
                let _g = cond.acquire();
                flag.store(1, Relaxed);
                cond.notify(1).unwrap();
            })
        };
        let interrupted = {
            let _g = cond.acquire();
            let result = cond.wait();
            assert!(cond.is_owned(), "returned without the lock");
            match result {
                Ok(()) => {
                    // The notification was ours: pass it on.
                    cond.notify(1).unwrap();
                    false
                }
                Err(err) => {
                    assert_eq!(err, gil_sync::WaitError::Interrupted(Interrupt::Requested));
                    true
                }
            }
        };
        notifier.join().unwrap();
        second.join().unwrap();
        delivered_once(interrupted);
        assert_eq!(cond.waiting(), 0);
    });
}

/// Main waits in `Event::wait_interruptible`; another thread interrupts it, then sets the
/// event. Main returns `Ok(true)` or `Interrupted`, never both nor neither.
///
/// No second waiter: `set` wakes the whole queue, so a second waiter can never be starved by
/// an interrupted one, and with two queued the setter can be preempted between their tokens
/// and its unparks, which sends a late unpark into main's `join` (the loom limit of [`model`],
/// met here already at 2).
///
/// Injected bugs: *taken early* fails (`delivered_once`); *no cancel* fails inside loom (the
/// set pops main's stale waiter and unparks main in its `join`: `state.notified`; with std
/// only a stale queue entry and a stray unpark). *token ignored* and *no `on_cancel`* pass, and
/// are harmless for an `Event`: its wake-up consumes nothing (every waiter queued at the set
/// is woken), and a `QUEUED_BIT` left for an empty queue only sends the next `set` down its
/// slow path, which clears it.
#[test]
fn interrupt_races_event_set() {
    model("interrupt::interrupt_races_event_set", || {
        let gil = Gil::new();
        let event = Arc::new(Event::new());
        let setter = {
            let (event, interrupter) = (Arc::clone(&event), gil.interrupter());
            loom::thread::spawn(move || {
                interrupter.interrupt().unwrap();
                event.set();
            })
        };
        let result = event.wait_interruptible(None);
        setter.join().unwrap();
        match result {
            Ok(set) => assert!(set),
            Err(kind) => assert_eq!(kind, Interrupt::Requested),
        }
        delivered_once(result.is_err());
        assert!(event.is_set());
    });
}

/// Main waits at a two-party `Barrier`; one thread arrives last, another interrupts main.
/// Either the cycle passes for both (the interrupt stays pending), or main gets
/// `Interrupted` and has left the cycle, which is not broken: main arrives again and the
/// cycle passes for both (CPython's outcome for a `KeyboardInterrupt` out of `wait`).
///
/// Injected bugs (into `src/raw_barrier.rs`): *no state check* fails (the last arrival sets
/// the cycle passed after main's cancel and finds the queue without it; main leaves the
/// passed cycle anyway, and its second arrival waits for good: loom reports the deadlock);
/// *taken early* fails (`delivered_once`); *no cancel* fails inside loom (the last arrival
/// pops main's stale waiter and unparks main while it waits for the state mutex: "expected
/// to be able to acquire lock"). *token ignored* passes: a popped waiter reported as removed
/// is then decided by the state check, which sees the cycle passed. The first version of
/// this code locked the state mutex before the cancel and failed this model the same way as
/// *no cancel*, on correct outcomes (`src/raw_barrier.rs`, module docs). (Checked
/// 2026-12-03 against the breaking version of the barrier; the leaving version was
/// re-checked for *no state check* the same day.)
#[test]
fn interrupt_races_last_arrival() {
    model("interrupt::interrupt_races_last_arrival", || {
        let gil = Gil::new();
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let last = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || barrier.wait().map(drop))
        };
        let raiser = {
            let interrupter = gil.interrupter();
            loom::thread::spawn(move || interrupter.interrupt().unwrap())
        };
        let mine = barrier.wait().map(drop);
        let interrupted = match mine {
            Ok(()) => false,
            Err(BarrierError::Interrupted(Interrupt::Requested)) => {
                // Counted out: arrive again to complete the cycle.
                barrier.wait().expect("the second arrival passes");
                true
            }
            Err(other) => panic!("{other:?}"),
        };
        last.join().unwrap().expect("the last arrival passes");
        raiser.join().unwrap();
        assert!(!barrier.broken());
        delivered_once(interrupted);
    });
}
