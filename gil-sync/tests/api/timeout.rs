//! The `timeout` module: every row of Python's timeout conventions (`PYTHON_SEMANTICS.md` 0.1)
//! for `Lock`/`RLock.acquire`, `Condition`/`Event`/`Barrier.wait` and `Semaphore.acquire`,
//! with CPython 3.13's exact messages.

use std::time::Duration;

use gil_sync::TimeoutArgError;
use gil_sync::timeout::{LockTimeout, TIMEOUT_MAX, lock_timeout, semaphore_timeout, wait_timeout};

/// Timeouts every primitive rejects as too large (`OverflowError`).
const TOO_LARGE: [f64; 3] = [1e100, f64::INFINITY, TIMEOUT_MAX + 1.0];

#[test]
fn timeout_max_is_cpythons_linux_value() {
    assert_eq!(TIMEOUT_MAX.to_bits(), 9_223_372_036.0_f64.to_bits());
}

#[test]
fn error_messages_are_cpythons() {
    let cases = [
        (
            TimeoutArgError::NonBlockingWithTimeout,
            "can't specify a timeout for a non-blocking call",
        ),
        (
            TimeoutArgError::SemaphoreNonBlockingWithTimeout,
            "can't specify timeout for non-blocking acquire",
        ),
        (
            TimeoutArgError::Negative,
            "timeout value must be a non-negative number",
        ),
        (TimeoutArgError::NaN, "Invalid value NaN (not a number)"),
        (
            TimeoutArgError::Overflow,
            "timestamp out of range for platform time_t",
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn lock_minus_one_blocks_forever_or_is_a_single_try() {
    assert_eq!(lock_timeout(true, -1.0), Ok(LockTimeout::Forever));
    assert_eq!(lock_timeout(false, -1.0), Ok(LockTimeout::NonBlocking));
}

#[test]
fn lock_other_negatives_are_value_errors() {
    for t in [-0.5, -1.5, -100.0, -1e-9, -2.0] {
        assert_eq!(lock_timeout(true, t), Err(TimeoutArgError::Negative), "{t}");
    }
}

#[test]
fn lock_non_blocking_with_any_other_timeout_is_a_value_error() {
    // (1e100 is an OverflowError: CPython converts the timeout before it looks at blocking.)
    for t in [0.0, 0.5, 1.0, -0.5] {
        assert_eq!(
            lock_timeout(false, t),
            Err(TimeoutArgError::NonBlockingWithTimeout),
            "{t}"
        );
    }
}

#[test]
fn lock_zero_is_a_zero_timeout() {
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
fn lock_positive_timeouts_convert_to_durations() {
    assert_eq!(
        lock_timeout(true, 0.5),
        Ok(LockTimeout::Timeout(Duration::from_millis(500)))
    );
    assert_eq!(
        lock_timeout(true, 2.0),
        Ok(LockTimeout::Timeout(Duration::from_secs(2)))
    );
}

#[test]
fn lock_nan_is_a_value_error() {
    assert_eq!(lock_timeout(true, f64::NAN), Err(TimeoutArgError::NaN));
}

#[test]
fn lock_too_large_is_an_overflow_error() {
    for t in TOO_LARGE {
        assert_eq!(lock_timeout(true, t), Err(TimeoutArgError::Overflow), "{t}");
    }
}

#[test]
fn lock_timeout_max_is_accepted() {
    assert_eq!(
        lock_timeout(true, TIMEOUT_MAX),
        Ok(LockTimeout::Timeout(Duration::from_secs(9_223_372_036)))
    );
}

#[test]
fn wait_none_is_forever() {
    assert_eq!(wait_timeout(None), Ok(None));
}

#[test]
fn wait_negative_and_zero_do_not_block() {
    for t in [-1.0, -0.5, -1.5, -100.0, 0.0, -0.0, f64::NEG_INFINITY] {
        assert_eq!(wait_timeout(Some(t)), Ok(Some(Duration::ZERO)), "{t}");
    }
}

#[test]
fn wait_positive_timeouts_convert_to_durations() {
    assert_eq!(
        wait_timeout(Some(0.25)),
        Ok(Some(Duration::from_millis(250)))
    );
    assert_eq!(
        wait_timeout(Some(TIMEOUT_MAX)),
        Ok(Some(Duration::from_secs(9_223_372_036)))
    );
}

#[test]
fn wait_nan_is_a_value_error() {
    assert_eq!(wait_timeout(Some(f64::NAN)), Err(TimeoutArgError::NaN));
}

#[test]
fn wait_too_large_is_an_overflow_error() {
    for t in TOO_LARGE {
        assert_eq!(wait_timeout(Some(t)), Err(TimeoutArgError::Overflow), "{t}");
    }
}

#[test]
fn semaphore_non_blocking_takes_no_timeout() {
    assert_eq!(semaphore_timeout(false, None), Ok(LockTimeout::NonBlocking));
    for t in [-1.0, 0.0, 1.0, f64::NAN] {
        assert_eq!(
            semaphore_timeout(false, Some(t)),
            Err(TimeoutArgError::SemaphoreNonBlockingWithTimeout),
            "{t}"
        );
    }
}

#[test]
fn semaphore_none_is_forever() {
    assert_eq!(semaphore_timeout(true, None), Ok(LockTimeout::Forever));
}

#[test]
fn semaphore_negative_and_zero_do_not_block() {
    for t in [-1.0, -0.5, -1.5, -100.0, 0.0] {
        assert_eq!(
            semaphore_timeout(true, Some(t)),
            Ok(LockTimeout::Timeout(Duration::ZERO)),
            "{t}"
        );
    }
}

#[test]
fn semaphore_positive_nan_and_too_large() {
    assert_eq!(
        semaphore_timeout(true, Some(1.5)),
        Ok(LockTimeout::Timeout(Duration::from_millis(1500)))
    );
    assert_eq!(
        semaphore_timeout(true, Some(TIMEOUT_MAX)),
        Ok(LockTimeout::Timeout(Duration::from_secs(9_223_372_036)))
    );
    assert_eq!(
        semaphore_timeout(true, Some(f64::NAN)),
        Err(TimeoutArgError::NaN)
    );
    for t in TOO_LARGE {
        assert_eq!(
            semaphore_timeout(true, Some(t)),
            Err(TimeoutArgError::Overflow),
            "{t}"
        );
    }
}
