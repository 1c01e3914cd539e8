//! [`Event`]: Python's `threading.Event`.
//!
//! # Implementation details
//!
//! One [`ParkingWord`] holds the flag above its `QUEUED_BIT`. `set` raises the flag with one
//! CAS when nobody waits; with waiters queued it raises it *under the queue lock* and wakes the
//! whole queue there, so exactly the waiters that queued while it was down are woken. A waiter
//! parks only while the flag is down (re-checked under the queue lock).

use std::fmt;
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::park::{ParkResult, ParkingWord, is_queued};
use crate::timeout::{deadline_after, expired};
use crate::waiter::{Waiter, Woken};

/// `state` bit: the flag (bit 1, above `QUEUED_BIT`).
const SET_BIT: u64 = 0b10;

#[inline]
fn is_set(state: u64) -> bool {
    state & SET_BIT != 0
}

/// A flag threads can wait for: Python's `threading.Event`.
///
/// [`set`](Event::set) raises the flag and wakes every waiter; [`clear`](Event::clear) lowers
/// it; [`wait`](Event::wait) returns at once while it is raised and otherwise blocks until it
/// is (with the calling thread's GIL released).
///
/// # Examples
///
/// ```
/// use gil_sync::Event;
///
/// let event = Event::new();
/// std::thread::scope(|s| {
///     s.spawn(|| assert!(event.wait()));
///     event.set();
/// });
/// assert!(event.is_set());
/// event.clear();
/// assert!(!event.wait_timeout(std::time::Duration::from_millis(1)));
/// ```
///
/// # Memory ordering
///
/// `set` synchronizes with every `wait`/`is_set` that returns `true` because of it: what the
/// setter did before `set` is visible to them.
///
/// # Differences from Python's `threading.Event`
///
/// - Timeouts are [`Duration`]s; [`Duration::MAX`] waits forever (see
///   [`timeout::wait_timeout`](crate::timeout::wait_timeout) for Python's float rules).
/// - A waiter whose timeout expires at the moment `set` wakes it returns `true` (it was
///   woken); CPython may return `False` in that race.
pub struct Event {
    /// # State table
    ///
    /// Bit layout: `0 (62 bits) | SET_BIT | QUEUED_BIT`.
    ///
    /// | SET | QUEUED | meaning                                        |
    /// |-----|--------|------------------------------------------------|
    /// | 0   | 0      | clear, nobody waits                            |
    /// | 0   | 1      | clear, waiters queued                          |
    /// | 1   | 0      | set (waiters are never queued while set)       |
    /// | 1   | 1      | transient, under the queue lock: `set` raised the flag and is waking the queue |
    ///
    /// `QUEUED_BIT` and its invariant (set iff threads are queued) are the park layer's
    /// (`park.rs`).
    state: ParkingWord,
}

impl Event {
    /// A new event, flag lowered.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!gil_sync::Event::new().is_set());
    /// ```
    pub fn new() -> Self {
        Self {
            state: ParkingWord::new(0),
        }
    }

    /// Whether the flag is raised (Python: `is_set()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        // Acquire: pairs with the Release in `set`/`set_and_wake`.
        is_set(self.state.load(Acquire))
    }

    /// Raises the flag and wakes every waiter (Python: `set()`). Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// e.set();
    /// e.set();
    /// assert!(e.wait());
    /// ```
    pub fn set(&self) {
        let mut state = self.state.load(Relaxed);
        loop {
            if is_queued(state) {
                return self.set_and_wake();
            }
            // 0|0 => 1|0 (1|0 stays). Release: pairs with the Acquire in `is_set` (where `wait`
            // reads the flag too).
            match self
                .state
                .compare_exchange_weak(state, state | SET_BIT, Release, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
    }

    /// `set` with waiters queued: raises the flag *under the queue lock*, so exactly the
    /// waiters that queued while it was down are woken. (Raising it before taking the lock
    /// let a waiter that cleared the flag and queued in between be woken by this older `set`:
    /// loom model `event::clear_then_wait_not_woken_by_earlier_set`.)
    #[cold]
    fn set_and_wake(&self) {
        self.state.unpark_n(usize::MAX, || {
            // x|Q => 1|Q. Release: pairs with the Acquire in `is_set` (where `wait` reads the
            // flag too).
            self.state.fetch_or(SET_BIT, Release);
        });
    }

    /// Lowers the flag (Python: `clear()`). Waiters already woken by an earlier `set` still
    /// return `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        // 1|x => 0|x. Relaxed: lowering the flag publishes nothing.
        self.state.fetch_and(!SET_BIT, Relaxed);
    }

    /// Blocks until the flag is raised; returns `true` (Python: `wait()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// e.set();
    /// assert!(e.wait());
    /// ```
    pub fn wait(&self) -> bool {
        self.wait_until(None)
    }

    /// Blocks until the flag is raised or `timeout` passes; returns whether it was raised
    /// (Python: `wait(timeout)`). [`Duration::ZERO`] returns the flag at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let e = gil_sync::Event::new();
    /// assert!(!e.wait_timeout(Duration::ZERO));
    /// assert!(!e.wait_timeout(Duration::from_millis(5)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until(deadline_after(timeout))
    }

    /// Blocks until the flag is raised or `deadline` passes; returns whether it was raised.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// assert!(!e.wait_deadline(std::time::Instant::now()));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        loop {
            if self.is_set() {
                return true;
            }
            if expired(deadline) {
                return false;
            }
            // Queue only while the flag is down: one raised meanwhile is seen above.
            match self.state.park(
                |state| !is_set(state),
                || Waiter::new(0, Instant::now(), 0),
                deadline,
            ) {
                ParkResult::Invalid => {}
                ParkResult::Woken(Woken::Notified | Woken::HandedOff) => return true,
                ParkResult::Woken(Woken::TimedOut) => return false,
            }
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Event {
    /// Python's `repr` without the address: `<threading.Event: set>` / `...: unset>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_set() { "set" } else { "unset" };
        write!(f, "<threading.Event: {state}>")
    }
}
