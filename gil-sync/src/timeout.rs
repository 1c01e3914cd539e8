//! Python's timeout conventions, for binding layers.
//!
//! The Rust API takes [`Duration`]s, so it cannot be handed a negative, NaN or infinite
//! timeout. A binding that receives Python floats converts them here, getting exactly the
//! error CPython 3.13 raises for the same argument (the conventions differ per primitive, see
//! each function):
//!
//! ```
//! use std::time::Duration;
//! use gil_sync::timeout::{lock_timeout, wait_timeout, LockTimeout};
//!
//! assert_eq!(lock_timeout(true, -1.0), Ok(LockTimeout::Forever));
//! assert_eq!(lock_timeout(false, -1.0), Ok(LockTimeout::NonBlocking));
//! assert_eq!(lock_timeout(true, 0.5), Ok(LockTimeout::Timeout(Duration::from_millis(500))));
//! assert_eq!(
//!     lock_timeout(true, -0.5).unwrap_err().to_string(),
//!     "timeout value must be a non-negative number"
//! );
//! assert_eq!(wait_timeout(Some(-3.0)), Ok(Some(Duration::ZERO)));
//! assert_eq!(wait_timeout(None), Ok(None));
//! ```

use std::time::{Duration, Instant};

use crate::error::TimeoutArgError;

/// Python's `threading.TIMEOUT_MAX` on Linux x86-64: the largest timeout, in seconds, that
/// `Lock.acquire` accepts (`i64::MAX` nanoseconds, rounded down to whole microseconds as
/// CPython reports it).
pub const TIMEOUT_MAX: f64 = 9_223_372_036.0;

/// What a `Lock`/`RLock` `acquire(blocking, timeout)` call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockTimeout {
    /// `acquire()`: block until acquired.
    Forever,
    /// `acquire(False)`: one try ([`Lock::try_acquire`](crate::Lock::try_acquire)).
    NonBlocking,
    /// `acquire(timeout=t)`: [`Lock::acquire_timeout`](crate::Lock::acquire_timeout).
    Timeout(Duration),
}

/// Converts `Lock.acquire(blocking, timeout)`'s arguments (`timeout` defaults to `-1`).
///
/// In CPython's order (`lock_acquire_parse_args`): the timeout is first converted to whole
/// nanoseconds, rounding away from zero (so `-0.9999999999` is exactly `-1`, "not given"),
/// then `blocking` is checked, then the sign.
///
/// # Errors
///
/// As CPython 3.13:
/// - [`TimeoutArgError::NaN`] for NaN, whatever `blocking` is;
/// - [`TimeoutArgError::Overflow`] outside the ±2⁶³ ns range of the conversion (including
///   ±infinity), whatever `blocking` is, and above [`TIMEOUT_MAX`];
/// - [`TimeoutArgError::NonBlockingWithTimeout`] for `blocking=False` with any other timeout
///   but `-1` (including `0`);
/// - [`TimeoutArgError::Negative`] for a negative timeout other than `-1`.
///
/// # Examples
///
/// ```
/// use gil_sync::timeout::{lock_timeout, LockTimeout};
/// use gil_sync::TimeoutArgError;
/// assert_eq!(lock_timeout(false, 0.0), Err(TimeoutArgError::NonBlockingWithTimeout));
/// assert_eq!(lock_timeout(false, f64::NAN), Err(TimeoutArgError::NaN));
/// assert_eq!(lock_timeout(true, 1e100), Err(TimeoutArgError::Overflow));
/// assert_eq!(lock_timeout(true, -1e100), Err(TimeoutArgError::Overflow));
/// assert_eq!(lock_timeout(true, -0.999_999_999_9), Ok(LockTimeout::Forever));
/// assert!(matches!(lock_timeout(true, 9_223_372_036.0), Ok(LockTimeout::Timeout(_))));
/// ```
#[expect(
    clippy::float_cmp,
    reason = "Python compares with exactly -1 s, in nanoseconds"
)]
pub fn lock_timeout(blocking: bool, timeout: f64) -> Result<LockTimeout, TimeoutArgError> {
    if timeout.is_nan() {
        return Err(TimeoutArgError::NaN);
    }
    // `_PyTime_FromDouble` with `_PyTime_ROUND_TIMEOUT`: whole nanoseconds, away from zero,
    // in range of an `i64`.
    let raw = timeout * 1e9;
    let ns = if raw >= 0.0 { raw.ceil() } else { raw.floor() };
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&ns) {
        return Err(TimeoutArgError::Overflow);
    }
    let unset = ns == -1e9;
    if !blocking {
        return if unset {
            Ok(LockTimeout::NonBlocking)
        } else {
            Err(TimeoutArgError::NonBlockingWithTimeout)
        };
    }
    if unset {
        return Ok(LockTimeout::Forever);
    }
    if ns < 0.0 {
        return Err(TimeoutArgError::Negative);
    }
    seconds(timeout).map(LockTimeout::Timeout)
}

/// Converts the `timeout` of `Condition.wait`, `Event.wait` and `Barrier.wait` (`None`:
/// forever). Negative values mean "do not block" ([`Duration::ZERO`]), as in CPython.
///
/// # Errors
///
/// [`TimeoutArgError::NaN`] for NaN, [`TimeoutArgError::Overflow`] above [`TIMEOUT_MAX`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(gil_sync::timeout::wait_timeout(Some(0.25)), Ok(Some(Duration::from_millis(250))));
/// ```
pub fn wait_timeout(timeout: Option<f64>) -> Result<Option<Duration>, TimeoutArgError> {
    let Some(timeout) = timeout else {
        return Ok(None);
    };
    if timeout.is_nan() {
        return Err(TimeoutArgError::NaN);
    }
    seconds(timeout.max(0.0)).map(Some)
}

/// Converts `Semaphore.acquire(blocking, timeout)`'s arguments (`timeout` defaults to `None`).
/// Returns [`LockTimeout`] with negative timeouts as [`Duration::ZERO`], as CPython.
///
/// # Errors
///
/// [`TimeoutArgError::SemaphoreNonBlockingWithTimeout`] for `blocking=False` with a timeout;
/// otherwise as [`wait_timeout`].
///
/// # Examples
///
/// ```
/// use gil_sync::timeout::{semaphore_timeout, LockTimeout};
/// assert_eq!(semaphore_timeout(false, None), Ok(LockTimeout::NonBlocking));
/// assert!(semaphore_timeout(false, Some(1.0)).is_err());
/// ```
pub fn semaphore_timeout(
    blocking: bool,
    timeout: Option<f64>,
) -> Result<LockTimeout, TimeoutArgError> {
    match (blocking, timeout) {
        (false, None) => Ok(LockTimeout::NonBlocking),
        (false, Some(_)) => Err(TimeoutArgError::SemaphoreNonBlockingWithTimeout),
        (true, t) => Ok(match wait_timeout(t)? {
            None => LockTimeout::Forever,
            Some(d) => LockTimeout::Timeout(d),
        }),
    }
}

fn seconds(timeout: f64) -> Result<Duration, TimeoutArgError> {
    if timeout > TIMEOUT_MAX {
        return Err(TimeoutArgError::Overflow);
    }
    Duration::try_from_secs_f64(timeout).map_err(|_| TimeoutArgError::Overflow)
}

/// The deadline `timeout` from now; `None` (forever) when it does not fit in an [`Instant`]
/// (as for [`Duration::MAX`]).
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Whether `deadline` (`None`: forever) has passed.
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| d <= Instant::now())
}
