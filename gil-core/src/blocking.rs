//! GIL-aware blocking helpers: the two silent deadlocks and slowdowns an interpreter author
//! meets first, made hard to write by accident.
//!
//! - [`sleep`]: Python's `time.sleep`. `std::thread::sleep` while holding the GIL stops
//!   every other thread of the interpreter for the whole sleep.
//! - [`MutexExt::lock_releasing_gil`]: locking a `std::sync::Mutex` while holding the GIL
//!   deadlocks as soon as the mutex's holder wants the GIL (PyO3's `MutexExt`).
//!
//! Both go through [`allow_threads`](crate::allow_threads), so they release whatever GIL
//! the calling thread holds, whichever crate acquired it, and cost nothing more than the
//! std call when it holds none.

// A std `Mutex` is what users hold: this module extends it, it does not use it for the
// crate's own state (which goes through the `crate::loom` shim, as clippy.toml asks).
#![allow(clippy::disallowed_types)]

use std::sync::{LockResult, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use crate::gil::guard::allow_threads;

/// Sleeps for `duration` with the calling thread's GIL released (Python: `time.sleep`).
///
/// The GIL is re-acquired before `sleep` returns, with the fair policy's priority for a
/// thread coming back from blocking. A thread holding no GIL just sleeps.
/// `Duration::ZERO` still releases and re-acquires, like `time.sleep(0)`; whether a waiting
/// thread runs in between is up to the policy and the OS scheduler.
///
/// # Panics
///
/// Never; a `Duration` cannot be negative. (Python's `time.sleep(-1)` is a `ValueError`.)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let gil = gil_core::Gil::new();
/// let _guard = gil.acquire();
/// gil_core::sleep(Duration::from_millis(1)); // other threads may hold the GIL meanwhile
/// assert!(gil.is_held_by_current_thread());
/// ```
pub fn sleep(duration: Duration) {
    allow_threads(|| std::thread::sleep(duration));
}

/// Locking a `std::sync::Mutex` without holding the GIL while it waits.
///
/// A thread that blocks on a mutex while holding the GIL deadlocks with a thread that holds
/// the mutex and wants the GIL: neither lets go. [`lock_releasing_gil`] first tries the
/// lock (no GIL round trip when it is free), and only if it is taken waits for it inside
/// [`allow_threads`](crate::allow_threads), re-acquiring the GIL after the mutex. As long
/// as every thread that can hold the GIL waits for the mutex this way, no cycle can form:
/// nobody waits for the mutex while holding the GIL.
///
/// [`lock_releasing_gil`]: MutexExt::lock_releasing_gil
///
/// # Differences from Python
///
/// Python has no such call: CPython's own locks release the GIL while they wait, and
/// gil-sync's do too. This is for the std mutexes an interpreter written in Rust keeps.
pub trait MutexExt<T: ?Sized> {
    /// Locks the mutex, releasing the calling thread's GIL (if any) while it waits.
    ///
    /// # Errors
    ///
    /// As [`Mutex::lock`]: a `PoisonError` carrying the guard if a thread panicked while
    /// holding the mutex.
    ///
    /// # Panics
    ///
    /// As [`Mutex::lock`], which may panic (or deadlock) if the calling thread already holds
    /// the mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use gil_core::MutexExt;
    ///
    /// let gil = gil_core::Gil::new();
    /// let heap = Mutex::new(Vec::new());
    /// let _guard = gil.acquire();
    /// heap.lock_releasing_gil().unwrap().push(1);
    /// assert_eq!(*heap.lock().unwrap(), [1]);
    /// ```
    fn lock_releasing_gil(&self) -> LockResult<MutexGuard<'_, T>>;
}

impl<T: ?Sized> MutexExt<T> for Mutex<T> {
    fn lock_releasing_gil(&self) -> LockResult<MutexGuard<'_, T>> {
        match self.try_lock() {
            Ok(guard) => Ok(guard),
            Err(TryLockError::Poisoned(poisoned)) => Err(poisoned),
            Err(TryLockError::WouldBlock) => allow_threads(|| self.lock()),
        }
    }
}
