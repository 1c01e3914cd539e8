//! `Waiter`: a thread's node for waiting in the fair policy (queued, or parked as a lender),
//! and the grant protocol on it.
//!
//! # Notes about memory ordering
//!
//! The `Release` swap of `GRANTED` in `grant` synchronizes with the `Acquire` load in
//! `is_granted` (or the `Acquire` failure of `prepare_park`): the new holder sees everything
//! the previous holder wrote. Everything else on the node is `Relaxed`: a node is published to
//! other threads only through the fair queue's lock.

use crate::loom::sync::Arc;
use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::thread::{self, Thread};
use crate::loom::thread_local;

/// `Waiter::state`: queued, polling (the granter need not unpark).
const WAITING: u32 = 0;
/// `Waiter::state`: the GIL has been handed to this waiter.
const GRANTED: u32 = 1;
/// `Waiter::state`: queued and (about to be) parked: the granter must unpark.
const PARKED: u32 = 2;

/// One thread's node for waiting in the fair queue, reused for every wait of that thread
/// (a thread waits for one GIL at a time).
#[derive(Debug)]
pub(super) struct Waiter {
    thread: Thread,
    /// `WAITING → PARKED` by the waiter before it parks, `WAITING|PARKED → GRANTED` by the
    /// thread that hands the GIL over (exactly once per wait), `GRANTED → WAITING` by the
    /// waiter when it queues again.
    state: AtomicU32,
}

thread_local! {
    static WAITER: Arc<Waiter> = Arc::new(Waiter { thread: thread::current(), state: AtomicU32::new(GRANTED) });
}

impl Waiter {
    /// This thread's node, reset for a new wait. While the thread's thread-locals are being
    /// destroyed (a contended acquire from a thread-local destructor), a fresh node for this
    /// one wait.
    pub(super) fn current() -> Arc<Self> {
        let w = WAITER.try_with(Arc::clone).unwrap_or_else(|_| {
            Arc::new(Waiter {
                thread: thread::current(),
                state: AtomicU32::new(GRANTED),
            })
        });
        // GRANTED => WAITING. Relaxed: the node is not queued (its last wait ended with the
        // GRANTED we observed), so nobody else touches it until the queue's lock publishes it.
        w.state.store(WAITING, Relaxed);
        w
    }

    #[inline]
    pub(super) fn is_granted(&self) -> bool {
        // Acquire: synchronizes with the Release swap in `grant`, so the new holder sees
        // everything the previous holder wrote.
        self.state.load(Acquire) == GRANTED
    }

    /// Whether the waiter is (about to be) parked. Only the thread that grants it (under
    /// the queue's lock) moves a node out of `PARKED`, so the answer stays true until its
    /// `grant`.
    pub(super) fn is_parked(&self) -> bool {
        // Relaxed: a hint for the hand-off; `grant` does the synchronizing.
        self.state.load(Relaxed) == PARKED
    }

    /// Hands the GIL to this waiter: `WAITING|PARKED => GRANTED`.
    /// Returns whether it must be unparked (done once the queue is unlocked).
    pub(super) fn grant(&self) -> bool {
        // Release: synchronizes with the Acquire loads in `is_granted` and `prepare_park`;
        // publishes the previous holder's writes (and the queue state) to the new holder.
        self.state.swap(GRANTED, Release) == PARKED
    }

    /// `WAITING => PARKED` before parking; `false` if the GIL was granted meanwhile.
    pub(super) fn prepare_park(&self) -> bool {
        // Acquire on failure: the GRANTED we see synchronizes with `grant`'s Release swap.
        // Relaxed on success: parking publishes nothing.
        match self
            .state
            .compare_exchange(WAITING, PARKED, Relaxed, Acquire)
        {
            Ok(_) | Err(PARKED) => true,
            Err(_) => false,
        }
    }

    /// Wakes the waiter's thread (after `grant` said so, or to make it look at the queue).
    pub(super) fn unpark(&self) {
        self.thread.unpark();
    }
}
