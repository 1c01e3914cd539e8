//! Per-thread identities for lock ownership.
//!
//! Each thread that touches a lock gets a nonzero `u64` the first time, from a global counter:
//! unique for the life of the process (never recycled, unlike OS thread ids), so "the owner
//! word equals my identity" can only be true if this thread wrote it.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::loom::thread_local;

/// The next identity to hand out. A std atomic in both builds: identities only need to be
/// unique, they order nothing, so loom has nothing to explore here.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The largest identity: lock words keep one flag bit below it.
pub(crate) const MAX: u64 = u64::MAX >> 1;

// `const` and drop-free: std registers no destructor for it, so `with` works at any time,
// in other thread-locals' destructors too (issue 13: "thread-local access during
// teardown"; tested by `tests/api/teardown.rs`).
#[cfg(not(loom))]
thread_local! {
    static IDENT: Cell<u64> = const { Cell::new(0) };
}

// loom's `thread_local!` has no const form.
#[cfg(loom)]
thread_local! {
    static IDENT: Cell<u64> = Cell::new(0);
}

/// The calling thread's identity (nonzero, at most [`MAX`]).
///
/// # Panics
///
/// After 2⁶³ − 1 threads have asked for one (about 290 years at a billion threads per
/// second): identities are never reused, and running out is a broken invariant, not an
/// input error.
#[inline]
pub(crate) fn current() -> u64 {
    IDENT.with(|cell| {
        let id = cell.get();
        if id != 0 {
            return id;
        }
        // Relaxed: uniqueness only needs the RMW's atomicity.
        let id = NEXT.fetch_add(1, Relaxed);
        assert!(id <= MAX, "thread identities exhausted");
        cell.set(id);
        id
    })
}
