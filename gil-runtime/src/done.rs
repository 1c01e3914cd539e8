//! [`Done`]: the flag a thread record raises when the thread stops (step 7 of a thread's
//! life, `thread/start.rs`), and the wait `join` makes on it — timed or not, and
//! interruptible: a joining thread wakes when it is interrupted or has pending calls to run.
//!
//! # Implementation details
//!
//! The flag, and the threads parked waiting for it, behind one mutex: [`Done::set`] raises
//! the flag and takes the whole list in one critical section, then unparks each waiter
//! after unlocking (so a woken waiter never runs into the held lock). A waiter checks the
//! flag and adds itself in one critical section too, so it is either seen by `set` or sees
//! the flag: no wake-up is lost. It then parks in a loop that re-reads the flag without the
//! lock, and — in an interruptible wait — `gil_core::signal::poll()`. That loop, and only
//! the loop, runs inside `gil_core::signal::interruptible`, which is what lets gil-core's
//! raisers (`Interrupter::interrupt`, a pending call for the main thread) unpark the thread
//! after publishing; outside it they do not unpark, so (under loom, where gil-core also holds
//! the thread in the loop until a raiser's unpark is done) their unpark never lands on the
//! thread while it waits for the list's lock; with std a late one is a spurious wake-up.
//! A wait that leaves the loop for another reason than the flag (a deadline,
//! a signal) takes itself off the list under the lock; if it is no longer listed, `set`
//! took the list first, and the flag wins: the wait reports `Done`, and the interrupt or
//! pending call waits for the thread's next look.
//!
//! gil-sync's `Event` (which `done` was until issue 16) parks on its own wait queue, which an
//! interrupt's unpark cannot end; here the park is the thread's own, the one gil-core's
//! raisers unpark.
//!
//! # Memory ordering
//!
//! What the stopping thread did before `set` (its record's `Stopped`, its panic message,
//! its target's effects) is visible to every wait that returns `Done` and every `is_set`
//! that returns `true`: through the mutex, or the Release store of the flag and the Acquire
//! loads that read it.

use std::fmt;
use std::time::Instant;

use gil_core::ident;

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::AtomicBool;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::thread::{self, Thread};

/// How a [`Done::wait`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waited {
    /// The flag is up.
    Done,
    /// The deadline passed before the flag went up.
    TimedOut,
    /// (Interruptible waits only.) The waiting thread has an interrupt or pending calls to
    /// see to, and the flag was still down when it left the list.
    Signalled,
}

/// A flag raised once, never lowered, and the threads waiting for it.
pub(crate) struct Done {
    /// The flag, for the park loop's lock-free reads. Written only with `waiters` locked.
    set: AtomicBool,
    /// The parked waiters (identity, thread) while the flag is down; `set` takes them all.
    waiters: Mutex<Vec<(u64, Thread)>>,
}

impl Done {
    /// A lowered flag.
    pub(crate) fn new() -> Self {
        Self {
            set: AtomicBool::new(false),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// Whether the flag is up.
    pub(crate) fn is_set(&self) -> bool {
        // Acquire: pairs with the Release store in `set`.
        self.set.load(Acquire)
    }

    /// Raises the flag and wakes every waiter. Idempotent.
    pub(crate) fn set(&self) {
        let waiters = {
            let mut waiters = self.waiters.lock();
            // Release: pairs with the Acquire loads of `is_set` and the park loop.
            self.set.store(true, Release);
            std::mem::take(&mut *waiters)
        };
        for (_, thread) in waiters {
            thread.unpark();
        }
    }

    /// Waits, without touching the GIL (the caller releases it), until the flag is up, or
    /// `deadline` passes, or — if `interruptible` — the calling thread has an interrupt or
    /// pending calls to see to ([`gil_core::signal::poll`]).
    pub(crate) fn wait(&self, deadline: Option<Instant>, interruptible: bool) -> Waited {
        if self.is_set() {
            return Waited::Done;
        }
        let me = ident::current();
        {
            let mut waiters = self.waiters.lock();
            // Relaxed: read under the lock the flag is written under.
            if self.set.load(Relaxed) {
                return Waited::Done;
            }
            waiters.push((me, thread::current()));
        }
        // Only the park loop is marked interruptible: an interrupt's unpark then never lands
        // on this thread while it waits for the list's lock (under loom; with std it may
        // land late, as a spurious wake-up).
        let left = if interruptible {
            gil_core::signal::interruptible(|| self.park(deadline, true))
        } else {
            self.park(deadline, false)
        };
        if left == Waited::Done {
            // `set` stored the flag and took the list in one critical section: nothing to
            // take off.
            return Waited::Done;
        }
        let mut waiters = self.waiters.lock();
        match waiters.iter().position(|&(id, _)| id == me) {
            Some(at) => {
                waiters.swap_remove(at);
                left
            }
            // `set` took the list (and unparked us, a token a later park absorbs): the
            // flag is up and wins.
            None => Waited::Done,
        }
    }

    /// The park loop of [`wait`](Done::wait), once listed: until the flag is up, the
    /// deadline passes, or (`interruptible`) the thread has a signal to see to.
    fn park(&self, deadline: Option<Instant>, interruptible: bool) -> Waited {
        loop {
            if self.is_set() {
                return Waited::Done;
            }
            if interruptible && gil_core::signal::poll() {
                return Waited::Signalled;
            }
            if !thread::park_until(deadline) {
                return Waited::TimedOut;
            }
        }
    }
}

impl fmt::Debug for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("set", &self.is_set())
            .finish_non_exhaustive()
    }
}
