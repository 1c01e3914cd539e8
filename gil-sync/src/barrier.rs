//! [`Barrier`]: Python's `threading.Barrier`. The cycle state machine is `RawBarrier`.

use std::error::Error;
use std::fmt;
use std::time::{Duration, Instant};

use crate::error::{BarrierError, ValueError};
use crate::raw_barrier::{Action, RawBarrier};
use crate::timeout::deadline_after;

/// A rendezvous for a fixed number of threads, reusable cycle after cycle: Python's
/// `threading.Barrier`.
///
/// Each of `parties` threads calls [`wait`](Barrier::wait); all block until the last one
/// arrives, which runs the optional action and then releases them together. Each gets its
/// arrival index (`0..parties`) in the [`BarrierWaitResult`]. The barrier then refills for
/// the next cycle. It can be *broken* — by [`abort`](Barrier::abort), a waiter's timeout, a
/// [`reset`](Barrier::reset) while threads wait, or a failing action — after which every wait
/// fails with [`BarrierError::Broken`] until `reset`. Blocked threads release their GIL.
///
/// # Examples
///
/// ```
/// use gil_sync::Barrier;
///
/// let barrier = Barrier::new(3).unwrap();
/// let indices: Vec<usize> = std::thread::scope(|s| {
///     let handles: Vec<_> = (0..3)
///         .map(|_| s.spawn(|| barrier.wait().unwrap().index()))
///         .collect();
///     handles.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// assert_eq!(indices.iter().sum::<usize>(), 0 + 1 + 2);
/// ```
///
/// # Memory ordering
///
/// Everything each party did before its `wait` (and everything the action did) happens-before
/// everything every party does after its `wait` returns `Ok`.
///
/// # Differences from Python's `threading.Barrier`
///
/// - Timeouts are [`Duration`]s; [`Duration::MAX`] means forever (see
///   [`timeout::wait_timeout`](crate::timeout::wait_timeout) for Python's float rules).
/// - The action returns a `Result`: an `Err` breaks the barrier and comes back to the thread
///   that ran it as [`BarrierError::ActionFailed`] (Python re-raises the exception); a panic
///   breaks the barrier and resumes in that thread.
/// - The action runs without the barrier's internal lock, so it may call
///   [`abort`](Barrier::abort), [`reset`](Barrier::reset), [`n_waiting`](Barrier::n_waiting)
///   or [`broken`](Barrier::broken) (in CPython these deadlock). An `abort` while the action
///   runs breaks the cycle for everyone, including the thread running the action (it gets
///   `Broken` once the action returns); a `reset` then is ignored, as CPython's `reset` while
///   draining. Calling [`wait`](Barrier::wait) from the action deadlocks, as in CPython.
/// - As in CPython, a thread arriving while the previous cycle drains (or resets, or runs its
///   action) waits for that to finish without a timeout, and a waiter whose timeout expires
///   while the action runs waits for the action's outcome.
/// - Waits are interruptible on any thread ([`gil_core::Interrupter`], or a failed pending
///   call), where CPython's stop only for the main thread's signals. The outcome is
///   CPython's for a `KeyboardInterrupt` out of `wait`: the interrupted waiter returns
///   [`BarrierError::Interrupted`] and leaves the cycle (counted out, as CPython's `finally`
///   does); the barrier is not broken, and the cycle is one party short until another
///   thread arrives (unlike Java's `CyclicBarrier`, which breaks). A waiter released by the
///   last arrival before its interrupt could cancel its wait passes normally and leaves the
///   interrupt pending.
pub struct Barrier {
    raw: RawBarrier,
    /// The default timeout of [`Barrier::wait`] ([`Duration::MAX`]: forever).
    timeout: Duration,
}

/// What a successful [`Barrier::wait`] returns: the caller's arrival index in its cycle.
///
/// # Examples
///
/// ```
/// let r = gil_sync::Barrier::new(1).unwrap().wait().unwrap();
/// assert_eq!(r.index(), 0);
/// assert!(r.is_last());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BarrierWaitResult {
    index: usize,
    parties: usize,
}

impl BarrierWaitResult {
    /// The arrival index, `0..parties` (Python: `wait()`'s return value).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::Barrier::new(1).unwrap().wait().unwrap().index(), 0);
    /// ```
    pub fn index(self) -> usize {
        self.index
    }

    /// Whether the caller arrived last (index `parties - 1`), so it ran the action and
    /// released the others (std's `BarrierWaitResult::is_leader`, for one fixed thread).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gil_sync::Barrier::new(1).unwrap().wait().unwrap().is_last());
    /// ```
    pub fn is_last(self) -> bool {
        self.index + 1 == self.parties
    }
}

impl Barrier {
    /// A barrier for `parties` threads, without action or default timeout (Python:
    /// `Barrier(parties)`).
    ///
    /// # Errors
    ///
    /// [`ValueError::ZeroParties`] if `parties` is 0 ("parties must be > 0").
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_sync::{Barrier, ValueError};
    /// assert_eq!(Barrier::new(2).unwrap().parties(), 2);
    /// assert_eq!(Barrier::new(0).unwrap_err(), ValueError::ZeroParties);
    /// ```
    pub fn new(parties: usize) -> Result<Self, ValueError> {
        Self::build(parties, None)
    }

    /// A barrier for `parties` threads whose last arriver runs `action` each cycle, before
    /// anyone is released (Python: `Barrier(parties, action)`).
    ///
    /// The action runs in the last arriving thread (with its GIL, if it holds one). If it
    /// returns `Err`, the barrier breaks: that thread gets
    /// [`BarrierError::ActionFailed`], the others [`BarrierError::Broken`].
    ///
    /// # Errors
    ///
    /// [`ValueError::ZeroParties`] if `parties` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    /// use std::sync::Arc;
    /// use gil_sync::Barrier;
    ///
    /// let runs = Arc::new(AtomicUsize::new(0));
    /// let r = runs.clone();
    /// let barrier = Barrier::with_action(2, move || {
    ///     r.fetch_add(1, Relaxed);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| barrier.wait().unwrap());
    ///     barrier.wait().unwrap();
    /// });
    /// assert_eq!(runs.load(Relaxed), 1);
    /// ```
    pub fn with_action<F>(parties: usize, action: F) -> Result<Self, ValueError>
    where
        F: Fn() -> Result<(), Box<dyn Error + Send + Sync>> + Send + Sync + 'static,
    {
        Self::build(parties, Some(Box::new(action)))
    }

    fn build(parties: usize, action: Option<Action>) -> Result<Self, ValueError> {
        if parties == 0 {
            return Err(ValueError::ZeroParties);
        }
        Ok(Self {
            raw: RawBarrier::new(parties, action),
            timeout: Duration::MAX,
        })
    }

    /// Sets the default timeout [`wait`](Barrier::wait) uses (Python: `Barrier(...,
    /// timeout=t)`); [`Duration::MAX`], the default, means forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let barrier = gil_sync::Barrier::new(2).unwrap().with_timeout(Duration::ZERO);
    /// assert!(barrier.wait().unwrap_err().is_broken());
    /// assert!(barrier.broken());
    /// ```
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The number of threads a cycle needs (Python: `parties`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::Barrier::new(4).unwrap().parties(), 4);
    /// ```
    pub fn parties(&self) -> usize {
        self.raw.parties()
    }

    /// The number of threads waiting for the current cycle to fill; 0 unless it is filling
    /// (Python: `n_waiting`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_sync::Barrier::new(2).unwrap().n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.raw.n_waiting()
    }

    /// Whether the barrier is broken (Python: `broken`).
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = gil_sync::Barrier::new(2).unwrap();
    /// barrier.abort();
    /// assert!(barrier.broken());
    /// ```
    pub fn broken(&self) -> bool {
        self.raw.broken()
    }

    /// Waits for all parties, with the default timeout (forever unless set by
    /// [`with_timeout`](Barrier::with_timeout)) (Python: `wait()`).
    ///
    /// Blocks, with the calling thread's GIL released, until the cycle fills (unless the
    /// caller is the last party, which runs the action and returns at once), the barrier
    /// breaks, the timeout passes, or the thread is interrupted. A thread arriving while the
    /// previous cycle still drains first waits for that. Pending calls
    /// ([`gil_core::Gil::add_pending_call`]) that arrive meanwhile run during the wait, GIL
    /// held, on the GIL's main thread, and the wait goes on.
    ///
    /// # Errors
    ///
    /// - [`BarrierError::Broken`] if the barrier is or becomes broken, is reset while the
    ///   caller waits, or the timeout passes (which breaks it for everyone).
    /// - [`BarrierError::ActionFailed`] if the caller ran the action and it returned `Err`
    ///   (the barrier is then broken).
    /// - [`BarrierError::Interrupted`] if the thread was interrupted while it waited (the
    ///   interrupt is taken); the caller has left the cycle, which is not broken: it waits
    ///   for one more arrival. An interrupt that comes as the last party releases the caller
    ///   stays pending and the wait returns `Ok`.
    ///
    /// # Panics
    ///
    /// Resumes the action's panic in the thread that ran it, after breaking the barrier.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = gil_sync::Barrier::new(2).unwrap();
    /// std::thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait().unwrap().index());
    ///     let mine = barrier.wait().unwrap().index();
    ///     assert_eq!(mine + other.join().unwrap(), 1);
    /// });
    /// ```
    ///
    /// An interrupted waiter leaves the cycle, as in Python; the barrier is not broken:
    ///
    /// ```
    /// use gil_core::{Gil, Interrupt};
    /// use gil_sync::{Barrier, BarrierError};
    ///
    /// let gil = Gil::new();
    /// let barrier = Barrier::new(2).unwrap();
    /// let interrupter = gil.interrupter(); // for this thread
    /// std::thread::scope(|s| {
    ///     s.spawn(|| interrupter.interrupt().unwrap());
    ///     let err = barrier.wait().unwrap_err();
    ///     assert!(matches!(err, BarrierError::Interrupted(Interrupt::Requested)));
    /// });
    /// assert!(!barrier.broken());
    /// assert_eq!(barrier.n_waiting(), 0);
    /// ```
    pub fn wait(&self) -> Result<BarrierWaitResult, BarrierError> {
        self.wait_until(deadline_after(self.timeout))
    }

    /// Waits for all parties for at most `timeout` (Python: `wait(timeout)`).
    /// [`Duration::ZERO`] breaks the barrier at once unless the caller is the last party.
    ///
    /// # Errors
    ///
    /// As [`wait`](Barrier::wait).
    ///
    /// # Panics
    ///
    /// As [`wait`](Barrier::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use gil_sync::Barrier;
    ///
    /// // The last arriver never waits.
    /// assert_eq!(Barrier::new(1).unwrap().wait_timeout(Duration::ZERO).unwrap().index(), 0);
    /// // Anyone else times out and breaks the barrier.
    /// let barrier = Barrier::new(2).unwrap();
    /// assert!(barrier.wait_timeout(Duration::from_millis(1)).unwrap_err().is_broken());
    /// assert!(barrier.broken());
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<BarrierWaitResult, BarrierError> {
        self.wait_until(deadline_after(timeout))
    }

    /// Waits for all parties until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`wait`](Barrier::wait).
    ///
    /// # Panics
    ///
    /// As [`wait`](Barrier::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = gil_sync::Barrier::new(2).unwrap();
    /// assert!(barrier.wait_deadline(std::time::Instant::now()).is_err());
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<BarrierWaitResult, BarrierError> {
        self.wait_until(Some(deadline))
    }

    /// Breaks the barrier: every thread waiting now and every later `wait` fails with
    /// [`BarrierError::Broken`] until [`reset`](Barrier::reset) (Python: `abort()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = gil_sync::Barrier::new(2).unwrap();
    /// std::thread::scope(|s| {
    ///     let t = s.spawn(|| barrier.wait());
    ///     while barrier.n_waiting() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     barrier.abort();
    ///     assert!(t.join().unwrap().unwrap_err().is_broken());
    /// });
    /// assert!(barrier.wait().unwrap_err().is_broken());
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// Returns the barrier to its initial, filling state (Python: `reset()`).
    ///
    /// Threads waiting in the current cycle fail with [`BarrierError::Broken`]; the barrier
    /// refills once they have left (arrivals wait for that). A broken barrier becomes usable
    /// again. While a cycle drains (or its action runs) this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = gil_sync::Barrier::new(1).unwrap();
    /// barrier.abort();
    /// barrier.reset();
    /// assert!(!barrier.broken());
    /// assert_eq!(barrier.wait().unwrap().index(), 0);
    /// ```
    pub fn reset(&self) {
        self.raw.reset();
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<BarrierWaitResult, BarrierError> {
        let index = self.raw.wait_until(deadline)?;
        Ok(BarrierWaitResult {
            index,
            parties: self.raw.parties(),
        })
    }
}

impl fmt::Debug for Barrier {
    /// Python's `repr` without the address: `<threading.Barrier: waiters=2/3>` or
    /// `<threading.Barrier: broken>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.broken() {
            write!(f, "<threading.Barrier: broken>")
        } else {
            write!(
                f,
                "<threading.Barrier: waiters={}/{}>",
                self.n_waiting(),
                self.parties()
            )
        }
    }
}
