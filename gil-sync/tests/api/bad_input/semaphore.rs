//! The bad-input rows of `Semaphore` and `BoundedSemaphore` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Semaphore::release_n(0)` / `BoundedSemaphore::release_n(0)` | `Err(ReleaseError::InvalidCount)`, value unchanged | `n must be one or more` | `ValueError: n must be one or more` |
//! | `Semaphore::release` / `release_n` past `Semaphore::MAX_VALUE` (2⁶³ − 1), incl. `release_n(u64::MAX)` | `Err(ReleaseError::Overflow)`, value unchanged | `internal count overflowed` | — (Python ints are unbounded) |
//! | `Semaphore::try_new` / `BoundedSemaphore::try_new` above `MAX_VALUE` | `Err(ValueError::ValueTooLarge)` | `semaphore initial value too large` | — (a binding raises `OverflowError`) |
//! | `BoundedSemaphore::release` / `release_n(n)` past the initial value | `Err(ReleaseError::OverRelease)`, no partial increment | `semaphore released too many times` | `ValueError: Semaphore released too many times` |
//! | `BoundedSemaphore::release_n` past both the initial value and `MAX_VALUE` | `Err(ReleaseError::OverRelease)` (as Python) | `semaphore released too many times` | `ValueError: Semaphore released too many times` |
//! | `SemaphoreGuard::release` of a `BoundedSemaphore` released behind the guard's back | `Err(ReleaseError::OverRelease)` | `semaphore released too many times` | `with sem: sem.release()`: `__exit__` raises `ValueError` |
//! | `Semaphore::try_acquire` at value 0 | `Err(TryAcquireError::WouldBlock)` | `acquire would block` | `acquire(False)` returns `False` |
//! | `Semaphore::acquire_timeout(ZERO / 1 ns)` / `acquire_deadline(past)` at value 0 | `Err(AcquireError::TimedOut)` at once (value > 0: `Ok`) | `timed out waiting to acquire` | `acquire(timeout=0)` returns `False` |
//! | `Semaphore::acquire_timeout(Duration::MAX)` | `Ok` at once when value > 0; waits for a release otherwise | — | `acquire()` |

use std::sync::Arc;
use std::time::Duration;

use gil_sync::{
    AcquireError, BoundedSemaphore, ReleaseError, Semaphore, TryAcquireError, ValueError,
};
use gil_test_support::{join, within};

use super::{EDGE, later, past, prompt};

/// Takes a permit and gives it back; the value ends where it started.
fn assert_semaphore_usable(sem: &Semaphore) {
    let before = sem.value();
    let permit = sem.try_acquire().expect("a permit is available");
    assert_eq!(sem.value(), before - 1);
    permit.release().expect("give the permit back");
    assert_eq!(sem.value(), before);
}

#[test]
fn semaphore_release_n_zero_is_release_error_invalid_count() {
    let sem = Semaphore::new(1);
    let err = sem.release_n(0).unwrap_err();
    assert_eq!(err, ReleaseError::InvalidCount);
    assert_eq!(err.to_string(), "n must be one or more");
    assert_eq!(sem.value(), 1, "nothing changed");
    assert_semaphore_usable(&sem);
    sem.release_n(2).unwrap();
    assert_eq!(sem.value(), 3);

    let bsem = BoundedSemaphore::new(1);
    assert_eq!(bsem.release_n(0), Err(ReleaseError::InvalidCount));
    assert_eq!(bsem.value(), 1);
    assert_semaphore_usable(&bsem);
}

#[test]
fn semaphore_release_past_max_value_is_release_error_overflow() {
    let sem = Semaphore::try_new(Semaphore::MAX_VALUE).expect("MAX_VALUE is valid");
    let err = sem.release().unwrap_err();
    assert_eq!(err, ReleaseError::Overflow);
    assert_eq!(err.to_string(), "internal count overflowed");
    assert_eq!(sem.value(), Semaphore::MAX_VALUE, "nothing changed");
    assert_semaphore_usable(&sem);
    // One below the maximum: one more fits, two do not.
    sem.acquire().leak();
    assert_eq!(sem.release_n(2), Err(ReleaseError::Overflow));
    assert_eq!(sem.value(), Semaphore::MAX_VALUE - 1);
    sem.release().unwrap();
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
}

#[test]
fn semaphore_release_n_u64_max_is_release_error_overflow() {
    for start in [0, 1, u32::MAX] {
        let sem = Semaphore::new(start);
        assert_eq!(sem.release_n(u64::MAX), Err(ReleaseError::Overflow));
        assert_eq!(
            sem.release_n(Semaphore::MAX_VALUE + 1),
            Err(ReleaseError::Overflow)
        );
        assert_eq!(sem.value(), u64::from(start), "nothing changed");
        sem.release().unwrap();
        assert_semaphore_usable(&sem);
    }
    // Filling up to exactly MAX_VALUE is fine.
    let sem = Semaphore::new(0);
    sem.release_n(Semaphore::MAX_VALUE).unwrap();
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
    assert_eq!(sem.release(), Err(ReleaseError::Overflow));
    assert_semaphore_usable(&sem);
}

#[test]
fn semaphore_try_new_above_max_value_is_value_error_value_too_large() {
    for value in [Semaphore::MAX_VALUE + 1, u64::MAX] {
        let err = Semaphore::try_new(value).unwrap_err();
        assert_eq!(err, ValueError::ValueTooLarge);
        assert_eq!(err.to_string(), "semaphore initial value too large");
        assert_eq!(
            BoundedSemaphore::try_new(value).map(|s| s.value()),
            Err(ValueError::ValueTooLarge)
        );
    }
    let sem = Semaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    assert_semaphore_usable(&sem);
    let bsem = BoundedSemaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    assert_eq!(bsem.initial_value(), Semaphore::MAX_VALUE);
    assert_semaphore_usable(&bsem);
    // The u32 constructors accept every value.
    assert_semaphore_usable(&Semaphore::new(u32::MAX));
    assert_semaphore_usable(&BoundedSemaphore::new(u32::MAX));
}

#[test]
fn bounded_semaphore_release_at_initial_value_is_release_error_over_release() {
    for initial in [0, 1, 3, u32::MAX] {
        let sem = BoundedSemaphore::new(initial);
        let err = sem.release().unwrap_err();
        assert_eq!(err, ReleaseError::OverRelease);
        assert_eq!(err.to_string(), "semaphore released too many times");
        assert_eq!(sem.value(), u64::from(initial), "nothing changed");
        if initial > 0 {
            assert_semaphore_usable(&sem);
        } else {
            assert_eq!(
                sem.try_acquire().map(drop),
                Err(TryAcquireError::WouldBlock)
            );
        }
    }
}

#[test]
fn bounded_semaphore_release_n_past_initial_value_is_over_release_without_partial_increment() {
    let sem = BoundedSemaphore::new(3);
    sem.acquire().leak();
    sem.acquire().leak();
    assert_eq!(sem.value(), 1);
    let err = sem.release_n(3).unwrap_err();
    assert_eq!(err, ReleaseError::OverRelease);
    assert_eq!(err.to_string(), "semaphore released too many times");
    assert_eq!(sem.value(), 1, "no partial increment");
    sem.release_n(2).expect("back to the initial value");
    assert_eq!(sem.value(), 3);
    assert_semaphore_usable(&sem);
}

#[test]
fn bounded_semaphore_release_past_bound_and_max_value_is_release_error_over_release() {
    let sem = BoundedSemaphore::new(1);
    sem.acquire().leak();
    assert_eq!(sem.release_n(u64::MAX), Err(ReleaseError::OverRelease));
    assert_eq!(sem.value(), 0, "nothing changed");
    sem.release().unwrap();
    let full = BoundedSemaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    assert_eq!(full.release(), Err(ReleaseError::OverRelease));
    assert_eq!(full.value(), Semaphore::MAX_VALUE);
    assert_semaphore_usable(&full);
}

#[test]
fn bounded_semaphore_guard_release_after_an_over_release_is_over_release() {
    let sem = BoundedSemaphore::new(1);
    let permit = sem.acquire();
    sem.release().expect("the permit's slot is free");
    let err = permit.release().unwrap_err();
    assert_eq!(err, ReleaseError::OverRelease);
    assert_eq!(err.to_string(), "semaphore released too many times");
    assert_eq!(sem.value(), 1);
    // A guard dropped in the same situation ignores the error.
    let permit = sem.acquire();
    sem.release().unwrap();
    drop(permit);
    assert_eq!(sem.value(), 1);
    assert_semaphore_usable(&sem);
}

#[test]
fn semaphore_try_acquire_at_zero_is_try_acquire_error_would_block() {
    let sem = Semaphore::new(0);
    let err = sem.try_acquire().map(drop).unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "acquire would block");
    assert_eq!(sem.value(), 0);
    sem.release().unwrap();
    assert_semaphore_usable(&sem);
}

/// `acquire_timeout(ZERO)`, `acquire_timeout(1 ns)` and `acquire_deadline(past)`; a permit
/// taken is given back at once.
fn single_tries(sem: &Semaphore) -> Vec<Result<(), AcquireError>> {
    let mut results: Vec<_> = EDGE
        .iter()
        .map(|&t| sem.acquire_timeout(t).map(drop))
        .collect();
    results.push(sem.acquire_deadline(past()).map(drop));
    results
}

#[test]
fn semaphore_acquire_timeout_zero_1ns_and_past_deadline_at_zero_are_timed_out() {
    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    for result in prompt("value 0", move || single_tries(&s)) {
        let err = result.unwrap_err();
        assert_eq!(err, AcquireError::TimedOut);
        assert_eq!(err.to_string(), "timed out waiting to acquire");
    }
    assert_eq!(sem.value(), 0);
    sem.release().unwrap();
    let s = Arc::clone(&sem);
    assert_eq!(prompt("value 1", move || single_tries(&s)), [Ok(()); 3]);
    assert_semaphore_usable(&sem);

    // A bounded one, drained.
    let bsem = Arc::new(BoundedSemaphore::new(1));
    bsem.acquire().leak();
    let s = Arc::clone(&bsem);
    assert_eq!(
        prompt("bounded, value 0", move || single_tries(&s)),
        [Err(AcquireError::TimedOut); 3]
    );
    assert_eq!(bsem.value(), 0);
    bsem.release().unwrap();
    let s = Arc::clone(&bsem);
    assert_eq!(
        prompt("bounded, value 1", move || single_tries(&s)),
        [Ok(()); 3]
    );
    assert_semaphore_usable(&bsem);
}

#[test]
fn semaphore_acquire_timeout_max_waits_without_overflow() {
    let sem = Arc::new(Semaphore::new(1));
    let s = Arc::clone(&sem);
    let got = prompt("value 1", move || {
        s.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    assert_eq!(sem.value(), 1);
    sem.acquire().leak();
    let s = Arc::clone(&sem);
    let releaser = later("releaser", move || s.release().unwrap());
    let s = Arc::clone(&sem);
    let got = within("value 0", move || {
        s.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    join(releaser);
    assert_eq!(sem.value(), 1);
    assert_semaphore_usable(&sem);
}
