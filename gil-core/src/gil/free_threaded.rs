//! A free-threaded GIL's "holds": nothing excludes, so each thread only keeps its own nesting
//! (in its record, `held.rs`) for `is_held_by_current_thread`, nested guards and
//! `allow_threads` levels, and counts its acquisitions.
//!
//! Levels here are per GIL: a guard's level is the number of this GIL's levels suspended by
//! `allow_threads` when it was created.

use crate::gil::held::{self, Held, with_held};
use crate::loom::sync::Arc;
use crate::raw::RawGil;

/// Acquires (never blocks); returns the guard's level.
pub(crate) fn acquire(raw: &Arc<RawGil>) -> u32 {
    with_held(raw, |h| {
        if h.ft_depth == 0 {
            h.record.acquired(None);
            h.ft_seq = held::fresh().1;
        }
        h.ft_depth = h.ft_depth.saturating_add(1);
        u32::try_from(h.ft_suspended.len()).unwrap_or(u32::MAX - 1)
    })
    // The thread is exiting and its records are gone: an untracked guard.
    .unwrap_or(u32::MAX)
}

/// Whether the calling thread "holds" `raw` (at its current level).
pub(crate) fn is_held(raw: &Arc<RawGil>) -> bool {
    held::peek(raw, |h| h.ft_depth > 0).unwrap_or(false)
}

/// Drops a guard of `level`.
pub(crate) fn release(raw: &Arc<RawGil>, level: u32) {
    if level == u32::MAX {
        return;
    }
    with_held(raw, |h| drop_guard(h, level));
}

/// A guard of the current level (or of a level since merged into it, see `released`) counts
/// down the current depth; a guard of a suspended level (dropped inside an `allow_threads`
/// closure) counts down that level.
fn drop_guard(h: &mut Held, level: u32) {
    match usize::try_from(level)
        .ok()
        .and_then(|l| h.ft_suspended.get_mut(l))
    {
        Some(depth) => *depth = depth.saturating_sub(1),
        None => h.ft_depth = h.ft_depth.saturating_sub(1),
    }
}

/// Runs `f` with the current level suspended, then resumes it.
pub(crate) fn released<R>(raw: &Arc<RawGil>, f: impl FnOnce() -> R) -> R {
    let suspended = with_held(raw, |h| {
        if h.ft_depth == 0 {
            return false;
        }
        // Before anything changes: a thread holding a cell must not wait (`cell/state.rs`).
        crate::cell::assert_may_block();
        h.ft_suspended.push(h.ft_depth);
        h.ft_depth = 0;
        true
    });
    if suspended != Some(true) {
        return f();
    }
    let _resume = Resume { raw };
    f()
}

/// Resumes the suspended level when dropped.
struct Resume<'a> {
    raw: &'a Arc<RawGil>,
}

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        with_held(self.raw, |h| {
            let outer = h.ft_suspended.pop().unwrap_or(0);
            if h.ft_depth == 0 && outer > 0 {
                // Nothing excludes, so there is nothing to wait for: count it.
                h.record.acquired(None);
            }
            // Guards created inside the closure that escaped it join the resumed level.
            h.ft_depth = h.ft_depth.saturating_add(outer);
        });
    }
}
