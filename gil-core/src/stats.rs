//! Statistics: GIL-wide counters and per-thread hold and wait times.

use std::time::Duration;

use crate::loom::StatCounter;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::AtomicU32;
use crate::loom::sync::atomic::Ordering::SeqCst;

/// A snapshot of a [`Gil`](crate::Gil)'s statistics, from [`Gil::stats`](crate::Gil::stats).
///
/// Counters are cumulative since the GIL was built. They are updated with relaxed atomics on
/// paths that already do work (a hand-off, a release), so they cost a few nanoseconds and are
/// always on; a snapshot taken while threads run is consistent per counter, not across them.
///
/// # Examples
///
/// ```
/// let gil = gil_core::Gil::new();
/// drop(gil.acquire());
/// let stats = gil.stats();
/// assert_eq!(stats.threads.len(), 1);
/// assert_eq!(stats.threads[0].acquisitions, 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GilStats {
    /// Times the GIL passed from one thread to a different one.
    pub switches: u64,
    /// Times a waiter (or [`Gil::request_drop`](crate::Gil::request_drop)) set the drop
    /// request that makes the holder's next [`check`](crate::GilGuard::check) yield.
    pub drop_requests: u64,
    /// Times [`check`](crate::GilGuard::check) gave the GIL away because of a drop request.
    pub forced_switches: u64,
    /// Times a thread returning from [`allow_threads`](crate::GilGuard::allow_threads) was
    /// granted a priority request (fair policy only, see the crate docs).
    pub priority_requests: u64,
    /// Times [`Gil::set_mode`](crate::Gil::set_mode) changed the mode (calls that found the
    /// GIL in the mode asked for change nothing and are not counted).
    pub mode_switches: u64,
    /// One entry per thread that acquired this GIL, in order of first acquisition: every
    /// thread still running, and of the threads that have exited at least the last
    /// 256. Older exited threads are dropped as new ones arrive, so that a program that
    /// starts threads without end keeps bounded memory.
    pub threads: Vec<ThreadStats>,
}

/// Per-thread part of [`GilStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadStats {
    /// The thread's name, if it had one when it first acquired the GIL.
    pub name: Option<String>,
    /// Outermost acquisitions, including re-acquisitions after `check` and `allow_threads`.
    pub acquisitions: u64,
    /// Acquisitions that had to wait for another thread.
    pub waits: u64,
    /// Total time spent holding the GIL (completed holds only). By default only holds that
    /// began by waiting for another thread are timed (an uncontended acquire reads no clock);
    /// build the GIL with [`GilBuilder::time_holds`](crate::GilBuilder::time_holds) to time
    /// every hold. Not measured in [`Mode::FreeThreaded`](crate::Mode::FreeThreaded), where
    /// nothing excludes: zero there.
    pub hold: Duration,
    /// Total time spent waiting for the GIL.
    pub wait: Duration,
    /// The longest single wait.
    pub max_wait: Duration,
    /// Holds that kept queued threads out for more than
    /// [`LONG_HOLD_INTERVALS`](crate::LONG_HOLD_INTERVALS) switch intervals: the thread
    /// neither called [`GilGuard::check`](crate::GilGuard::check) nor released the GIL around
    /// blocking work (or the OS took its CPU away for that long). [`Policy::Fair`] only.
    ///
    /// [`Policy::Fair`]: crate::Policy::Fair
    pub long_holds: u64,
    /// How long the longest of those holds kept the queued threads out.
    pub max_long_hold: Duration,
}

/// The live counters behind one [`ThreadStats`], written by their own thread only (hence
/// `add_own`: no locked instructions on the acquire/release path).
#[derive(Debug, Default)]
pub(crate) struct ThreadRecord {
    pub(crate) name: Option<String>,
    acquisitions: StatCounter,
    /// Uncontended acquisitions counted by the GIL's fast counter (`Holder::fast_count`) and
    /// added here when another thread took the counter over; written with the registry
    /// locked only.
    fast_acquisitions: StatCounter,
    waits: StatCounter,
    hold_ns: StatCounter,
    wait_ns: StatCounter,
    max_wait_ns: StatCounter,
    long_holds: StatCounter,
    max_long_hold_ns: StatCounter,
    /// Free-threaded: whether the thread has a current hold (`gil/switch.rs`).
    attached: Attached,
}

/// `ThreadRecord::attached`: 1 while attached. A loom atomic under loom: it is half of the
/// mode switch's handshake (the other half is `ModeSwitch::switching`).
#[derive(Debug)]
struct Attached(AtomicU32);

impl Default for Attached {
    fn default() -> Self {
        Self(AtomicU32::new(0))
    }
}

/// A hold that keeps queued threads out for more than this many switch intervals is a
/// long hold: counted in [`ThreadStats::long_holds`], and
/// named on stderr once per thread and GIL in debug builds. A thread that calls
/// [`GilGuard::check`](crate::GilGuard::check) ends its turn within about one interval, so
/// ten means it did not (or the OS kept it off the CPU for that long).
pub const LONG_HOLD_INTERVALS: u32 = 10;

/// Whole nanoseconds of `d`, saturating at `u64::MAX` (585 years).
#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl ThreadRecord {
    pub(crate) fn new(name: Option<String>) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    /// Records an outermost acquisition that waited `wait` (zero when it did not block).
    #[inline]
    pub(crate) fn acquired(&self, wait: Option<Duration>) {
        self.acquisitions.add_own(1);
        if let Some(wait) = wait {
            let ns = nanos(wait);
            self.waits.add_own(1);
            self.wait_ns.add_own(ns);
            self.max_wait_ns.max_own(ns);
        }
    }

    /// Says whether the thread has a current free-threaded hold. `SeqCst`: with the
    /// switcher's `SeqCst` store of `ModeSwitch::switching` and load of this flag, either the
    /// switcher sees the thread attached or the thread sees the switch (`gil/switch.rs`).
    pub(crate) fn set_attached(&self, on: bool) {
        self.attached.0.store(u32::from(on), SeqCst);
    }

    /// See `set_attached`.
    pub(crate) fn is_attached(&self) -> bool {
        self.attached.0.load(SeqCst) != 0
    }

    /// Records a completed hold.
    #[inline]
    pub(crate) fn held(&self, hold: Duration) {
        self.hold_ns.add_own(nanos(hold));
    }

    /// Records a hold that kept queued threads out for `kept_out`, far past the interval.
    pub(crate) fn long_hold(&self, kept_out: Duration) {
        self.long_holds.add_own(1);
        self.max_long_hold_ns.max_own(nanos(kept_out));
    }

    /// Adds acquisitions the GIL's fast counter counted for this thread (registry locked).
    pub(crate) fn add_fast(&self, n: u64) {
        self.fast_acquisitions.add(n);
    }

    /// A snapshot; `pending`: acquisitions still in the GIL's fast counter for this thread.
    pub(crate) fn snapshot(&self, pending: u64) -> ThreadStats {
        ThreadStats {
            name: self.name.clone(),
            acquisitions: self
                .acquisitions
                .get()
                .saturating_add(self.fast_acquisitions.get())
                .saturating_add(pending),
            waits: self.waits.get(),
            hold: Duration::from_nanos(self.hold_ns.get()),
            wait: Duration::from_nanos(self.wait_ns.get()),
            max_wait: Duration::from_nanos(self.max_wait_ns.get()),
            long_holds: self.long_holds.get(),
            max_long_hold: Duration::from_nanos(self.max_long_hold_ns.get()),
        }
    }
}

/// GIL-wide counters behind [`GilStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) switches: StatCounter,
    pub(crate) drop_requests: StatCounter,
    pub(crate) forced_switches: StatCounter,
    pub(crate) priority_requests: StatCounter,
    pub(crate) mode_switches: StatCounter,
}

/// The per-thread records of one GIL, in order of first acquisition. A record whose thread
/// has exited (only this list still holds it: the thread's hold record, which owned the other
/// reference, was a thread-local) is kept while it is among the last [`EXITED_KEPT`] such;
/// older ones are pruned when the list has doubled since the last pruning, so registering
/// stays amortized O(1) and the list stays within about twice (live + kept) entries.
#[derive(Debug, Default)]
pub(crate) struct ThreadRegistry {
    records: Vec<Arc<ThreadRecord>>,
    /// Prune when `records` reaches this length.
    prune_at: usize,
    /// The record of the thread that owns the GIL's fast counter (`RawGil::claim_fast_count`).
    pub(crate) fast: Option<Arc<ThreadRecord>>,
}

/// Exited threads whose statistics stay visible.
pub(crate) const EXITED_KEPT: usize = 256;

impl ThreadRegistry {
    /// Whether `f` holds for any record.
    pub(crate) fn any(&self, f: impl Fn(&ThreadRecord) -> bool) -> bool {
        self.records.iter().any(|r| f(r))
    }

    /// Adds a new thread's record (pruning old exited ones first, when due).
    pub(crate) fn register(&mut self, record: Arc<ThreadRecord>) {
        if self.records.len() >= self.prune_at.max(2 * EXITED_KEPT) {
            let exited = self
                .records
                .iter()
                .filter(|r| Arc::strong_count(r) == 1)
                .count();
            let mut to_drop = exited.saturating_sub(EXITED_KEPT);
            self.records.retain(|r| {
                let drop = to_drop > 0 && Arc::strong_count(r) == 1;
                to_drop -= usize::from(drop);
                !drop
            });
            self.prune_at = 2 * self.records.len();
        }
        self.records.push(record);
    }

    /// A snapshot of every record; `fast_count`: the GIL's fast counter, which belongs to
    /// `fast`.
    pub(crate) fn snapshot(&self, fast_count: u64) -> Vec<ThreadStats> {
        self.records
            .iter()
            .map(|r| {
                let owns_fast = self.fast.as_ref().is_some_and(|f| Arc::ptr_eq(f, r));
                r.snapshot(if owns_fast { fast_count } else { 0 })
            })
            .collect()
    }
}
