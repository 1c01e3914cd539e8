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
//!    `LENT_BIT | RESERVED_BIT`: the requester now holds the GIL as a *borrower*, the holder
//!    is its *lender* and waits (spinning, then parked and registered in `FairQueue::lender`);
//! 3. when the borrower releases (I/O, guard drop, panic) it clears `LENT_BIT` only: the GIL
//!    is *reserved* for the lender, which claims it by clearing `RESERVED_BIT` as soon as it
//!    runs (a spinning lender within nanoseconds) and goes on with the rest of its slice;
//! 4. a requester that comes back while the GIL is reserved and not lent borrows it again at
//!    once (`RESERVED → RESERVED|LENT`), without asking anyone.
//!
//! Step 4 is meant for a busy machine. A lender is a thread that was computing: when runnable
//! threads outnumber cores, the scheduler often has it off the CPU (preempted while spinning,
//! or parked). Handing the GIL straight back to it left the GIL with a thread that could not
//! run, and the borrower's next return from I/O waited for that thread's `check()`. Now a
//! lender that is not running costs the borrower nothing; one that is running wins the race
//! for its reserved GIL (it polls; a borrower comes back only after its I/O).
//!
//! A holder that releases while `URGENT_BIT` is set hands the GIL over for good by clearing
//! the bit. A requester that spins `LEND_SPIN` times unanswered clears its own bit and falls
//! back to the queue path; whichever of the two clears the bit decides. A lost
//! `LEND_REQUEST_BIT` therefore only costs that fallback, never liveness. While lent, the
//! lender keeps time: after one switch interval it sets the drop request, and a borrower that
//! sees it returns the GIL and queues normally (and no requester borrows while the drop
//! request is up). Queued waiters keep timing the lender's slice (only `DROP_REQUEST_BIT`
//! stops a time-keeper, never a pending lend request); when it ends, a borrower returns the
//! GIL and the lender yields to the queue.
//!
//! # Notes about memory ordering
//!
//! - lend: the `Release` CAS `URGENT → LENT|RESERVED` in `try_lend` synchronizes with the
//!   `Acquire` load in `lend_request` (the lender's writes reach the borrower);
//! - give over for good: the `Release` CAS clearing `URGENT_BIT` in
//!   `release_to_lender_or_requester`, same partner;
//! - return: the `Release` CAS clearing `LENT_BIT` in `release_to_lender_or_requester`
//!   synchronizes with the `Acquire` CAS clearing `RESERVED_BIT` in `try_claim` (the lender)
//!   or the `Acquire` CAS setting `LENT_BIT` again in `lend_request` (the next borrower).

use super::shared::Shared;
use super::state::{
    FairGil, LENDER_PARKED_BIT, LENT_BIT, LOCKED_BIT, QUEUED_BIT, RESERVED_BIT, URGENT_BIT,
};
use super::waiter::Waiter;
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

/// Whether a requester may borrow the GIL at once: it is reserved for a lender that has not
/// claimed it, and nobody holds it.
#[inline]
fn is_reborrowable(state: u32) -> bool {
    state & (RESERVED_BIT | LENT_BIT | URGENT_BIT) == RESERVED_BIT
}

impl FairGil {
    /// The requester's side: borrow a reserved GIL, or `LOCKED => LOCKED|URGENT` and wait to
    /// be served. Returns `true` once the calling thread holds the GIL, `false` if the lend
    /// path was not open (or not answered in time) and the queue path must be taken.
    pub(super) fn lend_request(&self, sh: &Shared) -> bool {
        // Not while the queue's turn is due: then urgent requests queue behind the due waiter
        // (see `FairQueue::promote_head`). Relaxed: a hint, a late read costs one more lend.
        if sh.drop_request_set() {
            return false;
        }
        let mut state = self.state.load(Relaxed);
        loop {
            if is_reborrowable(state) {
                // RESERVED => RESERVED|LENT: borrow again before the lender resumed. Acquire:
                // synchronizes with the previous borrower's Release CAS clearing LENT (the
                // lender has written nothing since it lent).
                match self
                    .state
                    .compare_exchange_weak(state, state | LENT_BIT, Acquire, Relaxed)
                {
                    Ok(_) => {
                        sh.counters.priority_requests.add(1);
                        trace::record(Event::Reborrowed);
                        return true;
                    }
                    Err(s) => state = s,
                }
                continue;
            }
            // LOCKED[|QUEUED] => LOCKED|URGENT[|QUEUED]: not while another request is pending
            // or the GIL is lent or reserved. Relaxed: no data is published by asking.
            if state & !QUEUED_BIT != LOCKED_BIT {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(state, state | URGENT_BIT, Relaxed, Relaxed)
            {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        sh.set_lend_request();
        trace::record(Event::LendRequest);
        for _ in 0..LEND_SPIN {
            // Acquire: synchronizes with the Release CAS that cleared URGENT (`try_lend` or
            // `release_to_lender_or_requester`).
            if self.state.load(Acquire) & URGENT_BIT == 0 {
                // Counted once served; a withdrawn request is counted by the queue path.
                sh.counters.priority_requests.add(1);
                trace::record(Event::LendServed);
                return true;
            }
            spin_loop();
        }
        // Not answered: withdraw (LOCKED|URGENT[|QUEUED] => without URGENT), unless served
        // meanwhile. Acquire on the load that sees it served, as above.
        let mut state = self.state.load(Acquire);
        loop {
            if state & URGENT_BIT == 0 {
                sh.counters.priority_requests.add(1);
                trace::record(Event::LendServed);
                return true;
            }
            match self
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
    pub(super) fn try_lend(&self, sh: &Shared, start: Instant) -> Option<Instant> {
        // Clear our request bit first, so the borrower never sees it as a request to give
        // the GIL back.
        sh.clear_lend_request();
        let mut state = self.state.load(Relaxed);
        loop {
            if state & URGENT_BIT == 0 {
                return None;
            }
            // LOCKED|URGENT[|QUEUED] => LOCKED|RESERVED|LENT[|QUEUED]. Release: publishes the
            // holder's writes to the borrower (its Acquire load in `lend_request`).
            match self.state.compare_exchange_weak(
                state,
                (state & !URGENT_BIT) | LENT_BIT | RESERVED_BIT,
                Release,
                Relaxed,
            ) {
                Ok(_) => break,
                Err(s) => state = s,
            }
        }
        sh.counters.switches.add(1);
        sh.counters.forced_switches.add(1);
        trace::record(Event::Lent);
        self.wait_lent(sh, start);
        trace::record(Event::LenderRuns);
        Some(now())
    }

    /// The lender's claim: `RESERVED => cleared` while no borrower holds the GIL. Returns
    /// whether the lender holds the GIL again.
    fn try_claim(&self) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            if state & LENT_BIT != 0 {
                return false;
            }
            debug_assert!(state & RESERVED_BIT != 0, "invalid gil state: {state:#b}");
            // LOCKED|RESERVED[|QUEUED] => LOCKED[|QUEUED]. Acquire: synchronizes with the
            // borrower's Release CAS clearing LENT in `release_to_lender_or_requester`.
            match self
                .state
                .compare_exchange_weak(state, state & !RESERVED_BIT, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(s) => state = s,
            }
        }
    }

    /// A thread just granted the GIL through the queue claims it if the hand-off reserved it
    /// (it was parked): at once, or after a borrower that took it meanwhile returns it.
    pub(super) fn claim_if_reserved(&self, sh: &Shared) {
        // Relaxed: RESERVED can only be ours (the previous holder had claimed its own before
        // it handed off); `try_claim`'s CAS does the synchronizing.
        if self.state.load(Relaxed) & RESERVED_BIT != 0 {
            self.wait_lent(sh, now());
        }
    }

    /// The lender waits until it can claim its GIL back: spins, then registers and parks,
    /// keeping time so a borrower cannot keep the GIL beyond one switch interval. Woken by a
    /// returning borrower, it spins again: another requester may have borrowed meanwhile.
    fn wait_lent(&self, sh: &Shared, start: Instant) {
        let deadline = start.checked_add(sh.interval());
        let mut asked = false;
        loop {
            for _ in 0..LEND_SPIN {
                if self.try_claim() {
                    return;
                }
                spin_loop();
            }
            let waiter = Waiter::current();
            {
                let mut q = self.queue.lock();
                let mut state = self.state.load(Relaxed);
                let registered = loop {
                    if state & LENT_BIT == 0 {
                        break false;
                    }
                    // LENT => LENT|LENDER_PARKED: the borrower's return must now wake us
                    // through the node. Relaxed: `queue` publishes the node, which we store
                    // before unlocking.
                    match self.state.compare_exchange_weak(
                        state,
                        state | LENDER_PARKED_BIT,
                        Relaxed,
                        Relaxed,
                    ) {
                        Ok(_) => break true,
                        Err(s) => state = s,
                    }
                };
                if !registered {
                    // Returned while we took the lock: claim it (or spin again).
                    drop(q);
                    if self.try_claim() {
                        return;
                    }
                    continue;
                }
                q.lender = Some(waiter.clone());
            }
            trace::record(Event::LenderPark);
            park_lender(sh, &waiter, deadline, &mut asked);
        }
    }

    /// The second release tier (`FairGil::release`), when the state word is not plain
    /// `LOCKED`: a borrower returns the GIL to its lender, or the holder gives it for good to
    /// the urgent requester (or frees it, if the request was withdrawn meanwhile). `false`:
    /// none of these, the queue's head gets it (`hand_off_to_queue`, the third tier).
    pub(super) fn release_to_lender_or_requester(&self, sh: &Shared) -> bool {
        let mut state = self.state.load(Relaxed);
        loop {
            let next = if state & LENT_BIT != 0 {
                // A borrower returns the GIL: LENT[|LENDER_PARKED] => cleared; RESERVED stays
                // until the lender claims it.
                state & !(LENT_BIT | LENDER_PARKED_BIT)
            } else if state & URGENT_BIT != 0 {
                // Give it for good to the urgent requester: URGENT => cleared.
                state & !URGENT_BIT
            } else if state == LOCKED_BIT {
                0
            } else {
                debug_assert_eq!(state & RESERVED_BIT, 0, "invalid gil state: {state:#b}");
                return false;
            };
            // Release: synchronizes with the Acquire CASes in `try_claim` and `lend_request`,
            // the Acquire load in `lend_request`, or the next holder's acquiring CAS.
            match self
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
            let lender = self.queue.lock().lender.take();
            if let Some(lender) = lender.filter(|l| l.grant()) {
                lender.unpark();
            }
        } else if state & URGENT_BIT != 0 && state & LENT_BIT == 0 {
            sh.counters.switches.add(1);
        }
        true
    }
}

/// Parks the registered lender until its node is granted, setting the drop request once
/// the borrowers have held the GIL past `deadline` (`asked`: it did already).
#[inline]
fn park_lender(sh: &Shared, waiter: &Waiter, deadline: Option<Instant>, asked: &mut bool) {
    loop {
        if !waiter.prepare_park() {
            return;
        }
        match deadline
            .filter(|_| !*asked)
            .map(|d| d.saturating_duration_since(now()))
        {
            Some(left) if left.is_zero() => {
                // The borrower's slice is over: ask for the GIL back (it returns it at its
                // next `check()`, see `yield_fair`).
                sh.set_drop_request();
                *asked = true;
            }
            Some(left) => thread::park_timeout(left),
            None => thread::park(),
        }
        if waiter.is_granted() {
            return;
        }
    }
}
