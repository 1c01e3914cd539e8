//! Several GILs in one process: they are independent, and a thread holding more than one
//! gets only the most recently acquired one released by the free `allow_threads`.

use gil_core::{Gil, Policy, TryAcquireError, allow_threads, holds_any_gil};

use crate::support::{HOUR, gil, try_acquire_elsewhere};

#[test]
fn holding_one_gil_says_nothing_about_another() {
    let a = Gil::new();
    let b = Gil::new();
    let _guard = a.acquire();
    assert!(a.is_held_by_current_thread());
    assert!(!b.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&b), Ok(()));
    assert_eq!(try_acquire_elsewhere(&a), Err(TryAcquireError::WouldBlock));
}

#[test]
fn one_thread_holds_gils_of_both_policies_at_once() {
    let fair = gil(Policy::Fair, HOUR);
    let cpython = gil(Policy::CPython, HOUR);
    let f = fair.acquire();
    let c = cpython.acquire();
    assert!(fair.is_held_by_current_thread() && cpython.is_held_by_current_thread());
    drop(f);
    assert!(!fair.is_held_by_current_thread());
    assert!(cpython.is_held_by_current_thread());
    assert!(holds_any_gil());
    drop(c);
    assert!(!holds_any_gil());
    assert_eq!(try_acquire_elsewhere(&fair), Ok(()));
    assert_eq!(try_acquire_elsewhere(&cpython), Ok(()));
}

/// Inside the free `allow_threads`: `released` is free for others, `kept` is still ours.
fn assert_only_released(released: &Gil, kept: &Gil) {
    assert!(!released.is_held_by_current_thread());
    assert!(kept.is_held_by_current_thread());
    assert!(holds_any_gil());
    assert_eq!(try_acquire_elsewhere(released), Ok(()));
    assert_eq!(
        try_acquire_elsewhere(kept),
        Err(TryAcquireError::WouldBlock)
    );
}

#[test]
fn free_allow_threads_releases_only_the_most_recently_acquired_gil() {
    let a = Gil::new();
    let b = gil(Policy::CPython, HOUR);
    let _ga = a.acquire();
    let _gb = b.acquire();
    allow_threads(|| assert_only_released(&b, &a));
    assert!(a.is_held_by_current_thread() && b.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(&b), Err(TryAcquireError::WouldBlock));
}

/// The order that counts is the order of acquisition, not of creation or of first use.
#[test]
fn free_allow_threads_follows_the_latest_acquisition() {
    let a = Gil::new();
    let b = Gil::new();
    // Both known to this thread, `a` first.
    drop(a.acquire());
    drop(b.acquire());
    let _gb = b.acquire();
    let _ga = a.acquire();
    allow_threads(|| assert_only_released(&a, &b));
    assert!(a.is_held_by_current_thread() && b.is_held_by_current_thread());
}

#[test]
fn free_allow_threads_skips_a_gil_no_longer_held() {
    let a = Gil::new();
    let b = Gil::new();
    let _ga = a.acquire();
    drop(b.acquire()); // acquired last, but released again
    allow_threads(|| {
        assert!(!a.is_held_by_current_thread() && !b.is_held_by_current_thread());
        assert!(!holds_any_gil());
        assert_eq!(try_acquire_elsewhere(&a), Ok(()));
    });
    assert!(a.is_held_by_current_thread());
    assert!(!b.is_held_by_current_thread());
}

#[test]
fn guard_allow_threads_releases_only_its_own_gil() {
    let a = Gil::new();
    let b = Gil::new();
    let mut ga = a.acquire();
    let _gb = b.acquire();
    ga.allow_threads(|| assert_only_released(&a, &b));
    assert!(a.is_held_by_current_thread() && b.is_held_by_current_thread());
}

#[test]
fn nested_free_allow_threads_releases_one_gil_per_level() {
    let a = Gil::new();
    let b = Gil::new();
    let _ga = a.acquire();
    let _gb = b.acquire();
    allow_threads(|| {
        assert_only_released(&b, &a);
        allow_threads(|| {
            assert!(!a.is_held_by_current_thread() && !b.is_held_by_current_thread());
            assert!(!holds_any_gil());
            assert_eq!(try_acquire_elsewhere(&a), Ok(()));
        });
        assert_only_released(&b, &a);
    });
    assert!(a.is_held_by_current_thread() && b.is_held_by_current_thread());
}

#[test]
fn dropped_gil_does_not_count_as_held() {
    let a = Gil::new();
    {
        let b = Gil::new();
        drop(b.acquire());
    }
    assert!(!holds_any_gil());
    let _ga = a.acquire();
    assert!(holds_any_gil());
}
