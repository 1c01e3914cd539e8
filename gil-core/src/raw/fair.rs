//! `Policy::Fair`: acquire, release and yield, and the queue path under them. The state word
//! is in `state.rs`, the queue in `queue.rs`, the lend path in `lend.rs`.
//!
//! # Implementation details
//!
//! The fair policy is a queue lock with direct hand-off (`parking_lot`'s `unlock_fair`, always):
//!
//! - **State word.** `state` says whether the GIL is held and whether waiters are queued. The
//!   uncontended paths are one CAS each way. Once anyone waits, the GIL is never *free* again
//!   until the queue drains: a release pops the head of the queue and hands ownership to it
//!   (`LOCKED` stays set), so a newcomer's CAS always fails while waiters are queued and
//!   nobody barges.
//! - **Queue.** `FairQueue::waiters` under `queue`: urgent entries first (FIFO among
//!   themselves), then normal ones (FIFO). A thread that `check()` forces off goes to the back
//!   with a fresh slice; a holder preempted by an *urgent* request goes to the front of the
//!   normal entries and keeps its turn's end (`Turn::Until`), so urgent traffic cannot reorder
//!   CPU-bound threads or stretch their turns in wall-clock time.
//! - **Time-keeping.** Exactly one waiter keeps time: the head of the queue. It parks until
//!   the holder's slice `deadline`, then sets the drop request (the eval breaker) that makes
//!   the holder's next `check()` yield. Others park untimed. A hand-off unparks the new head
//!   so it starts timing the new holder. The holder keeps time too (`clock.rs`).
//! - **Urgent requests.** A thread returning from `allow_threads` with I/O credit left (see
//!   `gil/hold.rs`) enqueues urgently and sets the drop request at once: the holder yields at
//!   its next `check()`, which for an interpreter is the next instruction boundary.
//! - **Lend path.** An urgent request first tries to skip the queue entirely: see `lend.rs`
//!   (about half the cost per hand-off, measured in the convoy harness).
//!
//! Waiters that expect the GIL soon (the head of the queue) spin for `SPIN_LIMIT` polls before
//! parking, so that a hand-off between two busy threads costs a cache-line transfer instead of
//! a futex wake-up.
//!
//! # Notes about memory ordering
//!
//! The GIL publishes everything its holder wrote to the next holder:
//! - uncontended: the `Release` CAS in `try_free` synchronizes with the `Acquire` CAS in
//!   `try_lock_fast` / `lock_slow`;
//! - hand-off: the `Release` store of `GRANTED` in `Waiter::grant` (from `hand_off_locked`)
//!   synchronizes with the `Acquire` load of it in `wait_granted`; the queue itself is only
//!   touched under `queue`;
//! - the lend path: see `lend.rs`.
//! - `QUEUED` and the drop request carry no data: they are changed under `queue` (which
//!   orders them with the queue) or read as hints, so `Relaxed` suffices for them.

use std::time::Duration;

use super::queue::{Entry, FairQueue, Handed, Requeue, Turn};
use super::shared::{Request, Shared};
use super::state::{
    FairGil, LENT_BIT, LOCKED_BIT, QUEUED_BIT, RESERVED_BIT, URGENT_BIT, is_locked,
};
use super::waiter::Waiter;
use crate::loom::SPIN_LIMIT;
use crate::loom::hint::spin_loop;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::sync::{Arc, MutexGuard};
use crate::loom::thread;
use crate::loom::time::{Instant, now};
use crate::trace::{self, Event};

impl FairGil {
    /// Acquires, blocking as long as needed. Returns when it got the GIL after waiting
    /// (`None`: at once).
    ///
    /// No `try_lock_fast` first: the callers have just tried it (or, in `yield_fair`, just
    /// returned a lent GIL, which stays reserved for its lender), and a GIL freed since is
    /// taken by `lock_slow`, under the queue's lock, with the same `Acquire` CAS from 0.
    pub(super) fn acquire(&self, sh: &Shared, req: Request, start: Instant) -> Option<Instant> {
        if req.urgent && self.lend_request(sh) {
            Some(now())
        } else {
            self.lock_slow(sh, req, start)
        }
    }

    /// Releases the GIL held by the calling thread, through the first of three tiers that
    /// applies: `try_free` (nobody waits, nothing lent or requested: `LOCKED => 0`);
    /// `release_to_lender_or_requester` (the lend path, `lend.rs`: a borrower returns the GIL
    /// to its lender, or the holder gives it to the urgent requester spinning for it);
    /// `hand_off_to_queue` (the queue's head gets it).
    #[inline]
    pub(super) fn release(&self, sh: &Shared) {
        // Fails when any other bit is set: lent, urgent or queued.
        if !self.try_free() {
            self.release_contended(sh);
        }
    }

    /// `release` when the state word is not plain `LOCKED`: its second and third tiers.
    fn release_contended(&self, sh: &Shared) {
        if !self.release_to_lender_or_requester(sh) {
            self.hand_off_to_queue(sh);
        }
    }

    /// How many threads are queued.
    pub(super) fn waiters(&self) -> usize {
        self.queue.lock().waiters.len()
    }

    /// What the head of the queue does when its timed park fires, without the promotion.
    pub(super) fn request_drop(&self, sh: &Shared) {
        let q = self.queue.lock();
        if !q.waiters.is_empty() {
            sh.set_drop_request();
        }
    }

    /// Since when the holder's hold has been contended by queued waiters (`None`: nobody is
    /// queued). Called by the holder on its slow paths only.
    #[inline]
    pub(super) fn contended_since(&self) -> Option<Instant> {
        // Relaxed: a hint; QUEUED only changes under `queue`, which we then lock to read.
        if self.state.load(Relaxed) & QUEUED_BIT == 0 {
            return None;
        }
        self.queued_since()
    }

    /// `contended_since` when waiters are queued.
    #[cold]
    fn queued_since(&self) -> Option<Instant> {
        let q = self.queue.lock();
        q.contended_since.filter(|_| !q.waiters.is_empty())
    }

    /// The holder's clock told it its turn is over (`clock.rs`): ends it exactly as the
    /// head's time-keeper does when its timed park fires. Returns whether `check()` must take
    /// its slow path.
    pub(super) fn holder_turn_over(&self, sh: &Shared) -> bool {
        let mut q = self.queue.lock();
        let t: Instant = now();
        if !q.waiters.is_empty()
            && q.urgent == 0
            && !sh.drop_request_set()
            && q.deadline.is_some_and(|d| t >= d)
        {
            sh.set_drop_request();
            q.promote_head();
        }
        sh.asks_more_than_timing()
    }

    #[cold]
    fn lock_slow(&self, sh: &Shared, req: Request, start: Instant) -> Option<Instant> {
        let waiter = Waiter::current();
        let head = {
            let mut q = self.queue.lock();
            let mut state = self.state.load(Relaxed);
            loop {
                if is_locked(state) {
                    // LOCKED => LOCKED|QUEUED (or unchanged). Relaxed: `queue` orders the
                    // queue; the holder's releasing CAS fails on this bit and comes to `queue`.
                    match self.state.compare_exchange_weak(
                        state,
                        state | QUEUED_BIT,
                        Relaxed,
                        Relaxed,
                    ) {
                        Ok(_) => break,
                        Err(s) => state = s,
                    }
                } else {
                    debug_assert_eq!(state, 0, "invalid gil state: {state:#b}");
                    // 0 => LOCKED. Acquire: synchronizes with the Release CAS in `try_free`.
                    match self
                        .state
                        .compare_exchange_weak(state, LOCKED_BIT, Acquire, Relaxed)
                    {
                        Ok(_) => return None,
                        Err(s) => state = s,
                    }
                }
            }
            if q.waiters.is_empty() {
                // The first waiter gives the holder one interval from now, like CPython.
                q.deadline = start.checked_add(sh.interval());
                q.contended_since = Some(start);
            }
            let entry = Entry {
                waiter: Arc::clone(&waiter),
                urgent: req.urgent,
                turn: Turn::Fresh(req.slice),
            };
            q.insert(entry, false);
            if req.urgent {
                sh.counters.priority_requests.add(1);
                sh.set_drop_request();
            }
            sh.publish_deadline(q.published_deadline());
            q.is_head(&waiter)
        };
        trace::record(Event::Queued);
        self.wait_granted(sh, &waiter, head);
        trace::record(Event::Granted);
        self.claim_if_reserved(sh);
        Some(now())
    }

    /// The third release tier: pops the queue's head and grants it the GIL.
    #[cold]
    fn hand_off_to_queue(&self, sh: &Shared) {
        let mut q = self.queue.lock();
        let handed = self.hand_off_locked(sh, &mut q, None, None);
        drop(q);
        handed.wake(None);
    }

    /// `check()` found the drop request set: hand the GIL to the head of the queue and queue
    /// up again (at the back, or at the front of the normal entries when an urgent request
    /// preempted us, keeping our turn's end).
    #[cold]
    pub(super) fn yield_fair(
        &self,
        sh: &Shared,
        slice: Duration,
        start: Instant,
    ) -> Option<Instant> {
        // An urgent requester on the lend path goes first.
        if let Some(got) = self.try_lend(sh, start) {
            return Some(got);
        }
        // Holding a lent GIL: the lender wants it back (its slice is over). Return it and
        // queue like anyone else.
        // Relaxed: only this thread (the holder) clears LENT.
        if self.state.load(Relaxed) & LENT_BIT != 0 {
            if !sh.drop_request_set() {
                return None;
            }
            self.release_contended(sh);
            let req = Request {
                urgent: false,
                slice,
                me: 0,
                immediate: false,
            };
            return Some(self.acquire(sh, req, start).unwrap_or_else(now));
        }
        let waiter = Waiter::current();
        let mut q = self.queue.lock();
        if q.waiters.is_empty() {
            // A stale request (its waiter took the GIL meanwhile, or nobody was queued).
            sh.clear_drop_request();
            return None;
        }
        // Preempted only if our turn is not over yet; a thread whose turn ended goes to the back
        // even if an urgent request is what made it yield.
        let preempted = q.urgent > 0 && q.deadline.is_none_or(|d| start < d);
        // Preempted by an urgent request: keep our place and our turn's end. Otherwise our
        // turn is over: a fresh one at the back.
        let turn = if preempted {
            Turn::Until(q.deadline)
        } else {
            Turn::Fresh(slice)
        };
        let requeue = Requeue {
            entry: Entry {
                waiter: Arc::clone(&waiter),
                urgent: false,
                turn,
            },
            front: preempted,
        };
        let handed = self.hand_off_locked(sh, &mut q, Some(requeue), Some(start));
        let me_head = q.is_head(&waiter);
        sh.counters.forced_switches.add(1);
        drop(q);
        handed.wake(Some(&waiter));
        self.wait_granted(sh, &waiter, me_head);
        trace::record(Event::Granted);
        self.claim_if_reserved(sh);
        Some(now())
    }

    /// Pops the head of the queue and makes it the holder, after queuing `requeue` (the
    /// yielding holder) if given. `t` is the current time if the caller has it.
    ///
    /// The grant comes last: the moment it is visible the new holder may run and release
    /// through the fast path without ever taking `queue`, so `state` and the queue must
    /// already be final.
    fn hand_off_locked(
        &self,
        sh: &Shared,
        q: &mut MutexGuard<'_, FairQueue>,
        requeue: Option<Requeue>,
        t: Option<Instant>,
    ) -> Handed {
        let Some(next) = q.pop() else {
            unreachable!("invalid gil state: QUEUED without waiters");
        };
        if let Some(Requeue { entry, front }) = requeue {
            q.insert(entry, front);
        }
        if q.waiters.is_empty() {
            // LOCKED|QUEUED => LOCKED: ownership moves to `next`, the GIL never becomes free.
            // Relaxed: changed under `queue`.
            self.state.fetch_and(!QUEUED_BIT, Relaxed);
        } else {
            // Someone will time the new holder's turn.
            q.deadline = match next.turn {
                Turn::Fresh(slice) => t.unwrap_or_else(now).checked_add(slice),
                Turn::Until(deadline) => deadline,
            };
        }
        sh.publish_deadline(q.published_deadline());
        if q.urgent > 0 {
            // The next urgent request wants the new holder to yield at once, too.
            sh.set_drop_request();
        } else {
            sh.clear_drop_request();
        }
        sh.counters.switches.add(1);
        trace::record(Event::HandOff);
        let head = q
            .waiters
            .front()
            .filter(|e| !e.urgent)
            .map(|e| Arc::clone(&e.waiter));
        if next.waiter.is_parked() {
            // The new holder is off the CPU: reserve the GIL for it instead of leaving it idle
            // until the scheduler runs it, so that an urgent requester (back from I/O) may
            // borrow it meanwhile (`lend.rs`). Not while a lend request is pending (URGENT and
            // RESERVED never meet): the new holder serves it once it runs.
            // LOCKED[|QUEUED] => LOCKED|RESERVED[|QUEUED]. Release: publishes the previous
            // holder's writes to a borrower's Acquire CAS in `lend_request`.
            let _ = self.state.fetch_update(Release, Relaxed, |s| {
                (s & URGENT_BIT == 0).then_some(s | RESERVED_BIT)
            });
        }
        let unpark = next.waiter.grant();
        Handed {
            next: next.waiter,
            unpark,
            head,
        }
    }

    /// Waits until `waiter` is granted the GIL, keeping time while it is the head.
    fn wait_granted(&self, sh: &Shared, waiter: &Arc<Waiter>, spin: bool) {
        if spin {
            // `repeat_n`, not `0..SPIN_LIMIT`: the limit is 0 under loom, and clippy denies an
            // empty range there.
            for () in std::iter::repeat_n((), SPIN_LIMIT as usize) {
                if waiter.is_granted() {
                    return;
                }
                spin_loop();
            }
        }
        loop {
            let timeout = {
                let mut q = self.queue.lock();
                if waiter.is_granted() {
                    return;
                }
                keep_time_locked(sh, &mut q, waiter)
            };
            if !waiter.prepare_park() {
                return;
            }
            trace::record(Event::Park);
            match timeout {
                Some(d) => thread::park_timeout(d),
                None => thread::park(),
            }
            if waiter.is_granted() {
                return;
            }
        }
    }
}

/// The head's time-keeping: once the holder's slice is over, set the drop request.
/// Returns how long to park (`None`: until unparked).
fn keep_time_locked(sh: &Shared, q: &mut FairQueue, waiter: &Arc<Waiter>) -> Option<Duration> {
    // Only the queue's own request counts here: a pending lend request is not a reason
    // to stop timing (it may be withdrawn or served without a switch for the queue).
    if !q.is_head(waiter) || q.urgent > 0 || sh.drop_request_set() {
        return None;
    }
    let deadline = q.deadline?;
    let t = now();
    if t >= deadline {
        // The timed wait "fired": this is the path `request_drop` drives in the loom models.
        sh.set_drop_request();
        q.promote_head();
        None
    } else {
        Some(deadline - t)
    }
}
