//! The infallible waits (`acquire()` of each lock and semaphore, `Event::wait` and its timed
//! forms) are not interruptible: an interrupt that comes while they block leaves them asleep
//! and stays pending, for the thread's next `check()`; pending calls do not run in them.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::Instant;

use gil_core::{Gil, Interrupt, Turn};
use gil_sync::{Condition, Event, RLock, Semaphore};
use gil_test_support::{PATIENCE, join, spawn};

use super::{Blocked, Ending, INTERRUPT_AFTER, held_lock, owned_rlock};

/// The infallible waits, blocked (rows as in [`super::interruptible_waits`]; `took_nothing`
/// is unused).
fn uninterruptible_waits() -> Vec<Blocked> {
    let mut rows = Vec::new();

    let lock = held_lock();
    let (w, r) = (Arc::clone(&lock), lock);
    rows.push(row(
        "Lock::acquire",
        move || drop(w.acquire()),
        move || {
            r.release().unwrap();
        },
    ));

    let lock = Arc::new(RLock::new());
    let release = owned_rlock(Arc::clone(&lock));
    rows.push(row("RLock::acquire", move || drop(lock.acquire()), release));

    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    rows.push(row(
        "Semaphore::acquire",
        move || drop(s.acquire()),
        move || {
            sem.release().unwrap();
        },
    ));

    let lock = held_lock();
    let cond = Condition::with_lock(Arc::clone(&lock));
    rows.push(row(
        "Condition::acquire",
        move || drop(cond.acquire()),
        move || {
            lock.release().unwrap();
        },
    ));

    for (name, wait) in [
        ("Event::wait", Event::wait as fn(&Event) -> bool),
        ("Event::wait_timeout", |e| e.wait_timeout(PATIENCE)),
        ("Event::wait_deadline", |e| {
            e.wait_deadline(Instant::now() + PATIENCE)
        }),
    ] {
        let event = Arc::new(Event::new());
        let e = Arc::clone(&event);
        rows.push(row(name, move || assert!(wait(&e)), move || event.set()));
    }
    rows
}

/// A row whose `wait` cannot be interrupted.
fn row(
    name: &'static str,
    wait: impl FnOnce() + 'static,
    release: impl FnOnce() + Send + 'static,
) -> Blocked {
    Blocked {
        name,
        wait: Box::new(move || {
            wait();
            Ok(())
        }),
        took_nothing: Box::new(|| {}),
        release: Box::new(move |ending| {
            assert_eq!(ending, Ending::LetThrough);
            release();
        }),
    }
}

/// An interrupt (and a pending call) during an infallible wait: the wait sleeps on until let
/// through, then the next `check()` runs the call and reports the interrupt, once.
#[test]
fn infallible_waits_leave_the_interrupt_pending() {
    for row in uninterruptible_waits() {
        let name = row.name;
        let gil = Gil::new();
        let mut guard = gil.acquire();
        let ran = Arc::new(AtomicBool::new(false));
        let helper = {
            let (interrupter, gil, ran) = (gil.interrupter(), gil.clone(), Arc::clone(&ran));
            let release = row.release;
            spawn("interrupter", move || {
                thread::sleep(INTERRUPT_AFTER);
                interrupter.interrupt().unwrap();
                gil.add_pending_call(move || {
                    ran.store(true, SeqCst);
                    ControlFlow::Continue(())
                })
                .unwrap();
                thread::sleep(INTERRUPT_AFTER);
                release(Ending::LetThrough);
            })
        };
        let start = Instant::now();
        assert_eq!((row.wait)(), Ok(()), "{name}");
        let waited = start.elapsed();
        join(helper);
        assert!(
            waited >= 2 * INTERRUPT_AFTER,
            "{name}: returned after {waited:?}, before it was let through"
        );
        assert!(!ran.load(SeqCst), "{name}: ran a pending call");
        assert_eq!(guard.check(), Err(Interrupt::Requested), "{name}");
        assert!(
            ran.load(SeqCst),
            "{name}: check() did not run the pending call"
        );
        assert_eq!(guard.check(), Ok(Turn::Kept), "{name}");
    }
}

/// An interrupt pending before an infallible wait does not stop it either.
#[test]
fn infallible_waits_ignore_an_interrupt_raised_before() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    gil.interrupter().interrupt().unwrap();
    let lock = held_lock();
    let l = Arc::clone(&lock);
    let releaser = spawn("releaser", move || {
        thread::sleep(INTERRUPT_AFTER);
        l.release().unwrap();
    });
    drop(lock.acquire());
    join(releaser);
    assert_eq!(guard.check(), Err(Interrupt::Requested));
}
