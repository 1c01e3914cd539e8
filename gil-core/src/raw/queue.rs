//! `FairQueue`: the fair policy's queue of waiters and the holder's turn, kept under the
//! queue's lock (`FairGil::queue`), and what a hand-off leaves to do once it is unlocked.

use std::collections::VecDeque;
use std::time::Duration;

use super::waiter::Waiter;
use crate::loom::sync::Arc;
use crate::loom::time::Instant;

/// A queued thread.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) waiter: Arc<Waiter>,
    pub(super) urgent: bool,
    pub(super) turn: Turn,
}

/// How long a queued thread may hold the GIL once it gets it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Turn {
    /// A new turn of this length, counted from the hand-off.
    Fresh(Duration),
    /// The rest of a turn that an urgent request interrupted: it ends when it would have
    /// (`None`: never). Time taken by urgent requests counts against the interrupted turn,
    /// so the threads queued behind it wait no longer in wall-clock time.
    Until(Option<Instant>),
}

/// The fair policy's queue; only accessed with `FairGil::queue` locked.
#[derive(Debug, Default)]
pub(super) struct FairQueue {
    /// Urgent entries first, then normal ones; FIFO within each group.
    pub(super) waiters: VecDeque<Entry>,
    /// How many entries at the front are urgent.
    pub(super) urgent: usize,
    /// When the holder's slice ends (`None`: never, e.g. an interval of `Duration::MAX`).
    /// Meaningful only while `waiters` is non-empty.
    pub(super) deadline: Option<Instant>,
    /// A lender that parked waiting for its lent GIL (`LENDER_PARKED_BIT`, `lend.rs`).
    pub(super) lender: Option<Arc<Waiter>>,
    /// When the first waiter of the current queue arrived: since then the holder's hold is
    /// contended. Meaningful only while `waiters` is non-empty. Used to charge a hold that
    /// began uncontended (untimed) to the holder's I/O credit.
    pub(super) contended_since: Option<Instant>,
}

impl FairQueue {
    /// Queues `entry`: an urgent one at the end of the urgent group, a normal one at the
    /// front of the normal entries (`front`: a holder preempted by an urgent request) or at
    /// the back.
    #[inline]
    pub(super) fn insert(&mut self, entry: Entry, front: bool) {
        if entry.urgent {
            let at = self.urgent;
            self.waiters.insert(at, entry);
            self.urgent += 1;
        } else if front {
            let at = self.urgent;
            self.waiters.insert(at, entry);
        } else {
            self.waiters.push_back(entry);
        }
    }

    /// Takes the head of the queue (the next holder).
    pub(super) fn pop(&mut self) -> Option<Entry> {
        let next = self.waiters.pop_front()?;
        if next.urgent {
            self.urgent -= 1;
        }
        Some(next)
    }

    pub(super) fn is_head(&self, waiter: &Arc<Waiter>) -> bool {
        self.waiters
            .front()
            .is_some_and(|e| Arc::ptr_eq(&e.waiter, waiter))
    }

    /// The deadline the holder keeps time against (`clock.rs`): `None` while nobody waits.
    pub(super) fn published_deadline(&self) -> Option<Instant> {
        self.deadline.filter(|_| !self.waiters.is_empty())
    }

    /// The head's turn has come (the holder's turn is over): from now on it goes before any
    /// urgent request that arrives later, so urgent traffic delays a due waiter by at most one
    /// short hold per urgent thread already queued. It joins the urgent group (at its end);
    /// its own turn stays a normal one.
    pub(super) fn promote_head(&mut self) {
        let at = self.urgent;
        if let Some(entry) = self.waiters.get_mut(at).filter(|e| !e.urgent) {
            entry.urgent = true;
            self.urgent += 1;
        }
    }
}

/// The yielding holder, queued again by a hand-off (`FairGil::hand_off_locked`).
#[derive(Debug)]
pub(super) struct Requeue {
    pub(super) entry: Entry,
    /// At the front of the normal entries (preempted by an urgent request) or at the back.
    pub(super) front: bool,
}

/// What a hand-off (`FairGil::hand_off_locked`) did, for the wake-ups that follow once the
/// queue is unlocked.
#[derive(Debug)]
pub(super) struct Handed {
    pub(super) next: Arc<Waiter>,
    /// `next` had parked.
    pub(super) unpark: bool,
    /// The new head of the queue, which must (re)start timing the new holder.
    pub(super) head: Option<Arc<Waiter>>,
}

impl Handed {
    /// Unparks the new holder if it parked, and the new head unless it is `me` (a yielding
    /// holder that is not parked). Always unparking the head is what makes it notice it became
    /// the time-keeper, even if it read the queue just before the hand-off.
    pub(super) fn wake(self, me: Option<&Arc<Waiter>>) {
        if self.unpark {
            self.next.unpark();
        }
        if let Some(head) = self
            .head
            .filter(|h| me.is_none_or(|me| !Arc::ptr_eq(h, me)))
        {
            head.unpark();
        }
    }
}
