//! The bad-input rows of `Barrier` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Barrier::new(0)` / `Barrier::with_action(0, _)` | `Err(ValueError::ZeroParties)` | `parties must be > 0` | `ValueError: parties must be > 0` (3.13; 3.11 accepts and hangs) |
//! | `Barrier::wait` after `abort` (or waiting while `abort` is called) | `Err(BarrierError::Broken)` until `reset` | `barrier is broken` | `BrokenBarrierError` (`str(e) == ''`) |
//! | `Barrier::wait_timeout` expiring | `Err(BarrierError::Broken)` for it and every other waiter; broken until `reset` | `barrier is broken` | `BrokenBarrierError` |
//! | `Barrier` action returning `Err` | its runner: `Err(BarrierError::ActionFailed(e))`; the others: `Err(Broken)`; broken until `reset` | `barrier action failed: <e>` | the action's exception / `BrokenBarrierError` |
//! | `Barrier` action panicking | panic resumed in its runner; the others: `Err(Broken)`; broken until `reset` | — | the action's exception / `BrokenBarrierError` |
//! | `Barrier::reset` while a thread waits | that waiter: `Err(BarrierError::Broken)`; the barrier refills (not broken) | `barrier is broken` | `BrokenBarrierError` |
//! | `Barrier::wait_timeout(ZERO / 1 ns)` / `wait_deadline(past)` / `with_timeout(ZERO)` | not last: `Err(Broken)` at once (breaks it); last: `Ok(index)` | `barrier is broken` | `wait(0)`: `BrokenBarrierError` unless last |
//! | `Barrier::wait_timeout(Duration::MAX)` / `with_timeout(MAX)` | `Ok` at once when last; waits for the cycle otherwise | — | `wait()` |

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::JoinHandle;
use std::time::Duration;

use gil_sync::{Barrier, BarrierError, BarrierWaitResult, ValueError};
use gil_test_support::{PATIENCE, SHORT, join, spawn, within};

use super::{EDGE, later, past, prompt};
use crate::support::wait_for_n_waiting;

/// One full cycle: `parties - 1` other threads and this one; indices `0..parties`.
fn assert_barrier_cycles(barrier: &Arc<Barrier>) {
    assert!(!barrier.broken());
    let others: Vec<_> = (1..barrier.parties())
        .map(|i| {
            let b = Arc::clone(barrier);
            spawn(format!("party-{i}"), move || {
                b.wait_timeout(PATIENCE).map(BarrierWaitResult::index)
            })
        })
        .collect();
    let mut indices = vec![barrier.wait_timeout(PATIENCE).expect("cycle").index()];
    for other in others {
        indices.push(join(other).expect("cycle"));
    }
    indices.sort_unstable();
    assert_eq!(indices, (0..barrier.parties()).collect::<Vec<_>>());
    assert!(!barrier.broken());
}

/// Spawns a party that waits with [`PATIENCE`] and reports whether it got `Broken`.
fn spawn_party(barrier: &Arc<Barrier>) -> JoinHandle<Result<usize, String>> {
    let b = Arc::clone(barrier);
    spawn("party", move || {
        b.wait_timeout(PATIENCE)
            .map(BarrierWaitResult::index)
            .map_err(|e| e.to_string())
    })
}

#[test]
fn barrier_zero_parties_is_value_error_zero_parties() {
    let err = Barrier::new(0).unwrap_err();
    assert_eq!(err, ValueError::ZeroParties);
    assert_eq!(err.to_string(), "parties must be > 0");
    let err = Barrier::with_action(0, || Ok(())).map(drop).unwrap_err();
    assert_eq!(err, ValueError::ZeroParties);
    assert_barrier_cycles(&Arc::new(Barrier::new(1).unwrap()));
    assert_barrier_cycles(&Arc::new(Barrier::new(2).unwrap()));
}

#[test]
fn barrier_wait_after_abort_is_barrier_error_broken() {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let waiter = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    barrier.abort();
    assert_eq!(join(waiter), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    let b = Arc::clone(&barrier);
    let later_waits = prompt("waits on a broken barrier", move || {
        [
            b.wait(),
            b.wait_timeout(Duration::ZERO),
            b.wait_timeout(Duration::MAX),
            b.wait_deadline(past()),
        ]
        .map(|r| {
            r.map(BarrierWaitResult::index)
                .map_err(|e| (e.is_broken(), e.to_string()))
        })
    });
    for result in later_waits {
        assert_eq!(result, Err((true, "barrier is broken".to_owned())));
    }
    assert_eq!(barrier.n_waiting(), 0);
    barrier.reset();
    assert_barrier_cycles(&barrier);
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_wait_timeout_expiring_is_broken_for_every_waiter() {
    let barrier = Arc::new(Barrier::new(3).unwrap());
    let other = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    let err = barrier.wait_timeout(SHORT).unwrap_err();
    assert!(matches!(err, BarrierError::Broken), "{err:?}");
    assert_eq!(err.to_string(), "barrier is broken");
    assert_eq!(join(other), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    assert!(barrier.wait_timeout(PATIENCE).unwrap_err().is_broken());
    barrier.reset();
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_action_error_is_action_failed_for_its_runner_and_broken_for_the_others() {
    let fail = Arc::new(AtomicBool::new(true));
    let f = Arc::clone(&fail);
    let barrier = Arc::new(
        Barrier::with_action(2, move || {
            if f.swap(false, SeqCst) {
                Err("boom".into())
            } else {
                Ok(())
            }
        })
        .unwrap(),
    );
    let other = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    // This thread arrives last, so it runs the action.
    let err = barrier.wait_timeout(PATIENCE).unwrap_err();
    assert!(!err.is_broken());
    assert_eq!(err.to_string(), "barrier action failed: boom");
    let BarrierError::ActionFailed(source) = &err else {
        panic!("expected ActionFailed, got {err:?}");
    };
    assert_eq!(source.to_string(), "boom");
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some("boom".to_owned())
    );
    assert_eq!(join(other), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    assert!(barrier.wait_timeout(PATIENCE).unwrap_err().is_broken());
    barrier.reset();
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_action_panic_resumes_in_its_runner_and_breaks_the_barrier() {
    let fail = Arc::new(AtomicBool::new(true));
    let f = Arc::clone(&fail);
    let barrier = Arc::new(
        Barrier::with_action(2, move || {
            if f.swap(false, SeqCst) {
                panic::resume_unwind(Box::new("action panicked"));
            }
            Ok(())
        })
        .unwrap(),
    );
    let other = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| barrier.wait_timeout(PATIENCE)))
        .expect_err("the action's panic is resumed in the thread that ran it");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"action panicked"));
    assert_eq!(join(other), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    barrier.reset();
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_reset_while_a_thread_waits_is_broken_for_that_waiter() {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let waiter = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    barrier.reset();
    assert_eq!(join(waiter), Err("barrier is broken".to_owned()));
    assert!(
        !barrier.broken(),
        "reset leaves the barrier filling, not broken"
    );
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_wait_timeout_zero_1ns_and_past_deadline_break_unless_last() {
    for timeout in EDGE {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let b = Arc::clone(&barrier);
        let err = prompt("not last", move || {
            b.wait_timeout(timeout).map(BarrierWaitResult::index)
        })
        .unwrap_err();
        assert!(err.is_broken(), "{timeout:?}: {err:?}");
        assert_eq!(err.to_string(), "barrier is broken");
        assert!(barrier.broken());
        barrier.reset();
        assert_barrier_cycles(&barrier);
        // The last arriver never waits, so its timeout does not matter.
        let last = Arc::new(Barrier::new(1).unwrap());
        let l = Arc::clone(&last);
        let got = prompt("last", move || {
            l.wait_timeout(timeout).map(BarrierWaitResult::index)
        });
        assert_eq!(got.ok(), Some(0));
        let other = spawn_party(&barrier);
        wait_for_n_waiting(&barrier, 1);
        assert_eq!(
            barrier
                .wait_timeout(timeout)
                .map(BarrierWaitResult::is_last)
                .ok(),
            Some(true)
        );
        assert_eq!(join(other), Ok(0));
    }
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let b = Arc::clone(&barrier);
    let err = prompt("past", move || {
        b.wait_deadline(past()).map(BarrierWaitResult::index)
    })
    .unwrap_err();
    assert!(err.is_broken());
    barrier.reset();
    assert_eq!(
        Barrier::new(1)
            .unwrap()
            .wait_deadline(past())
            .map(BarrierWaitResult::index)
            .ok(),
        Some(0)
    );
    // The default timeout, ZERO.
    let zero = Arc::new(Barrier::new(2).unwrap().with_timeout(Duration::ZERO));
    let z = Arc::clone(&zero);
    assert!(prompt("default zero", move || z.wait().map(drop)).is_err());
    assert!(zero.broken());
    zero.reset();
    assert!(!zero.broken());
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_wait_timeout_max_waits_without_overflow() {
    let one = Arc::new(Barrier::new(1).unwrap());
    let o = Arc::clone(&one);
    let got = prompt("last", move || {
        o.wait_timeout(Duration::MAX).map(BarrierWaitResult::index)
    });
    assert_eq!(got.ok(), Some(0));
    for default in [false, true] {
        let barrier = Arc::new(if default {
            Barrier::new(2).unwrap().with_timeout(Duration::MAX)
        } else {
            Barrier::new(2).unwrap()
        });
        let b = Arc::clone(&barrier);
        let arrives_later = later("second party", move || {
            b.wait_timeout(PATIENCE).expect("cycle");
        });
        let b = Arc::clone(&barrier);
        let got = within("first party", move || {
            if default {
                b.wait().map(BarrierWaitResult::index)
            } else {
                b.wait_timeout(Duration::MAX).map(BarrierWaitResult::index)
            }
        });
        assert_eq!(got.ok(), Some(0));
        join(arrives_later);
        assert_barrier_cycles(&barrier);
    }
}
