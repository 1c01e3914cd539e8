//! Shared model helpers.

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;

/// A critical section checker: counts the threads inside (at most `max` at once) and bumps a
/// plain, unsynchronized cell, so loom also reports any access the primitive failed to order
/// with happens-before (a `Relaxed` where an `Acquire`/`Release` was needed). The counter's
/// RMWs are `Relaxed` on purpose: they must not create the happens-before edges the primitive
/// under test is supposed to provide.
#[derive(Debug)]
pub(crate) struct Exclusive {
    inside: AtomicUsize,
    max: usize,
    data: UnsafeCell<usize>,
}

// SAFETY: the cell is only touched in `section` (which the primitive under test must make
// exclusive, and loom checks that every access is ordered) and in `count` after every other
// thread is joined. loom's `UnsafeCell` is not `Sync` because it has no way to know this.
unsafe impl Sync for Exclusive {}

impl Exclusive {
    /// At most one thread inside: a lock's critical section.
    pub(crate) fn new() -> Self {
        Self::with_max(1)
    }

    /// At most `max` threads inside: a semaphore's.
    pub(crate) fn with_max(max: usize) -> Self {
        Self {
            inside: AtomicUsize::new(0),
            max,
            data: UnsafeCell::new(0),
        }
    }

    /// Runs one critical section, asserting the bound. With `max == 1` the data cell is
    /// written (a write-write race with another holder is a loom failure); otherwise only
    /// the count is checked.
    pub(crate) fn section(&self) {
        let before = self.inside.fetch_add(1, Relaxed);
        assert!(
            before < self.max,
            "{} threads inside a section that admits {}",
            before + 1,
            self.max
        );
        if self.max == 1 {
            // SAFETY: the primitive under test promises nobody else is inside; loom checks
            // that promise (a concurrent or unordered access is reported as a race).
            self.data.with_mut(|p| unsafe { *p += 1 });
        }
        self.inside.fetch_sub(1, Relaxed);
    }

    /// How many sections ran (call once every thread is joined).
    pub(crate) fn count(&self) -> usize {
        // SAFETY: every writer has been joined, so this read is ordered after all writes.
        self.data.with(|p| unsafe { *p })
    }
}
