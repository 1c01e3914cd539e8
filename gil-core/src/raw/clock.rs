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
//! runs out; once the deadline (published in `Shared::deadline_ns`) has passed, it does what
//! the head would have done (`FairQueue::turn_over`, under the queue's lock) and yields.
//!
//! loom has no clock, so under `--cfg loom` no deadline is ever published: the fired path is
//! the one `Gil::request_drop` drives in the models.

use super::shared::Shared;
use crate::loom::time::{Instant, now};
use crate::stats::nanos;

/// `check()` calls between two clock reads while waiters are queued: at ~5–40 ns a call,
/// the clock (~25 ns) is read every 1–10 µs, well within a switch interval, and costs the
/// holder under 2 %.
pub(crate) const CHECKS_PER_CLOCK_READ: u32 = 256;

/// `deadline_ns` when no deadline is published.
const NO_DEADLINE: u64 = u64::MAX;

impl Shared {
    /// Publishes the holder's turn deadline for its own time-keeping (`None`: no turn is
    /// timed, nobody is queued), and `TIMED_BIT` with it. With the fair queue locked,
    /// wherever its deadline or its emptiness changes.
    pub(super) fn publish_deadline(&self, deadline: Option<Instant>) {
        if cfg!(loom) {
            return;
        }
        let deadline = deadline.map_or(NO_DEADLINE, |d| {
            nanos(d.saturating_duration_since(self.epoch)).min(NO_DEADLINE - 1)
        });
        self.deadline_ns.set(deadline);
        self.set_timed(deadline != NO_DEADLINE);
    }

    /// The holder's clock read: whether the published deadline has passed. Decides nothing
    /// by itself: the fair queue's own deadline is re-checked under its lock.
    pub(super) fn deadline_passed(&self) -> bool {
        let deadline = self.deadline_ns.get();
        deadline != NO_DEADLINE && nanos(now().saturating_duration_since(self.epoch)) >= deadline
    }
}
