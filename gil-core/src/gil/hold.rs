//! An enabled GIL's holds: acquire, release, and the hand-overs of `allow_threads` and
//! `check()`. The hold's bookkeeping lives in the GIL (`raw/holder.rs`); per-thread records
//! (`held.rs`) are touched only when the thread waits or a hold must be charged.
//!
//! # Levels
//!
//! A guard belongs to a *level*: the number of `allow_threads` frames its thread was in when
//! the hold began (`held::level`). A hold's guards share its level; a nested acquire joins the
//! current hold. A guard is of the *current* hold iff its thread is the GIL's owner and the
//! guard's level is at least the hold's; otherwise its level is suspended by an
//! `allow_threads` frame, and dropping it only tells that frame (`held::note_dropped`), which
//! then re-acquires for the remaining guards only. Guards created inside the closure that
//! outlive it join the resumed hold (`Holder::merge`).
//!
//! # Uncontended cost
//!
//! `acquire` + drop of an uncontended GIL is: the thread identity (one thread-local read),
//! the owner comparison, the lock CAS, five holder stores and the acquisition count, then
//! the owner and level comparisons, the depth, and the unlock CAS. No clock read (unless
//! `GilBuilder::time_holds`), no thread-local list.

use crate::gil::held::{self, ident, with_held};
use crate::gil::switch;
use crate::loom::sync::Arc;
use crate::loom::time::{Instant, now};
use crate::raw::{Hold, RawGil, Request};
use crate::stats::LONG_HOLD_INTERVALS;

/// Acquires `raw` (blocking) for the calling thread; returns the guard's level.
#[inline]
pub(crate) fn acquire(raw: &Arc<RawGil>) -> u32 {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() == me {
        holder.nest();
        return holder.level();
    }
    // The CAS first: a locked instruction waits for earlier stores (here the thread-local
    // sequence number) to drain, so they are cheaper after it (measured ~1 ns).
    let took = raw.try_acquire(me);
    let hold = fresh_hold();
    if took {
        took_at_once(raw, me, hold);
    } else {
        acquire_slow(raw, me, hold);
    }
    hold.level
}

/// Takes the enabled lock for a mode switch (`switch.rs`), whatever the mode: as `acquire`,
/// but urgently when it has to wait (fair policy: through the lend path, ahead of the queue;
/// the holder lends it at its next `check()`), so the switch does not wait a whole round of
/// turns, and never settling (the switcher holds the lock across the mode change).
pub(crate) fn acquire_for_switch(raw: &Arc<RawGil>) -> u32 {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() == me {
        holder.nest();
        return holder.level();
    }
    let hold = fresh_hold();
    if raw.try_acquire(me) {
        took_at_once(raw, me, hold);
    } else {
        let start = now();
        let req = Request {
            urgent: true,
            slice: raw.interval(),
            me,
            immediate: true,
        };
        let got = raw.acquire(req, start);
        took_unsettled(raw, me, hold, start, got);
    }
    hold.level
}

/// Waits for `raw` (which was not free).
#[cold]
#[inline(never)]
fn acquire_slow(raw: &Arc<RawGil>, me: u64, hold: Hold) {
    let start = now();
    let got = raw.acquire(request(raw, me), start);
    took_after_wait(raw, me, hold, start, got);
}

/// Acquires `raw` if that needs no waiting; returns the guard's level.
#[inline]
pub(crate) fn try_acquire(raw: &Arc<RawGil>) -> Option<u32> {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() == me {
        holder.nest();
        return Some(holder.level());
    }
    if !raw.try_acquire(me) {
        return None;
    }
    let hold = fresh_hold();
    took_at_once(raw, me, hold);
    Some(hold.level)
}

/// Whether the calling thread holds `raw` (at its current level).
#[inline]
pub(crate) fn is_held(raw: &RawGil) -> bool {
    raw.holder().owner() == ident()
}

/// Drops a guard of `level`: releases `raw` when it was the current hold's last guard.
#[inline]
pub(crate) fn release(raw: &Arc<RawGil>, level: u32) {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() != me || level < holder.level() {
        held::note_dropped(raw, level);
        return;
    }
    if holder.unnest() > 0 {
        return;
    }
    let since = holder.end();
    if !(since == 0 && raw.try_free()) {
        release_slow(raw, me, since);
    }
}

/// Runs `f` with `raw` released if the calling thread holds it, and takes it back after
/// (urgently while the thread has I/O credit), also when `f` panics.
#[inline]
pub(crate) fn released<R>(raw: &Arc<RawGil>, f: impl FnOnce() -> R) -> R {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() != me {
        // Not held at this level (e.g. an outer guard used inside a nested guard's
        // `allow_threads`): nothing to release.
        return f();
    }
    // Before anything changes: a borrow alive here would outlive the hold (`cell/state.rs`).
    crate::cell::assert_may_block();
    let hold = holder.give_up();
    held::enter_frame(true);
    if !(hold.since == 0 && raw.try_free()) {
        release_slow(raw, me, hold.since);
    }
    Resume { raw, hold }.around(f)
}

/// Gives up the calling thread's current hold of `raw`, if it has one, and releases the GIL
/// (a mode switch: `switch.rs`).
pub(crate) fn give_up(raw: &Arc<RawGil>) -> Option<Hold> {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() != me {
        return None;
    }
    let hold = holder.give_up();
    if !(hold.since == 0 && raw.try_free()) {
        release_slow(raw, me, hold.since);
    }
    Some(Hold { since: 0, ..hold })
}

/// Takes a given-up `hold` back, waiting for the GIL as long as needed (`switch::take`, in
/// enabled mode).
pub(crate) fn take(raw: &Arc<RawGil>, hold: Hold) {
    take_with(raw, hold, acquire_slow);
}

/// Takes `hold` back for the calling thread: joins the guards that already hold the GIL
/// (created inside an `allow_threads` closure that they escaped), or takes a free GIL
/// without reading the clock, or calls `slow` to wait for it.
#[inline]
fn take_with(raw: &Arc<RawGil>, hold: Hold, slow: fn(&Arc<RawGil>, u64, Hold)) {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() == me {
        holder.merge(hold.depth, hold.level);
        return;
    }
    if hold.depth == 0 {
        // Every guard of that level was dropped while it was suspended.
        return;
    }
    // A free GIL is taken without reading the clock (the credit refills lazily: it is
    // brought up to date the next time it is needed).
    if raw.try_acquire(me) {
        took_at_once(raw, me, hold);
        return;
    }
    slow(raw, me, hold);
}

/// The slow half of `check()`: hands the GIL to the waiter that asked for it and waits for
/// the next turn. Returns whether it switched.
pub(crate) fn yield_turn(raw: &Arc<RawGil>) -> bool {
    let me = ident();
    let holder = raw.holder();
    if holder.owner() != me {
        // A guard used while a nested guard's `allow_threads` released the GIL.
        return false;
    }
    if crate::cell::outstanding() > 0 {
        // A `GilCell` borrow (through another guard of this hold) is alive: another thread
        // must not run under the GIL until it ends (`cell/state.rs`).
        return false;
    }
    let t = now();
    let mut hold = holder.give_up();
    charge(raw, hold.since, || t);
    if let Some(got) = raw.yield_now(me, raw.interval(), t) {
        took_after_wait(raw, me, hold, t, Some(got));
        true
    } else {
        // Nothing was handed over: the hold goes on (timed from here).
        hold.since = raw.stamp(t);
        holder.take(me, hold);
        false
    }
}

/// A new hold of one guard at the calling thread's level.
#[inline]
pub(crate) fn fresh_hold() -> Hold {
    let (level, seq) = held::fresh();
    Hold {
        depth: 1,
        level,
        since: 0,
        seq,
    }
}

#[inline]
fn request(raw: &RawGil, me: u64) -> Request {
    Request {
        urgent: false,
        slice: raw.interval(),
        me,
        immediate: false,
    }
}

/// The GIL was free: the hold begins untimed (unless every hold is timed) and is counted.
#[inline]
fn took_at_once(raw: &Arc<RawGil>, me: u64, hold: Hold) {
    raw.holder().take_untimed(me, hold);
    if !raw.holder().count_fast(me) {
        took_at_once_slow(raw, me);
    }
    // No `switch::settle` here: reading the mode right after the uncontended CAS cost more
    // than the rest of the acquisition (the load waits for the CAS). A hold taken this way
    // as the GIL became free-threaded is settled lazily (`switch.rs`, "Stale holds").
}

/// `took_at_once` when the thread does not own the GIL's fast counter: it counts this
/// acquisition in its record and takes the counter over; or every hold is timed
/// (`GilBuilder::time_holds`), which never use the fast counter.
#[cold]
#[inline(never)]
fn took_at_once_slow(raw: &Arc<RawGil>, me: u64) {
    if raw.time_holds {
        raw.holder().set_since(raw.stamp(now()));
        with_held(raw, |h| h.record.acquired(None));
    } else {
        with_held(raw, |h| raw.claim_fast_count(me, &h.record));
    }
}

/// The thread asked at `start` and got the GIL at `got` (`None`: without waiting after all).
fn took_after_wait(raw: &Arc<RawGil>, me: u64, hold: Hold, start: Instant, got: Option<Instant>) {
    took_unsettled(raw, me, hold, start, got);
    switch::settle(raw);
}

/// `took_after_wait` without `switch::settle`: for the switcher itself, which takes the
/// enabled lock whatever the mode is.
fn took_unsettled(
    raw: &Arc<RawGil>,
    me: u64,
    mut hold: Hold,
    start: Instant,
    got: Option<Instant>,
) {
    hold.since = raw.stamp(got.unwrap_or(start));
    raw.holder().take(me, hold);
    with_held(raw, |h| {
        h.record
            .acquired(got.map(|g| g.saturating_duration_since(start)));
    });
}

/// Charges a hold that began at `since` (`Holder::since`; 0: untimed, then from when others
/// queued for it, if they did) to the thread's statistics and I/O credit, at `t()` (read only
/// if there is something to charge).
fn charge(raw: &Arc<RawGil>, since: u64, t: impl FnOnce() -> Instant) {
    let timed = raw.instant(since);
    let Some(start) = timed.or_else(|| raw.contended_since()) else {
        return;
    };
    let t = t();
    let interval = raw.interval();
    // How long queued threads waited during this hold, asked of the queue only when the hold
    // itself was long enough to be a long hold (it is never shorter).
    let kept_out =
        if t.saturating_duration_since(start) > interval.saturating_mul(LONG_HOLD_INTERVALS) {
            let contended = if timed.is_some() {
                raw.contended_since()
            } else {
                Some(start)
            };
            contended.map(|c| t.saturating_duration_since(c.max(start)))
        } else {
            None
        };
    with_held(raw, |h| h.end_hold(start, t, interval, kept_out));
}

/// Releases a hold that was timed or whose release found waiters.
#[cold]
#[inline(never)]
fn release_slow(raw: &Arc<RawGil>, me: u64, since: u64) {
    charge(raw, since, now);
    raw.release(me);
}

/// Resumes the hold an `allow_threads` frame suspended, when dropped (after the closure,
/// also when it panicked), in the mode the GIL is in by then: a hold is kept the same way in
/// both (`free_threaded.rs`).
pub(crate) struct Resume<'a> {
    pub(crate) raw: &'a Arc<RawGil>,
    pub(crate) hold: Hold,
}

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        self.resume();
    }
}

impl Resume<'_> {
    /// Runs `f` in the frame, then resumes.
    #[inline]
    pub(crate) fn around<R>(self, f: impl FnOnce() -> R) -> R {
        let r = f();
        // Not through drop glue, which the compiler keeps out of line; `Drop` is for
        // unwinding.
        std::mem::ManuallyDrop::new(self).resume();
        r
    }

    #[inline]
    fn resume(&self) {
        let raw = self.raw;
        // Field by field: a whole-struct copy compiles to a 16-byte load of what `released`
        // stored 8 bytes at a time, which stalls store-to-load forwarding (measured: about a
        // quarter of an uncontended `allow_threads`).
        let level = self.hold.level;
        let hold = Hold {
            depth: self
                .hold
                .depth
                .saturating_sub(held::take_dropped(raw, level)),
            level,
            since: 0,
            seq: self.hold.seq,
        };
        held::enter_frame(false);
        if raw.mode() == crate::policy::Mode::FreeThreaded {
            switch::take(raw, hold);
            return;
        }
        take_with(raw, hold, resume_slow);
    }
}

/// Takes the GIL back for a suspended hold when it was not free: urgently while the thread
/// has I/O credit.
#[cold]
#[inline(never)]
fn resume_slow(raw: &Arc<RawGil>, me: u64, hold: Hold) {
    let mut req = request(raw, me);
    let start = now();
    let interval = req.slice;
    if let Some(credit) = with_held(raw, |h| {
        h.refill(start, interval);
        h.urgent_slice()
    })
    .flatten()
    {
        req.urgent = true;
        req.slice = credit.min(interval);
    }
    let got = raw.acquire(req, start);
    took_after_wait(raw, me, hold, start, got);
}
