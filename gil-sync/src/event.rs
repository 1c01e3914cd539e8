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

use gil_core::Interrupt;

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
/// - [`wait`](Event::wait) and its timed forms are not interruptible (they return `bool`);
///   [`wait_interruptible`](Event::wait_interruptible) is, on any thread.
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

    /// Blocks until the flag is raised; returns `true` (Python: `wait()`). Not interruptible:
    /// an interrupt that comes meanwhile stays pending for the thread's next
    /// [`check()`](gil_core::GilGuard::check) or interruptible wait (see
    /// [`wait_interruptible`](Event::wait_interruptible)).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// e.set();
    /// assert!(e.wait());
    /// ```
    pub fn wait(&self) -> bool {
        uninterrupted(self.wait_until(None, false))
    }

    /// Blocks until the flag is raised or `timeout` passes; returns whether it was raised
    /// (Python: `wait(timeout)`). [`Duration::ZERO`] returns the flag at once. Not
    /// interruptible, as [`wait`](Event::wait).
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
        uninterrupted(self.wait_until(deadline_after(timeout), false))
    }

    /// Blocks until the flag is raised or `deadline` passes; returns whether it was raised.
    /// Not interruptible, as [`wait`](Event::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = gil_sync::Event::new();
    /// assert!(!e.wait_deadline(std::time::Instant::now()));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        uninterrupted(self.wait_until(Some(deadline), false))
    }

    /// Blocks until the flag is raised, `timeout` passes (`None`: never), or the calling
    /// thread is interrupted; returns whether the flag was raised (Python: `wait(timeout)`,
    /// which a `KeyboardInterrupt` stops).
    ///
    /// Blocks with the calling thread's GIL released. Pending calls
    /// ([`gil_core::Gil::add_pending_call`]) that arrive meanwhile run here, GIL held, on the
    /// GIL's main thread, and the wait goes on. A raised flag is returned at once, even with
    /// an interrupt pending; a waiter that `set` woke as the interrupt came returns `true`
    /// and leaves the interrupt pending.
    ///
    /// # Errors
    ///
    /// The [`Interrupt`], taken (the thread's next `check()` does not see it again):
    /// [`Interrupt::Requested`] from a [`gil_core::Interrupter`], or a pending call's failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, Interrupt};
    /// let gil = Gil::new();
    /// let event = gil_sync::Event::new();
    /// let interrupter = gil.interrupter(); // for this thread
    /// std::thread::scope(|s| {
    ///     s.spawn(|| interrupter.interrupt().unwrap());
    ///     assert_eq!(event.wait_interruptible(None), Err(Interrupt::Requested));
    /// });
    /// event.set();
    /// assert_eq!(event.wait_interruptible(None), Ok(true));
    /// ```
    ///
    /// # Differences from Python's `threading.Event`
    ///
    /// CPython's `wait` is stopped by signals on the main thread only; this one by an
    /// interrupt of any thread.
    pub fn wait_interruptible(&self, timeout: Option<Duration>) -> Result<bool, Interrupt> {
        self.wait_until(timeout.and_then(deadline_after), true)
    }

    /// Blocks until the flag is raised, `deadline` passes, or (if `interruptible`) the thread
    /// is interrupted; whether the flag was raised.
    pub(crate) fn wait_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<bool, Interrupt> {
        loop {
            if self.is_set() {
                return Ok(true);
            }
            if expired(deadline) {
                return Ok(false);
            }
            // Queue only while the flag is down: one raised meanwhile is seen above.
            match self.state.park(
                |state| !is_set(state),
                || Waiter::new(0, Instant::now(), 0),
                deadline,
                interruptible,
            ) {
                ParkResult::Invalid => {}
                ParkResult::Woken(Woken::Notified | Woken::HandedOff) => return Ok(true),
                ParkResult::Woken(Woken::TimedOut) => return Ok(false),
                ParkResult::Woken(Woken::Interrupted(kind)) => return Err(kind),
            }
        }
    }
}

/// The flag of an uninterruptible wait (which an interrupt cannot end).
fn uninterrupted(waited: Result<bool, Interrupt>) -> bool {
    match waited {
        Ok(set) => set,
        Err(kind) => unreachable!("an uninterruptible wait was interrupted ({kind})"),
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
