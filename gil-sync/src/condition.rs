//! [`Condition`]: Python's `threading.Condition`.
//!
//! # Implementation details
//!
//! CPython gives every waiter its own lock in a FIFO deque; `notify(n)` releases the first `n`
//! of them. Here every waiter is a [`Waiter`] in a [`WaitQueue`] and `notify(n)` pops the
//! first `n` under the queue lock: the same design (exact counts, oldest first, no spurious
//! wake-ups) without a lock per waiter. A timed-out waiter removes itself under the same
//! queue lock, so a notification is never spent on a waiter that then reports a timeout.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::condition_lock::{ConditionLock, RawConditionLock};
use crate::error::{AcquireError, NotifyError, ReleaseError, TryAcquireError, WaitError};
use crate::lock::{Lock, untimed};
use crate::rlock::RLock;
use crate::timeout::{deadline_after, expired};
use crate::waiter::{NOTIFIED, WaitQueue, Waiter, Woken, wake_n};
use gil_core::ident;

/// How a timed [`Condition::wait_timeout`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitResult {
    /// A `notify` woke this waiter (Python: `wait` returned `True`).
    Notified,
    /// The timeout passed first (Python: `False`).
    TimedOut,
}

impl WaitResult {
    /// Whether the timeout passed first.
    pub fn timed_out(self) -> bool {
        self == Self::TimedOut
    }
}

/// A condition variable bound to a lock: Python's `threading.Condition`.
///
/// A thread holding the lock calls [`wait`](Condition::wait): it releases the lock (all
/// recursion levels of an `RLock`), sleeps until another thread holding the lock calls
/// [`notify`](Condition::notify), then re-acquires the lock before returning. The lock is
/// shared: other code may acquire it directly.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
/// use gil_sync::Condition;
///
/// let cond = Arc::new(Condition::new()); // over a new RLock, as in Python
/// let items = Arc::new(AtomicU32::new(0));
/// let (c, i) = (cond.clone(), items.clone());
/// let consumer = std::thread::spawn(move || {
///     let _g = c.acquire();
///     c.wait_for(|| i.load(Relaxed) > 0).unwrap();
///     i.fetch_sub(1, Relaxed);
/// });
/// {
///     let _g = cond.acquire();
///     items.fetch_add(1, Relaxed);
///     cond.notify(1).unwrap();
/// }
/// consumer.join().unwrap();
/// assert_eq!(items.load(Relaxed), 0);
/// ```
///
/// # Fairness
///
/// `notify(n)` wakes exactly `min(n, waiting)` waiters, oldest first; a waiter never wakes
/// without a notify or its timeout (no spurious wake-ups). Woken waiters then compete for the
/// lock like any other acquirer.
///
/// # Memory ordering
///
/// A waiter returns holding the lock, so it sees everything the notifier did before it
/// released the lock.
///
/// # Differences from Python's `threading.Condition`
///
/// - Over a [`Lock`], `wait` and `notify` from a thread that does not hold the lock fail with
///   [`WaitError::NotOwner`] / [`NotifyError::NotOwner`]. CPython only checks that *someone*
///   holds it (gh-69702), so a non-owner could wait and release another thread's lock.
/// - A notification is never consumed by a waiter whose timeout expired (CPython's
///   `PYTHON_SEMANTICS.md` §3.3): a timed-out waiter leaves the queue before it re-acquires the
///   lock, and one that was popped first reports [`WaitResult::Notified`].
/// - The lock is a [`Lock`] or an [`RLock`], not any object with `acquire`/`release`.
/// - `wait_for`'s predicate returns `bool`; a binding that needs Python's "last value"
///   captures it in the closure.
/// - Waits ([`wait`](Condition::wait), [`wait_for`](Condition::wait_for) and their timed
///   forms) and the timed and `_interruptible` acquires stop for an interrupt of any thread
///   ([`gil_core::Interrupter`], or a failed pending call) with an `Interrupted` error;
///   CPython's stop only for the main thread's signals. An interrupted wait consumes no
///   notification (a notify that reached it first wins).
pub struct Condition {
    lock: ConditionLock,
    waiters: WaitQueue,
}

/// The condition's lock, held; released when dropped (Python's `with cond:`).
#[must_use = "if unused the Condition's lock will immediately unlock"]
pub struct ConditionGuard<'a> {
    cond: &'a Condition,
    /// The guard releases on the acquiring thread (an `RLock` requires it).
    _not_send: PhantomData<*const ()>,
}

impl Condition {
    /// A condition over a new [`RLock`] (Python: `Condition()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// let _g = cond.acquire();
    /// let _again = cond.acquire(); // an RLock: re-entry is fine
    /// ```
    pub fn new() -> Self {
        Self::with(ConditionLock::RLock(Arc::new(RLock::new())))
    }

    /// A condition over `lock` (Python: `Condition(lock)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(gil_sync::Lock::new());
    /// let cond = gil_sync::Condition::with_lock(lock.clone());
    /// let _g = cond.acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn with_lock(lock: Arc<Lock>) -> Self {
        Self::with(ConditionLock::Lock(lock))
    }

    /// A condition over the re-entrant `lock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(gil_sync::RLock::new());
    /// let cond = gil_sync::Condition::with_rlock(lock.clone());
    /// let _g = cond.acquire();
    /// assert!(lock.is_owned());
    /// ```
    pub fn with_rlock(lock: Arc<RLock>) -> Self {
        Self::with(ConditionLock::RLock(lock))
    }

    /// A condition over either kind of lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gil_sync::{Condition, ConditionLock, Lock};
    /// let cond = Condition::with(ConditionLock::from(Arc::new(Lock::new())));
    /// # drop(cond);
    /// ```
    pub fn with(lock: ConditionLock) -> Self {
        Self {
            lock,
            waiters: WaitQueue::new(),
        }
    }

    /// The underlying lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_sync::{Condition, ConditionLock};
    /// assert!(matches!(Condition::new().lock(), ConditionLock::RLock(_)));
    /// ```
    pub fn lock(&self) -> &ConditionLock {
        &self.lock
    }

    /// Acquires the lock, blocking (Python: `acquire()` / `with cond:`). Not interruptible:
    /// an interrupt that comes meanwhile stays pending for the thread's next
    /// [`check()`](gil_core::GilGuard::check) or interruptible wait (see
    /// [`acquire_interruptible`](Condition::acquire_interruptible)).
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// let _g = cond.acquire();
    /// ```
    pub fn acquire(&self) -> ConditionGuard<'_> {
        let acquired = self.raw().acquire_until(None, false);
        debug_assert!(acquired.is_ok(), "an untimed acquire always acquires");
        self.guard()
    }

    /// Acquires the lock, blocking until it is acquired or the calling thread is interrupted
    /// (the lock's own `acquire_interruptible`: [`Lock::acquire_interruptible`],
    /// [`RLock::acquire_interruptible`]).
    ///
    /// # Errors
    ///
    /// The [`Interrupt`](gil_core::Interrupt), taken; the lock was not acquired.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gil_core::{Gil, Interrupt};
    /// use gil_sync::{Condition, Lock};
    ///
    /// let gil = Gil::new();
    /// let lock = Arc::new(Lock::new());
    /// let cond = Condition::with_lock(lock.clone());
    /// lock.acquire().leak(); // held: the condition's acquire must wait
    /// let interrupter = gil.interrupter(); // for this thread
    /// std::thread::scope(|s| {
    ///     s.spawn(|| interrupter.interrupt().unwrap());
    ///     assert_eq!(cond.acquire_interruptible().unwrap_err(), Interrupt::Requested);
    /// });
    /// lock.release().unwrap();
    /// assert!(cond.acquire_interruptible().is_ok());
    /// ```
    pub fn acquire_interruptible(&self) -> Result<ConditionGuard<'_>, gil_core::Interrupt> {
        self.acquire_until(None, true).map_err(untimed)
    }

    /// Acquires the lock if that needs no waiting (Python: `acquire(False)`).
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if it is held (by another thread, or by this one for a
    /// plain [`Lock`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// assert!(cond.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<ConditionGuard<'_>, TryAcquireError> {
        self.raw().try_acquire()?;
        Ok(self.guard())
    }

    /// Acquires the lock, waiting at most `timeout`. Interruptible, as
    /// [`acquire_interruptible`](Condition::acquire_interruptible).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] if it was not acquired in time;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let cond = gil_sync::Condition::new();
    /// assert!(cond.acquire_timeout(Duration::from_millis(1)).is_ok());
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<ConditionGuard<'_>, AcquireError> {
        self.acquire_until(deadline_after(timeout), true)
    }

    /// Acquires the lock, waiting until `deadline` at the latest. Interruptible, as
    /// [`acquire_interruptible`](Condition::acquire_interruptible).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] if it was not acquired by `deadline`;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// assert!(cond.acquire_deadline(std::time::Instant::now()).is_ok());
    /// ```
    pub fn acquire_deadline(&self, deadline: Instant) -> Result<ConditionGuard<'_>, AcquireError> {
        self.acquire_until(Some(deadline), true)
    }

    fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<ConditionGuard<'_>, AcquireError> {
        self.raw().acquire_until(deadline, interruptible)?;
        Ok(self.guard())
    }

    /// The lock, whichever kind it is.
    fn raw(&self) -> &dyn RawConditionLock {
        self.lock.raw()
    }

    fn guard(&self) -> ConditionGuard<'_> {
        ConditionGuard {
            cond: self,
            _not_send: PhantomData,
        }
    }

    /// Releases the lock once (Python: `release()`), for a lock taken with
    /// [`ConditionGuard::leak`].
    ///
    /// # Errors
    ///
    /// As the lock's own `release`: [`ReleaseError::Unlocked`] for an unlocked [`Lock`],
    /// [`ReleaseError::NotOwner`] for an [`RLock`] this thread does not own.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// cond.acquire().leak();
    /// cond.release().unwrap();
    /// assert!(cond.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.raw().release()
    }

    /// Whether the calling thread holds the lock (Python: `_is_owned()`; exact for both lock
    /// kinds here, see the type's differences).
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// assert!(!cond.is_owned());
    /// let _g = cond.acquire();
    /// assert!(cond.is_owned());
    /// ```
    pub fn is_owned(&self) -> bool {
        self.raw().is_owned()
    }

    /// Releases the lock, waits for a notify, re-acquires the lock (Python: `wait()`).
    ///
    /// Blocks with the lock released and the calling thread's GIL released, then blocks again
    /// until it has the lock back (restoring every recursion level of an `RLock`).
    ///
    /// The wait for the notify is interruptible: pending calls
    /// ([`gil_core::Gil::add_pending_call`]) that arrive meanwhile run there, GIL held and
    /// the condition's lock released, on the GIL's main thread, and the wait goes on; an
    /// interrupt ends it. The re-acquire of the lock is not interruptible, as Python's
    /// `finally: self._acquire_restore(...)`.
    ///
    /// # Errors
    ///
    /// - [`WaitError::NotOwner`] if the calling thread does not hold the lock; nothing is
    ///   released then.
    /// - [`WaitError::Interrupted`] if the thread was interrupted while it waited (the
    ///   interrupt is taken). The lock is held again, and no notification was consumed: a
    ///   notify that reached this waiter before the interrupt makes the wait return `Ok`,
    ///   with the interrupt left pending for the next `check()` or wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// std::thread::scope(|s| {
    ///     let g = cond.acquire();
    ///     s.spawn(|| {
    ///         let _g = cond.acquire();
    ///         cond.notify_all().unwrap();
    ///     });
    ///     cond.wait().unwrap();
    ///     drop(g);
    /// });
    /// ```
    pub fn wait(&self) -> Result<(), WaitError> {
        self.wait_until(None).map(|_| ())
    }

    /// As [`Condition::wait`], giving up after `timeout` (Python: `wait(timeout)`).
    /// [`Duration::ZERO`] releases and re-acquires the lock without sleeping;
    /// [`Duration::MAX`] waits forever. The lock is held again on return either way.
    ///
    /// # Errors
    ///
    /// As [`Condition::wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let cond = gil_sync::Condition::new();
    /// let _g = cond.acquire();
    /// assert!(cond.wait_timeout(Duration::from_millis(1)).unwrap().timed_out());
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<WaitResult, WaitError> {
        self.wait_until(deadline_after(timeout))
    }

    /// As [`Condition::wait`], giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// As [`Condition::wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// let _g = cond.acquire();
    /// assert!(cond.wait_deadline(std::time::Instant::now()).unwrap().timed_out());
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<WaitResult, WaitError> {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<WaitResult, WaitError> {
        if !self.is_owned() {
            return Err(WaitError::NotOwner);
        }
        // Before the lock is released: a panic here leaves it held, as it was.
        gil_core::assert_may_block();
        let waiter = Waiter::new(ident::current(), Instant::now(), 0);
        self.waiters.lock().push_back(waiter.clone());
        let saved = self.raw().release_save();
        let woken = self.waiters.block(&waiter, deadline, true, |_| {});
        // Also after an interrupt (Python's `finally`); not interruptible itself.
        self.raw().acquire_restore(saved);
        match woken {
            Woken::Notified | Woken::HandedOff => Ok(WaitResult::Notified),
            Woken::TimedOut => Ok(WaitResult::TimedOut),
            Woken::Interrupted(kind) => Err(WaitError::Interrupted(kind)),
        }
    }

    /// Waits until `predicate` returns `true` and returns `true` (Python: `wait_for(pred)`).
    ///
    /// The predicate is evaluated with the lock held: first before any waiting — if it is
    /// already true, it returns at once *without* checking that the lock is held, as Python —
    /// then after every wake-up.
    ///
    /// The waits are interruptible, as [`Condition::wait`]'s. An interrupt that comes while
    /// the predicate runs (or while the lock is re-acquired) stays pending, and the next wait
    /// returns [`WaitError::Interrupted`] before it sleeps.
    ///
    /// # Errors
    ///
    /// - [`WaitError::NotOwner`] if the predicate is false and the calling thread does not
    ///   hold the lock.
    /// - [`WaitError::Interrupted`] if the thread was interrupted while it waited (the lock
    ///   is held again; the predicate is not evaluated once more).
    ///
    /// # Panics
    ///
    /// A panic in `predicate` propagates with the lock held as before the call (every `RLock`
    /// level restored) and the caller out of the wait queue, as a Python exception raised by
    /// the predicate leaves `wait_for`; a guard on the stack then releases the lock.
    ///
    /// # Examples
    ///
    /// See the [type-level example](Condition).
    pub fn wait_for(&self, predicate: impl FnMut() -> bool) -> Result<bool, WaitError> {
        self.wait_for_until(predicate, None)
    }

    /// As [`Condition::wait_for`], giving up after `timeout`; returns the predicate's last
    /// value (Python: `wait_for(pred, timeout)`), evaluated once more after the final wait.
    ///
    /// # Errors
    ///
    /// As [`Condition::wait_for`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let cond = gil_sync::Condition::new();
    /// let _g = cond.acquire();
    /// let mut calls = 0;
    /// let ok = cond.wait_for_timeout(|| { calls += 1; false }, Duration::from_millis(20)).unwrap();
    /// assert!(!ok);
    /// assert_eq!(calls, 2); // before the wait and after it, as CPython
    /// ```
    pub fn wait_for_timeout(
        &self,
        predicate: impl FnMut() -> bool,
        timeout: Duration,
    ) -> Result<bool, WaitError> {
        self.wait_for_until(predicate, deadline_after(timeout))
    }

    /// As [`Condition::wait_for`], giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// As [`Condition::wait_for`].
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// assert!(cond.wait_for_deadline(|| true, std::time::Instant::now()).unwrap());
    /// ```
    pub fn wait_for_deadline(
        &self,
        predicate: impl FnMut() -> bool,
        deadline: Instant,
    ) -> Result<bool, WaitError> {
        self.wait_for_until(predicate, Some(deadline))
    }

    fn wait_for_until(
        &self,
        mut predicate: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> Result<bool, WaitError> {
        // CPython's loop: the first wait always happens (with whatever time is left, even
        // none), the deadline is only checked before the later ones.
        let mut result = predicate();
        let mut first = true;
        while !result {
            if !first && expired(deadline) {
                break;
            }
            first = false;
            self.wait_until(deadline)?;
            result = predicate();
        }
        Ok(result)
    }

    /// Wakes up to `n` waiters, oldest first (Python: `notify(n)`). `n == 0` or no waiters:
    /// nothing happens.
    ///
    /// # Errors
    ///
    /// [`NotifyError::NotOwner`] if the calling thread does not hold the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// assert!(cond.notify(1).is_err());
    /// let _g = cond.acquire();
    /// cond.notify(1).unwrap(); // nobody waits: a no-op
    /// ```
    pub fn notify(&self, n: usize) -> Result<(), NotifyError> {
        if !self.is_owned() {
            return Err(NotifyError::NotOwner);
        }
        let mut queue = self.waiters.lock();
        let woken = wake_n(&mut queue, n, NOTIFIED);
        drop(queue);
        drop(woken);
        Ok(())
    }

    /// Wakes every waiter (Python: `notify_all()`).
    ///
    /// # Errors
    ///
    /// [`NotifyError::NotOwner`] if the calling thread does not hold the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// let _g = cond.acquire();
    /// cond.notify_all().unwrap();
    /// ```
    pub fn notify_all(&self) -> Result<(), NotifyError> {
        self.notify(usize::MAX)
    }

    /// How many threads are waiting right now (the `<n waiters>` in Python's `repr`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::Condition::new().waiting(), 0);
    /// ```
    pub fn waiting(&self) -> usize {
        self.waiters.lock().len()
    }
}

impl Default for Condition {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condition {
    /// Python's `repr`: `<Condition(<lock repr>, <n waiters>)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Condition({:?}, {})>", self.raw(), self.waiting())
    }
}

impl ConditionGuard<'_> {
    /// Keeps the lock acquired and forgets the guard; release it later with
    /// [`Condition::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = gil_sync::Condition::new();
    /// cond.acquire().leak();
    /// cond.release().unwrap();
    /// ```
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for ConditionGuard<'_> {
    fn drop(&mut self) {
        // Nothing to release if the level was already released behind the guard's back (and
        // a `Lock` another thread holds by now is left alone).
        self.cond.raw().release_if_owned();
    }
}

impl fmt::Debug for ConditionGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionGuard")
            .field("cond", self.cond)
            .finish()
    }
}
