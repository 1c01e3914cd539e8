//! `Policy::CPython`: a faithful model of CPython 3.11's `Python/ceval_gil.c`.
//!
//! # Implementation details
//!
//! The same variables, locks and steps as `take_gil` / `drop_gil` with `FORCE_SWITCHING`:
//!
//! - `mutex` + `cond` guard `locked` and `switch_number`. A waiter sleeps on `cond` for one
//!   switch interval; if it timed out, the GIL is still held, and no switch happened
//!   meanwhile, it sets the drop request (`SET_GIL_DROP_REQUEST`). Any signal restarts the
//!   full interval: this is what starves a thread that returns from I/O (the convoy effect,
//!   bpo-7946) and what lets an I/O thread's frequent releases starve a CPU-bound waiter.
//! - `switch_mutex` + `switch_cond` implement forced switching: a holder that drops the GIL
//!   because of a drop request waits until some other thread has taken it, so it cannot take
//!   it straight back.
//! - No queue and no FIFO: whichever thread the OS wakes (or that arrives) first wins.
//!
//! `last_holder` is read outside `switch_mutex` only by its own thread, as in CPython, so it
//! is kept under `switch_mutex` here and compared there.

use std::time::Duration;

/// How often a mode switch's waiter (`Request::immediate`) looks again and renews its drop
/// request, since `drop_gil` wakes one waiter, not necessarily it.
const IMMEDIATE_RECHECK: Duration = Duration::from_micros(100);

use super::shared::Shared;
use crate::loom::sync::{Condvar, Mutex};
use crate::loom::time::{Instant, now};

#[derive(Debug, Default)]
struct GilState {
    /// `gil->locked`.
    locked: bool,
    /// `gil->switch_number`: incremented each time a different thread takes the GIL.
    switch_number: u64,
    /// Threads inside `take_gil`'s wait loop. Not in CPython, where only a waiter sets the
    /// drop request; `Gil::request_drop` needs it so that it never asks for a forced switch
    /// nobody would complete (the holder would sleep on `switch_cond` forever).
    waiters: usize,
}

#[derive(Debug, Default)]
struct SwitchState {
    /// `gil->last_holder`: the identity (`Request::me`) of the last thread to hold the GIL.
    last_holder: u64,
}

/// The CPython policy's locks; only used when `RawGil::policy` is `Policy::CPython`. The
/// drop request and the interval are the shared ones (`Shared`).
#[derive(Debug)]
pub(crate) struct CPythonGil {
    mutex: Mutex<GilState>,
    cond: Condvar,
    switch_mutex: Mutex<SwitchState>,
    switch_cond: Condvar,
}

impl CPythonGil {
    pub(crate) fn new() -> Self {
        Self {
            mutex: Mutex::new(GilState::default()),
            cond: Condvar::new(),
            switch_mutex: Mutex::new(SwitchState::default()),
            switch_cond: Condvar::new(),
        }
    }

    /// `take_gil`. Returns when it got the GIL after waiting (`None`: the GIL was free).
    #[inline]
    pub(crate) fn take_gil(&self, sh: &Shared, me: u64, immediate: bool) -> Option<Instant> {
        let mut gil = self.mutex.lock();
        let waited = if gil.locked {
            gil.waiters += 1;
            while gil.locked {
                if immediate {
                    // A mode switch (`Request::immediate`): ask the holder now, not after an
                    // interval, and again after every switch another waiter won.
                    sh.set_drop_request();
                }
                let saved_switchnum = gil.switch_number;
                let mut interval = sh.interval().max(Duration::from_micros(1));
                if immediate {
                    // Nobody wakes this waiter in particular when another one wins the GIL
                    // (`drop_gil` signals one waiter): look again soon.
                    interval = interval.min(IMMEDIATE_RECHECK);
                }
                let (g, timed_out) = self.cond.wait_timeout(gil, interval);
                gil = g;
                // "If we timed out and no switch occurred in the meantime, it is time to ask
                // the GIL-holding thread to drop it."
                if timed_out && gil.locked && gil.switch_number == saved_switchnum {
                    sh.set_drop_request();
                }
            }
            gil.waiters -= 1;
            Some(now())
        } else {
            None
        };
        self.ready(sh, &mut gil, me);
        waited
    }

    /// `take_gil` without the wait, for `try_acquire`.
    #[inline]
    pub(crate) fn try_take(&self, sh: &Shared, me: u64) -> bool {
        let mut gil = self.mutex.lock();
        if gil.locked {
            return false;
        }
        self.ready(sh, &mut gil, me);
        true
    }

    /// The `_ready:` label of `take_gil`, with `mutex` held.
    #[inline]
    fn ready(&self, sh: &Shared, gil: &mut GilState, me: u64) {
        {
            let mut sw = self.switch_mutex.lock();
            gil.locked = true;
            if sw.last_holder != me {
                // `GilStats::switches` counts passes between threads, not the very first
                // acquisition (CPython's own `switch_number` counts it, and so does ours).
                if sw.last_holder != 0 {
                    sh.counters.switches.add(1);
                }
                sw.last_holder = me;
                gil.switch_number += 1;
            }
            self.switch_cond.notify_one();
        }
        if sh.drop_requested() {
            sh.clear_drop_request();
        }
    }

    /// `drop_gil` with `FORCE_SWITCHING`.
    #[inline]
    pub(crate) fn drop_gil(&self, sh: &Shared, me: u64) {
        {
            let mut gil = self.mutex.lock();
            gil.locked = false;
            self.cond.notify_one();
        }
        if sh.drop_requested() {
            let sw = self.switch_mutex.lock();
            // "Not switched yet => wait"
            if sw.last_holder == me {
                sh.clear_drop_request();
                // One wait, not a loop, exactly as CPython (a spurious wake-up only ends the
                // forced switch early).
                drop(self.switch_cond.wait(sw));
            }
        }
    }

    /// `check()` found the drop request set. ceval.c: `if (gil_drop_request) { drop_gil();
    /// /* others run */ take_gil(); }`. Returns when it got the GIL back.
    pub(crate) fn yield_now(&self, sh: &Shared, me: u64) -> Instant {
        self.drop_gil(sh, me);
        sh.counters.forced_switches.add(1);
        self.take_gil(sh, me, false).unwrap_or_else(now)
    }

    /// Threads inside `take_gil`'s wait loop.
    pub(crate) fn waiters(&self) -> usize {
        self.mutex.lock().waiters
    }

    /// What a waiter does when its timed wait expires, for `Gil::request_drop`.
    pub(crate) fn request_drop(&self, sh: &Shared) {
        let gil = self.mutex.lock();
        if gil.locked && gil.waiters > 0 {
            sh.set_drop_request();
        }
    }
}
