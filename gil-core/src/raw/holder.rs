//! The holder's record of its hold, kept in the GIL itself: who holds the GIL at which level,
//! how many guards, since when, and its uncounted uncontended acquisitions.
//!
//! # Why here and not in a thread-local list
//!
//! An enabled GIL has one holder at a time, so the record of "the" hold can live next to the
//! lock word: the uncontended acquire and release then touch one cache line and no
//! thread-local list (which cost about 10 ns of a 15–20 ns acquire + release pair; see
//! `gil-bench`'s `core_gil` bench). Per-thread state that outlives a hold (statistics record,
//! I/O credit) stays in `gil/held.rs` and is reached on the slow paths only.
//!
//! # Notes about memory ordering
//!
//! Every field is written only by the thread that holds the GIL, after it acquired the GIL and
//! before it releases it, so the GIL's own `Acquire`/`Release` pairs order all writes: each
//! holder sees its predecessors' values. The fields are atomics (`Relaxed`) only because
//! other threads read them without holding the GIL:
//! - `owner`, compared with the reader's own identity. A thread can only ever read its own
//!   identity there if it wrote it itself (it clears the field before every release), and
//!   its own writes are the latest it can see, so the comparison is exact for the caller.
//! - the counters, by `Gil::stats`, as a best-effort snapshot.
//!
//! They are std atomics under loom too (like `StatCounter`): the GIL's mutual exclusion,
//! which the models check, is what protects them.

use crate::loom::StatCounter;

/// See the module docs. Used in [`Mode::Enabled`](crate::Mode::Enabled) only.
#[derive(Debug, Default)]
pub(crate) struct Holder {
    /// The holding thread's identity (`gil::held::ident`) while a thread holds the GIL at its
    /// current level; 0 otherwise (also while the holder is inside `allow_threads` or waits
    /// in a `check()` hand-off).
    owner: StatCounter,
    /// Guards of the current hold.
    depth: StatCounter,
    /// The level of the current hold: the number of `allow_threads` frames the holder was in
    /// when it acquired the GIL (see `gil/guard.rs`).
    level: StatCounter,
    /// When the current hold began, as nanoseconds since `Shared::epoch` plus one; 0 when
    /// the hold is untimed (it began uncontended and holds are not timed).
    since: StatCounter,
    /// The holder's acquisition sequence number (`gil::held::fresh`): the free
    /// `allow_threads` releases the GIL a thread acquired most recently.
    seq: StatCounter,
    /// The identity of the thread whose uncontended acquisitions `fast_count` counts (the
    /// owner of the fast counter, `RawGil::claim_fast_count`); 0: none.
    fast_owner: StatCounter,
    /// Uncontended acquisitions of `fast_owner` not yet added to its statistics record.
    fast_count: StatCounter,
}

/// A hold's bookkeeping, saved while its thread is not the holder (`allow_threads`, the
/// hand-off in `check()`) and restored when it gets the GIL back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hold {
    pub(crate) depth: u64,
    pub(crate) level: u32,
    /// See `Holder::since`.
    pub(crate) since: u64,
    pub(crate) seq: u64,
}

impl Holder {
    /// The holding thread's identity, 0 if none (see the module docs for what a non-holder
    /// may conclude from it).
    #[inline]
    pub(crate) fn owner(&self) -> u64 {
        self.owner.get()
    }

    /// The level of the current hold.
    #[inline]
    pub(crate) fn level(&self) -> u32 {
        u32::try_from(self.level.get()).unwrap_or(u32::MAX)
    }

    /// A nested guard of the current hold.
    #[inline]
    pub(crate) fn nest(&self) {
        self.depth.set(self.depth.get().saturating_add(1));
    }

    /// One guard of the current hold dropped; returns how many are left.
    #[inline]
    pub(crate) fn unnest(&self) -> u64 {
        let left = self.depth.get().saturating_sub(1);
        self.depth.set(left);
        left
    }

    /// The calling thread `me` now holds the GIL with `hold`.
    #[inline]
    pub(crate) fn take(&self, me: u64, hold: Hold) {
        self.take_untimed(me, hold);
        self.since.set(hold.since);
    }

    /// As `take` for an untimed hold (`hold.since == 0`): `since` is 0 already, since every
    /// holder resets it when it gives its hold up (`end`, `give_up`).
    #[inline]
    pub(crate) fn take_untimed(&self, me: u64, hold: Hold) {
        debug_assert_eq!(self.since.get(), 0, "a hold's start outlived it");
        self.owner.set(me);
        self.depth.set(hold.depth);
        self.level.set(u64::from(hold.level));
        self.seq.set(hold.seq);
    }

    /// Marks the current hold as begun at `since` (`RawGil::stamp`).
    pub(crate) fn set_since(&self, since: u64) {
        self.since.set(since);
    }

    /// The hold's start, reset to 0 (see `take_untimed`).
    #[inline]
    fn take_since(&self) -> u64 {
        let since = self.since.get();
        if since != 0 {
            self.since.set(0);
        }
        since
    }

    /// The holder gives up its hold (to release the GIL or to wait for it): returns it.
    #[inline]
    pub(crate) fn give_up(&self) -> Hold {
        self.owner.set(0);
        Hold {
            depth: self.depth.get(),
            level: self.level(),
            since: self.take_since(),
            seq: self.seq.get(),
        }
    }

    /// The holder releases the GIL after its last guard: returns the hold's `since`.
    #[inline]
    pub(crate) fn end(&self) -> u64 {
        self.owner.set(0);
        self.take_since()
    }

    /// Guards created inside an `allow_threads` closure outlived it: the suspended hold's
    /// `depth` guards of `level` join the current hold.
    pub(crate) fn merge(&self, depth: u64, level: u32) {
        self.depth.set(self.depth.get().saturating_add(depth));
        self.level.set(self.level.get().min(u64::from(level)));
    }

    /// The acquisition sequence number of the current hold.
    pub(crate) fn seq(&self) -> u64 {
        self.seq.get()
    }

    /// Counts an uncontended acquisition of `me`; `false` if `me` does not own the fast
    /// counter (the caller then counts it in its own record).
    #[inline]
    pub(crate) fn count_fast(&self, me: u64) -> bool {
        if self.fast_owner.get() != me {
            return false;
        }
        self.fast_count.add_own(1);
        true
    }

    /// Makes `me` the owner of the fast counter, which restarts at `count`; returns what the
    /// previous owner had not had added to its record yet.
    pub(crate) fn reset_fast(&self, me: u64, count: u64) -> u64 {
        let pending = self.fast_count.get();
        self.fast_owner.set(me);
        self.fast_count.set(count);
        pending
    }

    /// The fast counter, for a statistics snapshot.
    pub(crate) fn fast_count(&self) -> u64 {
        self.fast_count.get()
    }
}
