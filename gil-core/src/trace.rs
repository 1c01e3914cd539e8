//! An opt-in event trace of the fair policy's slow paths (cargo feature `trace`), to see where
//! a contended hand-off's time goes: which waits are the protocol's and which the scheduler's.
//!
//! Without the feature [`record`] is an empty inline function and [`take`] returns nothing, so
//! the trace costs nothing in a normal build. With it, each event is a timestamp pushed onto
//! a per-thread buffer (an uncontended lock, ~40 ns): enough to time hand-offs of microseconds,
//! never to leave on.
//!
//! `gil-bench`'s `trace_convoy` example runs the convoy next to busy processes and prints the
//! time between the events of each step.

/// A point in the fair policy's slow paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A thread back from `allow_threads` asks the holder to lend it the GIL (requester).
    LendRequest,
    /// The lend request was answered: the requester holds the GIL (requester).
    LendServed,
    /// The lend request went unanswered and was withdrawn; the queue path follows (requester).
    LendWithdrawn,
    /// The requester borrowed the GIL again while it was reserved for a lender that had not
    /// resumed yet (requester).
    Reborrowed,
    /// The holder lent the GIL at its `check()` (lender).
    Lent,
    /// The lender stopped spinning and parked until the GIL comes back (lender).
    LenderPark,
    /// The lender runs with the GIL again (lender).
    LenderRuns,
    /// The borrower gave the GIL back to its lender (borrower).
    Returned,
    /// A thread queued in the fair queue (waiter).
    Queued,
    /// A queued thread parked (waiter).
    Park,
    /// A queued thread was granted the GIL and runs (waiter).
    Granted,
    /// A releasing holder handed the GIL to the head of the queue (releaser).
    HandOff,
    /// The drop request was set: by a time-keeper, or by an urgent request.
    DropRequest,
}

/// One traced event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// A small number per traced thread, in order of first event.
    pub thread: u32,
    /// What happened.
    pub event: Event,
    /// Nanoseconds since the first event of the process.
    pub nanos: u64,
}

#[cfg(all(feature = "trace", not(loom)))]
mod on {
    use std::cell::OnceCell;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    use std::time::Instant;

    use super::{Event, Record};
    use crate::loom::sync::{Arc, Mutex};

    type Buffer = Arc<Mutex<Vec<Record>>>;

    static BASE: OnceLock<Instant> = OnceLock::new();
    static BUFFERS: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

    thread_local! {
        static MINE: OnceCell<(u32, Buffer)> = const { OnceCell::new() };
    }

    pub(super) fn record(event: Event) {
        let nanos =
            u64::try_from(BASE.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX);
        let _ = MINE.try_with(|mine| {
            let (thread, buf) = mine.get_or_init(|| {
                static THREADS: AtomicU32 = AtomicU32::new(0);
                let buf: Buffer = Arc::new(Mutex::new(Vec::new()));
                BUFFERS.lock().push(Arc::clone(&buf));
                (THREADS.fetch_add(1, Relaxed).saturating_add(1), buf)
            });
            buf.lock().push(Record {
                thread: *thread,
                event,
                nanos,
            });
        });
    }

    /// Drains every buffer, and forgets those of threads that have exited (their own
    /// reference died with their thread-local), so the list stays bounded by live threads.
    pub(super) fn take() -> Vec<Record> {
        let mut all = BUFFERS.lock();
        let mut out: Vec<Record> = all
            .iter()
            .flat_map(|b| std::mem::take(&mut *b.lock()))
            .collect();
        all.retain(|b| Arc::strong_count(b) > 1);
        drop(all);
        out.sort_by_key(|r| r.nanos);
        out
    }
}

/// Records `event` for the calling thread (a no-op without the `trace` feature).
#[inline]
pub fn record(event: Event) {
    #[cfg(all(feature = "trace", not(loom)))]
    on::record(event);
    #[cfg(not(all(feature = "trace", not(loom))))]
    let _ = event;
}

/// Takes every event recorded so far by every thread, in time order (always empty without the
/// `trace` feature).
///
/// # Examples
///
/// ```
/// let events = gil_core::trace::take();
/// assert!(cfg!(feature = "trace") || events.is_empty());
/// ```
pub fn take() -> Vec<Record> {
    #[cfg(all(feature = "trace", not(loom)))]
    return on::take();
    #[cfg(not(all(feature = "trace", not(loom))))]
    Vec::new()
}

/// Whether this build records events (the `trace` feature is on).
pub const ENABLED: bool = cfg!(all(feature = "trace", not(loom)));
