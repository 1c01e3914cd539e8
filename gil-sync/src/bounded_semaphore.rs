//! [`BoundedSemaphore`]: Python's `threading.BoundedSemaphore`, a [`Semaphore`] with a bound.

use std::fmt;
use std::ops::Deref;

use crate::error::ValueError;
use crate::semaphore::Semaphore;

/// A [`Semaphore`] that refuses to be released above its initial value: Python's
/// `threading.BoundedSemaphore`.
///
/// It dereferences to [`Semaphore`] for every operation; only `release` differs.
///
/// # Examples
///
/// ```
/// use gil_sync::{BoundedSemaphore, ReleaseError};
///
/// let sem = BoundedSemaphore::new(1);
/// assert_eq!(sem.release(), Err(ReleaseError::OverRelease));
/// let permit = sem.acquire();
/// drop(permit);
/// assert_eq!(sem.value(), 1);
/// assert_eq!(sem.release_n(2).unwrap_err().to_string(), "semaphore released too many times");
/// ```
///
/// # Differences from Python's `threading.BoundedSemaphore`
///
/// As [`Semaphore`].
pub struct BoundedSemaphore(Semaphore);

impl BoundedSemaphore {
    /// A bounded semaphore holding `value` permits, which is also its bound.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::BoundedSemaphore::new(2).initial_value(), 2);
    /// ```
    pub fn new(value: u32) -> Self {
        Self(Semaphore::with_bound(
            u64::from(value),
            Some(u64::from(value)),
        ))
    }

    /// As [`BoundedSemaphore::new`], for values above `u32::MAX`.
    ///
    /// # Errors
    ///
    /// [`ValueError::ValueTooLarge`] above [`Semaphore::MAX_VALUE`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gil_sync::BoundedSemaphore::try_new(1 << 40).is_ok());
    /// ```
    pub fn try_new(value: u64) -> Result<Self, ValueError> {
        if value > Semaphore::MAX_VALUE {
            return Err(ValueError::ValueTooLarge);
        }
        Ok(Self(Semaphore::with_bound(value, Some(value))))
    }

    /// The bound (Python's `_initial_value`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::BoundedSemaphore::new(3).initial_value(), 3);
    /// ```
    pub fn initial_value(&self) -> u64 {
        self.0.bound().unwrap_or(0)
    }
}

impl Deref for BoundedSemaphore {
    type Target = Semaphore;

    fn deref(&self) -> &Semaphore {
        &self.0
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
