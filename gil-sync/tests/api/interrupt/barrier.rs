//! What only a `Barrier` wait has: an interrupted waiter leaves its cycle as in CPython (the
//! barrier is not broken: the cycle waits for one more arrival), also while the action
//! runs (the cycle passes for the others); a thread interrupted while it waits for the
//! previous cycle to end has not joined one.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;

use gil_core::{Gil, Interrupt, Turn};
use gil_sync::{Barrier, BarrierError, Event};
use gil_test_support::{PATIENCE, join, join_all, spawn, wait_until};

use super::interrupt_later;
use crate::support::wait_for_n_waiting;

/// Whether `result` is `Interrupted(Requested)`.
fn interrupted<T>(result: &Result<T, BarrierError>) -> bool {
    matches!(result, Err(BarrierError::Interrupted(Interrupt::Requested)))
}

/// Three parties, two waiting; the first is interrupted: it gets `Interrupted` and leaves
/// the cycle, which is not broken: the other waiter goes on waiting, and two more arrivals
/// (the interrupted thread again, and a third) complete the cycle for everyone.
#[test]
fn an_interrupted_waiter_leaves_the_cycle_which_is_not_broken() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let barrier = Arc::new(Barrier::new(3).unwrap());
    let party = |barrier: &Arc<Barrier>| {
        let barrier = Arc::clone(barrier);
        spawn("party", move || {
            barrier.wait().map(gil_sync::BarrierWaitResult::index)
        })
    };
    let other = party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    let interrupter = interrupt_later(gil.interrupter());
    let result = barrier.wait_timeout(PATIENCE);
    assert!(interrupted(&result), "{result:?}");
    join(interrupter);
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 1, "counted out; the other still waits");
    assert_eq!(guard.check(), Ok(Turn::Kept));

    let third = party(&barrier);
    wait_for_n_waiting(&barrier, 2);
    let mine = barrier.wait().unwrap().index();
    let mut indices = vec![mine, join(other).unwrap(), join(third).unwrap()];
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2]);
    assert!(!barrier.broken());
}

/// A barrier whose action blocks until `gate` is set, noting in `started` that it runs.
fn gated(parties: usize) -> (Arc<Barrier>, Arc<Event>, Arc<AtomicBool>) {
    let gate = Arc::new(Event::new());
    let started = Arc::new(AtomicBool::new(false));
    let (g, s) = (Arc::clone(&gate), Arc::clone(&started));
    let barrier = Barrier::with_action(parties, move || {
        s.store(true, SeqCst);
        g.wait();
        Ok(())
    })
    .unwrap();
    (Arc::new(barrier), gate, started)
}

/// The cycle is full and its action runs when the waiter is interrupted: the waiter gets
/// `Interrupted` (as CPython's `KeyboardInterrupt` once the action ends), the barrier is
/// not broken, and the cycle passes for the thread running the action.
#[test]
fn an_interrupt_while_the_action_runs_leaves_the_passing_cycle() {
    let gil = Gil::new();
    let (barrier, gate, started) = gated(2);
    let last = {
        let barrier = Arc::clone(&barrier);
        spawn("last", move || {
            wait_for_n_waiting(&barrier, 1);
            barrier.wait().map(drop)
        })
    };
    let interrupter = {
        let (interrupter, started) = (gil.interrupter(), Arc::clone(&started));
        spawn("interrupter", move || {
            wait_until("the action runs", || started.load(SeqCst));
            interrupter.interrupt().unwrap();
        })
    };
    let result = barrier.wait_timeout(PATIENCE);
    assert!(interrupted(&result), "{result:?}");
    join(interrupter);
    gate.set();
    assert!(join(last).is_ok());
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

/// A thread arriving while the previous cycle's action runs waits for it; interrupted then,
/// it leaves with `Interrupted` and the cycle it did not join passes.
#[test]
fn an_interrupt_while_waiting_for_the_previous_cycle_breaks_nothing() {
    let gil = Gil::new();
    let (barrier, gate, started) = gated(2);
    let cycle: Vec<_> = (0..2)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            spawn("party", move || barrier.wait().map(drop))
        })
        .collect();
    wait_until("the action runs", || started.load(SeqCst));
    let interrupter = interrupt_later(gil.interrupter());
    // Untimed: the wait for the previous cycle has no timeout (as in CPython).
    let result = barrier.wait();
    assert!(interrupted(&result), "{result:?}");
    join(interrupter);
    assert!(!barrier.broken());
    gate.set();
    for party in join_all(cycle) {
        assert!(party.is_ok(), "{party:?}");
    }
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}
