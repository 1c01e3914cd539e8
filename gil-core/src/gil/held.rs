//! Per-thread state: its `allow_threads` nesting and one record per GIL it has touched
//! (statistics record, I/O credit, and the free-threaded mode's nesting).
//!
//! # The hot and the cold part
//!
//! The identity (`crate::ident`, the workspace's one identity space), the nesting counter and
//! the acquisition sequence are `Cell`s in `const`
//! thread-locals without destructors: reading them costs a few instructions, never a
//! lazy-initialization check, and they stay readable while the thread's other thread-locals
//! are being destroyed. The per-GIL records (`HELD`, a list) are reached only on the slow
//! paths: when the thread waits, when a hold is timed or contended, in `allow_threads` frames
//! whose guards were dropped inside the closure, and for statistics the first time a thread
//! acquires uncontended (see `RawGil::claim_fast_count`). An enabled GIL's hold itself lives
//! in the GIL (`raw/holder.rs`).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use crate::loom::sync::{Arc, Weak};
use crate::loom::thread_local;
use crate::loom::time::{Instant, now};
use crate::raw::RawGil;
use crate::stats::{LONG_HOLD_INTERVALS, ThreadRecord};

/// How deep a thread's I/O credit can go into debt, in switch intervals: a thread that held
/// the GIL for this long must spend twice as long in `allow_threads` before its returns from
/// I/O are urgent again.
const MAX_DEBT_INTERVALS: i64 = 10;

/// Nanoseconds of `d` as `i64`, saturating.
fn nanos_i64(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

// `const` initializers spare every access the lazy-initialization check; loom's
// `thread_local!` has no const form.
#[cfg(not(loom))]
thread_local! {
    static FRAMES_SEQ: Cell<u64> = const { Cell::new(0) };
    static DROPPED: Cell<u64> = const { Cell::new(0) };
    static HELD: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
}
#[cfg(loom)]
thread_local! {
    static FRAMES_SEQ: Cell<u64> = Cell::new(0);
    static DROPPED: Cell<u64> = Cell::new(0);
    static HELD: RefCell<Vec<Held>> = RefCell::new(Vec::new());
}

/// The calling thread's identity, as the GIL's holder word stores it.
pub(crate) use crate::ident::current as ident;

/// `FRAMES_SEQ`'s low bits: how many `allow_threads` frames the thread is in (any GIL),
/// saturating at `FRAMES_MAX`; the high bits: its acquisition sequence. One word, so that a
/// fresh hold reads its level and takes its sequence number with one thread-local access.
const FRAME_BITS: u32 = 16;
const FRAMES_MAX: u64 = (1 << FRAME_BITS) - 1;

/// Enters (`+1`) or leaves (`-1`) an `allow_threads` frame.
#[inline]
pub(crate) fn enter_frame(enter: bool) {
    FRAMES_SEQ.with(|c| {
        let w = c.get();
        let frames = w & FRAMES_MAX;
        if enter && frames < FRAMES_MAX {
            c.set(w + 1);
        } else if !enter && frames > 0 {
            c.set(w - 1);
        }
    });
}

/// A fresh hold's level ([`level`]) and a new acquisition sequence number of the calling
/// thread (48 bits: it does not wrap in practice).
#[inline]
pub(crate) fn fresh() -> (u32, u64) {
    FRAMES_SEQ.with(|c| {
        let w = c.get().wrapping_add(1 << FRAME_BITS);
        c.set(w);
        ((w & FRAMES_MAX) as u32, w >> FRAME_BITS)
    })
}

/// One thread's record of one GIL.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) gil: Weak<RawGil>,
    /// `gil`'s address, compared on every access (cheaper than `Weak::as_ptr`). `gil` keeps
    /// the allocation alive, so no other GIL can have this address while the record lives.
    key: *const RawGil,
    pub(crate) record: Arc<ThreadRecord>,
    /// I/O credit in nanoseconds: GIL time this thread may still take through urgent
    /// requests. Negative is debt: a thread that computed for long must first spend twice as
    /// long away before it may make urgent requests again.
    credit: i64,
    /// When `credit` was last brought up to date.
    credit_at: Instant,
    /// Levels of the guards of this GIL dropped while their level was suspended by an
    /// `allow_threads` frame (the frame subtracts them when it resumes).
    dropped: Vec<u32>,
    /// Free-threaded mode only: the current hold, as `Holder` keeps it for an enabled GIL
    /// (guards, level, acquisition sequence); the thread "holds" the GIL iff `ft_depth` is
    /// non-zero. Suspended holds live on the stack of their `allow_threads` frames, as in
    /// enabled mode (`hold.rs`).
    pub(crate) ft_depth: u64,
    pub(crate) ft_level: u32,
    pub(crate) ft_seq: u64,
    /// Whether the debug-build warning about a long hold was printed for this thread and GIL.
    warned_long_hold: bool,
}

impl Held {
    /// Ends a hold that began at `since` at `t`: statistics, and the hold is charged to the
    /// I/O credit, which refills at half the wall-clock rate up to one switch interval and
    /// can fall to a debt of `MAX_DEBT_INTERVALS` intervals.
    ///
    /// `kept_out`: how long queued threads waited during this hold, if any did.
    pub(crate) fn end_hold(
        &mut self,
        since: Instant,
        t: Instant,
        interval: Duration,
        kept_out: Option<Duration>,
    ) {
        let hold = t.saturating_duration_since(since);
        self.record.held(hold);
        if let Some(kept_out) =
            kept_out.filter(|&k| k > interval.saturating_mul(LONG_HOLD_INTERVALS))
        {
            self.record.long_hold(kept_out);
            if cfg!(debug_assertions) && !self.warned_long_hold {
                self.warned_long_hold = true;
                warn_long_hold(self.record.name.as_deref(), kept_out, interval);
            }
        }
        self.refill(t, interval);
        let floor = -nanos_i64(interval).saturating_mul(MAX_DEBT_INTERVALS);
        self.credit = self.credit.saturating_sub(nanos_i64(hold)).max(floor);
    }

    /// Brings the credit up to `t`.
    pub(crate) fn refill(&mut self, t: Instant, interval: Duration) {
        let earned = nanos_i64(t.saturating_duration_since(self.credit_at) / 2);
        self.credit = self.credit.saturating_add(earned).min(nanos_i64(interval));
        self.credit_at = t;
    }

    /// The urgent slice a return from I/O gets, if the thread has credit left.
    pub(crate) fn urgent_slice(&self) -> Option<Duration> {
        u64::try_from(self.credit)
            .ok()
            .filter(|&c| c > 0)
            .map(Duration::from_nanos)
    }
}

/// Debug builds: says once per thread and GIL that a hold kept others out far too long,
/// and what usually causes it.
#[cold]
fn warn_long_hold(name: Option<&str>, kept_out: Duration, interval: Duration) {
    let name = name.unwrap_or("<unnamed>");
    eprintln!(
        "gil-core: thread '{name}' kept the GIL for {kept_out:.1?} while other threads waited \
         (switch interval {interval:?}). Call GilGuard::check() in long loops, and release the \
         GIL around blocking calls: allow_threads, gil_core::sleep, \
         MutexExt::lock_releasing_gil. (Printed once per thread and GIL, in debug builds; \
         counted in ThreadStats::long_holds.)"
    );
}

/// Runs `f` on this thread's record of `raw`, creating it on first use; `None` while the
/// thread's thread-locals are being destroyed.
#[inline]
pub(crate) fn with_held<R>(raw: &Arc<RawGil>, f: impl FnOnce(&mut Held) -> R) -> Option<R> {
    HELD.try_with(|cell| {
        let mut list = cell.borrow_mut();
        let key = Arc::as_ptr(raw);
        let at = match list.iter().rposition(|h| h.key == key) {
            Some(at) => at,
            None => register(&mut list, raw),
        };
        f(&mut list[at])
    })
    .ok()
}

/// Adds this thread's record of `raw` to `list`; returns its index.
#[cold]
#[inline(never)]
fn register(list: &mut Vec<Held>, raw: &Arc<RawGil>) -> usize {
    // Forget GILs that have been dropped since.
    list.retain(|h| h.gil.strong_count() > 0);
    let name = crate::loom::thread::current().name().map(str::to_owned);
    list.push(Held {
        gil: Arc::downgrade(raw),
        key: Arc::as_ptr(raw),
        record: raw.register(name),
        credit: nanos_i64(raw.interval()),
        credit_at: now(),
        dropped: Vec::new(),
        ft_depth: 0,
        ft_level: 0,
        ft_seq: 0,
        warned_long_hold: false,
    });
    list.len() - 1
}

/// The GILs this thread has records of and that still exist, with `f` choosing among them.
pub(crate) fn find_gil(
    mut f: impl FnMut(&Arc<RawGil>, &Held) -> Option<u64>,
) -> Option<Arc<RawGil>> {
    HELD.try_with(|cell| {
        cell.borrow()
            .iter()
            .filter_map(|h| {
                let raw = h.gil.upgrade()?;
                let rank = f(&raw, h)?;
                Some((rank, raw))
            })
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, raw)| raw)
    })
    .ok()
    .flatten()
}

/// A guard of `raw` at `level` was dropped while that level was suspended.
#[cold]
pub(crate) fn note_dropped(raw: &Arc<RawGil>, level: u32) {
    with_held(raw, |h| h.note_dropped(level));
}

impl Drop for Held {
    /// The thread is exiting: a free-threaded hold it still has (a leaked guard) must not
    /// keep a mode switch waiting for it.
    fn drop(&mut self) {
        if self.ft_depth == 0 {
            return;
        }
        if let Some(raw) = self.gil.upgrade() {
            raw.switch.detach(&self.record);
        }
    }
}

impl Held {
    /// A guard of this record's GIL at `level` was dropped while that level was suspended.
    #[cold]
    pub(crate) fn note_dropped(&mut self, level: u32) {
        self.dropped.push(level);
        DROPPED.with(|c| c.set(c.get().saturating_add(1)));
    }
}

/// Whether a guard at `level` belongs to the calling thread's current hold of its GIL:
/// no `allow_threads` frame was entered since its hold began, or every one entered since has
/// been left (levels count frames, in both modes). A guard is only ever of a live hold (the
/// hold ends with its last guard), and a hold stops being current only inside a frame (or
/// inside `check()`, where no user code runs). Refused at the saturated count, where levels
/// stop telling frames apart.
#[inline]
pub(crate) fn is_current_level(level: u32) -> bool {
    let frames = FRAMES_SEQ.with(Cell::get) & FRAMES_MAX;
    frames < FRAMES_MAX && frames <= u64::from(level)
}

/// How many guards of `raw` at `level` or deeper were dropped while suspended: the
/// `allow_threads` frame that suspended `level` of `raw` takes them on resuming.
#[inline]
pub(crate) fn take_dropped(raw: &Arc<RawGil>, level: u32) -> u64 {
    if DROPPED.with(Cell::get) == 0 {
        return 0;
    }
    take_dropped_slow(raw, level)
}

#[cold]
fn take_dropped_slow(raw: &Arc<RawGil>, level: u32) -> u64 {
    let n = with_held(raw, |h| {
        let before = h.dropped.len();
        h.dropped.retain(|&l| l < level);
        (before - h.dropped.len()) as u64
    })
    .unwrap_or(0);
    DROPPED.with(|c| c.set(c.get().saturating_sub(n)));
    n
}

/// Runs `f` on this thread's record of `raw` if it has one (creates none).
pub(crate) fn peek<R>(raw: &Arc<RawGil>, f: impl FnOnce(&Held) -> R) -> Option<R> {
    HELD.try_with(|cell| {
        let key = Arc::as_ptr(raw);
        cell.borrow().iter().rfind(|h| h.key == key).map(f)
    })
    .ok()
    .flatten()
}
