//! The bad-input table of gil-core (issue #6): one test per case, each checking the exact
//! typed error, its message, and that the GIL is still usable afterwards.
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `GilBuilder::switch_interval(Duration::ZERO).build()` (every policy and mode) | `Err(SwitchIntervalError::Zero)` | `switch interval must be strictly positive` | `sys.setswitchinterval(0)`: `ValueError: switch interval must be strictly positive` |
//! | `Gil::set_switch_interval(Duration::ZERO)` | `Err(SwitchIntervalError::Zero)`, interval unchanged | `switch interval must be strictly positive` | `ValueError` (same text) |
//! | switch interval of 1 ns (builder and setter) | accepted; the holder is asked to yield at once | — | accepted (CPython stores whole µs and waits at least 1 µs) |
//! | switch interval of `Duration::MAX` (builder and setter) | accepted; time never forces a switch, releases still hand over | — | accepted (CPython has no upper check) |
//! | `Gil::try_acquire` while another thread holds the GIL (both policies) | `Err(TryAcquireError::WouldBlock)` | `the gil is held by another thread` | — (no Python API; the C API has no try-acquire) |
//! | `Gil::try_acquire` by a thread that just released to a queued waiter (fair policy) | `Err(TryAcquireError::WouldBlock)`: no barging past the queue | `the gil is held by another thread` | — |
//! | `Gil::try_acquire` / `Gil::acquire` by the thread that holds the GIL | `Ok`: a nested guard, released with the outermost guard | — | `PyGILState_Ensure` nests |
//! | nested guards dropped outer-first | the GIL stays held until the last guard goes | — | — |
//! | `Gil::try_acquire` in `Mode::FreeThreaded` while another thread holds it | `Ok` (nothing excludes) | — | free-threaded build: no GIL |
//! | free `allow_threads` on a thread holding no GIL | runs the closure, nothing released | — | — |
//! | panic inside `GilGuard::allow_threads` | GIL re-acquired, panic resumed, guard releases as usual | — | exception propagates with the GIL held |
//! | panic while holding a guard | the GIL is released during unwinding | — | — |
//! | `Gil::request_drop` with nobody waiting, or in `Mode::FreeThreaded` | no-op: `check()` returns `false` | — | — |

mod cell;

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode, Policy, SwitchIntervalError, TryAcquireError};
use gil_test_support::{PATIENCE, join, quiet_panic, spawn};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

const POLICIES: [Policy; 2] = [Policy::Fair, Policy::CPython];
const MODES: [Mode; 2] = [Mode::Enabled, Mode::FreeThreaded];

/// The GIL excludes: held here, refused elsewhere; released, taken elsewhere; nobody queued.
fn assert_usable(gil: &Gil) {
    let mut guard = gil.try_acquire().expect("a free gil is taken at once");
    assert!(gil.is_held_by_current_thread());
    assert!(
        !guard.check().unwrap().switched(),
        "nobody waits, so check() does not switch"
    );
    if gil.mode() == Mode::Enabled {
        assert_eq!(try_acquire_elsewhere(gil), Err(TryAcquireError::WouldBlock));
    }
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(gil), Ok(()));
    assert_eq!(gil.waiters(), 0);
}

/// Holds `gil` here while another thread queues for it, then checks that the holder is asked
/// to yield within [`PATIENCE`] and that the waiter gets the GIL.
fn assert_waiter_gets_a_turn(gil: &Gil) {
    let mut guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || drop(gil.acquire()))
    };
    wait_for_waiters(gil, 1);
    let start = Instant::now();
    while !guard.check().unwrap().switched() {
        assert!(
            start.elapsed() < PATIENCE,
            "the holder was never asked to yield"
        );
    }
    drop(guard);
    join(waiter);
}

#[test]
fn builder_zero_switch_interval_is_switch_interval_error_zero() {
    for policy in POLICIES {
        for mode in MODES {
            let err = Gil::builder()
                .policy(policy)
                .mode(mode)
                .switch_interval(Duration::ZERO)
                .build()
                .unwrap_err();
            assert_eq!(err, SwitchIntervalError::Zero, "{policy:?} {mode:?}");
            assert_eq!(err.to_string(), "switch interval must be strictly positive");
            // The same builder with a valid interval builds a working GIL.
            let gil = Gil::builder()
                .policy(policy)
                .mode(mode)
                .switch_interval(Duration::ZERO)
                .switch_interval(Duration::from_millis(1))
                .build()
                .expect("a positive interval is valid");
            assert_eq!(gil.switch_interval(), Duration::from_millis(1));
            assert_usable(&gil);
        }
    }
}

#[test]
fn set_switch_interval_zero_is_switch_interval_error_zero() {
    for policy in POLICIES {
        let gil = gil(policy, Duration::from_millis(2));
        let err = gil.set_switch_interval(Duration::ZERO).unwrap_err();
        assert_eq!(err, SwitchIntervalError::Zero);
        assert_eq!(err.to_string(), "switch interval must be strictly positive");
        assert_eq!(
            gil.switch_interval(),
            Duration::from_millis(2),
            "a refused interval changes nothing"
        );
        // Also refused while the GIL is held, through a clone.
        let guard = gil.acquire();
        assert_eq!(
            gil.clone().set_switch_interval(Duration::ZERO),
            Err(SwitchIntervalError::Zero)
        );
        drop(guard);
        assert_usable(&gil);
        gil.set_switch_interval(Duration::from_millis(3)).unwrap();
        assert_eq!(gil.switch_interval(), Duration::from_millis(3));
    }
}

#[test]
fn switch_interval_one_nanosecond_is_accepted() {
    for policy in POLICIES {
        let built = gil(policy, Duration::from_nanos(1));
        assert_eq!(built.switch_interval(), Duration::from_nanos(1));
        assert_usable(&built);
        assert_waiter_gets_a_turn(&built);

        let set = gil(policy, HOUR);
        set.set_switch_interval(Duration::from_nanos(1)).unwrap();
        assert_eq!(set.switch_interval(), Duration::from_nanos(1));
        assert_waiter_gets_a_turn(&set);
        assert_usable(&set);
    }
}

#[test]
fn switch_interval_duration_max_is_accepted() {
    for policy in POLICIES {
        let built = gil(policy, Duration::MAX);
        assert_eq!(built.switch_interval(), Duration::MAX);
        let set = gil(policy, Duration::from_millis(1));
        set.set_switch_interval(Duration::MAX).unwrap();
        assert_eq!(set.switch_interval(), Duration::MAX);
        for gil in [built, set] {
            assert_usable(&gil);
            // A waiter's timed wait on an infinite interval neither panics nor overflows,
            // and a release still hands the GIL over.
            let mut guard = gil.acquire();
            let waiter = {
                let gil = gil.clone();
                spawn("waiter", move || drop(gil.acquire()))
            };
            wait_for_waiters(&gil, 1);
            std::thread::sleep(Duration::from_millis(5));
            assert!(
                !guard.check().unwrap().switched(),
                "time forced a switch on an infinite interval"
            );
            drop(guard);
            join(waiter);
            assert_usable(&gil);
        }
    }
}

#[test]
fn try_acquire_held_by_another_thread_is_would_block() {
    for policy in POLICIES {
        let gil = gil(policy, HOUR);
        let (held_tx, held_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let holder = {
            let gil = gil.clone();
            spawn("holder", move || {
                let _guard = gil.acquire();
                held_tx.send(()).unwrap();
                release_rx.recv_timeout(PATIENCE).expect("release signal");
            })
        };
        held_rx.recv_timeout(PATIENCE).expect("holder holds");
        let err = gil.try_acquire().unwrap_err();
        assert_eq!(err, TryAcquireError::WouldBlock);
        assert_eq!(err.to_string(), "the gil is held by another thread");
        assert!(!gil.is_held_by_current_thread());
        assert_eq!(gil.waiters(), 0, "a failed try_acquire does not queue");
        release_tx.send(()).unwrap();
        join(holder);
        assert_usable(&gil);
    }
}

#[test]
fn try_acquire_behind_a_queued_waiter_is_would_block_fair() {
    let gil = gil(Policy::Fair, HOUR);
    let (got_tx, got_rx) = mpsc::channel();
    let (leave_tx, leave_rx) = mpsc::channel::<()>();
    let guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || {
            let _guard = gil.acquire();
            got_tx.send(()).unwrap();
            leave_rx.recv_timeout(PATIENCE).expect("leave signal");
        })
    };
    wait_for_waiters(&gil, 1);
    drop(guard);
    // Direct hand-off: the releaser cannot take the GIL back ahead of the queued waiter.
    let err = gil.try_acquire().map(drop).unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "the gil is held by another thread");
    got_rx
        .recv_timeout(PATIENCE)
        .expect("the waiter got the gil");
    leave_tx.send(()).unwrap();
    join(waiter);
    assert_usable(&gil);
}

#[test]
fn try_acquire_by_the_holder_nests_instead_of_failing() {
    for policy in POLICIES {
        let gil = gil(policy, HOUR);
        let outer = gil.acquire();
        let inner = gil.try_acquire().expect("the holder's try_acquire nests");
        let innermost = gil.acquire();
        drop(innermost);
        drop(inner);
        assert!(gil.is_held_by_current_thread());
        assert_eq!(
            try_acquire_elsewhere(&gil),
            Err(TryAcquireError::WouldBlock)
        );
        drop(outer);
        assert_usable(&gil);
    }
}

#[test]
fn nested_guards_dropped_outer_first_release_with_the_last() {
    for policy in POLICIES {
        let gil = gil(policy, HOUR);
        let outer = gil.acquire();
        let mut inner = gil.acquire();
        drop(outer);
        assert!(
            gil.is_held_by_current_thread(),
            "the inner guard still holds"
        );
        assert_eq!(
            try_acquire_elsewhere(&gil),
            Err(TryAcquireError::WouldBlock)
        );
        assert!(!inner.check().unwrap().switched());
        drop(inner);
        assert_usable(&gil);
    }
}

#[test]
fn free_threaded_try_acquire_while_another_thread_holds_succeeds() {
    for policy in POLICIES {
        let gil = Gil::builder()
            .policy(policy)
            .mode(Mode::FreeThreaded)
            .build()
            .unwrap();
        let guard = gil.acquire();
        assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
        assert_eq!(gil.waiters(), 0);
        drop(guard);
        assert_usable(&gil);
    }
}

#[test]
fn allow_threads_without_a_gil_runs_the_closure() {
    assert!(!gil_core::holds_any_gil());
    assert_eq!(gil_core::allow_threads(|| 7), 7);
    assert!(!gil_core::holds_any_gil());
    let gil = Gil::new();
    assert_usable(&gil);
}

#[test]
fn panic_inside_allow_threads_reacquires_the_gil() {
    for policy in POLICIES {
        let gil = gil(policy, HOUR);
        let mut guard = gil.acquire();
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            guard.allow_threads(|| {
                assert!(!gil.is_held_by_current_thread());
                quiet_panic()
            })
        }));
        assert!(result.is_err(), "the panic is resumed");
        assert!(
            gil.is_held_by_current_thread(),
            "the gil is held again after the panic"
        );
        assert_eq!(
            try_acquire_elsewhere(&gil),
            Err(TryAcquireError::WouldBlock)
        );
        drop(guard);
        assert_usable(&gil);

        // The free function too.
        let _guard = gil.acquire();
        let result = panic::catch_unwind(|| gil_core::allow_threads(|| quiet_panic()));
        assert!(result.is_err());
        assert!(gil.is_held_by_current_thread());
    }
}

#[test]
fn panic_while_holding_releases_the_gil() {
    for policy in POLICIES {
        let gil = gil(policy, HOUR);
        let panicker = {
            let gil = gil.clone();
            spawn("panicker", move || {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    let _guard = gil.acquire();
                    quiet_panic();
                }))
                .is_err()
            })
        };
        assert!(join(panicker), "the thread panicked");
        assert_usable(&gil);
    }
}

#[test]
fn request_drop_with_nobody_waiting_is_a_no_op() {
    for policy in POLICIES {
        for mode in MODES {
            let gil = Gil::builder().policy(policy).mode(mode).build().unwrap();
            gil.request_drop();
            let mut guard = gil.acquire();
            gil.request_drop();
            assert!(
                !guard.check().unwrap().switched(),
                "{policy:?} {mode:?}: nobody to switch to"
            );
            assert!(gil.is_held_by_current_thread());
            drop(guard);
            assert_usable(&gil);
        }
    }
}
