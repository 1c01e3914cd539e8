//! `RawGil`: what an enabled GIL is made of, and the dispatch of every operation to the
//! policy it was built with.
//!
//! # Files
//!
//! - `shared.rs`: what both policies share: the eval breaker (drop request), the switch
//!   interval, the statistics, the clock origin; `clock.rs`: the holder's own time-keeping
//!   on it.
//! - `holder.rs`: the current hold's bookkeeping (both policies, written by the holder).
//! - `state.rs`, `queue.rs`, `waiter.rs`: the fair policy's state word, queue and waiter
//!   nodes; `fair.rs`: its acquire, release and yield (the queue path); `lend.rs`: its lend
//!   path.
//! - `cpython.rs`: the CPython policy.
//!
//! Imports point one way: `mod.rs` → policies → `shared.rs` / `holder.rs`.

use std::time::Duration;

use crate::loom::sync::Arc;
use crate::loom::time::Instant;
use crate::policy::{Mode, Policy};
use crate::signal::GilSignals;
use crate::stats::{GilStats, ThreadRecord};

use self::cpython::CPythonGil;
use self::mode::ModeSwitch;
pub(crate) use self::mode::Progress;
use self::shared::Shared;
use self::state::FairGil;

mod clock;
mod cpython;
mod fair;
mod holder;
mod lend;
mod mode;
mod queue;
mod shared;
mod state;
mod waiter;

pub(crate) use self::clock::CHECKS_PER_CLOCK_READ;
pub(crate) use self::holder::{Hold, Holder};
pub(crate) use self::shared::{PENDING_BIT, Request, SIGNAL_MASK, STOP_BIT, TIMED_BIT};

/// The GIL's shared state. Safe to share; the `Gil`/`GilGuard` layer keeps the calls balanced.
///
/// `repr(C)`, and the order of the fields is the cache layout. `holder` and the fair state
/// word (`fair.state`, first in `FairGil`), which every acquire and release write, share the
/// first cache line; the fair queue's lock and the counters (`shared.counters`, first in
/// `Shared`) follow on the same padded lines, so that a hand-off moves as few lines between
/// cores as possible; `Shared::breaker` is padded onto lines of its own (the holder polls
/// it); the rest is read-mostly.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct RawGil {
    /// The current hold's bookkeeping, written by the holder (`holder.rs`).
    holder: Holder,
    /// The fair policy's state word and queue (unused under the CPython policy).
    fair: FairGil,
    shared: Shared,
    /// The CPython policy's locks (unused under the fair policy).
    cpython: CPythonGil,
    pub(crate) policy: Policy,
    /// The mode, and the mode switch's handshake (`mode.rs`).
    pub(crate) switch: ModeSwitch,
    /// Read the clock at every acquisition, so every hold is timed and charged (see
    /// `GilBuilder::time_holds`); otherwise only holds that began by waiting are.
    pub(crate) time_holds: bool,
    /// Interrupt bookkeeping and the pending calls (`signal/`): cold.
    pub(crate) signals: GilSignals,
}

// The layout claim above, for the builds that measure it (loom's atomics are larger).
#[cfg(not(any(loom, shuttle)))]
const _: () = assert!(std::mem::offset_of!(RawGil, fair.state) + 4 <= 64);

impl RawGil {
    pub(crate) fn new(policy: Policy, mode: Mode, interval: Duration, time_holds: bool) -> Self {
        Self {
            holder: Holder::default(),
            fair: FairGil::new(),
            shared: Shared::new(interval),
            cpython: CPythonGil::new(),
            policy,
            switch: ModeSwitch::new(mode),
            time_holds,
            signals: GilSignals::new(),
        }
    }

    // ---- shared state -----------------------------------------------------------------------

    /// The mode right now (it changes only at a mode switch: `mode.rs`).
    #[inline]
    pub(crate) fn mode(&self) -> Mode {
        self.switch.mode()
    }

    /// See `Shared::set_pending`.
    pub(crate) fn set_pending(&self, on: bool) {
        self.shared.set_pending(on);
    }

    /// See `Shared::count_signal`.
    pub(crate) fn count_signal(&self, up: bool) {
        self.shared.count_signal(up);
    }

    /// See `Shared::set_stop`.
    pub(crate) fn set_stop(&self, on: bool) {
        self.shared.set_stop(on);
    }

    /// Counts a mode switch (`GilStats::mode_switches`).
    pub(crate) fn count_mode_switch(&self) {
        self.shared.counters.mode_switches.add(1);
    }

    /// See `Shared::any_attached`.
    pub(crate) fn any_attached(&self) -> bool {
        self.shared.any_attached()
    }

    /// The current hold's bookkeeping (enabled mode).
    #[inline]
    pub(crate) fn holder(&self) -> &Holder {
        &self.holder
    }

    /// The eval breaker's word, for `check()`: 0 when there is nothing to do.
    #[inline]
    pub(crate) fn breaker(&self) -> u32 {
        self.shared.breaker()
    }

    /// See `Shared::interval`.
    pub(crate) fn interval(&self) -> Duration {
        self.shared.interval()
    }

    pub(crate) fn set_interval(&self, interval: Duration) {
        self.shared.set_interval(interval);
    }

    /// `t` as a hold start (`Holder::since`).
    #[inline]
    pub(crate) fn stamp(&self, t: Instant) -> u64 {
        self.shared.stamp(t)
    }

    /// The instant a non-zero `stamp` stands for.
    #[inline]
    pub(crate) fn instant(&self, stamp: u64) -> Option<Instant> {
        self.shared.instant(stamp)
    }

    pub(crate) fn register(&self, name: Option<String>) -> Arc<ThreadRecord> {
        self.shared.register(name)
    }

    pub(crate) fn stats(&self) -> GilStats {
        self.shared.stats(&self.holder)
    }

    /// See `Shared::claim_fast_count`.
    pub(crate) fn claim_fast_count(&self, me: u64, record: &Arc<ThreadRecord>) {
        self.shared.claim_fast_count(&self.holder, me, record);
    }

    // ---- dispatched on the policy -----------------------------------------------------------
    //
    // Times are passed in rather than read here: the caller already read the clock for its
    // statistics, and each read costs ~35 ns on the hand-off path. Each blocking call returns
    // the instant it got the GIL (`None`: at once, at `start`).

    /// How many threads wait for the GIL right now.
    pub(crate) fn waiters(&self) -> usize {
        match self.policy {
            Policy::Fair => self.fair.waiters(),
            Policy::CPython => self.cpython.waiters(),
        }
    }

    /// Since when the holder's hold has been contended by queued waiters (`None`: nobody is
    /// queued, or the CPython policy). Called by the holder on its slow paths only.
    #[inline]
    pub(crate) fn contended_since(&self) -> Option<Instant> {
        match self.policy {
            Policy::Fair => self.fair.contended_since(),
            Policy::CPython => None,
        }
    }

    /// Asks the holder to yield at its next `check()` if anyone waits: the same code a
    /// waiter runs when the holder's interval expires.
    pub(crate) fn request_drop(&self) {
        match self.policy {
            Policy::Fair => self.fair.request_drop(&self.shared),
            Policy::CPython => self.cpython.request_drop(&self.shared),
        }
    }

    /// The holder's clock read, from `check()` once its countdown runs out while `TIMED_BIT`
    /// is set (fair policy only): if its turn is over, sets the drop request exactly as the
    /// head's time-keeper does when its timed park fires. Returns whether `check()` must
    /// take its slow path.
    #[cold]
    #[inline(never)]
    pub(crate) fn holder_turn_over(&self) -> bool {
        self.shared.deadline_passed() && self.fair.holder_turn_over(&self.shared)
    }

    /// Acquires without blocking for the thread `me` (`Request::me`).
    #[inline]
    pub(crate) fn try_acquire(&self, me: u64) -> bool {
        match self.policy {
            Policy::Fair => self.fair.try_lock_fast(),
            Policy::CPython => self.cpython.try_take(&self.shared, me),
        }
    }

    /// Acquires, blocking as long as needed. Meant for after `try_acquire` failed: under the
    /// fair policy it does not try the uncontended CAS again first.
    pub(crate) fn acquire(&self, req: Request, start: Instant) -> Option<Instant> {
        match self.policy {
            Policy::Fair => self.fair.acquire(&self.shared, req, start),
            Policy::CPython => self.cpython.take_gil(&self.shared, req.me, req.immediate),
        }
    }

    /// Frees the GIL held by the calling thread if that needs nothing but the state word:
    /// fair policy, nobody queued, nothing lent or requested (the first release tier,
    /// `FairGil::try_free`). `false`: call `release`.
    #[inline]
    pub(crate) fn try_free(&self) -> bool {
        self.policy == Policy::Fair && self.fair.try_free()
    }

    /// Releases the GIL held by the calling thread.
    pub(crate) fn release(&self, me: u64) {
        match self.policy {
            Policy::Fair => self.fair.release(&self.shared),
            Policy::CPython => self.cpython.drop_gil(&self.shared, me),
        }
    }

    /// The slow half of `check()`: if a waiter asked for the GIL, hand it over and wait for it
    /// back. Returns when it got the GIL back, or `None` if nothing was handed over.
    pub(crate) fn yield_now(&self, me: u64, slice: Duration, start: Instant) -> Option<Instant> {
        match self.policy {
            Policy::Fair => self.fair.yield_fair(&self.shared, slice, start),
            Policy::CPython => Some(self.cpython.yield_now(&self.shared, me)),
        }
    }
}
