//! The workspace's one thread-identity space.
//!
//! Every thread gets a nonzero `u64` the first time it asks, from one process-wide counter:
//! unique for the life of the process (never recycled, unlike OS thread ids or Python's
//! `threading.get_ident()`), so "the owner word equals my identity" can only be true if this
//! thread wrote it. The GIL's holder, gil-sync's lock owners and gil-runtime's
//! `get_ident()` / `Thread::ident()` all use this space, so an `RLock`'s owner is the
//! `get_ident()` of the thread that owns it.
//!
//! # Examples
//!
//! ```
//! let me = gil_core::ident::current();
//! assert_ne!(me, 0);
//! assert_eq!(me, gil_core::ident::current());
//! let other = std::thread::spawn(gil_core::ident::current).join().unwrap();
//! assert_ne!(me, other);
//! ```

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::loom::thread_local;

/// The largest identity. Lock words may keep one flag bit above it (`ident << 1`).
pub const MAX: u64 = u64::MAX >> 1;

/// The next identity to hand out. A std atomic in every build: identities only need to be
/// unique, they order nothing, so loom has nothing to explore here.
static NEXT: AtomicU64 = AtomicU64::new(1);

// `const` and drop-free: std registers no destructor for it, so `current` works at any time,
// in other thread-locals' destructors too (issue 13: "thread-local access during teardown").
#[cfg(not(loom))]
thread_local! {
    static IDENT: Cell<u64> = const { Cell::new(0) };
}

// loom's `thread_local!` has no const form.
#[cfg(loom)]
thread_local! {
    static IDENT: Cell<u64> = Cell::new(0);
}

/// The calling thread's identity: nonzero, at most [`MAX`], never reused within the process.
///
/// # Panics
///
/// After 2⁶³ − 1 identities have been handed out (about 290 years at a billion threads a
/// second): running out is a broken invariant, not an input error.
///
/// # Examples
///
/// ```
/// assert_ne!(gil_core::ident::current(), 0);
/// ```
#[inline]
#[must_use]
pub fn current() -> u64 {
    let id = IDENT.with(Cell::get);
    if id != 0 {
        return id;
    }
    first()
}

/// The calling thread's first call: hands out its identity. Out of line and cold, so that
/// the hot path inlined into every acquire is one thread-local load and a branch (measured:
/// with the counter and its overflow check inlined, an uncontended GIL acquire + release
/// cost 1.7 ns more).
#[cold]
#[inline(never)]
fn first() -> u64 {
    let id = next();
    IDENT.with(|cell| cell.set(id));
    id
}

fn next() -> u64 {
    // Relaxed: uniqueness only needs the RMW's atomicity.
    let id = NEXT.fetch_add(1, Relaxed);
    assert!(id != 0 && id <= MAX, "thread identities exhausted");
    id
}

/// An identity handed out ahead of time, for a thread that does not run yet.
///
/// A thread runtime that must report a new thread's identity as soon as `start` returns
/// (Python's `Thread.ident`) reserves one with [`reserve`] and moves the token into the
/// new thread, which makes it its own with [`Reserved::adopt`] before anything else. The
/// token is neither `Clone` nor `Copy`, so one identity can belong to at most one thread.
///
/// # Examples
///
/// ```
/// let reserved = gil_core::ident::reserve();
/// let id = reserved.get();
/// let seen = std::thread::spawn(move || {
///     reserved.adopt().unwrap();
///     gil_core::ident::current()
/// })
/// .join()
/// .unwrap();
/// assert_eq!(seen, id);
/// ```
pub struct Reserved(u64);

impl Reserved {
    /// The identity this token reserves.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.0
    }

    /// Makes the reserved identity the calling thread's.
    ///
    /// # Errors
    ///
    /// [`AlreadyAssigned`] if the calling thread already has an identity (it asked for
    /// one with [`current`] or adopted another): identities never change, and the reserved
    /// one is then never used.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gil_core::ident::current();
    /// let err = gil_core::ident::reserve().adopt().unwrap_err();
    /// assert_eq!(err.current, gil_core::ident::current());
    /// ```
    pub fn adopt(self) -> Result<(), AlreadyAssigned> {
        let current = IDENT.with(Cell::get);
        if current != 0 {
            return Err(AlreadyAssigned { current });
        }
        IDENT.with(|cell| cell.set(self.0));
        Ok(())
    }
}

impl fmt::Debug for Reserved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Reserved").field(&self.0).finish()
    }
}

/// Reserves a fresh identity for a thread that will [`adopt`](Reserved::adopt) it.
///
/// # Panics
///
/// As [`current`], once identities run out.
///
/// # Examples
///
/// ```
/// let a = gil_core::ident::reserve();
/// let b = gil_core::ident::reserve();
/// assert_ne!(a.get(), b.get());
/// ```
#[must_use]
pub fn reserve() -> Reserved {
    Reserved(next())
}

/// The error of [`Reserved::adopt`] on a thread that already has an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this thread already has identity {current}")]
pub struct AlreadyAssigned {
    /// The calling thread's identity, unchanged.
    pub current: u64,
}
