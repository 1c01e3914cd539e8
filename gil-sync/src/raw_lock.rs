//! The lock state machine under [`Lock`](crate::Lock) and [`RLock`](crate::RLock).
//!
//! # Implementation details
//!
//! One [`ParkingWord`] holds the owner's identity (see `ident`) above its `QUEUED_BIT`; the
//! threads queued for the lock park on it. Acquire is one CAS from 0; release by the acquirer
//! is one CAS back to 0. A release that finds `QUEUED_BIT` pops the oldest waiter and either
//! wakes it to retry (a newcomer may barge in first, as with every CPython lock) or, once that
//! waiter has waited [`FAIR_AFTER`](crate::loom) (CPython 3.13's 1 ms), hands it the lock
//! directly by writing its identity into the word.
//!
//! # Notes about memory ordering
//!
//! Every successful acquire (CAS from unlocked, or the hand-off token read by the waiter) is
//! `Acquire` and synchronizes with the `Release` of the release that unlocked it (the CAS or
//! store in `unlock`/`unlock_slow`, or the waiter's `Release` token store after a hand-off).
//! So everything before a release happens-before everything after the next acquire.
//! `QUEUED_BIT` itself is the park layer's, `Relaxed` throughout (`park.rs`).

use std::time::Instant;

use crate::error::AcquireError;
use crate::loom::fair_due;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::park::{ParkResult, ParkingWord, UnparkResult, is_queued};
use crate::timeout::expired;
use crate::waiter::{HANDED_OFF, NOTIFIED, Waiter, Woken};
use gil_core::ident;

/// `state` shift of the owner identity (0 = unlocked), above `QUEUED_BIT`.
const OWNER_SHIFT: u32 = 1;

#[inline]
fn owner_of(state: u64) -> u64 {
    state >> OWNER_SHIFT
}

#[inline]
fn is_locked(state: u64) -> bool {
    owner_of(state) != 0
}

#[inline]
fn locked_by(ident: u64) -> u64 {
    debug_assert!(ident != 0 && ident <= ident::MAX);
    ident << OWNER_SHIFT
}

/// Why `unlock` did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotLocked;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct RawLock {
    /// # State table
    ///
    /// Bit layout: `owner identity (63 bits) | QUEUED_BIT`.
    ///
    /// | owner | QUEUED | meaning                                                     |
    /// |-------|--------|-------------------------------------------------------------|
    /// | 0     | 0      | unlocked, nobody queued                                     |
    /// | 0     | 1      | unlocked, waiters queued (a woken one is on its way; anyone may barge) |
    /// | id    | 0      | held by thread `id`, nobody queued                          |
    /// | id    | 1      | held by thread `id`, waiters queued: release takes the slow path |
    ///
    /// `QUEUED_BIT` and its invariant (set iff threads are queued) are the park layer's
    /// (`park.rs`).
    state: ParkingWord,
}

impl RawLock {
    pub(crate) fn new() -> Self {
        Self {
            state: ParkingWord::new(0),
        }
    }

    /// The owner's identity, 0 when unlocked. `Relaxed`: only ever compared with the caller's
    /// own identity, which only the caller itself can have written (program order).
    #[inline]
    pub(crate) fn owner(&self) -> u64 {
        owner_of(self.state.load(Relaxed))
    }

    /// One attempt, never blocks.
    #[inline]
    pub(crate) fn try_lock(&self, me: u64) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            if is_locked(state) {
                return false;
            }
            // 0|Q => me|Q. Acquire: pairs with the Release in `unlock`/`unlock_slow`.
            match self
                .state
                .compare_exchange_weak(state, state | locked_by(me), Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Acquires, blocking until `deadline` (`None`: forever) and, if `interruptible`, until
    /// the calling thread is interrupted.
    #[inline]
    pub(crate) fn lock(
        &self,
        me: u64,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        // 0 => me. Acquire: pairs with the Release in `unlock`/`unlock_slow`.
        if self
            .state
            .compare_exchange(0, locked_by(me), Acquire, Relaxed)
            .is_ok()
        {
            return Ok(());
        }
        self.lock_slow(me, deadline, interruptible)
    }

    #[cold]
    fn lock_slow(
        &self,
        me: u64,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        let mut since = None;
        let mut requeues = 0;
        loop {
            if self.try_lock(me) {
                return Ok(());
            }
            if expired(deadline) {
                return Err(AcquireError::TimedOut);
            }
            // Queue only while the lock is held: one freed meanwhile is retried above.
            let parked = self.state.park(
                is_locked,
                || Waiter::new(me, *since.get_or_insert_with(Instant::now), requeues),
                deadline,
                interruptible,
            );
            match parked {
                ParkResult::Invalid => {}
                ParkResult::Woken(Woken::HandedOff) => return Ok(()),
                // The releaser woke us to retry; a newcomer may have barged in. (An interrupt
                // that came too late to cancel stays pending: the next park reports it.)
                ParkResult::Woken(Woken::Notified) => requeues += 1,
                // One last try: a timed-out waiter still takes a lock that is free right now.
                ParkResult::Woken(Woken::TimedOut) => {
                    return if self.try_lock(me) {
                        Ok(())
                    } else {
                        Err(AcquireError::TimedOut)
                    };
                }
                // No last try: an interrupted acquire acquires nothing (CPython's
                // `PY_LOCK_INTR`).
                ParkResult::Woken(Woken::Interrupted(kind)) => {
                    return Err(AcquireError::Interrupted(kind));
                }
            }
        }
    }

    /// Releases the lock if `me` holds it: the guard's and an owner's release. One CAS when
    /// nobody is queued.
    #[inline]
    pub(crate) fn unlock_owned(&self, me: u64) -> Result<(), NotLocked> {
        // me|0 => 0|0. Release: pairs with the Acquire of the next acquire.
        if self
            .state
            .compare_exchange(locked_by(me), 0, Release, Relaxed)
            .is_ok()
        {
            return Ok(());
        }
        self.unlock_as(Some(me))
    }

    /// Releases the lock whoever holds it (Python lets any thread release a `Lock`).
    pub(crate) fn unlock(&self) -> Result<(), NotLocked> {
        self.unlock_as(None)
    }

    /// Releases the lock if it is held by `who` (`None`: by anyone).
    fn unlock_as(&self, who: Option<u64>) -> Result<(), NotLocked> {
        let held = |state: u64| match who {
            None => is_locked(state),
            Some(me) => owner_of(state) == me,
        };
        let mut state = self.state.load(Relaxed);
        loop {
            if !held(state) {
                return Err(NotLocked);
            }
            if is_queued(state) {
                if let Some(result) = self.unlock_slow(&held) {
                    return result;
                }
                // A timed-out waiter emptied the queue meanwhile: the fast path again.
                state = self.state.load(Relaxed);
                continue;
            }
            // id|0 => 0|0. Release: pairs with the Acquire of the next acquire.
            match self.state.compare_exchange_weak(state, 0, Release, Relaxed) {
                Ok(_) => return Ok(()),
                Err(actual) => state = actual,
            }
        }
    }

    #[cold]
    fn unlock_slow(&self, held: &impl Fn(u64) -> bool) -> Option<Result<(), NotLocked>> {
        let unparked = self.state.unpark_one(held, |next, queued| {
            // Locked with QUEUED set and the queue lock held: nobody else can change the word
            // (releasers come here and wait for the lock, bargers need it unlocked, waiters
            // and cancellers change QUEUED only under the queue lock), so a store decides.
            if fair_due(next.since, next.requeues) {
                // id|Q => next|Q?: direct hand-off, nobody can barge in between. Relaxed: the
                // waiter synchronizes through its token (Release in `wake`).
                self.state.store(locked_by(next.ident) | queued, Relaxed);
                HANDED_OFF
            } else {
                // id|Q => 0|Q?. Release: pairs with the Acquire of the next acquire.
                self.state.store(queued, Release);
                NOTIFIED
            }
        });
        match unparked {
            UnparkResult::Invalid => Some(Err(NotLocked)),
            // The last waiter timed out and cleared QUEUED after our caller read the word
            // (regression: `lock_release_races_timed_out_waiter` in the stress tests). With
            // QUEUED clear another thread's release may take the fast path, so retry there.
            UnparkResult::Empty => None,
            UnparkResult::Unparked => Some(Ok(())),
        }
    }
}
