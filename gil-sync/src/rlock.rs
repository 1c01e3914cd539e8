//! [`RLock`]: Python's `threading.RLock`.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use crate::error::{AcquireError, ReleaseError, TryAcquireError};
use crate::lock::untimed;
use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::raw_lock::RawLock;
use crate::timeout::deadline_after;
use gil_core::ident;

/// A re-entrant lock: Python's `threading.RLock`.
///
/// The thread that holds it may acquire it again; it is released when that thread has called
/// [`release`](RLock::release) once per acquire. Only the owner may release it.
///
/// Every blocking acquire first tries without blocking, then releases the calling thread's GIL
/// (if it holds one) while it sleeps.
///
/// # Examples
///
/// ```
/// use gil_sync::RLock;
///
/// let lock = RLock::new();
/// let outer = lock.acquire();
/// let inner = lock.acquire(); // re-entry never blocks
/// assert_eq!(lock.recursion_count(), 2);
/// drop(inner);
/// drop(outer);
/// assert!(!lock.locked());
///
/// // Releasing a lock this thread does not hold is an error, as in Python.
/// assert_eq!(lock.release().unwrap_err().to_string(), "cannot release un-acquired lock");
/// ```
///
/// # Fairness
///
/// As [`Lock`](crate::Lock): barging, with a direct hand-off to a waiter queued for 1 ms.
///
/// # Memory ordering
///
/// The final release (count back to zero) synchronizes with the acquire that next takes the
/// lock from another thread.
///
/// # Differences from Python's `threading.RLock`
///
/// - Timeouts are [`Duration`]s (see [`timeout`](crate::timeout) for Python's conventions);
///   [`Duration::MAX`] waits forever.
/// - `acquire` returns an [`RLockGuard`]; [`RLockGuard::leak`] keeps the level acquired for a
///   later [`RLock::release`]. Guards are `!Send`: only the owner may release.
/// - [`locked`](RLock::locked) exists (Python 3.14 added it) and is right when another thread
///   holds the lock (gh-134323).
/// - A thread that ends while holding the lock (levels taken without a guard, or leaked)
///   leaves it owned forever, as in Python: other threads' `release` is
///   [`ReleaseError::NotOwner`] and their acquires wait (timed ones time out). Unlike CPython,
///   which may reuse a dead thread's ident, our idents are never reused, so no later thread
///   can ever release it. A guard dropped by unwinding releases its level.
/// - Interrupts: as [`Lock`](crate::Lock#differences-from-pythons-threadinglock):
///   [`acquire_interruptible`](RLock::acquire_interruptible) and the timed forms stop for
///   an interrupt of any thread, `acquire` leaves it pending.
/// - The recursion count is a `u64`; acquiring a level past 2⁶⁴ − 1 panics where CPython
///   raises `OverflowError: Internal lock count overflowed` (unreachable in practice: it takes
///   centuries of acquires without a release).
pub struct RLock {
    raw: RawLock,
    /// Recursion depth. Only the owner reads or writes it (`Relaxed`: the lock's own
    /// acquire/release edges order it between owners).
    count: AtomicU64,
}

/// One acquired level of an [`RLock`]; releases that level when dropped.
#[must_use = "if unused the RLock will immediately unlock"]
pub struct RLockGuard<'a> {
    lock: &'a RLock,
    /// Only the owning thread may release: `!Send` and `!Sync`.
    _not_send: PhantomData<*const ()>,
}

/// What [`RLock::release_save`] took away, for [`RLock::acquire_restore`] (Python's
/// `_release_save` / `_acquire_restore` state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedState {
    count: u64,
}

impl SavedState {
    /// `count` released levels (a `Condition` over a `Lock` saves one).
    pub(crate) fn new(count: u64) -> Self {
        Self { count }
    }

    /// The recursion count that was released.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl RLock {
    /// A new, unlocked re-entrant lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::RLock::new().recursion_count(), 0);
    /// ```
    pub fn new() -> Self {
        Self {
            raw: RawLock::new(),
            count: AtomicU64::new(0),
        }
    }

    /// Acquires one level, blocking while another thread owns the lock. Not interruptible:
    /// an interrupt that comes meanwhile stays pending for the thread's next
    /// [`check()`](gil_core::GilGuard::check) or interruptible wait (see
    /// [`acquire_interruptible`](RLock::acquire_interruptible)).
    ///
    /// # Panics
    ///
    /// If this thread already holds 2⁶⁴ − 1 levels.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// let _a = lock.acquire();
    /// let _b = lock.acquire();
    /// assert_eq!(lock.recursion_count(), 2);
    /// ```
    pub fn acquire(&self) -> RLockGuard<'_> {
        let acquired = self.acquire_until(None, false);
        debug_assert!(acquired.is_ok(), "an untimed acquire always acquires");
        self.guard()
    }

    /// Acquires one level, blocking while another thread owns the lock, until the calling
    /// thread is interrupted (as [`Lock::acquire_interruptible`](crate::Lock::acquire_interruptible):
    /// pending calls run during the wait; re-entry and a free lock never wait).
    ///
    /// # Errors
    ///
    /// The [`Interrupt`](gil_core::Interrupt), taken; no level was acquired.
    ///
    /// # Panics
    ///
    /// As [`RLock::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc::channel;
    /// use gil_core::{Gil, Interrupt};
    /// use gil_sync::RLock;
    ///
    /// let gil = Gil::new();
    /// let lock = RLock::new();
    /// let interrupter = gil.interrupter(); // for this thread
    /// let (owned_tx, owned_rx) = channel();
    /// let (done_tx, done_rx) = channel::<()>();
    /// std::thread::scope(|s| {
    ///     let lock = &lock;
    ///     s.spawn(move || {
    ///         let _held = lock.acquire();
    ///         owned_tx.send(()).unwrap();
    ///         interrupter.interrupt().unwrap();
    ///         done_rx.recv().unwrap(); // keeps the lock until the waiter gave up
    ///     });
    ///     owned_rx.recv().unwrap();
    ///     assert_eq!(lock.acquire_interruptible().unwrap_err(), Interrupt::Requested);
    ///     assert_eq!(lock.recursion_count(), 0); // nothing acquired
    ///     done_tx.send(()).unwrap();
    /// });
    /// ```
    pub fn acquire_interruptible(&self) -> Result<RLockGuard<'_>, gil_core::Interrupt> {
        self.acquire_until(None, true).map_err(untimed)?;
        Ok(self.guard())
    }

    /// Acquires one level if the lock is free or already ours (Python: `acquire(False)`).
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if another thread owns the lock.
    ///
    /// # Panics
    ///
    /// As [`RLock::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// let _a = lock.try_acquire().unwrap();
    /// let _b = lock.try_acquire().unwrap(); // re-entry
    /// ```
    pub fn try_acquire(&self) -> Result<RLockGuard<'_>, TryAcquireError> {
        let me = ident::current();
        if self.reenter(me) || self.first(self.raw.try_lock(me)) {
            Ok(self.guard())
        } else {
            Err(TryAcquireError::WouldBlock)
        }
    }

    /// Acquires one level, waiting at most `timeout` for another owner to release.
    /// [`Duration::MAX`] waits forever. Interruptible, as
    /// [`acquire_interruptible`](RLock::acquire_interruptible).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] if another thread still owned it when the time ran out;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first.
    ///
    /// # Panics
    ///
    /// As [`RLock::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let lock = gil_sync::RLock::new();
    /// let _g = lock.acquire_timeout(Duration::from_millis(5)).unwrap();
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<RLockGuard<'_>, AcquireError> {
        self.acquire_until(deadline_after(timeout), true)?;
        Ok(self.guard())
    }

    /// Acquires one level, waiting until `deadline` at the latest. Interruptible, as
    /// [`acquire_timeout`](RLock::acquire_timeout).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] if another thread still owned it at `deadline`;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first.
    ///
    /// # Panics
    ///
    /// As [`RLock::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// let lock = gil_sync::RLock::new();
    /// let _g = lock.acquire_deadline(Instant::now()).unwrap(); // free: a past deadline still tries
    /// ```
    pub fn acquire_deadline(&self, deadline: Instant) -> Result<RLockGuard<'_>, AcquireError> {
        self.acquire_until(Some(deadline), true)?;
        Ok(self.guard())
    }

    /// Acquires one level, blocking until `deadline` (`None`: forever) and, if
    /// `interruptible`, until the thread is interrupted.
    pub(crate) fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        let me = ident::current();
        if self.reenter(me) {
            return Ok(());
        }
        self.raw.lock(me, deadline, interruptible)?;
        self.first(true);
        Ok(())
    }

    /// Re-entry: one more level if `me` owns the lock.
    fn reenter(&self, me: u64) -> bool {
        if self.raw.owner() != me {
            return false;
        }
        let count = self.count.load(Relaxed);
        let count = count
            .checked_add(1)
            .expect("RLock recursion count overflowed");
        self.count.store(count, Relaxed);
        true
    }

    /// The first level, once `acquired`.
    fn first(&self, acquired: bool) -> bool {
        if acquired {
            debug_assert_eq!(self.count.load(Relaxed), 0);
            self.count.store(1, Relaxed);
        }
        acquired
    }

    fn guard(&self) -> RLockGuard<'_> {
        RLockGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Releases one level (Python: `release()`); the last one unlocks the lock and lets one
    /// waiter in.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not own the lock (Python:
    /// `RuntimeError: cannot release un-acquired lock`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// lock.acquire().leak();
    /// lock.release().unwrap();
    /// assert!(lock.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        let me = ident::current();
        if self.raw.owner() != me {
            return Err(ReleaseError::NotOwner);
        }
        let count = self.count.load(Relaxed) - 1;
        self.count.store(count, Relaxed);
        if count == 0 {
            self.raw
                .unlock_owned(me)
                .map_err(|_| ReleaseError::NotOwner)?;
        }
        Ok(())
    }

    /// Whether some thread owns the lock (Python 3.14's `locked()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// assert!(!lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.raw.owner() != 0
    }

    /// Whether the calling thread owns the lock (Python: `_is_owned()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// let _g = lock.acquire();
    /// assert!(lock.is_owned());
    /// ```
    pub fn is_owned(&self) -> bool {
        self.raw.owner() == ident::current()
    }

    /// How many levels the calling thread holds; 0 if it does not own the lock (Python:
    /// `_recursion_count()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// let _g = lock.acquire();
    /// assert_eq!(lock.recursion_count(), 1);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert_eq!(lock.recursion_count(), 0));
    /// });
    /// ```
    pub fn recursion_count(&self) -> u64 {
        if self.is_owned() {
            self.count.load(Relaxed)
        } else {
            0
        }
    }

    /// Releases every level at once and returns them (Python: `_release_save()`, what
    /// `Condition.wait` does).
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if the calling thread does not own the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// lock.acquire().leak();
    /// lock.acquire().leak();
    /// let saved = lock.release_save().unwrap();
    /// assert!(!lock.locked());
    /// lock.acquire_restore(saved);
    /// assert_eq!(lock.recursion_count(), 2);
    /// # lock.release().unwrap(); lock.release().unwrap();
    /// ```
    pub fn release_save(&self) -> Result<SavedState, ReleaseError> {
        let me = ident::current();
        if self.raw.owner() != me {
            return Err(ReleaseError::NotOwner);
        }
        let count = self.count.load(Relaxed);
        self.count.store(0, Relaxed);
        self.raw
            .unlock_owned(me)
            .map_err(|_| ReleaseError::NotOwner)?;
        Ok(SavedState { count })
    }

    /// Re-acquires the lock (blocking, GIL released while it waits) and restores the levels
    /// [`RLock::release_save`] took (Python: `_acquire_restore()`).
    ///
    /// # Examples
    ///
    /// See [`RLock::release_save`].
    pub fn acquire_restore(&self, saved: SavedState) {
        let me = ident::current();
        if self.raw.owner() == me {
            // Already ours (Python would deadlock on a C RLock here; restoring on top keeps
            // the levels balanced).
            let count = self.count.load(Relaxed).saturating_add(saved.count);
            self.count.store(count, Relaxed);
            return;
        }
        // Not interruptible: Python's `_acquire_restore` runs in `Condition.wait`'s `finally`.
        let acquired = self.raw.lock(me, None, false);
        debug_assert!(acquired.is_ok());
        self.count.store(saved.count, Relaxed);
    }
}

impl Default for RLock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RLock {
    /// Python's `repr` without the address: `<locked _thread.RLock object owner=7 count=2>`.
    /// The owner is this crate's thread identity; the count is only known to the owner.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = self.raw.owner();
        let state = if owner == 0 { "unlocked" } else { "locked" };
        write!(
            f,
            "<{state} _thread.RLock object owner={owner} count={}>",
            self.recursion_count()
        )
    }
}

impl RLockGuard<'_> {
    /// Keeps this level acquired and forgets the guard; release it later with
    /// [`RLock::release`] on the same thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::RLock::new();
    /// lock.acquire().leak();
    /// assert!(lock.is_owned());
    /// lock.release().unwrap();
    /// ```
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        // Err only if the level was already released through `RLock::release`/`release_save`
        // behind the guard's back: nothing left to release.
        let _ = self.lock.release();
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard")
            .field("lock", self.lock)
            .finish()
    }
}
