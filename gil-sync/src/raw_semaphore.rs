//! The counter state machine under [`Semaphore`](crate::Semaphore) and
//! [`BoundedSemaphore`](crate::BoundedSemaphore).
//!
//! # Implementation details
//!
//! One [`ParkingWord`] holds the value above its `QUEUED_BIT` ("waiters queued"); acquire and
//! release are one CAS each when nobody waits. `release(n)` that finds `QUEUED_BIT` wakes up
//! to `n` queued waiters (oldest first), each of which retries, exactly like CPython's
//! `notify(n)` on the semaphore's condition: a newcomer may take the permit first (barging),
//! and a woken waiter that loses simply queues again.
//!
//! # Notes about memory ordering
//!
//! A successful acquire (the `Acquire` CAS in `try_acquire`) synchronizes with the `Release`
//! CAS of the release that added the permit it took. `QUEUED_BIT` itself is the park layer's,
//! `Relaxed` throughout (`park.rs`).

use std::time::Instant;

use crate::error::{AcquireError, ReleaseError};
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::park::{ParkResult, ParkingWord, QUEUED_BIT, is_queued};
use crate::timeout::expired;
use crate::waiter::{Waiter, Woken};

/// `state` shift of the value, above `QUEUED_BIT`.
const VALUE_SHIFT: u32 = 1;
/// One permit in `state` units.
const ONE: u64 = 1 << VALUE_SHIFT;

#[inline]
fn value_of(state: u64) -> u64 {
    state >> VALUE_SHIFT
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct RawSemaphore {
    /// # State table
    ///
    /// Bit layout: `value (63 bits) | QUEUED_BIT`.
    ///
    /// | value | QUEUED | meaning                                                   |
    /// |-------|--------|-----------------------------------------------------------|
    /// | 0     | 0      | no permits, nobody queued                                 |
    /// | 0     | 1      | no permits, waiters queued: `release` wakes them          |
    /// | v > 0 | 0      | `v` permits                                               |
    /// | v > 0 | 1      | `v` permits, woken waiters on their way (newcomers may barge) |
    ///
    /// `QUEUED_BIT` and its invariant (set iff threads are queued) are the park layer's
    /// (`park.rs`).
    state: ParkingWord,
}

impl RawSemaphore {
    /// The largest value the word can hold (2⁶³ − 1).
    pub(crate) const MAX_VALUE: u64 = u64::MAX >> VALUE_SHIFT;

    /// `value` permits, at most [`RawSemaphore::MAX_VALUE`].
    pub(crate) fn new(value: u64) -> Self {
        debug_assert!(value <= Self::MAX_VALUE);
        Self {
            state: ParkingWord::new(value << VALUE_SHIFT),
        }
    }

    /// The number of permits right now. `Relaxed`: a snapshot that orders nothing.
    #[inline]
    pub(crate) fn value(&self) -> u64 {
        value_of(self.state.load(Relaxed))
    }

    /// One permit if there is one; never blocks.
    #[inline]
    pub(crate) fn try_acquire(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        while value_of(state) > 0 {
            // v|Q => v-1|Q. Acquire: pairs with the Release CAS in `release`.
            match self
                .state
                .compare_exchange_weak(state, state - ONE, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
        false
    }

    /// One permit, blocking until `deadline` (`None`: forever) and, if `interruptible`,
    /// until the calling thread is interrupted.
    #[inline]
    pub(crate) fn acquire(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        if self.try_acquire() {
            return Ok(());
        }
        self.acquire_slow(deadline, interruptible)
    }

    #[cold]
    fn acquire_slow(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        loop {
            if self.try_acquire() {
                return Ok(());
            }
            if expired(deadline) {
                return Err(AcquireError::TimedOut);
            }
            // Queue only while there is no permit: one that came meanwhile is taken above.
            let parked = self.state.park(
                |state| value_of(state) == 0,
                || Waiter::new(0, Instant::now(), 0),
                deadline,
                interruptible,
            );
            match parked {
                // Woken (or not queued): retry. An interrupt that came too late to cancel a
                // wake-up stays pending; the next park reports it.
                ParkResult::Invalid | ParkResult::Woken(Woken::Notified | Woken::HandedOff) => {}
                // CPython re-checks the value once after its last wait, too.
                ParkResult::Woken(Woken::TimedOut) => {
                    return if self.try_acquire() {
                        Ok(())
                    } else {
                        Err(AcquireError::TimedOut)
                    };
                }
                // No last try: an interrupted acquire takes nothing (CPython's `acquire`
                // raises out of its wait).
                ParkResult::Woken(Woken::Interrupted(kind)) => {
                    return Err(AcquireError::Interrupted(kind));
                }
            }
        }
    }

    /// Adds `n` (≥ 1) permits unless that would pass `bound` or [`RawSemaphore::MAX_VALUE`],
    /// and wakes up to `n` waiters. On error nothing changed.
    #[inline]
    pub(crate) fn release(&self, n: u64, bound: Option<u64>) -> Result<(), ReleaseError> {
        debug_assert!(n > 0, "the caller refuses n == 0");
        let mut state = self.state.load(Relaxed);
        loop {
            let current = value_of(state);
            // The bound first, as Python (a `BoundedSemaphore` raises `ValueError` however far
            // past its bound a release goes); `bound - current` cannot underflow: the value
            // never exceeds the bound.
            if bound.is_some_and(|bound| n > bound - current) {
                return Err(ReleaseError::OverRelease);
            }
            let value = current
                .checked_add(n)
                .filter(|&v| v <= Self::MAX_VALUE)
                .ok_or(ReleaseError::Overflow)?;
            // v|Q => v+n|Q. Release: pairs with the Acquire CAS in `try_acquire`.
            match self.state.compare_exchange_weak(
                state,
                (value << VALUE_SHIFT) | (state & QUEUED_BIT),
                Release,
                Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if is_queued(state) {
            self.state
                .unpark_n(usize::try_from(n).unwrap_or(usize::MAX), || {});
        }
        Ok(())
    }
}
