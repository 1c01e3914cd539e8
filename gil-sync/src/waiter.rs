//! The wait queue every blocking primitive of this crate parks on.
//!
//! # Implementation details
//!
//! A [`WaitQueue`] is a FIFO of [`Waiter`]s behind a short internal mutex. A blocked thread
//! owns one `Waiter` per blocking call: it queues it under the queue's lock, releases the
//! lock, then sleeps in [`block`](WaitQueue::block) — with its GIL released — until a waker
//! sets the waiter's [`state`](Waiter::state) and unparks it. `Lock`, `Semaphore` and `Event`
//! queue through `park.rs`, which also publishes "someone waits" in their atomic word under
//! that lock; `Condition` and `Barrier` queue directly: they have no atomic word, and their
//! wakers always take the queue lock.
//!
//! Wakers pop waiters *under the queue lock* and set their token there too; the unpark happens
//! after the lock is dropped (through [`Wake`]), so a woken thread never runs into a held
//! queue lock. A stale unpark (the waiter already left) only causes one spurious return from a
//! later `park`, and every park in the workspace loops on its own condition.
//!
//! A timed wait ends by *cancelling*: the waiter takes the queue lock and removes itself. If
//! it is no longer queued, a waker popped it first and its token decides the outcome — so
//! "timed out" and "notified" can never both happen, and a notification is never lost on a
//! thread that then reports a timeout. This cancellation is the exact code the loom models
//! drive (under loom a timed park yields once and then reports expiry).
//!
//! An *interruptible* wait (gil-core's `signal` module docs give the loop) runs its park loop
//! inside [`signal::interruptible`] (the only place raisers unpark it), and also leaves it
//! when [`signal::poll`] says the thread has an interrupt or pending calls to see to.
//! With the GIL back it runs the pending calls (on the GIL's main thread; a failing one raises
//! an interrupt here), and then, if an interrupt is pending, cancels exactly as a timed-out
//! wait does: still queued, it takes the interrupt (only now) and reports
//! [`Woken::Interrupted`]; popped first, the token stands and the interrupt stays pending for
//! the thread's next `check()` or wait. Without an interrupt it parks again, still queued and
//! with the same deadline, so no notification can slip past it. An uninterruptible wait never
//! polls, and raisers do not unpark it (it parks outside `signal::interruptible`): the
//! interrupt stays pending, and so do the pending calls.

use std::collections::VecDeque;
use std::time::Instant;

use gil_core::{Interrupt, signal};

use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use crate::loom::thread::{self, Thread};
use crate::timeout::expired;

/// `Waiter::state`: queued, no token yet.
const WAITING: u32 = 0;
/// `Waiter::state`: popped by a notify or release; the waiter must retry (or, for a
/// condition, has been notified).
pub(crate) const NOTIFIED: u32 = 1;
/// `Waiter::state`: popped by a `Lock` release that handed the lock over: the waiter owns it.
pub(crate) const HANDED_OFF: u32 = 2;

/// How a [`WaitQueue::block`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Popped with [`NOTIFIED`].
    Notified,
    /// Popped with [`HANDED_OFF`].
    HandedOff,
    /// The deadline passed and the waiter removed itself before any waker popped it.
    TimedOut,
    /// An interruptible wait saw an interrupt, and the waiter removed itself before any waker
    /// popped it; the interrupt is taken (the thread's next `check()` will not see it).
    Interrupted(Interrupt),
}

/// How [`Waiter::sleep`] ended. Only [`Slept::Woken`] is final: on the others the waiter is
/// maybe still queued, and the caller cancels ([`WaitQueue::cancel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slept {
    /// A waker popped the waiter: its token.
    Woken(Woken),
    /// The deadline passed.
    Expired,
    /// An interruptible wait: an interrupt is pending on the calling thread (pending calls,
    /// if any, have run). Not taken yet.
    Interrupted,
}

/// One blocked call of one thread.
#[derive(Debug)]
pub(crate) struct Waiter {
    /// # State table
    ///
    /// | value        | set by                     | meaning                              |
    /// |--------------|----------------------------|--------------------------------------|
    /// | `WAITING`    | `Waiter::new`              | queued (or about to be)              |
    /// | `NOTIFIED`   | a waker, under queue lock  | popped: retry / was notified         |
    /// | `HANDED_OFF` | `Lock` release, under lock | popped: owns the lock                |
    ///
    /// Written once from `WAITING` by exactly one waker (the one that popped it); never reset.
    state: AtomicU32,
    /// The thread to unpark.
    thread: Thread,
    /// When the waiter first queued (for the `Lock` fairness rule).
    pub(crate) since: Instant,
    /// How many times this call was woken and lost the race (for the `Lock` fairness rule).
    pub(crate) requeues: u32,
    /// Who is waiting (a `Lock` hand-off stores it as the new owner).
    pub(crate) ident: u64,
}

impl Waiter {
    /// A fresh waiter for the calling thread.
    pub(crate) fn new(ident: u64, since: Instant, requeues: u32) -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU32::new(WAITING),
            thread: thread::current(),
            since,
            requeues,
            ident,
        })
    }

    /// The token, `Acquire`: synchronizes with the `Release` store in [`wake`], so
    /// whatever the waker did before popping (a release, a notify) is visible to the waiter.
    fn token(&self) -> u32 {
        self.state.load(Acquire)
    }

    /// Sleeps — the calling thread's GIL released — until this waiter (queued by the caller,
    /// queue lock dropped) is popped, `deadline` passes, or, if `interruptible`, an interrupt
    /// is pending. Pending calls that arrive meanwhile run here, GIL held, and the sleep goes
    /// on (see the module docs). Call on the waiter's own thread.
    pub(crate) fn sleep(&self, deadline: Option<Instant>, interruptible: bool) -> Slept {
        loop {
            let slept = gil_core::allow_threads(|| {
                if interruptible {
                    // Raisers unpark the thread only inside `interruptible`, and it polls
                    // before every park, so a raise before or during the loop is seen.
                    signal::interruptible(|| self.park_loop(deadline, true))
                } else {
                    self.park_loop(deadline, false)
                }
            });
            if let Some(slept) = slept {
                return slept;
            }
            // The GIL is held again (if the thread had one): CPython's `Py_MakePendingCalls`
            // in a lock wait. A call that fails raises an interrupt on this thread.
            signal::run_pending_calls();
            if signal::is_interrupted() {
                return Slept::Interrupted;
            }
            // Only pending calls: still queued, so sleep on with the same deadline.
        }
    }

    /// [`sleep`](Waiter::sleep)'s park loop, GIL released: `None` when it leaves to see to a
    /// signal.
    fn park_loop(&self, deadline: Option<Instant>, interruptible: bool) -> Option<Slept> {
        loop {
            let token = self.token();
            if token != WAITING {
                return Some(Slept::Woken(decode(token)));
            }
            // A wait whose deadline has passed reports its timeout, not the interrupt (which
            // stays pending): Python's `wait(0)` is a non-blocking acquire, which sees no
            // signal. `park_until` below then returns at once.
            if interruptible && signal::poll() && !expired(deadline) {
                return None;
            }
            if !thread::park_until(deadline) {
                return Some(Slept::Expired);
            }
        }
    }
}

/// The outcome of an interrupted wait whose cancel removed it: takes the calling thread's
/// interrupt. Call only once the cancel has succeeded (before it, a waker may still pop the
/// waiter, and then the interrupt must stay pending).
pub(crate) fn take_interrupted() -> Woken {
    Woken::Interrupted(take_interrupt())
}

/// Takes the calling thread's interrupt, which [`Slept::Interrupted`] saw pending.
pub(crate) fn take_interrupt() -> Interrupt {
    let taken = signal::take_interrupt();
    // Some: `Slept::Interrupted` saw it pending, and only the thread itself takes its
    // interrupt (nothing between ran `check()`).
    debug_assert!(taken.is_some(), "an interrupt seen pending was gone");
    taken.unwrap_or(Interrupt::Requested)
}

/// Gives a popped waiter its `token`. Call under the queue lock, after popping it; unpark
/// through the returned [`Wake`] once the lock is dropped. (A free function: loom's `Arc`
/// cannot be a method receiver.)
pub(crate) fn wake(waiter: Arc<Waiter>, token: u32) -> Wake {
    debug_assert_eq!(waiter.state.load(Relaxed), WAITING, "waiter woken twice");
    // Release: pairs with the Acquire in `token`.
    waiter.state.store(token, Release);
    Wake(waiter)
}

/// A popped waiter still to unpark. Unparks on drop, so dropping a `Vec<Wake>` after the queue
/// guard wakes everyone.
#[derive(Debug)]
#[must_use = "dropping a Wake unparks its thread; keep it until the queue lock is released"]
pub(crate) struct Wake(Arc<Waiter>);

impl Drop for Wake {
    fn drop(&mut self) {
        self.0.thread.unpark();
    }
}

/// The FIFO of blocked calls. See the module docs.
#[derive(Debug, Default)]
pub(crate) struct WaitQueue {
    queue: Mutex<VecDeque<Arc<Waiter>>>,
}

/// The locked queue.
pub(crate) type Queue<'a> = MutexGuard<'a, VecDeque<Arc<Waiter>>>;

impl WaitQueue {
    pub(crate) fn new() -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// Locks the queue. Hold it only for a few pointer moves: it is not GIL-aware.
    pub(crate) fn lock(&self) -> Queue<'_> {
        self.queue.lock()
    }

    /// Sleeps until `waiter` (already queued, queue lock already dropped) is popped, or until
    /// `deadline` passes, or (if `interruptible`) an interrupt is pending, and then cancels
    /// itself. Releases the calling thread's GIL while it sleeps ([`Waiter::sleep`]).
    /// `on_cancel` runs under the queue lock when a cancel removed the waiter, with the queue
    /// as left (a primitive clears its "someone waits" bit there when it is empty).
    pub(crate) fn block(
        &self,
        waiter: &Waiter,
        deadline: Option<Instant>,
        interruptible: bool,
        on_cancel: impl FnOnce(&mut Queue<'_>),
    ) -> Woken {
        match waiter.sleep(deadline, interruptible) {
            Slept::Woken(woken) => woken,
            Slept::Expired => self.cancel(waiter, on_cancel).unwrap_or(Woken::TimedOut),
            Slept::Interrupted => self
                .cancel(waiter, on_cancel)
                .unwrap_or_else(take_interrupted),
        }
    }

    /// The timeout and interrupt path: removes `waiter` if still queued (`None`: the caller
    /// reports its timeout or interrupt); otherwise a waker popped it first and its token
    /// stands (`Some`).
    #[cold]
    pub(crate) fn cancel(
        &self,
        waiter: &Waiter,
        on_cancel: impl FnOnce(&mut Queue<'_>),
    ) -> Option<Woken> {
        let mut queue = self.lock();
        if let Some(at) = queue
            .iter()
            .position(|w| std::ptr::eq(Arc::as_ptr(w), waiter))
        {
            queue.remove(at);
            on_cancel(&mut queue);
            return None;
        }
        drop(queue);
        // Popped under the lock we just took, so the token is already stored.
        Some(decode(waiter.token()))
    }
}

fn decode(token: u32) -> Woken {
    match token {
        NOTIFIED => Woken::Notified,
        HANDED_OFF => Woken::HandedOff,
        _ => unreachable!("invalid waiter token: {token}"),
    }
}

/// Pops up to `n` waiters with `token`, oldest first.
pub(crate) fn wake_n(queue: &mut Queue<'_>, n: usize, token: u32) -> Vec<Wake> {
    let n = n.min(queue.len());
    queue.drain(..n).map(|w| wake(w, token)).collect()
}
