//! The cycle state machine under [`Barrier`](crate::Barrier).
//!
//! # Implementation details
//!
//! CPython's state machine (`Lib/threading.py`, `Barrier`), with the condition variable split
//! in two: the state (`phase` and `count`) lives behind a short internal mutex, and blocked
//! threads sleep on a [`WaitQueue`] that every state change wakes entirely (CPython's
//! `notify_all`). A sleeper queues its waiter *while holding the state mutex*, and every state
//! change takes the queue lock *after* writing the state, so no wake-up is lost. Sleepers
//! re-check the state under the mutex after every wake-up: the [`Woken`] result only says
//! whether their own deadline passed.
//!
//! Every sleep is interruptible. An interrupted sleeper cancels its waiter like a timed-out
//! one; popped first, it goes on as woken (the interrupt stays pending). Removed, it decides
//! under the state mutex, and only then takes the interrupt: an arrival waiting in `enter`
//! just leaves (it has not joined a cycle); a waiter of the cycle leaves it, as CPython's
//! `wait` does when `KeyboardInterrupt` comes out of its `_wait` (its `finally` counts the
//! thread out: `_exit`), if the cycle is still filling or running its action — the barrier
//! is not broken, the cycle is one party short until another arrives — and otherwise (it
//! passed, broke or was reset between the cancel and the lock, its wake-up finding the queue
//! without this waiter) goes on as woken, the interrupt left pending. (Locking the state mutex *before* the cancel would decide the same,
//! but a sleeper blocked on that mutex while still queued receives its waker's unpark there,
//! which loom forbids; loom model `interrupt::interrupt_races_last_arrival`.)
//!
//! CPython runs the action while holding the barrier's lock. Here the action runs with the
//! mutex released, in an extra phase ([`Phase::ActionRunning`]) in which arrivals wait as
//! while draining and the waiters of the cycle keep waiting (even past their deadline, as in
//! CPython, where they cannot re-take the lock before the action ends).

use std::error::Error;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use crate::error::BarrierError;
use crate::loom::sync::{Mutex, MutexGuard};
use crate::timeout::expired;
use crate::waiter::{NOTIFIED, Slept, WaitQueue, Waiter, Woken, take_interrupt, wake_n};

/// The action a barrier runs when a cycle fills.
pub(crate) type Action = Box<dyn Fn() -> Result<(), Box<dyn Error + Send + Sync>> + Send + Sync>;

/// CPython's `_state` (plus the action phase).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// CPython `0`: threads arrive and wait for the last party.
    Filling,
    /// Not in CPython (its action runs under the lock): the last party runs the action.
    /// Arrivals wait as while draining; the cycle's waiters keep waiting.
    ActionRunning,
    /// CPython `1`: the cycle passed; its waiters are leaving. Arrivals wait.
    Draining,
    /// CPython `-1`: `reset` with waiters; they leave with `Broken`. Arrivals wait.
    Resetting,
    /// CPython `-2`: every wait fails until `reset`.
    Broken,
}

/// A sleep that an interrupt ended: the waiter left the queue before any wake-up; the
/// interrupt is still pending (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interrupted;

/// The state CPython keeps in the barrier's attributes, guarded by `RawBarrier::state`.
#[derive(Debug)]
struct State {
    phase: Phase,
    /// Threads inside `wait` past `_enter` (waiting, draining, or running the action).
    count: usize,
}

/// See the module docs.
pub(crate) struct RawBarrier {
    parties: usize,
    action: Option<Action>,
    state: Mutex<State>,
    /// Everyone blocked in `wait` (arrivals in `enter` and waiters of the cycle).
    queue: WaitQueue,
}

impl RawBarrier {
    /// A filling barrier for `parties` (≥ 1) threads.
    pub(crate) fn new(parties: usize, action: Option<Action>) -> Self {
        debug_assert!(parties > 0);
        Self {
            parties,
            action,
            state: Mutex::new(State {
                phase: Phase::Filling,
                count: 0,
            }),
            queue: WaitQueue::new(),
        }
    }

    /// Python's `parties`.
    pub(crate) fn parties(&self) -> usize {
        self.parties
    }

    /// Python's `n_waiting`.
    pub(crate) fn n_waiting(&self) -> usize {
        let state = self.state.lock();
        if state.phase == Phase::Filling {
            state.count
        } else {
            0
        }
    }

    /// Python's `broken`.
    pub(crate) fn broken(&self) -> bool {
        self.state.lock().phase == Phase::Broken
    }

    /// Python's `abort()`.
    pub(crate) fn abort(&self) {
        let mut state = self.state.lock();
        self.break_barrier(&mut state);
    }

    /// Python's `reset()`.
    pub(crate) fn reset(&self) {
        let mut state = self.state.lock();
        if state.count > 0 {
            // CPython: filling or broken => resetting (cleared when the last waiter exits);
            // draining (or running the action) => unchanged.
            if matches!(state.phase, Phase::Filling | Phase::Broken) {
                state.phase = Phase::Resetting;
            }
        } else {
            state.phase = Phase::Filling;
        }
        self.notify_all();
    }

    /// One `wait`: the caller's arrival index once the cycle passes.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> Result<usize, BarrierError> {
        // Before the caller counts in: a panic here leaves the barrier as it was.
        gil_core::assert_may_block();
        let mut state = self.enter()?;
        let index = state.count;
        state.count += 1;
        debug_assert!(state.count <= self.parties, "barrier count past parties");
        let (mut state, result) = if state.count == self.parties {
            self.release(state)
        } else {
            self.wait_released(state, deadline)
        };
        self.exit(&mut state);
        drop(state);
        result.map(|()| index)
    }

    /// CPython `_enter`: waits (untimed) while the previous cycle drains or resets, then
    /// fails if broken.
    fn enter(&self) -> Result<MutexGuard<'_, State>, BarrierError> {
        let mut state = self.state.lock();
        loop {
            match state.phase {
                Phase::Filling => return Ok(state),
                Phase::Broken => return Err(BarrierError::Broken),
                Phase::ActionRunning | Phase::Draining | Phase::Resetting => {
                    let slept;
                    (state, slept) = self.sleep(state, None);
                    // Not counted in yet: leaving changes nothing.
                    if slept == Err(Interrupted) {
                        return Err(BarrierError::Interrupted(take_interrupt()));
                    }
                }
            }
        }
    }

    /// CPython `_release`, run by the last party: the action (outside the mutex), then
    /// draining.
    fn release<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, Result<(), BarrierError>) {
        let Some(action) = &self.action else {
            state.phase = Phase::Draining;
            self.notify_all();
            return (state, Ok(()));
        };
        state.phase = Phase::ActionRunning;
        drop(state);
        let outcome = panic::catch_unwind(AssertUnwindSafe(action));
        let mut state = self.state.lock();
        let running = state.phase == Phase::ActionRunning;
        match outcome {
            Ok(Ok(())) if running => {
                state.phase = Phase::Draining;
                self.notify_all();
                (state, Ok(()))
            }
            // Aborted (and maybe reset) while the action ran: the cycle did not pass.
            Ok(Ok(())) => (state, Err(BarrierError::Broken)),
            Ok(Err(err)) => {
                if running {
                    self.break_barrier(&mut state);
                }
                (state, Err(BarrierError::ActionFailed(err)))
            }
            Err(payload) => {
                if running {
                    self.break_barrier(&mut state);
                }
                self.exit(&mut state);
                drop(state);
                panic::resume_unwind(payload)
            }
        }
    }

    /// CPython `_wait`: waits until the cycle passes (`Ok`), breaks or resets (`Broken`);
    /// on timeout while filling, breaks the barrier; interrupted before the cycle passed,
    /// leaves it (`Interrupted`; the caller's `exit` counts it out, as CPython's `finally`).
    fn wait_released<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, State>, Result<(), BarrierError>) {
        // Decided by the queue's cancellation (not by re-reading the clock), so that a
        // timed wait under loom, which "expires" without time passing, ends.
        let mut timed_out = expired(deadline);
        loop {
            let slept;
            match state.phase {
                Phase::Draining => return (state, Ok(())),
                Phase::Resetting | Phase::Broken => return (state, Err(BarrierError::Broken)),
                Phase::Filling if timed_out => {
                    self.break_barrier(&mut state);
                    return (state, Err(BarrierError::Broken));
                }
                Phase::Filling => (state, slept) = self.sleep(state, deadline),
                // CPython's waiters cannot re-take the lock before the action ends.
                Phase::ActionRunning => (state, slept) = self.sleep(state, None),
            }
            match slept {
                Ok(woken) => timed_out = woken == Woken::TimedOut,
                // Out of the queue, interrupt pending: if the cycle has not passed (or
                // broken, or reset) meanwhile, the thread leaves it with the interrupt; the
                // barrier stays as it is, one party short (CPython).
                Err(Interrupted)
                    if matches!(state.phase, Phase::Filling | Phase::ActionRunning) =>
                {
                    return (state, Err(BarrierError::Interrupted(take_interrupt())));
                }
                // It has: go on as woken, the interrupt left pending.
                Err(Interrupted) => timed_out = false,
            }
        }
    }

    /// CPython `_exit`: the last thread out of a draining or resetting cycle refills.
    fn exit(&self, state: &mut State) {
        state.count -= 1;
        if state.count == 0 && matches!(state.phase, Phase::Draining | Phase::Resetting) {
            state.phase = Phase::Filling;
            self.notify_all();
        }
    }

    /// CPython `_break`.
    fn break_barrier(&self, state: &mut State) {
        state.phase = Phase::Broken;
        self.notify_all();
    }

    /// Queues the caller (under the state mutex, so no state change is missed), releases the
    /// mutex and blocks until woken, `deadline`, or an interrupt; re-locks. `Ok` with the
    /// token or `TimedOut`; [`Interrupted`] when an interrupt is pending and the cancel removed
    /// the waiter before any wake-up (the caller decides, under the re-locked mutex, whether it
    /// takes the interrupt; module docs).
    fn sleep<'a>(
        &'a self,
        state: MutexGuard<'a, State>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, State>, Result<Woken, Interrupted>) {
        let waiter = Waiter::new(0, Instant::now(), 0);
        self.queue.lock().push_back(waiter.clone());
        drop(state);
        let slept = match waiter.sleep(deadline, true) {
            Slept::Woken(woken) => Ok(woken),
            Slept::Expired => Ok(self
                .queue
                .cancel(&waiter, |_| {})
                .unwrap_or(Woken::TimedOut)),
            Slept::Interrupted => self.queue.cancel(&waiter, |_| {}).ok_or(Interrupted),
        };
        (self.state.lock(), slept)
    }

    /// CPython `notify_all`: wakes every sleeper; call after changing the state.
    fn notify_all(&self) {
        let mut queue = self.queue.lock();
        let n = queue.len();
        let woken = wake_n(&mut queue, n, NOTIFIED);
        drop(queue);
        drop(woken);
    }
}
