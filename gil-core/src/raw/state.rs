//! `FairGil`: the fair policy's state word and queue lock, the state word's bits and the
//! uncontended transitions. The queue path is in `fair.rs`, the lend path in `lend.rs`.

use super::queue::FairQueue;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// Bit of `state`: a thread holds the GIL.
pub(super) const LOCKED_BIT: u32 = 0b01;
/// Bit of `state`: threads are queued in `queue` (only ever set together with `LOCKED_BIT`).
pub(super) const QUEUED_BIT: u32 = 0b10;
/// Bit of `state`: an urgent requester spins on the lend path (see `lend.rs`); set only on
/// `LOCKED_BIT` or `LOCKED_BIT|QUEUED_BIT`, so at most one at a time.
pub(super) const URGENT_BIT: u32 = 0b100;
/// Bit of `state`: the GIL is lent; the running holder is a borrower and the lender waits
/// for it back (`lend.rs`).
pub(super) const LENT_BIT: u32 = 0b1000;
/// Bit of `state`: the lender parked (registered in `FairQueue::lender`) and must be granted
/// through its node when the GIL comes back.
pub(super) const LENDER_PARKED_BIT: u32 = 0b1_0000;
/// Bit of `state`: the GIL belongs to an owner that has not resumed yet: a lender (set with
/// `LENT` when it lends; a returning borrower clears only `LENT`) or a parked waiter the queue
/// handed it to. The owner claims the GIL by clearing this bit once it runs; until then a
/// returning urgent requester may borrow it at once, so an owner that is off the CPU
/// (preempted or parked) never makes a borrower wait for it (`lend.rs`).
pub(super) const RESERVED_BIT: u32 = 0b10_0000;

#[inline]
pub(super) fn is_locked(state: u32) -> bool {
    state & LOCKED_BIT != 0
}

/// The fair policy's own state (its share of `RawGil`'s hot cache lines).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct FairGil {
    /// # State table
    ///
    /// | state                          | meaning                                              |
    /// |--------------------------------|------------------------------------------------------|
    /// | `0`                            | free, nobody waits                                   |
    /// | `LOCKED`                       | held, nobody queued                                  |
    /// | `LOCKED\|QUEUED`               | held, waiters in `queue` (hand-off on release)       |
    /// | `LOCKED\|URGENT`               | held; a requester spins on the lend path             |
    /// | `LOCKED\|URGENT\|QUEUED`       | as above, and a waiter queued meanwhile              |
    /// | `LOCKED\|RESERVED\|LENT[\|QUEUED]` | lent: a borrower holds, the lender spins      |
    /// | `LOCKED\|RESERVED\|LENT\|LENDER_PARKED[\|QUEUED]` | lent, the lender parked (`FairQueue::lender`) |
    /// | `LOCKED\|RESERVED[\|QUEUED]`   | reserved: the owner claims it when it runs, a requester may borrow it meanwhile |
    ///
    /// Invariants: `QUEUED` is set iff `queue.waiters` is non-empty and only changes with
    /// `queue` locked; every other bit implies `LOCKED`; `URGENT` is only set on `LOCKED` or
    /// `LOCKED|QUEUED` (so never with `LENT` or `RESERVED`, and at most one requester);
    /// `LENDER_PARKED` implies `LENT`; `LENT` implies `RESERVED` (only the owner clears it,
    /// and only while `LENT` is clear).
    pub(super) state: AtomicU32,
    pub(super) queue: Mutex<FairQueue>,
}

impl FairGil {
    pub(super) fn new() -> Self {
        Self {
            state: AtomicU32::new(0),
            queue: Mutex::new(FairQueue::default()),
        }
    }

    /// Takes a free GIL nobody waits for: `0 => LOCKED`.
    #[inline]
    pub(super) fn try_lock_fast(&self) -> bool {
        // Acquire: synchronizes with the Release CAS of the previous holder's release
        // (`try_free`, `release_to_lender_or_requester`).
        self.state
            .compare_exchange(0, LOCKED_BIT, Acquire, Relaxed)
            .is_ok()
    }

    /// The first release tier (`release`, `fair.rs`): frees the GIL if nobody waits, nothing
    /// is lent and nothing is requested:
    /// `LOCKED => 0`. `false`: the state word has other bits, see `release` (`fair.rs`).
    #[inline]
    pub(super) fn try_free(&self) -> bool {
        // Release: synchronizes with the Acquire CAS in `try_lock_fast` or `lock_slow` of the
        // next holder.
        self.state
            .compare_exchange(LOCKED_BIT, 0, Release, Relaxed)
            .is_ok()
    }
}
