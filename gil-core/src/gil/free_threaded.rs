//! A free-threaded GIL's holds: nothing excludes, so each thread keeps its current hold in
//! its own record (`held.rs`: guards, level, sequence) for `is_held_by_current_thread`,
//! nested guards and `allow_threads`, and counts its acquisitions.
//!
//! Levels, suspended holds and guards dropped while suspended work exactly as with the GIL
//! enabled (`hold.rs`): the same numbering (`allow_threads` frames) and the same `Resume` on
//! the frame's stack, so that a hold suspended in one mode can be resumed in the other.

use crate::gil::held::{self, with_held};
use crate::gil::hold::{self, Resume};
use crate::gil::switch;
use crate::loom::sync::Arc;
use crate::raw::{Hold, RawGil};

/// Acquires (never blocks); returns the guard's level.
///
/// Out of line, as `release`: keeps the enabled GIL's inlined paths small.
#[inline(never)]
pub(crate) fn acquire(raw: &Arc<RawGil>) -> u32 {
    let taken = with_held(raw, |h| {
        if h.ft_depth > 0 {
            h.ft_depth = h.ft_depth.saturating_add(1);
            return Some(h.ft_level);
        }
        if !raw.switch.attach(&h.record) {
            return None;
        }
        let (level, seq) = held::fresh();
        h.ft_depth = 1;
        h.ft_level = level;
        h.ft_seq = seq;
        h.record.acquired(None);
        Some(level)
    });
    match taken {
        Some(Some(level)) => level,
        // A mode switch runs or ran: take a fresh hold in the mode it leaves.
        Some(None) => {
            let hold = hold::fresh_hold();
            switch::take(raw, hold);
            hold.level
        }
        // The thread is exiting and its records are gone: an untracked guard.
        None => u32::MAX,
    }
}

/// Whether the calling thread "holds" `raw` (at its current level).
pub(crate) fn is_held(raw: &Arc<RawGil>) -> bool {
    held::peek(raw, |h| h.ft_depth > 0).unwrap_or(false)
}

/// Drops a guard of `level`: a guard of the current hold counts its depth down; one of a
/// hold suspended by an `allow_threads` frame (dropped inside the closure) tells that frame.
#[inline(never)]
pub(crate) fn release(raw: &Arc<RawGil>, level: u32) {
    if level == u32::MAX {
        return;
    }
    with_held(raw, |h| {
        if h.ft_depth > 0 && level >= h.ft_level {
            h.ft_depth -= 1;
            if h.ft_depth == 0 {
                raw.switch.detach(&h.record);
            }
        } else {
            h.note_dropped(level);
        }
    });
}

/// Runs `f` with the calling thread's current hold of `raw` (if any) suspended, then
/// resumes it, also when `f` panics.
pub(crate) fn released<R>(raw: &Arc<RawGil>, f: impl FnOnce() -> R) -> R {
    if !is_held(raw) {
        return f();
    }
    // Before anything changes: a thread holding a cell must not wait (`cell/state.rs`).
    crate::cell::assert_may_block();
    let Some(hold) = give_up(raw) else {
        return f();
    };
    held::enter_frame(true);
    Resume { raw, hold }.around(f)
}

/// Gives up the calling thread's current hold of `raw`, if it has one (`allow_threads`).
pub(crate) fn give_up(raw: &Arc<RawGil>) -> Option<Hold> {
    with_held(raw, |h| {
        (h.ft_depth > 0).then(|| {
            let hold = Hold {
                depth: h.ft_depth,
                level: h.ft_level,
                since: 0,
                seq: h.ft_seq,
            };
            h.ft_depth = 0;
            raw.switch.detach(&h.record);
            hold
        })
    })
    .flatten()
}

/// Takes `hold` back (the end of an `allow_threads` frame, a stop, a conversion): guards
/// created inside the closure that escaped it join it, as `Holder::merge` does with the GIL
/// enabled. `false`: a mode switch runs or ran, nothing was taken (`switch::take`).
pub(crate) fn try_take(raw: &Arc<RawGil>, hold: Hold) -> bool {
    with_held(raw, |h| {
        if h.ft_depth > 0 {
            h.ft_depth = h.ft_depth.saturating_add(hold.depth);
            h.ft_level = h.ft_level.min(hold.level);
        } else if hold.depth > 0 {
            if !raw.switch.attach(&h.record) {
                return false;
            }
            h.ft_depth = hold.depth;
            h.ft_level = hold.level;
            h.ft_seq = hold.seq;
            // Nothing excludes, so there is nothing to wait for: count it.
            h.record.acquired(None);
        }
        true
    })
    // The thread is exiting and its records are gone: nothing to take.
    .unwrap_or(true)
}
