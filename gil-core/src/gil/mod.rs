//! `Gil`, its builder, `Policy` and `Mode`: the safe layer over `RawGil`.
//!
//! # Files
//!
//! - `mod.rs`: the handle and its builder.
//! - `guard.rs`: `GilGuard` (`check`, `allow_threads`) and the free `allow_threads`.
//! - `arc_guard.rs`: `ArcGilGuard`, the same guard owning a handle (`Gil::acquire_arc`).
//! - `proof.rs`: the sealed `Guard` trait the cells accept.
//! - `hold.rs`: an enabled GIL's holds (acquire, release, the hand-overs), with the hold's
//!   bookkeeping in the GIL itself (`raw/holder.rs`).
//! - `free_threaded.rs`: a free-threaded GIL's per-thread nesting.
//! - `held.rs`: per-thread state: identity, `allow_threads` nesting, and one record per GIL
//!   (statistics, I/O credit).

use std::time::Duration;

use crate::error::SwitchIntervalError;
use crate::loom::sync::Arc;
use crate::policy::{Mode, Policy};
use crate::raw::RawGil;
use crate::stats::GilStats;

pub(crate) mod arc_guard;
mod free_threaded;
pub(crate) mod guard;
pub(crate) use self::guard::current_gil;
pub(crate) mod held;
mod hold;
pub(crate) mod proof;
mod switch;

/// The default switch interval, as CPython's `sys.getswitchinterval()`: 5 ms.
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// A Global Interpreter Lock.
///
/// At most one thread holds an enabled GIL at a time. The holder calls
/// [`GilGuard::check`] at safe points (an interpreter's instruction boundaries); when another
/// thread has waited for the holder's switch interval, `check` hands the GIL over and waits
/// for its turn again. Around blocking work the holder calls [`GilGuard::allow_threads`] so
/// that others run meanwhile.
///
/// `Gil` is a cheap handle: clones share one lock, and it can be sent to and shared between
/// threads. The guard it hands out is `!Send`: the thread that acquired the GIL releases it.
///
/// # Examples
///
/// ```
/// use gil_core::Gil;
///
/// let gil = Gil::new();
/// let worker = {
///     let gil = gil.clone();
///     std::thread::spawn(move || {
///         let mut guard = gil.acquire();
///         let mut n = 0u64;
///         for _ in 0..1_000 {
///             n += 1;
///             guard.check().unwrap(); // lets waiters in once the switch interval is over
///         }
///         n
///     })
/// };
/// let mut guard = gil.acquire();
/// // Release the GIL while blocking, so the worker can run.
/// let n = guard.allow_threads(|| worker.join().unwrap());
/// assert_eq!(n, 1_000);
/// ```
///
/// # Fairness
///
/// See the crate docs for the algorithm and its bounds. With [`Policy::Fair`], K threads that
/// only call `check` get the GIL in strict FIFO order, each waiting at most (K−1) switch
/// intervals plus the hand-off latency; a thread coming back from `allow_threads` does not
/// wait behind a CPU-bound holder for an interval.
///
/// # Memory ordering
///
/// Everything a thread wrote while holding the GIL happens-before everything the next holder
/// does after acquiring it, as for a mutex.
///
/// # Differences from CPython
///
/// - The GIL is a value, not a process-wide singleton: several can coexist (like CPython 3.12's
///   per-interpreter GIL), and two policies can be compared in one process.
/// - Acquiring a GIL the thread already holds returns a nested guard (like
///   `PyGILState_Ensure`) instead of deadlocking.
///
/// [`GilGuard::check`]: crate::GilGuard::check
/// [`GilGuard::allow_threads`]: crate::GilGuard::allow_threads
#[derive(Debug, Clone)]
pub struct Gil {
    raw: Arc<RawGil>,
}

impl Default for Gil {
    fn default() -> Self {
        Self::new()
    }
}

impl Gil {
    /// A GIL with [`Policy::Fair`], [`Mode::Enabled`] and a 5 ms switch interval.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// assert_eq!(gil.switch_interval(), std::time::Duration::from_millis(5));
    /// ```
    pub fn new() -> Self {
        Self::from_raw(RawGil::new(
            Policy::Fair,
            Mode::Enabled,
            DEFAULT_SWITCH_INTERVAL,
            false,
        ))
    }

    /// The GIL of `raw`, its main thread the calling one (`signal/`).
    fn from_raw(raw: RawGil) -> Self {
        let gil = Self { raw: Arc::new(raw) };
        gil.set_main_thread();
        gil
    }

    /// A builder to choose the policy, the mode and the switch interval.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, Mode, Policy};
    /// use std::time::Duration;
    ///
    /// let gil = Gil::builder()
    ///     .policy(Policy::CPython)
    ///     .mode(Mode::Enabled)
    ///     .switch_interval(Duration::from_millis(1))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(gil.policy(), Policy::CPython);
    /// ```
    pub fn builder() -> GilBuilder {
        GilBuilder::default()
    }

    /// Whether the calling thread holds this GIL (outside any `allow_threads`).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// assert!(gil.is_held_by_current_thread());
    /// guard.allow_threads(|| assert!(!gil.is_held_by_current_thread()));
    /// ```
    pub fn is_held_by_current_thread(&self) -> bool {
        hold::is_held(&self.raw)
            || (self.raw.mode() == Mode::FreeThreaded && free_threaded::is_held(&self.raw))
    }

    /// The switch interval: how long a holder keeps the GIL once another thread waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// assert_eq!(gil.switch_interval().as_millis(), 5);
    /// ```
    pub fn switch_interval(&self) -> Duration {
        self.raw.interval()
    }

    /// Sets the switch interval, like `sys.setswitchinterval`. Takes effect from the next slice.
    /// `Duration::MAX` means "never ask the holder to yield".
    ///
    /// # Errors
    ///
    /// [`SwitchIntervalError::Zero`] for a zero interval (Python raises `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let gil = gil_core::Gil::new();
    /// gil.set_switch_interval(Duration::from_millis(1)).unwrap();
    /// assert!(gil.set_switch_interval(Duration::ZERO).is_err());
    /// assert_eq!(gil.switch_interval(), Duration::from_millis(1));
    /// ```
    pub fn set_switch_interval(&self, interval: Duration) -> Result<(), SwitchIntervalError> {
        if interval.is_zero() {
            return Err(SwitchIntervalError::Zero);
        }
        self.raw.set_interval(interval);
        Ok(())
    }

    /// The policy this GIL was built with.
    pub fn policy(&self) -> Policy {
        self.raw.policy
    }

    /// The mode the GIL is in: the one it was built with, or the last one
    /// [`set_mode`](Self::set_mode) switched it to.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, Mode};
    /// assert_eq!(Gil::new().mode(), Mode::Enabled);
    /// ```
    pub fn mode(&self) -> Mode {
        self.raw.mode()
    }

    /// Switches the GIL to `mode` at run time, and returns once every thread runs in it
    /// (CPython 3.13t re-enables its GIL when an extension that needs it is imported).
    ///
    /// To enable a free-threaded GIL, every thread that holds it must stop: each does at its
    /// next [`GilGuard::check`](crate::GilGuard::check) (which then returns `true`) or when it releases it
    /// (`allow_threads`, dropping its guards); after the switch they queue for the GIL with
    /// the calling thread. To make an enabled GIL free-threaded, the calling thread takes the
    /// GIL once and the threads queued for it go on free-threaded. Guards, nesting and
    /// `allow_threads` frames carry over unchanged in both directions, and so does
    /// [`GilCell`](crate::GilCell)'s protection (its borrows are per-cell locks
    /// free-threaded, the GIL enabled). The calling thread may hold guards of this GIL (at any
    /// depth): it gives its hold up for the switch and takes it back after. Switching to the
    /// mode the GIL is in does nothing.
    ///
    /// # Panics
    ///
    /// If the calling thread holds a [`GilCell`](crate::GilCell) borrow (the switch waits for
    /// other threads; see [`assert_may_block`](crate::assert_may_block)).
    ///
    /// Waits as long as a thread that holds the free-threaded GIL runs without calling
    /// `check()` or releasing it, or holds a `GilCell` borrow (it stops at a later
    /// `check()`), as CPython's stop-the-world waits for every thread to reach its eval
    /// breaker. A guard leaked with `mem::forget` holds the GIL until its thread exits.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, Mode};
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    ///
    /// let gil = Gil::builder().mode(Mode::FreeThreaded).build().unwrap();
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let worker = {
    ///     let (gil, stop) = (gil.clone(), stop.clone());
    ///     std::thread::spawn(move || {
    ///         let mut guard = gil.acquire();
    ///         while !stop.load(Relaxed) {
    ///             guard.check().unwrap(); // stops here for the switch, then queues for the GIL
    ///         }
    ///         gil.mode()
    ///     })
    /// };
    /// gil.set_mode(Mode::Enabled);
    /// assert_eq!(gil.mode(), Mode::Enabled);
    /// stop.store(true, Relaxed);
    /// assert_eq!(worker.join().unwrap(), Mode::Enabled);
    /// gil.set_mode(Mode::FreeThreaded); // and back
    /// assert_eq!(gil.mode(), Mode::FreeThreaded);
    /// ```
    pub fn set_mode(&self, mode: Mode) {
        switch::set_mode(&self.raw, mode);
    }

    /// Asks the holder to give the GIL to a waiter at its next [`GilGuard::check`], as if its
    /// switch interval had just expired. Does nothing when nobody waits or in
    /// [`Mode::FreeThreaded`].
    ///
    /// This is the exact code a waiter runs when its timed wait expires; besides letting an
    /// embedder force a switch (on a signal, say), it is how the loom models drive "the
    /// interval expired" without a clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// gil.request_drop(); // nobody waits: nothing to do
    /// assert_eq!(guard.check(), Ok(gil_core::Turn::Kept));
    /// ```
    ///
    /// [`GilGuard::check`]: crate::GilGuard::check
    pub fn request_drop(&self) {
        if self.raw.mode() == Mode::Enabled {
            self.raw.request_drop();
        }
    }

    /// How many threads are queued for the GIL right now (a snapshot: it may change as soon
    /// as it is returned). Always 0 in [`Mode::FreeThreaded`]. With [`Policy::Fair`], a thread
    /// on the lend path (back from `allow_threads`, answered within microseconds) and a holder
    /// waiting for its lent GIL are not queued, so they are not counted.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let _guard = gil.acquire();
    /// assert_eq!(gil.waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        match self.raw.mode() {
            Mode::FreeThreaded => 0,
            Mode::Enabled => self.raw.waiters(),
        }
    }

    /// A snapshot of the statistics (switches, drop requests, per-thread hold and wait time).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// drop(gil.acquire());
    /// assert_eq!(gil.stats().switches, 0);
    /// ```
    pub fn stats(&self) -> GilStats {
        self.raw.stats()
    }

    /// Whether two handles are the same GIL.
    pub fn ptr_eq(&self, other: &Gil) -> bool {
        Arc::ptr_eq(&self.raw, &other.raw)
    }

    /// The lock itself, for the cells (`crate::cell`).
    #[inline]
    pub(crate) fn raw(&self) -> &Arc<RawGil> {
        &self.raw
    }
}

/// Builds a [`Gil`] with a chosen policy, mode and switch interval.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, Mode};
/// let gil = Gil::builder().mode(Mode::FreeThreaded).build().unwrap();
/// let a = gil.acquire();
/// let other = gil.clone();
/// // Free-threaded: another thread acquires at the same time.
/// std::thread::spawn(move || drop(other.acquire())).join().unwrap();
/// drop(a);
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GilBuilder {
    policy: Policy,
    mode: Mode,
    interval: Duration,
    time_holds: bool,
}

impl Default for GilBuilder {
    fn default() -> Self {
        Self {
            policy: Policy::Fair,
            mode: Mode::Enabled,
            interval: DEFAULT_SWITCH_INTERVAL,
            time_holds: false,
        }
    }
}

impl GilBuilder {
    /// The policy (default [`Policy::Fair`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The mode (default [`Mode::Enabled`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The switch interval (default 5 ms); `Duration::MAX` means never ask the holder to yield.
    pub fn switch_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Whether to time every hold (default `false`).
    ///
    /// By default the clock is read only when an acquisition has to wait: an uncontended
    /// acquire and release then cost two atomic operations and no clock read (a clock read is
    /// ~20–35 ns, more than the rest of the pair). The price: [`ThreadStats::hold`] counts
    /// only holds that began by waiting, and a hold that began uncontended is charged to the
    /// thread's I/O credit only from the moment others queued for it. With
    /// `time_holds(true)` every hold is timed and charged, at the cost of two clock reads and
    /// a thread-local lookup per acquire/release pair.
    ///
    /// [`ThreadStats::hold`]: crate::ThreadStats::hold
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::builder().time_holds(true).build().unwrap();
    /// let g = gil.acquire();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// drop(g);
    /// assert!(gil.stats().threads[0].hold >= std::time::Duration::from_millis(2));
    /// ```
    pub fn time_holds(mut self, on: bool) -> Self {
        self.time_holds = on;
        self
    }

    /// Builds the GIL.
    ///
    /// # Errors
    ///
    /// [`SwitchIntervalError::Zero`] if the switch interval is zero.
    pub fn build(self) -> Result<Gil, SwitchIntervalError> {
        if self.interval.is_zero() {
            return Err(SwitchIntervalError::Zero);
        }
        Ok(Gil::from_raw(RawGil::new(
            self.policy,
            self.mode,
            self.interval,
            self.time_holds,
        )))
    }
}
