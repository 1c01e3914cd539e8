//! [`Semaphore`]: Python's `threading.Semaphore`, and the bound check under
//! [`BoundedSemaphore`](crate::BoundedSemaphore). The state machine is `RawSemaphore`.

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::{AcquireError, ReleaseError, TryAcquireError, ValueError};
use crate::lock::untimed;
use crate::raw_semaphore::RawSemaphore;
use crate::timeout::deadline_after;

/// A counter of permits: Python's `threading.Semaphore`.
///
/// [`acquire`](Semaphore::acquire) takes a permit, blocking (with the calling thread's GIL
/// released) while there are none; [`release`](Semaphore::release) gives one back — from any
/// thread, and even without a matching acquire, which simply raises the value (use
/// [`BoundedSemaphore`](crate::BoundedSemaphore) to forbid that).
///
/// # Examples
///
/// ```
/// use gil_sync::Semaphore;
///
/// let sem = Semaphore::new(2);
/// let a = sem.acquire();
/// let b = sem.acquire();
/// assert!(sem.try_acquire().is_err()); // value is 0
/// drop(a);
/// assert_eq!(sem.value(), 1);
/// # drop(b);
/// sem.release_n(3).unwrap(); // wakes up to 3 waiters
/// assert_eq!(sem.value(), 5);
/// ```
///
/// # Fairness
///
/// Waiters are woken oldest first, but a thread arriving while permits are available takes
/// one even if others are queued (CPython does the same; its docs say the order is
/// unspecified).
///
/// # Memory ordering
///
/// A `release` synchronizes with the `acquire` that takes the permit it added.
///
/// # Differences from Python's `threading.Semaphore`
///
/// - The value is a `u64` below [`Semaphore::MAX_VALUE`]; a release that would pass it is
///   [`ReleaseError::Overflow`] (Python ints are unbounded). Negative initial values cannot be
///   expressed, so `ValueError: semaphore initial value must be >= 0` has no counterpart.
/// - Timeouts are [`Duration`]s (see [`timeout::semaphore_timeout`](crate::timeout::semaphore_timeout)
///   for Python's float rules); [`Duration::MAX`] waits forever.
/// - A waiter woken by `release` just as its timeout expires still tries once more and
///   takes a free permit, as CPython's loop does.
/// - Interrupts: [`acquire_interruptible`](Semaphore::acquire_interruptible) and the timed
///   forms return when the thread is interrupted through a [`gil_core::Interrupter`] (or a
///   pending call fails); `acquire` leaves the interrupt pending. CPython's waits stop only
///   for the main thread's signals.
pub struct Semaphore {
    raw: RawSemaphore,
    /// `Some(initial)` for a [`BoundedSemaphore`](crate::BoundedSemaphore).
    bound: Option<u64>,
}

/// A held permit; released when dropped (Python's `with sem:`).
#[must_use = "if unused the permit is immediately released"]
pub struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
}

impl Semaphore {
    /// The largest value a semaphore can hold (2⁶³ − 1).
    pub const MAX_VALUE: u64 = RawSemaphore::MAX_VALUE;

    /// A semaphore holding `value` permits (Python: `Semaphore(value)`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::Semaphore::new(3).value(), 3);
    /// ```
    pub fn new(value: u32) -> Self {
        Self::with_bound(u64::from(value), None)
    }

    /// A semaphore holding `value` permits, for values above `u32::MAX`.
    ///
    /// # Errors
    ///
    /// [`ValueError::ValueTooLarge`] above [`Semaphore::MAX_VALUE`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_sync::Semaphore;
    /// assert!(Semaphore::try_new(1 << 40).is_ok());
    /// assert!(Semaphore::try_new(u64::MAX).is_err());
    /// ```
    pub fn try_new(value: u64) -> Result<Self, ValueError> {
        if value > Self::MAX_VALUE {
            return Err(ValueError::ValueTooLarge);
        }
        Ok(Self::with_bound(value, None))
    }

    /// A semaphore holding `value` permits that refuses releases past `bound` (`Some`: a
    /// [`BoundedSemaphore`](crate::BoundedSemaphore)). `value` is at most
    /// [`Semaphore::MAX_VALUE`].
    pub(crate) fn with_bound(value: u64, bound: Option<u64>) -> Self {
        Self {
            raw: RawSemaphore::new(value),
            bound,
        }
    }

    /// The bound (`None`: unbounded).
    pub(crate) fn bound(&self) -> Option<u64> {
        self.bound
    }

    /// The number of permits right now (Python's `_value`, shown in its `repr`). A snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(1);
    /// let _p = sem.acquire();
    /// assert_eq!(sem.value(), 0);
    /// ```
    pub fn value(&self) -> u64 {
        self.raw.value()
    }

    /// Takes a permit, blocking while there are none (Python: `acquire()`). Not
    /// interruptible: an interrupt that comes meanwhile stays pending for the thread's next
    /// [`check()`](gil_core::GilGuard::check) or interruptible wait (see
    /// [`acquire_interruptible`](Semaphore::acquire_interruptible)).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(1);
    /// let permit = sem.acquire();
    /// drop(permit);
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreGuard<'_> {
        let acquired = self.raw.acquire(None, false);
        debug_assert!(acquired.is_ok(), "an untimed acquire always acquires");
        SemaphoreGuard { sem: self }
    }

    /// Takes a permit, blocking while there are none, until the calling thread is interrupted
    /// (Python: `acquire()`, whose `Condition.wait` a `KeyboardInterrupt` stops).
    ///
    /// Pending calls ([`gil_core::Gil::add_pending_call`]) that arrive during the wait run
    /// there, GIL held, on the GIL's main thread, and the wait goes on. A permit that is
    /// available is taken at once, even with an interrupt pending; a waiter woken by a
    /// `release` as the interrupt comes retries for the permit and leaves the interrupt
    /// pending.
    ///
    /// # Errors
    ///
    /// The [`Interrupt`](gil_core::Interrupt), taken; no permit was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, Interrupt};
    /// let gil = Gil::new();
    /// let sem = gil_sync::Semaphore::new(0);
    /// let interrupter = gil.interrupter(); // for this thread
    /// std::thread::scope(|s| {
    ///     s.spawn(|| interrupter.interrupt().unwrap());
    ///     assert_eq!(sem.acquire_interruptible().unwrap_err(), Interrupt::Requested);
    /// });
    /// assert_eq!(sem.value(), 0);
    /// ```
    pub fn acquire_interruptible(&self) -> Result<SemaphoreGuard<'_>, gil_core::Interrupt> {
        self.acquire_until(None, true).map_err(untimed)
    }

    /// Takes a permit if one is available now (Python: `acquire(False)`). Never blocks.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] when the value is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(0);
    /// assert!(sem.try_acquire().is_err());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<SemaphoreGuard<'_>, TryAcquireError> {
        if self.raw.try_acquire() {
            Ok(SemaphoreGuard { sem: self })
        } else {
            Err(TryAcquireError::WouldBlock)
        }
    }

    /// Takes a permit, waiting at most `timeout` (Python: `acquire(timeout=t)`).
    /// [`Duration::ZERO`] is a single try; [`Duration::MAX`] waits forever. Interruptible, as
    /// [`acquire_interruptible`](Semaphore::acquire_interruptible).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] when no permit came in time;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first (no permit taken).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sem = gil_sync::Semaphore::new(0);
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_err());
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<SemaphoreGuard<'_>, AcquireError> {
        self.acquire_until(deadline_after(timeout), true)
    }

    /// Takes a permit, waiting until `deadline` at the latest. Interruptible, as
    /// [`acquire_timeout`](Semaphore::acquire_timeout).
    ///
    /// # Errors
    ///
    /// [`AcquireError::TimedOut`] when no permit came by `deadline`;
    /// [`AcquireError::Interrupted`] if the thread was interrupted first.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(1);
    /// assert!(sem.acquire_deadline(std::time::Instant::now()).is_ok());
    /// ```
    pub fn acquire_deadline(&self, deadline: Instant) -> Result<SemaphoreGuard<'_>, AcquireError> {
        self.acquire_until(Some(deadline), true)
    }

    fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<SemaphoreGuard<'_>, AcquireError> {
        self.raw.acquire(deadline, interruptible)?;
        Ok(SemaphoreGuard { sem: self })
    }

    /// Gives one permit back, from any thread (Python: `release()`).
    ///
    /// # Errors
    ///
    /// [`ReleaseError::OverRelease`] for a [`BoundedSemaphore`](crate::BoundedSemaphore)
    /// already at its initial value; [`ReleaseError::Overflow`] at [`Semaphore::MAX_VALUE`].
    /// The value is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(0);
    /// sem.release().unwrap();
    /// assert_eq!(sem.value(), 1);
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.release_n(1)
    }

    /// Gives `n` permits back and wakes up to `n` waiters, oldest first (Python:
    /// `release(n)`).
    ///
    /// # Errors
    ///
    /// [`ReleaseError::InvalidCount`] for `n == 0` (Python: `ValueError: n must be one or
    /// more`); [`ReleaseError::OverRelease`] if a
    /// [`BoundedSemaphore`](crate::BoundedSemaphore) would pass its initial value;
    /// [`ReleaseError::Overflow`] past [`Semaphore::MAX_VALUE`]. On error nothing changed.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(0);
    /// sem.release_n(3).unwrap();
    /// assert_eq!(sem.value(), 3);
    /// assert!(sem.release_n(0).is_err());
    /// ```
    #[inline]
    pub fn release_n(&self, n: u64) -> Result<(), ReleaseError> {
        if n == 0 {
            return Err(ReleaseError::InvalidCount);
        }
        self.raw.release(n, self.bound)
    }
}

impl fmt::Debug for Semaphore {
    /// Python's `repr` without the address: `<threading.Semaphore: value=3>` (bounded:
    /// `<threading.BoundedSemaphore: value=2/3>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bound {
            None => write!(f, "<threading.Semaphore: value={}>", self.value()),
            Some(bound) => write!(
                f,
                "<threading.BoundedSemaphore: value={}/{bound}>",
                self.value()
            ),
        }
    }
}

impl SemaphoreGuard<'_> {
    /// Releases the permit now, reporting what a drop would have to ignore (a
    /// [`BoundedSemaphore`](crate::BoundedSemaphore) over-released behind the guard's back).
    ///
    /// # Errors
    ///
    /// As [`Semaphore::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::BoundedSemaphore::new(1);
    /// let permit = sem.acquire();
    /// permit.release().unwrap();
    /// ```
    pub fn release(self) -> Result<(), ReleaseError> {
        let sem = self.sem;
        std::mem::forget(self);
        sem.release()
    }

    /// Keeps the permit and forgets the guard (Python's bare `acquire()`, paired with a later
    /// `release()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gil_sync::Semaphore::new(1);
    /// sem.acquire().leak();
    /// assert_eq!(sem.value(), 0);
    /// ```
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Can only fail for a bounded semaphore released too often behind the guard's back;
        // `SemaphoreGuard::release` reports that, a drop cannot.
        let _ = self.sem.release();
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard")
            .field("sem", self.sem)
            .finish()
    }
}
