//! What both policies share: the eval breaker, the switch interval, the statistics (counters
//! and per-thread records) and the clock origin of hold stamps.
//!
//! # Notes about memory ordering
//!
//! Nothing here publishes data. The breaker's bits are set and cleared under the policy's own
//! lock (the fair queue, the CPython `mutex`) or on the fair state word's paths, and read as
//! hints: acting on one goes through that lock or word, which provide all the ordering, so
//! every access is `Relaxed`. The interval, the published deadline and the counters are
//! `StatCounter`s: settings and statistics, never a reason to read other data.

use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::holder::Holder;
use crate::loom::StatCounter;
use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::sync::{Arc, Mutex};
use crate::loom::time::{Instant, now};
use crate::stats::{Counters, GilStats, ThreadRecord, ThreadRegistry, nanos};
use crate::trace::{self, Event};

/// Bit of `breaker`: the holder must yield at its next `check()` (to the queue, or under the
/// CPython policy to whoever wins the mutex).
const DROP_REQUEST_BIT: u32 = 0b1;
/// Bit of `breaker`: a requester waits on the lend path (`lend.rs`); only the lend path sets
/// and clears it, so clearing it never erases a queue's drop request.
const LEND_REQUEST_BIT: u32 = 0b10;
/// Bit of `breaker`: waiters are queued and the holder's turn has a deadline; `check()` reads
/// the clock every `CHECKS_PER_CLOCK_READ` calls (`clock.rs`). Changed with the fair queue
/// locked.
pub(crate) const TIMED_BIT: u32 = 0b100;
/// Bit of `breaker`: free-threaded only, a mode switch asks every attached thread to stop at
/// its next `check()` (`gil/switch.rs`). Never set while the GIL is enabled, and ignored by
/// the policies' own reads.
pub(crate) const STOP_BIT: u32 = 0b1000;
/// Bit of `breaker`: pending calls are queued for the GIL's main thread (`signal/pending.rs`,
/// set and cleared under its lock). Ignored by the policies.
pub(crate) const PENDING_BIT: u32 = 0b1_0000;
/// One in `breaker`'s signal count (bits 8 and up): how many threads have an interrupt
/// pending that was raised through this GIL (`signal/thread.rs`); a thread counts at most
/// once, plus once more for a moment per raiser, so 24 bits never overflow. Ignored by the
/// policies.
pub(crate) const SIGNAL_ONE: u32 = 1 << 8;
/// `breaker`'s signal count field.
pub(crate) const SIGNAL_MASK: u32 = !(SIGNAL_ONE - 1);
/// The bits that are no business of the policies: the mode switch's and the signals'.
const NOT_POLICY: u32 = STOP_BIT | PENDING_BIT | SIGNAL_MASK;

/// How a thread asks for the GIL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request {
    /// Jump the normal queue and ask the holder to yield now (fair policy only).
    pub(crate) urgent: bool,
    /// The slice this thread may hold the GIL for once granted, before a waiter asks it back.
    pub(crate) slice: Duration,
    /// The thread's identity, for the CPython policy's `last_holder`.
    pub(crate) me: u64,
    /// A mode switch (`gil/switch.rs`): the CPython policy sets the drop request at once,
    /// and again whenever another waiter won the GIL, instead of after an interval (the
    /// fair policy's `urgent` does the same job there). Never set for ordinary acquisitions,
    /// whose CPython behaviour is the point of that policy.
    pub(crate) immediate: bool,
}

/// See the module docs. `repr(C)`: `counters` comes first so that it shares the padded cache
/// lines of the fair queue, which precedes it in `RawGil` (the hand-offs that count write
/// those lines anyway); `breaker` is padded onto lines of its own.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Shared {
    pub(crate) counters: Counters,
    /// The eval breaker: `DROP_REQUEST_BIT`, `LEND_REQUEST_BIT`, `TIMED_BIT`. Read by every
    /// `check()`; written only when one of them changes. On lines of its own: the holder
    /// polls it, and a word that waiters write on the same line turned each of their writes
    /// into a cache-line fight (measured: ~0.8 µs of the urgent request path, see the convoy
    /// harness).
    breaker: CachePadded<AtomicU32>,
    /// The holder's turn deadline in nanoseconds since `epoch` (`u64::MAX`: none), for the
    /// holder's own time-keeping (`clock.rs`). Written with the fair queue locked.
    pub(super) deadline_ns: StatCounter,
    /// The origin of `deadline_ns` and of hold stamps (`stamp`).
    pub(super) epoch: Instant,
    /// The switch interval in nanoseconds (a setting, not part of any protocol).
    interval_ns: StatCounter,
    registry: Mutex<ThreadRegistry>,
}

impl Shared {
    pub(super) fn new(interval: Duration) -> Self {
        Self {
            counters: Counters::default(),
            breaker: CachePadded::new(AtomicU32::new(0)),
            deadline_ns: StatCounter::new(u64::MAX),
            epoch: now(),
            interval_ns: StatCounter::new(nanos(interval)),
            registry: Mutex::new(ThreadRegistry::default()),
        }
    }

    // ---- the eval breaker -------------------------------------------------------------------

    /// The eval breaker's word, for `check()`: 0 when there is nothing to do.
    #[inline]
    pub(crate) fn breaker(&self) -> u32 {
        // Relaxed: as `drop_requested`.
        self.breaker.load(Relaxed)
    }

    /// Whether the holder has been asked anything (any bit of the breaker).
    #[inline]
    pub(super) fn drop_requested(&self) -> bool {
        // Relaxed: a hint polled at every `check()`; acting on it goes through the fair
        // queue, the state word (the lend path) or the CPython mutex, which provide all the
        // ordering, and a late read only delays the yield by one `check()`.
        self.breaker.load(Relaxed) & !NOT_POLICY != 0
    }

    /// Whether the drop request proper is set (not only a lend request or `TIMED`).
    #[inline]
    pub(super) fn drop_request_set(&self) -> bool {
        // Relaxed: a hint, see `drop_requested`.
        self.breaker.load(Relaxed) & DROP_REQUEST_BIT != 0
    }

    /// Whether anything but `TIMED` is set: `check()` must take its slow path.
    pub(super) fn asks_more_than_timing(&self) -> bool {
        // Relaxed: a hint, see `drop_requested`.
        self.breaker.load(Relaxed) & !(TIMED_BIT | NOT_POLICY) != 0
    }

    /// Sets or clears `STOP_BIT` (`gil/switch.rs`, under its lock). Relaxed: a hint polled by
    /// `check()`; the switch's own handshake (`ModeSwitch`) orders everything.
    pub(crate) fn set_stop(&self, on: bool) {
        if on {
            self.breaker.fetch_or(STOP_BIT, Relaxed);
        } else {
            self.breaker.fetch_and(!STOP_BIT, Relaxed);
        }
    }

    /// `PENDING_BIT` on or off (`signal/pending.rs`, under its lock, which orders it).
    pub(crate) fn set_pending(&self, on: bool) {
        // Relaxed: a hint; the pending-call queue's lock carries the calls.
        if on {
            self.breaker.fetch_or(PENDING_BIT, Relaxed);
        } else {
            self.breaker.fetch_and(!PENDING_BIT, Relaxed);
        }
    }

    /// Counts a pending interrupt raised through this GIL in (`up`) or out of the breaker's
    /// signal count.
    pub(crate) fn count_signal(&self, up: bool) {
        // Relaxed: the count carries no data. A taker counts down only after its RMW of the
        // thread's signal word read the raiser's CAS, which came after the raiser counted
        // up: so every count-down follows its count-up in this word's modification order,
        // and the count never passes below zero. A `check()` that happens after a raise
        // reads the count or a later value (coherence).
        if up {
            self.breaker.fetch_add(SIGNAL_ONE, Relaxed);
        } else {
            self.breaker.fetch_sub(SIGNAL_ONE, Relaxed);
        }
    }

    /// Whether any thread's record says it is attached (free-threaded, `gil/switch.rs`).
    pub(crate) fn any_attached(&self) -> bool {
        self.registry.lock().any(ThreadRecord::is_attached)
    }

    /// Sets the drop request and counts it. `DROP_REQUEST_BIT` on.
    pub(super) fn set_drop_request(&self) {
        // Relaxed: carries no data, see `drop_requested`.
        if self.breaker.fetch_or(DROP_REQUEST_BIT, Relaxed) & DROP_REQUEST_BIT == 0 {
            self.counters.drop_requests.add(1);
            trace::record(Event::DropRequest);
        }
    }

    /// Clears the drop request (not a lend request). `DROP_REQUEST_BIT` off.
    pub(super) fn clear_drop_request(&self) {
        // Relaxed: carries no data, see `drop_requested`. Only written when set: a needless
        // store would invalidate the line every holder polls.
        if self.breaker.load(Relaxed) & DROP_REQUEST_BIT != 0 {
            self.breaker.fetch_and(!DROP_REQUEST_BIT, Relaxed);
        }
    }

    /// `LEND_REQUEST_BIT` on (`lend.rs`).
    pub(super) fn set_lend_request(&self) {
        // Relaxed: a hint, see `drop_requested`.
        self.breaker.fetch_or(LEND_REQUEST_BIT, Relaxed);
    }

    /// `LEND_REQUEST_BIT` off (`lend.rs`).
    pub(super) fn clear_lend_request(&self) {
        // Relaxed: a hint, see `drop_requested`.
        self.breaker.fetch_and(!LEND_REQUEST_BIT, Relaxed);
    }

    /// `TIMED_BIT` on or off, written only when it changes (`clock.rs`).
    pub(super) fn set_timed(&self, on: bool) {
        // Relaxed: TIMED only makes `check()` look at the clock; the deadline it compares
        // with is re-checked under the fair queue's lock before anything is done.
        let timed = self.breaker.load(Relaxed) & TIMED_BIT != 0;
        if !on && timed {
            self.breaker.fetch_and(!TIMED_BIT, Relaxed);
        } else if on && !timed {
            self.breaker.fetch_or(TIMED_BIT, Relaxed);
        }
    }

    // ---- the switch interval and hold stamps ------------------------------------------------

    /// The switch interval. `u64::MAX` nanoseconds stands for "forever" (`Duration::MAX`), so
    /// that `Duration::MAX` reads back as set.
    pub(crate) fn interval(&self) -> Duration {
        match self.interval_ns.get() {
            u64::MAX => Duration::MAX,
            ns => Duration::from_nanos(ns),
        }
    }

    pub(crate) fn set_interval(&self, interval: Duration) {
        self.interval_ns.set(nanos(interval));
    }

    /// `t` as a hold start (`Holder::since`): nanoseconds since `epoch`, plus one.
    #[inline]
    pub(crate) fn stamp(&self, t: Instant) -> u64 {
        nanos(t.saturating_duration_since(self.epoch)).saturating_add(1)
    }

    /// The instant a non-zero `stamp` stands for.
    #[inline]
    pub(crate) fn instant(&self, stamp: u64) -> Option<Instant> {
        let ns = stamp.checked_sub(1)?;
        Some(self.epoch + Duration::from_nanos(ns))
    }

    // ---- statistics -------------------------------------------------------------------------

    pub(crate) fn register(&self, name: Option<String>) -> Arc<ThreadRecord> {
        let record = Arc::new(ThreadRecord::new(name));
        self.registry.lock().register(Arc::clone(&record));
        record
    }

    /// A snapshot; `holder` has the uncontended acquisitions not yet in a record.
    pub(crate) fn stats(&self, holder: &Holder) -> GilStats {
        GilStats {
            switches: self.counters.switches.get(),
            drop_requests: self.counters.drop_requests.get(),
            forced_switches: self.counters.forced_switches.get(),
            priority_requests: self.counters.priority_requests.get(),
            mode_switches: self.counters.mode_switches.get(),
            threads: self.registry.lock().snapshot(holder.fast_count()),
        }
    }

    /// Called by the holder: the calling thread `me`, whose statistics record is `record`,
    /// takes over `holder`'s counter of uncontended acquisitions (`Holder::fast_count`),
    /// counting the one it just made; what the previous owner had counted goes to its record.
    pub(crate) fn claim_fast_count(&self, holder: &Holder, me: u64, record: &Arc<ThreadRecord>) {
        let mut registry = self.registry.lock();
        let pending = holder.reset_fast(me, 1);
        if let Some(previous) = registry.fast.replace(Arc::clone(record)) {
            previous.add_fast(pending);
        }
    }
}
