//! `Semaphore` and `BoundedSemaphore`: counting, non-blocking and timed acquires, `release(n)`
//! waking exactly `n`, the bound, overflow, constructor limits and `repr` (CPython's
//! `lock_tests.SemaphoreTests` and `BoundedSemaphoreTests`).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{
    AcquireError, BoundedSemaphore, ReleaseError, Semaphore, TryAcquireError, ValueError,
};
use gil_test_support::{PATIENCE, SHORT, join, join_all, spawn, wait_until};

use crate::support::{assert_waited, settle};

#[test]
fn new_holds_the_value_and_acquire_takes_one() {
    let sem = Semaphore::new(3);
    assert_eq!(sem.value(), 3);
    let a = sem.acquire();
    let b = sem.acquire();
    assert_eq!(sem.value(), 1);
    drop(a);
    assert_eq!(sem.value(), 2);
    drop(b);
    assert_eq!(sem.value(), 3);
}

#[test]
fn try_acquire_at_zero_would_block() {
    let sem = Semaphore::new(1);
    let permit = sem.try_acquire().expect("one permit");
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::WouldBlock);
    assert_eq!(sem.value(), 0);
    drop(permit);
    assert!(sem.try_acquire().is_ok());
    assert_eq!(
        Semaphore::new(0).try_acquire().unwrap_err(),
        TryAcquireError::WouldBlock
    );
}

#[test]
fn acquire_timeout_at_zero_times_out() {
    let sem = Semaphore::new(0);
    assert_eq!(
        sem.acquire_timeout(Duration::ZERO).unwrap_err(),
        AcquireError::TimedOut
    );
    assert_eq!(
        sem.acquire_deadline(Instant::now()).unwrap_err(),
        AcquireError::TimedOut
    );
    let start = Instant::now();
    assert_eq!(
        sem.acquire_timeout(SHORT).unwrap_err(),
        AcquireError::TimedOut
    );
    assert_waited(start, SHORT);
    assert_eq!(sem.value(), 0);
    sem.release().unwrap();
    assert!(sem.acquire_timeout(Duration::ZERO).is_ok());
}

#[test]
fn acquire_blocks_until_another_thread_releases() {
    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    let waiter = spawn("waiter", move || {
        s.acquire_timeout(Duration::MAX)
            .expect("MAX waits forever")
            .leak();
    });
    settle();
    assert!(!waiter.is_finished());
    sem.release().unwrap();
    join(waiter);
    assert_eq!(sem.value(), 0);

    let s = Arc::clone(&sem);
    let waiter = spawn("waiter", move || s.acquire().leak());
    settle();
    sem.release().unwrap();
    join(waiter);
    assert_eq!(sem.value(), 0);
}

#[test]
fn release_n_with_five_waiters_wakes_exactly_n() {
    let sem = Arc::new(Semaphore::new(0));
    let acquired = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let (s, a) = (Arc::clone(&sem), Arc::clone(&acquired));
            spawn(format!("waiter-{i}"), move || {
                s.acquire().leak();
                a.fetch_add(1, SeqCst);
            })
        })
        .collect();
    settle();
    assert_eq!(acquired.load(SeqCst), 0);
    sem.release_n(3).unwrap();
    wait_until("3 waiters acquired", || acquired.load(SeqCst) == 3);
    settle();
    assert_eq!(
        acquired.load(SeqCst),
        3,
        "release_n(3) let more than 3 through"
    );
    assert_eq!(sem.value(), 0);
    sem.release_n(2).unwrap();
    join_all(handles);
    assert_eq!(acquired.load(SeqCst), 5);
    assert_eq!(sem.value(), 0);
}

#[test]
fn release_n_zero_is_invalid() {
    let sem = Semaphore::new(1);
    let err = sem.release_n(0).unwrap_err();
    assert_eq!(err, ReleaseError::InvalidCount);
    assert_eq!(err.to_string(), "n must be one or more");
    assert_eq!(sem.value(), 1);
    let bounded = BoundedSemaphore::new(1);
    assert_eq!(bounded.release_n(0), Err(ReleaseError::InvalidCount));
}

#[test]
fn release_without_acquire_raises_the_value_of_an_unbounded_semaphore() {
    let sem = Semaphore::new(1);
    sem.release().unwrap();
    assert_eq!(sem.value(), 2);
    sem.release_n(3).unwrap();
    assert_eq!(sem.value(), 5);
}

#[test]
fn bounded_over_release_is_refused_without_partial_increment() {
    let sem = BoundedSemaphore::new(3);
    assert_eq!(sem.initial_value(), 3);
    let err = sem.release().unwrap_err();
    assert_eq!(err, ReleaseError::OverRelease);
    assert_eq!(err.to_string(), "semaphore released too many times");
    assert_eq!(sem.value(), 3);

    sem.acquire().leak();
    sem.acquire().leak();
    assert_eq!(sem.value(), 1);
    assert_eq!(sem.release_n(3), Err(ReleaseError::OverRelease));
    assert_eq!(sem.value(), 1, "a refused release_n changed the value");
    sem.release_n(2).unwrap();
    assert_eq!(sem.value(), 3);
    assert_eq!(sem.release(), Err(ReleaseError::OverRelease));
    assert_eq!(sem.value(), 3);
}

#[test]
fn bounded_release_from_another_thread() {
    // CPython's test_BoundedSemaphore_limit: acquired in one thread, released in another.
    let sem = BoundedSemaphore::new(1);
    sem.acquire().leak();
    thread::scope(|s| {
        s.spawn(|| sem.release().unwrap());
    });
    assert_eq!(sem.value(), 1);
    assert_eq!(sem.release(), Err(ReleaseError::OverRelease));
}

#[test]
fn guard_release_reports_an_over_release_behind_its_back() {
    let sem = BoundedSemaphore::new(1);
    let permit = sem.acquire();
    sem.release().unwrap();
    assert_eq!(permit.release(), Err(ReleaseError::OverRelease));
    assert_eq!(sem.value(), 1);

    let permit = sem.acquire();
    assert_eq!(permit.release(), Ok(()));
    assert_eq!(sem.value(), 1);
}

#[test]
fn bounded_semaphore_limits_concurrency() {
    const LIMIT: u64 = 2;
    let sem = BoundedSemaphore::new(2);
    let inside = AtomicU64::new(0);
    let max_inside = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                for _ in 0..200 {
                    let _permit = sem.acquire();
                    let now = inside.fetch_add(1, SeqCst) + 1;
                    max_inside.fetch_max(now, SeqCst);
                    thread::yield_now();
                    inside.fetch_sub(1, SeqCst);
                }
            });
        }
    });
    assert!(
        max_inside.load(SeqCst) <= LIMIT,
        "{max_inside:?} inside at once"
    );
    assert_eq!(sem.value(), LIMIT);
}

#[test]
fn try_new_accepts_up_to_max_value() {
    let sem = Semaphore::try_new(Semaphore::MAX_VALUE).expect("MAX_VALUE fits");
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
    let err = Semaphore::try_new(Semaphore::MAX_VALUE + 1).unwrap_err();
    assert_eq!(err, ValueError::ValueTooLarge);
    assert_eq!(err.to_string(), "semaphore initial value too large");
    assert_eq!(
        Semaphore::try_new(u64::MAX).unwrap_err(),
        ValueError::ValueTooLarge
    );

    let bounded = BoundedSemaphore::try_new(Semaphore::MAX_VALUE).expect("MAX_VALUE fits");
    assert_eq!(bounded.initial_value(), Semaphore::MAX_VALUE);
    assert_eq!(
        BoundedSemaphore::try_new(Semaphore::MAX_VALUE + 1).unwrap_err(),
        ValueError::ValueTooLarge
    );
    assert_eq!(Semaphore::MAX_VALUE, (1 << 63) - 1);
}

#[test]
fn release_past_max_value_overflows() {
    let sem = Semaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    let err = sem.release().unwrap_err();
    assert_eq!(err, ReleaseError::Overflow);
    assert_eq!(err.to_string(), "internal count overflowed");
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);

    let sem = Semaphore::try_new(Semaphore::MAX_VALUE - 1).unwrap();
    assert_eq!(sem.release_n(2), Err(ReleaseError::Overflow));
    assert_eq!(sem.release_n(u64::MAX), Err(ReleaseError::Overflow));
    assert_eq!(sem.value(), Semaphore::MAX_VALUE - 1);
    sem.release().unwrap();
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
}

#[test]
fn debug_is_pythons_repr() {
    let sem = Semaphore::new(3);
    assert_eq!(format!("{sem:?}"), "<threading.Semaphore: value=3>");
    let permit = sem.acquire();
    assert_eq!(format!("{sem:?}"), "<threading.Semaphore: value=2>");
    assert_eq!(
        format!("{permit:?}"),
        "SemaphoreGuard { sem: <threading.Semaphore: value=2> }"
    );
    let bounded = BoundedSemaphore::new(3);
    let _p = bounded.acquire();
    assert_eq!(
        format!("{bounded:?}"),
        "<threading.BoundedSemaphore: value=2/3>"
    );
}

#[test]
fn timed_acquire_succeeds_when_released_in_time() {
    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    let waiter = spawn("waiter", move || s.acquire_timeout(PATIENCE).map(drop));
    settle();
    sem.release().unwrap();
    assert_eq!(join(waiter), Ok(()));
    assert_eq!(sem.value(), 1, "the dropped permit went back");
}
