//! [`Lock`]: Python's `threading.Lock`.

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::{AcquireError, ReleaseError, TryAcquireError};
use crate::raw_lock::RawLock;
use crate::timeout::deadline_after;
use gil_core::ident;

/// A mutual-exclusion lock with no owner: Python's `threading.Lock` (`_thread.lock`).
///
/// Any thread may [`release`](Lock::release) it, not only the one that acquired it — Python
/// allows this and real programs rely on it (one thread acquires, another releases, as a
/// one-shot signal). It is not re-entrant: acquiring it again from the holding thread blocks
/// (use [`RLock`](crate::RLock) for that). The lock protects no data of its own; it is a
/// Python lock, not a `Mutex<T>`.
///
/// Every blocking acquire first tries without blocking, then releases the calling thread's GIL
/// (if it holds one, see [`gil_core::allow_threads`]) while it sleeps and re-acquires it
/// after, as CPython does.
///
/// # Examples
///
/// ```
/// use gil_sync::Lock;
///
/// let lock = Lock::new();
/// {
///     let _guard = lock.acquire(); // `with lock:`
///     assert!(lock.locked());
///     assert!(lock.try_acquire().is_err()); // `lock.acquire(False)` -> False
/// }
/// assert!(!lock.locked());
///
/// // Python style: acquire here, release anywhere.
/// lock.acquire().leak();
/// std::thread::scope(|s| {
///     s.spawn(|| lock.release().unwrap());
/// });
/// assert!(!lock.locked());
/// assert_eq!(lock.release().unwrap_err().to_string(), "release unlocked lock");
/// ```
///
/// # Fairness
///
/// Like CPython 3.13's `PyMutex`: a thread arriving when the lock is free takes it even if
/// others are queued (barging, which keeps throughput high), but a waiter queued for 1 ms or
/// more gets the lock handed to it directly at the next release. Queued waiters are woken
/// oldest first.
///
/// # Memory ordering
///
/// A release synchronizes with the acquire that next takes the lock: everything the releasing
/// thread did before `release` (or dropping the guard) is visible to the next holder.
///
/// # Differences from Python's `threading.Lock`
///
/// - Timeouts are [`Duration`]s and deadlines [`Instant`]s, so Python's `ValueError` /
///   `OverflowError` cases for negative, NaN or huge timeouts cannot arise; a binding layer
///   converts Python arguments with [`timeout::lock_timeout`](crate::timeout::lock_timeout).
///   [`Duration::MAX`] waits forever.
/// - `acquire` returns a [`LockGuard`] (the context manager); [`LockGuard::leak`] gives the
///   bare `acquire()` that Python code pairs with a later `release()`.
/// - Interrupts: [`acquire_interruptible`](Lock::acquire_interruptible) and the timed forms
///   return [`AcquireError::Interrupted`] when the thread is interrupted through a
///   [`gil_core::Interrupter`] (or a pending call fails) while they wait; `acquire` is not
///   interruptible and leaves the interrupt pending. CPython interrupts lock waits on the
///   main thread only, and by signals only; any thread can be interrupted here.
/// - A thread that ends while holding the lock leaves it locked, as in Python; any thread may
///   release it. A guard dropped by unwinding (a panic) releases it.
/// - The lock remembers which thread acquired it (it still lets any thread release). That is
///   what lets a [`Condition`](crate::Condition) over a `Lock` refuse `wait`/`notify` from a
///   thread that does not hold it, fixing CPython's gh-69702.
pub struct Lock {
    raw: RawLock,
}

/// Holds a [`Lock`]; releases it when dropped (Python's `with lock:`).
///
/// The guard may be sent to another thread and dropped there: a `Lock` has no owner.
#[must_use = "if unused the Lock will immediately unlock"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
    /// Who acquired: the one-CAS release fast path.
    ident: u64,
}

impl Lock {
    /// A new, unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!gil_sync::Lock::new().locked());
    /// ```
    pub fn new() -> Self {
        Self {
            raw: RawLock::new(),
        }
    }

    /// Acquires the lock, blocking for as long as it takes (Python: `acquire()`).
    ///
    /// Blocks while another thread (or this one) holds the lock, with the calling thread's
    /// GIL released. Not interruptible: an interrupt that comes meanwhile stays pending for
    /// the thread's next [`check()`](gil_core::GilGuard::check) or interruptible wait (use
    /// [`acquire_interruptible`](Lock::acquire_interruptible) to be woken by it).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::Lock::new();
    /// let guard = lock.acquire();
    /// drop(guard);
    /// ```
    #[inline]
    pub fn acquire(&self) -> LockGuard<'_> {
        let ident = ident::current();
        let acquired = self.raw.lock(ident, None, false);
        debug_assert!(acquired.is_ok(), "an untimed acquire always acquires");
        LockGuard { lock: self, ident }
    }

    /// Acquires the lock, blocking until it is acquired or the calling thread is interrupted
    /// (Python: `acquire()` as CPython runs it on the main thread, where a signal handler
    /// that raises stops the wait).
    ///
    /// Blocks, with the calling thread's GIL released, while another thread (or this one)
    /// holds the lock. Pending calls ([`gil_core::Gil::add_pending_call`]) that arrive
    /// meanwhile run here, GIL held, on the GIL's main thread, and the wait goes on. An
    /// interrupt that comes as a release hands this thread the lock is left pending and the
    /// acquire succeeds. A free lock is taken at once, even with an interrupt pending.
    ///
    /// # Errors
    ///
    /// The [`Interrupt`](gil_core::Interrupt), taken (the thread's next `check()` does not
    /// see it again): [`Interrupt::Requested`](gil_core::Interrupt::Requested) from a
    /// [`gil_core::Interrupter`], or the failure of a pending call. Nothing was acquired.
    ///
    /// # Differences from Python
    ///
    /// The pending calls run with this wait still queued (so that no wake-up is lost), and a
    /// release may hand this thread the lock meanwhile: a pending call that acquires this
    /// same lock then waits for itself. CPython leaves its wait to run signal handlers and
    /// never hands a lock over, so its handlers do not meet this. Keep pending calls off the
    /// locks the main thread waits for.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, Interrupt};
    /// use gil_sync::Lock;
    ///
    /// let gil = Gil::new();
    /// let lock = Lock::new();
    /// let held = lock.acquire();
    /// // Made on the thread it interrupts, used from another (say, a signal handler's).
    /// let interrupter = gil.interrupter();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| interrupter.interrupt().unwrap());
    ///     // Whether the interrupt comes before or during the wait, the wait ends.
    ///     assert_eq!(lock.acquire_interruptible().unwrap_err(), Interrupt::Requested);
    /// });
    /// assert!(lock.try_acquire().is_err()); // still held by `held` only
    /// drop(held);
    /// ```
    pub fn acquire_interruptible(&self) -> Result<LockGuard<'_>, gil_core::Interrupt> {
        self.acquire_until(None, true).map_err(untimed)
    }

    /// Acquires the lock if it is free right now (Python: `acquire(False)` or
    /// `acquire(timeout=0)`). Never blocks.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if the lock is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_err());
    /// # drop(guard);
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<LockGuard<'_>, TryAcquireError> {
        let ident = ident::current();
        if self.raw.try_lock(ident) {
            Ok(LockGuard { lock: self, ident })
        } else {
            Err(TryAcquireError::WouldBlock)
        }
    }

    /// Acquires the lock, waiting at most `timeout` (Python: `acquire(timeout=t)`).
    /// [`Duration::ZERO`] is a single try; [`Duration::MAX`] waits forever. The wait is
    /// interruptible, as [`acquire_interruptible`](Lock::acquire_interruptible)'s.
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] if the lock was not acquired in time;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first (nothing acquired).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let lock = gil_sync::Lock::new();
    /// let guard = lock.acquire();
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_err());
    /// drop(guard);
    /// assert!(lock.acquire_timeout(Duration::from_millis(10)).is_ok());
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<LockGuard<'_>, AcquireError> {
        self.acquire_until(deadline_after(timeout), true)
    }

    /// Acquires the lock, waiting until `deadline` at the latest. A deadline in the past is a
    /// single try. Interruptible, as [`acquire_timeout`](Lock::acquire_timeout).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] if the lock was not acquired by `deadline`;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let lock = gil_sync::Lock::new();
    /// let guard = lock.acquire_deadline(Instant::now() + Duration::from_millis(10)).unwrap();
    /// # drop(guard);
    /// ```
    pub fn acquire_deadline(&self, deadline: Instant) -> Result<LockGuard<'_>, AcquireError> {
        self.acquire_until(Some(deadline), true)
    }

    pub(crate) fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<LockGuard<'_>, AcquireError> {
        let ident = ident::current();
        self.raw.lock(ident, deadline, interruptible)?;
        Ok(LockGuard { lock: self, ident })
    }

    /// Releases the lock, from any thread (Python: `release()`). One waiter, if any, may then
    /// acquire it.
    ///
    /// Use it for a lock acquired with [`LockGuard::leak`]. Releasing a lock that a live
    /// [`LockGuard`] holds is allowed too: the guard's drop then does nothing, unless the
    /// guard's own thread has acquired the lock again by then.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::Unlocked`] if the lock is not locked (Python: `RuntimeError: release
    /// unlocked lock`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::Lock::new();
    /// lock.acquire().leak();
    /// lock.release().unwrap();
    /// assert!(lock.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.raw.unlock().map_err(|_| ReleaseError::Unlocked)
    }

    /// Whether the lock is held by some thread (Python: `locked()`). A snapshot: it may change
    /// as soon as it is returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::Lock::new();
    /// assert!(!lock.locked());
    /// let _g = lock.acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.raw.owner() != 0
    }

    /// Whether the calling thread is the one that acquired the lock (what a
    /// [`Condition`](crate::Condition) over this lock checks). Python has no such method; its
    /// `Condition` guesses instead (gh-69702).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::Lock::new();
    /// let _g = lock.acquire();
    /// assert!(lock.is_owned());
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(!lock.is_owned()));
    /// });
    /// ```
    pub fn is_owned(&self) -> bool {
        self.raw.owner() == ident::current()
    }

    /// The raw lock, for a `Condition`'s owner-only release.
    pub(crate) fn raw(&self) -> &RawLock {
        &self.raw
    }
}

/// The interrupt of an untimed acquire's error (it cannot time out).
pub(crate) fn untimed(err: AcquireError) -> gil_core::Interrupt {
    match err {
        AcquireError::Interrupted(kind) => kind,
        AcquireError::TimedOut => unreachable!("an acquire without a deadline timed out"),
    }
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Lock {
    /// Python's `repr`: `<locked _thread.lock object>` / `<unlocked _thread.lock object>`,
    /// without the address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "<{state} _thread.lock object>")
    }
}

impl LockGuard<'_> {
    /// Keeps the lock locked and forgets the guard: Python's bare `acquire()`, to be paired
    /// with a later [`Lock::release`] from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = gil_sync::Lock::new();
    /// lock.acquire().leak();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// ```
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Err only if another thread released it through `Lock::release` (and maybe someone
        // else holds it now): then there is nothing left for this guard to release.
        let _ = self.lock.raw.unlock_owned(self.ident);
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", self.lock)
            .finish()
    }
}
