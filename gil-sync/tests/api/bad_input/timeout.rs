//! The bad-input rows of `gil_sync::timeout`, the conversion of Python's timeout arguments
//! (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `timeout::lock_timeout(false, t)`, `t != -1` (incl. `0`, `-0.0`, `-0.5`) | `Err(TimeoutArgError::NonBlockingWithTimeout)` | `can't specify a timeout for a non-blocking call` | `ValueError` (same text) |
//! | `timeout::lock_timeout(false, NaN)` | `Err(TimeoutArgError::NaN)` (as CPython, which converts first) | `Invalid value NaN (not a number)` | `ValueError: Invalid value NaN (not a number)` |
//! | `timeout::lock_timeout(false, ±inf / ±1e100)` | `Err(TimeoutArgError::Overflow)` (as CPython) | `timestamp out of range for platform time_t` | `OverflowError` |
//! | `timeout::lock_timeout(true, t)`, `t < 0`, `t != -1` | `Err(TimeoutArgError::Negative)` | `timeout value must be a non-negative number` | `ValueError` (same text; 3.11: `timeout value must be positive`) |
//! | `timeout::lock_timeout(true, -inf / -1e100)` | `Err(TimeoutArgError::Overflow)` (as CPython) | `timestamp out of range for platform time_t` | `OverflowError` |
//! | `timeout::lock_timeout(true, -0.9999999999)` (rounds to −1 s in CPython's ns) | `Ok(LockTimeout::Forever)` (as CPython) | — | blocks (treated as `-1`) |
//! | `timeout::lock_timeout(true, NaN)` | `Err(TimeoutArgError::NaN)` | `Invalid value NaN (not a number)` | `ValueError` (same text) |
//! | `timeout::lock_timeout(true, t)`, `t > TIMEOUT_MAX` (incl. `inf`, `1e100`) | `Err(TimeoutArgError::Overflow)`; `TIMEOUT_MAX` itself accepted | `timestamp out of range for platform time_t` | `OverflowError` (same text) |
//! | `timeout::wait_timeout(Some(NaN))` | `Err(TimeoutArgError::NaN)` | `Invalid value NaN (not a number)` | CPython's `Condition.wait(nan)` / `Event.wait(nan)` return `False` without blocking |
//! | `timeout::wait_timeout(Some(t))`, `t > TIMEOUT_MAX` or `inf` | `Err(TimeoutArgError::Overflow)` | `timestamp out of range for platform time_t` | `OverflowError` |
//! | `timeout::wait_timeout(Some(t))`, `t < 0` (incl. `-inf`) | `Ok(Some(ZERO))` | — | does not block |
//! | `timeout::semaphore_timeout(false, Some(_))` (incl. `0`, `-1`, NaN, `inf`) | `Err(TimeoutArgError::SemaphoreNonBlockingWithTimeout)` | `can't specify timeout for non-blocking acquire` | `ValueError` (same text) |
//! | `timeout::semaphore_timeout(true, Some(NaN / inf))` | `Err(NaN)` / `Err(Overflow)`; negative → `Timeout(ZERO)` | as above | `inf`: `OverflowError` once it must wait |

use std::time::Duration;

use gil_sync::timeout::{LockTimeout, TIMEOUT_MAX, lock_timeout, semaphore_timeout, wait_timeout};
use gil_sync::{Lock, TimeoutArgError};

#[test]
fn lock_timeout_non_blocking_with_a_timeout_is_non_blocking_with_timeout() {
    for timeout in [0.0, -0.0, 1.0, -0.5, -2.0, TIMEOUT_MAX] {
        let err = lock_timeout(false, timeout).unwrap_err();
        assert_eq!(err, TimeoutArgError::NonBlockingWithTimeout, "{timeout}");
        assert_eq!(
            err.to_string(),
            "can't specify a timeout for a non-blocking call"
        );
    }
    assert_eq!(lock_timeout(false, -1.0), Ok(LockTimeout::NonBlocking));
}

#[test]
fn lock_timeout_non_blocking_with_nan_is_timeout_arg_error_nan() {
    assert_eq!(lock_timeout(false, f64::NAN), Err(TimeoutArgError::NaN));
    assert_eq!(lock_timeout(false, -1.0), Ok(LockTimeout::NonBlocking));
}

#[test]
fn lock_timeout_non_blocking_out_of_range_is_timeout_arg_error_overflow() {
    for timeout in [f64::INFINITY, f64::NEG_INFINITY, 1e100, -1e100] {
        assert_eq!(
            lock_timeout(false, timeout),
            Err(TimeoutArgError::Overflow),
            "{timeout}"
        );
    }
}

#[test]
fn lock_timeout_negative_is_timeout_arg_error_negative() {
    for timeout in [-0.5, -1.5, -100.0, -1e-9, -1.000_000_1] {
        let err = lock_timeout(true, timeout).unwrap_err();
        assert_eq!(err, TimeoutArgError::Negative, "{timeout}");
        assert_eq!(
            err.to_string(),
            "timeout value must be a non-negative number"
        );
    }
    assert_eq!(lock_timeout(true, -1.0), Ok(LockTimeout::Forever));
    assert_eq!(
        lock_timeout(true, 0.0),
        Ok(LockTimeout::Timeout(Duration::ZERO))
    );
    assert_eq!(
        lock_timeout(true, -0.0),
        Ok(LockTimeout::Timeout(Duration::ZERO))
    );
}

#[test]
fn lock_timeout_negative_out_of_range_is_timeout_arg_error_overflow() {
    for timeout in [f64::NEG_INFINITY, -1e100] {
        assert_eq!(
            lock_timeout(true, timeout),
            Err(TimeoutArgError::Overflow),
            "{timeout}"
        );
    }
}

#[test]
fn lock_timeout_rounding_to_minus_one_is_forever() {
    assert_eq!(
        lock_timeout(true, -0.999_999_999_9),
        Ok(LockTimeout::Forever)
    );
    assert_eq!(
        lock_timeout(false, -0.999_999_999_9),
        Ok(LockTimeout::NonBlocking)
    );
}

#[test]
fn lock_timeout_nan_is_timeout_arg_error_nan() {
    let err = lock_timeout(true, f64::NAN).unwrap_err();
    assert_eq!(err, TimeoutArgError::NaN);
    assert_eq!(err.to_string(), "Invalid value NaN (not a number)");
    assert_eq!(
        lock_timeout(true, 0.25),
        Ok(LockTimeout::Timeout(Duration::from_millis(250)))
    );
}

#[test]
fn lock_timeout_above_timeout_max_is_timeout_arg_error_overflow() {
    for timeout in [f64::INFINITY, 1e100, TIMEOUT_MAX + 1.0, 1e19] {
        let err = lock_timeout(true, timeout).unwrap_err();
        assert_eq!(err, TimeoutArgError::Overflow, "{timeout}");
        assert_eq!(
            err.to_string(),
            "timestamp out of range for platform time_t"
        );
    }
    assert_eq!(
        lock_timeout(true, TIMEOUT_MAX),
        Ok(LockTimeout::Timeout(Duration::from_secs(9_223_372_036)))
    );
    // The largest accepted timeout works on a real lock (no deadline overflow).
    let lock = Lock::new();
    let Ok(LockTimeout::Timeout(max)) = lock_timeout(true, TIMEOUT_MAX) else {
        unreachable!("checked above");
    };
    assert!(lock.acquire_timeout(max).is_ok());
}

#[test]
fn wait_timeout_nan_is_timeout_arg_error_nan() {
    let err = wait_timeout(Some(f64::NAN)).unwrap_err();
    assert_eq!(err, TimeoutArgError::NaN);
    assert_eq!(err.to_string(), "Invalid value NaN (not a number)");
    assert_eq!(wait_timeout(None), Ok(None));
}

#[test]
fn wait_timeout_above_timeout_max_is_timeout_arg_error_overflow() {
    for timeout in [f64::INFINITY, 1e100, TIMEOUT_MAX + 1.0] {
        let err = wait_timeout(Some(timeout)).unwrap_err();
        assert_eq!(err, TimeoutArgError::Overflow, "{timeout}");
        assert_eq!(
            err.to_string(),
            "timestamp out of range for platform time_t"
        );
    }
    assert_eq!(
        wait_timeout(Some(TIMEOUT_MAX)),
        Ok(Some(Duration::from_secs(9_223_372_036)))
    );
}

#[test]
fn wait_timeout_negative_is_zero() {
    for timeout in [-0.0, -1.0, -1e-9, -1e100, f64::NEG_INFINITY] {
        assert_eq!(
            wait_timeout(Some(timeout)),
            Ok(Some(Duration::ZERO)),
            "{timeout}"
        );
    }
}

#[test]
fn semaphore_timeout_non_blocking_with_a_timeout_is_semaphore_non_blocking_with_timeout() {
    for timeout in [0.0, -1.0, 1.0, f64::NAN, f64::INFINITY] {
        let err = semaphore_timeout(false, Some(timeout)).unwrap_err();
        assert_eq!(
            err,
            TimeoutArgError::SemaphoreNonBlockingWithTimeout,
            "{timeout}"
        );
        assert_eq!(
            err.to_string(),
            "can't specify timeout for non-blocking acquire"
        );
    }
    assert_eq!(semaphore_timeout(false, None), Ok(LockTimeout::NonBlocking));
}

#[test]
fn semaphore_timeout_blocking_nan_and_overflow_are_errors() {
    assert_eq!(
        semaphore_timeout(true, Some(f64::NAN)),
        Err(TimeoutArgError::NaN)
    );
    assert_eq!(
        semaphore_timeout(true, Some(f64::INFINITY)),
        Err(TimeoutArgError::Overflow)
    );
    assert_eq!(
        semaphore_timeout(true, Some(-5.0)),
        Ok(LockTimeout::Timeout(Duration::ZERO))
    );
    assert_eq!(semaphore_timeout(true, None), Ok(LockTimeout::Forever));
}
