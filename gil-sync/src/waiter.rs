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

use std::collections::VecDeque;
use std::time::Instant;

use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use crate::loom::thread::{self, Thread};

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
    /// `deadline` passes and it cancels itself. Releases the calling thread's GIL while it
    /// sleeps. `on_cancel` runs under the queue lock when a cancel removed the waiter, with
    /// the queue as left (a primitive clears its "someone waits" bit there when it is empty).
    pub(crate) fn block(
        &self,
        waiter: &Waiter,
        deadline: Option<Instant>,
        on_cancel: impl FnOnce(&mut Queue<'_>),
    ) -> Woken {
        let token = gil_core::allow_threads(|| {
            loop {
                let token = waiter.token();
                if token != WAITING {
                    return Some(token);
                }
                if !thread::park_until(deadline) {
                    return None;
                }
            }
        });
        match token {
            Some(token) => decode(token),
            None => self.cancel(waiter, on_cancel),
        }
    }

    /// The timeout path: remove `waiter` if still queued; otherwise a waker popped it first
    /// and its token stands.
    #[cold]
    fn cancel(&self, waiter: &Waiter, on_cancel: impl FnOnce(&mut Queue<'_>)) -> Woken {
        let mut queue = self.lock();
        if let Some(at) = queue
            .iter()
            .position(|w| std::ptr::eq(Arc::as_ptr(w), waiter))
        {
            queue.remove(at);
            on_cancel(&mut queue);
            return Woken::TimedOut;
        }
        drop(queue);
        // Popped under the lock we just took, so the token is already stored.
        decode(waiter.token())
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
