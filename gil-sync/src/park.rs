//! Parking on a primitive's atomic word: the crate's one "lock the queue, re-validate the
//! word, set the bit, enqueue, block, clear the bit on cancel" sequence, and the wake-ups that
//! keep that bit right.
//!
//! # Implementation details
//!
//! `parking_lot_core`'s shape (`park(addr, validate, …)`, `unpark_one(addr, callback)`), with
//! one queue per word instead of a global hash table. A [`ParkingWord`] is an `AtomicU64`
//! plus the [`WaitQueue`] of the threads parked on it. Bit 0 of the word is [`QUEUED_BIT`];
//! the bits above it belong to the primitive (`Lock`: the owner, `Semaphore`: the value,
//! `Event`: the flag).
//!
//! **Invariant.** Whenever the queue lock is free, `QUEUED_BIT` is set iff the queue is not
//! empty (gil-core's `QUEUED_BIT` says the same of the GIL's queue; "parked", there and here,
//! is a thread asleep in `park`). It is set and cleared only in this file, and only under the
//! queue lock: [`park`](ParkingWord::park) sets it before queueing, a cancel and
//! [`unpark_n`](ParkingWord::unpark_n) clear it when they empty the queue, and
//! [`unpark_one`](ParkingWord::unpark_one) hands the value the word must carry to the
//! callback that rewrites the word. The primitives' fast paths carry the bit through their
//! RMWs unchanged.
//!
//! **No lost wake-up.** The contract with the primitives: a fast-path RMW that makes a parked
//! thread's condition true (a release, a `set`) and sees `QUEUED_BIT` wakes through
//! `unpark_*` afterwards; with the bit clear it wakes nobody. That is enough because:
//! - a parker re-reads the word under the queue lock and queues only if `validate` still
//!   holds. If the bit is clear it sets it with a CAS from the value it validated, so it
//!   and a racing fast-path RMW are two RMWs on one word: one of them fails and retries
//!   (the parker returns [`ParkResult::Invalid`] and its caller goes back to its fast path);
//! - if the bit is already set, it stays set while the parker holds the queue lock, so every
//!   RMW that could invalidate the value the parker read (which may be stale: the load is
//!   `Relaxed`) also sees the bit, and its `unpark_*` takes the queue lock after the parker
//!   has queued and finds it.
//!
//! **Timeouts and interrupts are cancellations** ([`WaitQueue::block`]): a timed-out or
//! interrupted waiter still queued removes itself under the queue lock and clears the bit there
//! if the queue is now empty; an unparker that read the bit before that finds it clear under
//! the lock ([`UnparkResult::Empty`]) and goes back to its fast path.
//!
//! # Notes about memory ordering
//!
//! Every access to `QUEUED_BIT` here is `Relaxed`: the bit publishes no data. What it must
//! guarantee comes from the modification order of the one word (the CAS argument above) and
//! from the queue lock, whose acquire/release orders a parker's push with an unparker's pop.
//! The primitive's data travels on its own `Acquire`/`Release` operations, and a woken
//! waiter synchronizes with its waker through the token (`Release` in `waiter::wake`,
//! `Acquire` in `Waiter::token`).

use std::ops::Deref;
use std::time::Instant;

use crate::loom::sync::Arc;
use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::waiter::{NOTIFIED, Queue, WaitQueue, Waiter, Woken, wake, wake_n};

/// Bit 0 of every [`ParkingWord`]: the queue is not empty (see the module docs for the
/// invariant). Bit 0 so that a primitive's value shifted left by one never collides with it.
pub(crate) const QUEUED_BIT: u64 = 0b1;

/// Whether `state` says threads are queued.
#[inline]
pub(crate) fn is_queued(state: u64) -> bool {
    state & QUEUED_BIT != 0
}

/// How a [`ParkingWord::park`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParkResult {
    /// `validate` refused the word, or the word changed before `QUEUED_BIT` could be set:
    /// the caller was not queued and goes back to its fast path.
    Invalid,
    /// The caller queued and then was woken, handed off, timed out or interrupted.
    Woken(Woken),
}

/// How a [`ParkingWord::unpark_one`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnparkResult {
    /// `validate` refused the word: nothing changed.
    Invalid,
    /// `QUEUED_BIT` was clear under the queue lock (the last waiter cancelled after the
    /// caller read the word): nothing changed; the caller goes back to its fast path.
    Empty,
    /// The oldest waiter was popped and given the token the callback chose.
    Unparked,
}

/// A primitive's atomic word and the queue of threads parked on it. See the module docs.
///
/// Bit layout: `the primitive's bits (63) | QUEUED_BIT`. It dereferences to the word for the
/// primitive's fast paths, which must carry `QUEUED_BIT` through unchanged.
#[derive(Debug)]
pub(crate) struct ParkingWord {
    state: AtomicU64,
    queue: WaitQueue,
}

impl ParkingWord {
    /// A word holding `state`, nobody queued.
    pub(crate) fn new(state: u64) -> Self {
        debug_assert!(!is_queued(state), "a new word has nobody queued");
        Self {
            state: AtomicU64::new(state),
            queue: WaitQueue::new(),
        }
    }

    /// Queues the calling thread if `validate` accepts the word (read under the queue lock),
    /// then sleeps — its GIL released — until an `unpark_*` pops it, or `deadline` passes or
    /// (if `interruptible`) an interrupt comes, and it cancels itself ([`WaitQueue::block`]).
    /// `waiter` makes the queue entry, once validated.
    #[cold]
    pub(crate) fn park(
        &self,
        validate: impl FnOnce(u64) -> bool,
        waiter: impl FnOnce() -> Arc<Waiter>,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> ParkResult {
        // Before anything is queued or published: a panic here changes nothing.
        gil_core::assert_may_block();
        let waiter = {
            let mut queue = self.queue.lock();
            // Relaxed: a stale value is caught by the CAS below or, with the bit already
            // set, by the unparker that changed it (module docs).
            let state = self.state.load(Relaxed);
            if !validate(state) {
                return ParkResult::Invalid;
            }
            // x|0 => x|Q (x|Q stays). Relaxed: the bit publishes nothing; the queue lock
            // orders it with the unparker, which reads it again under that lock.
            if !is_queued(state)
                && self
                    .state
                    .compare_exchange(state, state | QUEUED_BIT, Relaxed, Relaxed)
                    .is_err()
            {
                return ParkResult::Invalid;
            }
            let waiter = waiter();
            queue.push_back(waiter.clone());
            waiter
        };
        ParkResult::Woken(self.queue.block(&waiter, deadline, interruptible, |queue| {
            self.clear_if_empty(queue);
        }))
    }

    /// Pops the oldest waiter if `validate` accepts the word (re-read under the queue lock)
    /// and `QUEUED_BIT` is still set. `hand` gets the waiter and the `QUEUED_BIT` value the
    /// word must carry from now on (0 if it was the last waiter); it writes the word itself,
    /// with that bit, and returns the waiter's token. The waiter is unparked after the queue
    /// lock is dropped.
    #[cold]
    pub(crate) fn unpark_one(
        &self,
        validate: impl FnOnce(u64) -> bool,
        hand: impl FnOnce(&Waiter, u64) -> u32,
    ) -> UnparkResult {
        let mut queue = self.queue.lock();
        // Relaxed: the bit is only changed under the lock we hold; the primitive's bits are
        // the caller's business (`validate`, `hand`).
        let state = self.state.load(Relaxed);
        if !validate(state) {
            return UnparkResult::Invalid;
        }
        if !is_queued(state) {
            return UnparkResult::Empty;
        }
        let Some(next) = queue.pop_front() else {
            unreachable!("parking word {state:#b} has QUEUED_BIT with an empty queue");
        };
        let queued = if queue.is_empty() { 0 } else { QUEUED_BIT };
        let token = hand(&next, queued);
        debug_assert_eq!(
            self.state.load(Relaxed) & QUEUED_BIT,
            queued,
            "unpark_one's callback must write the QUEUED_BIT it was given"
        );
        let wake = wake(next, token);
        drop(queue);
        drop(wake);
        UnparkResult::Unparked
    }

    /// Runs `first`, then pops up to `n` waiters (oldest first) with [`NOTIFIED`], all under
    /// the queue lock, and clears `QUEUED_BIT` if that emptied the queue. The waiters are
    /// unparked after the lock is dropped.
    #[cold]
    pub(crate) fn unpark_n(&self, n: usize, first: impl FnOnce()) {
        let mut queue = self.queue.lock();
        first();
        let woken = wake_n(&mut queue, n, NOTIFIED);
        self.clear_if_empty(&queue);
        drop(queue);
        drop(woken);
    }

    /// Clears `QUEUED_BIT` if the queue (locked by the caller) is empty.
    fn clear_if_empty(&self, queue: &Queue<'_>) {
        if queue.is_empty() {
            // x|Q => x|0. Relaxed: see `park`.
            self.state.fetch_and(!QUEUED_BIT, Relaxed);
        }
    }
}

impl Deref for ParkingWord {
    type Target = AtomicU64;

    /// The word, for the primitive's fast paths.
    #[inline]
    fn deref(&self) -> &AtomicU64 {
        &self.state
    }
}
