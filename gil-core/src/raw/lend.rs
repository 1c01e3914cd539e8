//! The lend path: the fair policy's fast urgent hand-off, for the common case of a thread
//! coming back from I/O while the holder computes (other threads may be queued).
//!
//! # Implementation details
//!
//! The queue path costs about ten cache-line transfers per hand-off (queue lock, queue
//! buffer, waiter nodes). An urgent requester instead:
//!
//! 1. sets `URGENT_BIT` on a state of `LOCKED_BIT` (queued waiters allowed, no other request
//!    and nothing lent) and `LEND_REQUEST_BIT` on the breaker, then spins on the state word;
//! 2. the holder's next `check()` clears `LEND_REQUEST_BIT` and swaps `URGENT_BIT` for
//!    `LENT_BIT`: the requester now holds the GIL as a *borrower*, the holder is its *lender*
//!    and waits (spinning, then parked and registered in `FairQueue::lender`);
//! 3. when the borrower releases (I/O, guard drop, panic) it clears `LENT_BIT`: the lender
//!    holds the GIL again, with the rest of its slice.
//!
//! A holder that releases while `URGENT_BIT` is set hands the GIL over for good by clearing
//! the bit. A requester that spins `LEND_SPIN` times unanswered clears its own bit and falls
//! back to the queue path; whichever of the two clears the bit decides. A lost
//! `LEND_REQUEST_BIT` therefore only costs that fallback, never liveness. While lent, the
//! lender keeps time: after one switch interval it sets the drop request, and a borrower that
//! sees it returns the GIL and queues normally. Queued waiters keep timing the lender's slice
//! (only `DROP_REQUEST_BIT` stops a time-keeper, never a pending lend request); when it ends,
//! a borrower returns the GIL and the lender yields to the queue.
//!
//! # Notes about memory ordering
//!
//! - lend: the `Release` CAS `URGENT → LENT` in `try_lend` synchronizes with the `Acquire`
//!   load in `lend_request` (the lender's writes reach the borrower);
//! - give over for good: the `Release` CAS clearing `URGENT_BIT` in `unlock_contended`, same
//!   partner;
//! - return: the `Release` CAS clearing `LENT_BIT` in `unlock_contended` synchronizes with the
//!   `Acquire` load in `wait_lent` (spinning) or, once the lender parked, the grant of its
//!   waiter node (`Waiter::grant` / `is_granted`).

use super::{
    DROP_REQUEST_BIT, LEND_REQUEST_BIT, LENDER_PARKED_BIT, LENT_BIT, LOCKED_BIT, QUEUED_BIT,
    RawGil, URGENT_BIT, Waiter,
};
use crate::loom::hint::spin_loop;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::thread;
use crate::loom::time::{Instant, now};
use crate::trace::{self, Event};

/// Polls of the state word by a requester (before falling back to the queue) and by a lender
/// (before parking). One under loom, so both outcomes of each race are explored.
#[cfg(not(loom))]
const LEND_SPIN: u32 = crate::loom::SPIN_LIMIT;
#[cfg(loom)]
const LEND_SPIN: u32 = 1;

impl RawGil {
    /// The requester's side: `LOCKED => LOCKED|URGENT`, then wait to be served. Returns
    /// `true` once the calling thread holds the GIL, `false` if the lend path was not open
    /// (or not answered in time) and the queue path must be taken.
    pub(super) fn lend_request(&self) -> bool {
        // LOCKED[|QUEUED] => LOCKED|URGENT[|QUEUED]: not while another request is pending or
        // the GIL is lent. Relaxed: no data is published by asking.
        // Not while the queue's turn is due: then urgent requests queue behind the due waiter
        // (see `promote_head_locked`). Relaxed: a hint, a late read costs one more lend.
        if self.breaker.load(Relaxed) & DROP_REQUEST_BIT != 0 {
            return false;
        }
        let mut state = self.hot.state.load(Relaxed);
        loop {
            if state & !QUEUED_BIT != LOCKED_BIT {
                return false;
            }
            match self
                .hot
                .state
                .compare_exchange_weak(state, state | URGENT_BIT, Relaxed, Relaxed)
            {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        // Relaxed: a hint, see `drop_requested`.
        self.breaker.fetch_or(LEND_REQUEST_BIT, Relaxed);
        trace::record(Event::LendRequest);
        for _ in 0..LEND_SPIN {
            // Acquire: synchronizes with the Release CAS that cleared URGENT (`try_lend` or
            // `unlock_contended`).
            if self.hot.state.load(Acquire) & URGENT_BIT == 0 {
                // Counted once served; a withdrawn request is counted by the queue path.
                self.hot.counters.priority_requests.add(1);
                trace::record(Event::LendServed);
                return true;
            }
            spin_loop();
        }
        // Not answered: withdraw (LOCKED|URGENT[|QUEUED] => without URGENT), unless served
        // meanwhile. Acquire on the load that sees it served, as above.
        let mut state = self.hot.state.load(Acquire);
        loop {
            if state & URGENT_BIT == 0 {
                self.hot.counters.priority_requests.add(1);
                trace::record(Event::LendServed);
                return true;
            }
            match self
                .hot
                .state
                .compare_exchange_weak(state, state & !URGENT_BIT, Acquire, Acquire)
            {
                Ok(_) => {
                    trace::record(Event::LendWithdrawn);
                    return false;
                }
                Err(s) => state = s,
            }
        }
    }

    /// The holder's side, from `check()`: if an urgent requester waits on the lend path, lend
    /// it the GIL and wait until it comes back. Returns when the GIL came back, or `None` if
    /// there was nobody to lend to.
    pub(super) fn try_lend(&self, start: Instant) -> Option<Instant> {
        // Clear our request bit first, so the borrower never sees it as a request to give
        // the GIL back. Relaxed: a hint.
        self.breaker.fetch_and(!LEND_REQUEST_BIT, Relaxed);
        let mut state = self.hot.state.load(Relaxed);
        loop {
            if state & URGENT_BIT == 0 {
                return None;
            }
            // LOCKED|URGENT[|QUEUED] => LOCKED|LENT[|QUEUED]. Release: publishes the holder's
            // writes to the borrower (its Acquire load in `lend_request`).
            match self.hot.state.compare_exchange_weak(
                state,
                (state & !URGENT_BIT) | LENT_BIT,
                Release,
                Relaxed,
            ) {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        self.hot.counters.switches.add(1);
        self.hot.counters.forced_switches.add(1);
        trace::record(Event::Lent);
        self.wait_lent(start);
        trace::record(Event::LenderRuns);
        Some(now())
    }

    /// The lender waits until the borrower returns the GIL: spins, then registers and parks,
    /// keeping time so a borrower cannot keep the GIL beyond one switch interval.
    fn wait_lent(&self, start: Instant) {
        for _ in 0..LEND_SPIN {
            // Acquire: synchronizes with the borrower's Release CAS clearing LENT.
            if self.hot.state.load(Acquire) & LENT_BIT == 0 {
                return;
            }
            spin_loop();
        }
        let waiter = Waiter::current();
        {
            let mut q = self.hot.fair.lock();
            let mut state = self.hot.state.load(Acquire);
            loop {
                if state & LENT_BIT == 0 {
                    // Returned while we took the lock (the Acquire load pairs as above).
                    return;
                }
                // LENT => LENT|LENDER_PARKED: the borrower must now wake us through the node.
                // Relaxed: `fair` publishes the node, which we store before unlocking.
                match self.hot.state.compare_exchange_weak(
                    state,
                    state | LENDER_PARKED_BIT,
                    Relaxed,
                    Acquire,
                ) {
                    Ok(_) => break,
                    Err(s) => state = s,
                }
            }
            q.lender = Some(waiter.clone());
        }
        trace::record(Event::LenderPark);
        let deadline = start.checked_add(self.interval());
        let mut asked = false;
        loop {
            if !waiter.prepare_park() {
                return;
            }
            match deadline
                .filter(|_| !asked)
                .map(|d| d.saturating_duration_since(now()))
            {
                Some(left) if left.is_zero() => {
                    // The borrower's slice is over: ask for the GIL back (it returns it at its
                    // next `check()`, see `yield_fair`).
                    self.set_drop_request();
                    asked = true;
                }
                Some(left) => thread::park_timeout(left),
                None => thread::park(),
            }
            if waiter.is_granted() {
                return;
            }
        }
    }

    /// Release by the holder when the state word is not plain `LOCKED`: return a lent GIL,
    /// give it to an urgent requester, or hand it to the queue.
    pub(super) fn unlock_contended(&self) {
        let mut state = self.hot.state.load(Relaxed);
        loop {
            let next = if state & LENT_BIT != 0 {
                // A borrower returns the GIL: LENT[|LENDER_PARKED] => cleared.
                state & !(LENT_BIT | LENDER_PARKED_BIT)
            } else if state & URGENT_BIT != 0 {
                // Give it for good to the urgent requester: URGENT => cleared.
                state & !URGENT_BIT
            } else if state == LOCKED_BIT {
                0
            } else {
                return self.unlock_slow();
            };
            // Release: synchronizes with the Acquire loads in `wait_lent`, `lend_request` or
            // the next holder's acquiring CAS.
            match self
                .hot
                .state
                .compare_exchange_weak(state, next, Release, Relaxed)
            {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        if state & LENT_BIT != 0 {
            trace::record(Event::Returned);
        }
        if state & LENDER_PARKED_BIT != 0 {
            let lender = self.hot.fair.lock().lender.take();
            if let Some(lender) = lender.filter(|l| l.grant()) {
                lender.thread.unpark();
            }
        } else if state & URGENT_BIT != 0 && state & LENT_BIT == 0 {
            self.hot.counters.switches.add(1);
        }
    }
}
