//! Interruptible waits (issue #16 part 3): a thread blocked in a gil-sync wait is woken by an
//! [`Interrupter`](gil_core::Interrupter) or a failing pending call and returns `Interrupted`,
//! having acquired nothing and consumed no notification; pending calls that succeed run inside
//! the wait, which goes on; the infallible forms leave the interrupt pending.
//!
//! Every interruptible wait of the API is a row of [`interruptible_waits`]: the primitive set
//! up so that the wait blocks, the wait itself, what "took nothing" means for it, and how
//! another thread lets it through. The tests in `waits` and `faults` run every row;
//! `uninterruptible` has the rows of the infallible forms; `condition` and `barrier` the
//! cases only those have. Races (an interrupt against a notify, a release, a `set`, the last
//! arrival) are in `bad_input::interrupt`.
//!
//! The waiting thread is the test's own thread, holding a GIL it built (so it is that GIL's
//! main thread and runs its pending calls) unless a test says otherwise; the interrupter and
//! the releaser are helper threads. Timing never decides a result: an interrupt that comes
//! before the wait parks ends it just the same. [`INTERRUPT_AFTER`] only makes it likely that
//! the wait really is parked when the interrupt comes.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Interrupt, Interrupter};
use gil_sync::{
    AcquireError, Barrier, BarrierError, BoundedSemaphore, Condition, Event, JoinError, Lock,
    RLock, Semaphore, Timer, WaitError, WaitResult,
};
use gil_test_support::{PATIENCE, join, recv, spawn, wait_until};

mod barrier;
mod condition;
mod faults;
mod uninterruptible;
mod waits;

/// Every interruptible wait, on the GIL's main thread (holding the GIL), with `call` queued
/// as a pending call during it: the wait ends with `Err(expected)`, having taken nothing; the
/// interrupt is taken and the queue is empty.
fn a_pending_call_ends_every_wait(call: fn() -> std::ops::ControlFlow<()>, expected: Interrupt) {
    for row in interruptible_waits() {
        let name = row.name;
        let gil = gil_core::Gil::new();
        let mut guard = gil.acquire();
        let caller = gil.clone();
        let result = row.interrupted_by(move || {
            thread::sleep(INTERRUPT_AFTER);
            caller.add_pending_call(call).unwrap();
        });
        assert_eq!(result, Err(expected), "{name}");
        assert_eq!(guard.check(), Ok(gil_core::Turn::Kept), "{name}");
        assert_eq!(gil.pending_calls(), 0, "{name}");
    }
}

/// How long the interrupter waits before it interrupts: long enough for the waiting thread to
/// be parked on a loaded 2-core machine, most of the time.
pub(crate) const INTERRUPT_AFTER: Duration = Duration::from_millis(50);

/// How a row's `release` is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Let the wait through (it is blocked, or about to be).
    LetThrough,
    /// The wait was interrupted: undo the set-up.
    CleanUp,
}

/// A wait of the calling thread that blocks until another thread calls `release`.
pub(crate) struct Blocked {
    /// The API call, for messages.
    pub(crate) name: &'static str,
    /// The wait: `Ok` once let through (whatever it acquired is released again), `Err` with
    /// the interrupt. Runs on the test's thread.
    pub(crate) wait: Box<dyn FnOnce() -> Result<(), Interrupt>>,
    /// Checked on the test's thread right after an interrupted wait: it took nothing.
    pub(crate) took_nothing: Box<dyn FnOnce()>,
    /// Lets the wait through, or cleans up after an interrupted one; runs on a helper thread.
    pub(crate) release: Box<dyn FnOnce(Ending) + Send>,
}

impl Blocked {
    /// Runs the wait on this thread while `trigger` (an interrupt, a failing pending call)
    /// runs on a helper thread, checks `took_nothing` if the wait failed, then cleans up.
    /// Returns the wait's result.
    ///
    /// If the wait has not returned [`PATIENCE`] after `trigger`, the helper lets it through,
    /// so that a wait the trigger failed to end fails the test (with `Ok`) instead of hanging.
    pub(crate) fn interrupted_by(
        self,
        trigger: impl FnOnce() + Send + 'static,
    ) -> Result<(), Interrupt> {
        let Self {
            name,
            wait,
            took_nothing,
            release,
        } = self;
        let done = Arc::new(AtomicBool::new(false));
        let helper = {
            let done = Arc::clone(&done);
            spawn("trigger", move || {
                trigger();
                let deadline = Instant::now() + PATIENCE;
                while !done.load(SeqCst) && Instant::now() < deadline {
                    thread::sleep(Duration::from_micros(200));
                }
                if done.load(SeqCst) {
                    release(Ending::CleanUp);
                } else {
                    eprintln!("{name}: still waiting {PATIENCE:?} after the trigger");
                    release(Ending::LetThrough);
                }
            })
        };
        let result = wait();
        if result.is_err() {
            took_nothing();
        }
        done.store(true, SeqCst);
        join(helper);
        result
    }
}

/// Interrupts through `interrupter` after [`INTERRUPT_AFTER`], from a helper thread.
pub(crate) fn interrupt_later(interrupter: Interrupter) -> thread::JoinHandle<()> {
    spawn("interrupter", move || {
        thread::sleep(INTERRUPT_AFTER);
        interrupter
            .interrupt()
            .expect("the waiting thread is alive");
    })
}

/// The interrupt of an `AcquireError` (a timed acquire that timed out fails the test).
pub(crate) fn acquire_interrupt(err: AcquireError) -> Interrupt {
    match err {
        AcquireError::Interrupted(kind) => kind,
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

/// The interrupt of a `WaitError`.
pub(crate) fn wait_interrupt(err: WaitError) -> Interrupt {
    match err {
        WaitError::Interrupted(kind) => kind,
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

/// The interrupt of a `BarrierError`.
pub(crate) fn barrier_interrupt(err: BarrierError) -> Interrupt {
    match err {
        BarrierError::Interrupted(kind) => kind,
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

/// The interrupt of a `JoinError`.
pub(crate) fn join_interrupt(err: JoinError) -> Interrupt {
    match err {
        JoinError::Interrupted(kind) => kind,
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

/// A `Lock` held by a thread that has exited (any thread may release a `Lock`).
fn held_lock() -> Arc<Lock> {
    let lock = Arc::new(Lock::new());
    let l = Arc::clone(&lock);
    join(spawn("holder", move || l.acquire().leak()));
    lock
}

/// A `Lock` row: `wait` blocks on a lock another thread holds.
fn lock_row(name: &'static str, wait: fn(&Lock) -> Result<(), Interrupt>) -> Blocked {
    let lock = held_lock();
    let (w, t) = (Arc::clone(&lock), Arc::clone(&lock));
    Blocked {
        name,
        wait: Box::new(move || wait(&w)),
        took_nothing: Box::new(move || assert!(t.locked() && !t.is_owned(), "acquired")),
        release: Box::new(move |_| lock.release().unwrap()),
    }
}

/// A thread that owns `lock` until the returned closure is called (an `RLock` is released by
/// its owner only).
fn owned_rlock(lock: Arc<RLock>) -> impl FnOnce() + Send {
    let (owned_tx, owned_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let owner = spawn("owner", move || {
        let _held = lock.acquire();
        owned_tx.send(()).unwrap();
        // Unbounded: the rows are built long before they run. Ends when told, or when the
        // row is dropped unused (the sender goes).
        let _ = done_rx.recv();
    });
    recv(&owned_rx);
    move || {
        done_tx.send(()).unwrap();
        join(owner);
    }
}

/// An `RLock` row: `wait` blocks on a lock another thread owns.
fn rlock_row(name: &'static str, wait: fn(&RLock) -> Result<(), Interrupt>) -> Blocked {
    let lock = Arc::new(RLock::new());
    let release = owned_rlock(Arc::clone(&lock));
    let (w, t) = (Arc::clone(&lock), lock);
    Blocked {
        name,
        wait: Box::new(move || wait(&w)),
        took_nothing: Box::new(move || {
            assert!(t.locked() && !t.is_owned(), "acquired");
            assert_eq!(t.recursion_count(), 0);
        }),
        release: Box::new(move |_| release()),
    }
}

/// A `Semaphore` (or `BoundedSemaphore`, `as_sem` being its deref) row: `wait` blocks on
/// value 0.
fn semaphore_row<S: Send + Sync + 'static>(
    name: &'static str,
    sem: S,
    as_sem: fn(&S) -> &Semaphore,
    wait: fn(&Semaphore) -> Result<(), Interrupt>,
) -> Blocked {
    let sem = Arc::new(sem);
    assert_eq!(as_sem(&sem).value(), 0);
    let (w, t) = (Arc::clone(&sem), Arc::clone(&sem));
    Blocked {
        name,
        wait: Box::new(move || wait(as_sem(&w))),
        took_nothing: Box::new(move || assert_eq!(as_sem(&t).value(), 0, "a permit was taken")),
        release: Box::new(move |ending| {
            let sem = as_sem(&sem);
            sem.release().unwrap();
            if ending == Ending::CleanUp {
                // Nobody took the permit meanwhile.
                assert_eq!(sem.value(), 1);
            }
        }),
    }
}

/// A bounded semaphore of one permit, taken.
fn empty_bounded() -> BoundedSemaphore {
    let sem = BoundedSemaphore::new(1);
    sem.acquire().leak();
    sem
}

/// A `Condition` acquire row: `wait` blocks on the condition's lock, held elsewhere.
fn condition_acquire_row(
    name: &'static str,
    reentrant: bool,
    wait: fn(&Condition) -> Result<(), Interrupt>,
) -> Blocked {
    let (cond, release): (_, Box<dyn FnOnce() + Send>) = if reentrant {
        let lock = Arc::new(RLock::new());
        let release = owned_rlock(Arc::clone(&lock));
        (Condition::with_rlock(lock), Box::new(release))
    } else {
        let lock = held_lock();
        let l = Arc::clone(&lock);
        (
            Condition::with_lock(lock),
            Box::new(move || l.release().unwrap()),
        )
    };
    let cond = Arc::new(cond);
    let (w, t) = (Arc::clone(&cond), cond);
    Blocked {
        name,
        wait: Box::new(move || wait(&w)),
        took_nothing: Box::new(move || assert!(!t.is_owned(), "acquired")),
        release: Box::new(move |_| release()),
    }
}

/// A `Condition` wait row: the test's thread takes the lock `levels` times (an `RLock` if
/// more than one) and waits; `release` notifies once it is queued, with `flag` set.
fn condition_wait_row(
    name: &'static str,
    levels: u64,
    wait: fn(&Condition, &AtomicBool) -> Result<(), WaitError>,
) -> Blocked {
    let cond = Arc::new(if levels > 1 {
        Condition::new()
    } else {
        Condition::with_lock(Arc::new(Lock::new()))
    });
    let flag = Arc::new(AtomicBool::new(false));
    let (w, wf, t) = (Arc::clone(&cond), Arc::clone(&flag), Arc::clone(&cond));
    Blocked {
        name,
        wait: Box::new(move || {
            let guards: Vec<_> = (0..levels).map(|_| w.acquire()).collect();
            let result = wait(&w, &wf);
            assert!(w.is_owned(), "{name}: returned without the lock");
            if let gil_sync::ConditionLock::RLock(lock) = w.lock() {
                assert_eq!(lock.recursion_count(), levels, "{name}: levels lost");
            }
            drop(guards);
            result.map_err(wait_interrupt)
        }),
        took_nothing: Box::new(move || assert_eq!(t.waiting(), 0, "still queued")),
        release: Box::new(move |ending| {
            if ending == Ending::LetThrough {
                wait_until("the waiter is queued", || cond.waiting() == 1);
                let _g = cond.acquire();
                flag.store(true, SeqCst);
                cond.notify(1).unwrap();
            }
        }),
    }
}

/// `Ok` for a notified timed wait (a timeout fails the test).
fn notified(result: WaitResult) {
    assert_eq!(result, WaitResult::Notified, "timed out");
}

/// An `Event` row: `wait` blocks until `set`.
fn event_row(name: &'static str, timeout: Option<Duration>) -> Blocked {
    let event = Arc::new(Event::new());
    let w = Arc::clone(&event);
    Blocked {
        name,
        wait: Box::new(move || {
            let set = w.wait_interruptible(timeout)?;
            assert!(set, "{name}: timed out");
            Ok(())
        }),
        took_nothing: Box::new(|| {}),
        release: Box::new(move |_| event.set()),
    }
}

/// A `Barrier` row: the test's thread is the first of two parties; `release` is the second
/// (which must pass; after an interrupt the first has left the cycle, which is not broken).
fn barrier_row(name: &'static str, wait: fn(&Barrier) -> Result<(), BarrierError>) -> Blocked {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let (w, t) = (Arc::clone(&barrier), Arc::clone(&barrier));
    Blocked {
        name,
        wait: Box::new(move || wait(&w).map_err(barrier_interrupt)),
        took_nothing: Box::new(move || {
            assert!(
                !t.broken(),
                "an interrupt leaves the cycle, it does not break it"
            );
            assert_eq!(t.n_waiting(), 0, "the interrupted waiter was counted out");
        }),
        release: Box::new(move |ending| match ending {
            Ending::LetThrough => {
                let result = barrier.wait();
                assert!(result.is_ok(), "{result:?}");
            }
            Ending::CleanUp => assert!(!barrier.broken()),
        }),
    }
}

/// A `Timer` row: `wait` joins a started timer that waits forever; `release` cancels it.
fn timer_row(name: &'static str, wait: fn(&Timer) -> Result<(), JoinError>) -> Blocked {
    let timer = Arc::new(Timer::new(Duration::MAX, || {}));
    timer.start().unwrap();
    let (w, t) = (Arc::clone(&timer), Arc::clone(&timer));
    Blocked {
        name,
        wait: Box::new(move || wait(&w).map_err(join_interrupt)),
        took_nothing: Box::new(move || assert!(t.is_alive(), "the timer thread was stopped")),
        release: Box::new(move |ending| {
            timer.cancel();
            if ending == Ending::CleanUp {
                timer.join().unwrap();
            }
        }),
    }
}

/// A deadline [`PATIENCE`] from now.
fn patience() -> Instant {
    Instant::now() + PATIENCE
}

/// Every interruptible wait of the API, blocked (see the module docs).
#[expect(
    clippy::too_many_lines,
    reason = "one row per API call: a table, read row by row"
)]
pub(crate) fn interruptible_waits() -> Vec<Blocked> {
    vec![
        lock_row("Lock::acquire_interruptible", |l| {
            l.acquire_interruptible().map(drop)
        }),
        lock_row("Lock::acquire_timeout", |l| {
            l.acquire_timeout(PATIENCE)
                .map(drop)
                .map_err(acquire_interrupt)
        }),
        lock_row("Lock::acquire_deadline", |l| {
            l.acquire_deadline(patience())
                .map(drop)
                .map_err(acquire_interrupt)
        }),
        rlock_row("RLock::acquire_interruptible", |l| {
            l.acquire_interruptible().map(drop)
        }),
        rlock_row("RLock::acquire_timeout", |l| {
            l.acquire_timeout(PATIENCE)
                .map(drop)
                .map_err(acquire_interrupt)
        }),
        rlock_row("RLock::acquire_deadline", |l| {
            l.acquire_deadline(patience())
                .map(drop)
                .map_err(acquire_interrupt)
        }),
        semaphore_row(
            "Semaphore::acquire_interruptible",
            Semaphore::new(0),
            |s| s,
            |s| s.acquire_interruptible().map(drop),
        ),
        semaphore_row(
            "Semaphore::acquire_timeout",
            Semaphore::new(0),
            |s| s,
            |s| {
                s.acquire_timeout(PATIENCE)
                    .map(drop)
                    .map_err(acquire_interrupt)
            },
        ),
        semaphore_row(
            "BoundedSemaphore::acquire_interruptible",
            empty_bounded(),
            |b| b,
            |s| s.acquire_interruptible().map(drop),
        ),
        semaphore_row(
            "BoundedSemaphore::acquire_deadline",
            empty_bounded(),
            |b| b,
            |s| {
                s.acquire_deadline(patience())
                    .map(drop)
                    .map_err(acquire_interrupt)
            },
        ),
        condition_acquire_row("Condition(Lock)::acquire_interruptible", false, |c| {
            c.acquire_interruptible().map(drop)
        }),
        condition_acquire_row("Condition(RLock)::acquire_timeout", true, |c| {
            c.acquire_timeout(PATIENCE)
                .map(drop)
                .map_err(acquire_interrupt)
        }),
        condition_acquire_row("Condition(Lock)::acquire_deadline", false, |c| {
            c.acquire_deadline(patience())
                .map(drop)
                .map_err(acquire_interrupt)
        }),
        condition_wait_row("Condition(Lock)::wait", 1, |c, _| c.wait()),
        condition_wait_row("Condition(RLock x2)::wait_timeout", 2, |c, _| {
            c.wait_timeout(PATIENCE).map(notified)
        }),
        condition_wait_row("Condition(Lock)::wait_deadline", 1, |c, _| {
            c.wait_deadline(patience()).map(notified)
        }),
        condition_wait_row("Condition(Lock)::wait_for", 1, |c, f| {
            c.wait_for(|| f.load(SeqCst)).map(|ok| assert!(ok))
        }),
        condition_wait_row("Condition(RLock x2)::wait_for_timeout", 2, |c, f| {
            c.wait_for_timeout(|| f.load(SeqCst), PATIENCE)
                .map(|ok| assert!(ok))
        }),
        condition_wait_row("Condition(Lock)::wait_for_deadline", 1, |c, f| {
            c.wait_for_deadline(|| f.load(SeqCst), patience())
                .map(|ok| assert!(ok))
        }),
        event_row("Event::wait_interruptible(None)", None),
        event_row("Event::wait_interruptible(PATIENCE)", Some(PATIENCE)),
        barrier_row("Barrier::wait", |b| b.wait().map(drop)),
        barrier_row("Barrier::wait_timeout", |b| {
            b.wait_timeout(PATIENCE).map(drop)
        }),
        barrier_row("Barrier::wait_deadline", |b| {
            b.wait_deadline(patience()).map(drop)
        }),
        timer_row("Timer::join", Timer::join),
        timer_row("Timer::join_timeout", |t| {
            t.join_timeout(PATIENCE).map(|ended| assert!(ended))
        }),
        timer_row("Timer::join_deadline", |t| {
            t.join_deadline(patience()).map(|ended| assert!(ended))
        }),
    ]
}
