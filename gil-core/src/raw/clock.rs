//! The holder's own time-keeping: `check()` ends a turn that is over even when the queue's
//! time-keeper has not woken up yet.
//!
//! # Implementation details
//!
//! The head of the queue parks until the holder's deadline and then sets the drop request.
//! On a VM its timed park often wakes late: traced at K = 16 and a 1 ms interval, turns lasted
//! 1.1 ms at the median but 3.7 ms at p90, idle (the wake-up of a halted vCPU), and 4 ms at
//! the median next to busy processes (the scheduler). The holder is the one thread certain to
//! be running, so while waiters are queued it also keeps time: `TIMED_BIT` on the breaker
//! makes `check()` count down from [`CHECKS_PER_CLOCK_READ`] and read the clock when the count
//! runs out; once the deadline (published in `deadline_ns`) has passed, it does what the
//! head would have done (`keep_time_locked`'s "fired" path) and yields.
//!
//! loom has no clock, so under `--cfg loom` no deadline is ever published: the fired path is
//! the one `Gil::request_drop` drives in the models.

use super::{DROP_REQUEST_BIT, FairQueue, RawGil, TIMED_BIT};
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::time::{Instant, now};
use crate::stats::nanos;

/// `check()` calls between two clock reads while waiters are queued: at ~5–40 ns a call,
/// the clock (~25 ns) is read every 1–10 µs, well within a switch interval, and costs the
/// holder under 2 %.
pub(crate) const CHECKS_PER_CLOCK_READ: u32 = 256;

/// `deadline_ns` when no deadline is published.
const NO_DEADLINE: u64 = u64::MAX;

impl RawGil {
    /// Publishes the holder's turn deadline for its own time-keeping (`None`: no turn is
    /// timed, nobody is queued). With `fair` locked, wherever `FairQueue::deadline` changes.
    pub(super) fn publish_deadline_locked(&self, q: &FairQueue) {
        if cfg!(loom) {
            return;
        }
        let deadline = q
            .deadline
            .filter(|_| !q.waiters.is_empty())
            .map_or(NO_DEADLINE, |d| {
                nanos(d.saturating_duration_since(self.epoch)).min(NO_DEADLINE - 1)
            });
        self.deadline_ns.set(deadline);
        // Relaxed: TIMED only makes `check()` look at the clock; the deadline it compares
        // with is re-checked under `fair` before anything is done.
        let timed = self.breaker.load(Relaxed) & TIMED_BIT != 0;
        if deadline == NO_DEADLINE && timed {
            self.breaker.fetch_and(!TIMED_BIT, Relaxed);
        } else if deadline != NO_DEADLINE && !timed {
            self.breaker.fetch_or(TIMED_BIT, Relaxed);
        }
    }

    /// The holder's clock read, from `check()` once its countdown runs out while `TIMED_BIT`
    /// is set: if its turn is over, sets the drop request exactly as the head's time-keeper
    /// does when its timed park fires. Returns whether `check()` must take its slow path.
    #[cold]
    #[inline(never)]
    pub(crate) fn holder_turn_over(&self) -> bool {
        let deadline = self.deadline_ns.get();
        if deadline == NO_DEADLINE || nanos(now().saturating_duration_since(self.epoch)) < deadline
        {
            return false;
        }
        let mut q = self.hot.fair.lock();
        let t: Instant = now();
        if !q.waiters.is_empty()
            && q.urgent == 0
            && self.breaker.load(Relaxed) & DROP_REQUEST_BIT == 0
            && q.deadline.is_some_and(|d| t >= d)
        {
            self.set_drop_request();
            q.promote_head();
        }
        // Relaxed: a hint, see `drop_requested`.
        self.breaker.load(Relaxed) & !TIMED_BIT != 0
    }
}
