//! `Gil`, its builder and its guard: the safe layer over `RawGil`.
//!
//! # Implementation details
//!
//! Each thread keeps a small list (`HELD`) with one `Held` record per GIL it has touched: how
//! deep its guards are nested, when the current hold began, its statistics record and its
//! I/O credit. The list holds a `Weak` to the GIL, so it never keeps a dropped GIL alive, and
//! it is what lets the free function [`allow_threads`] find "the GIL this thread holds".

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::time::Duration;

use crate::error::{SwitchIntervalError, TryAcquireError};
use crate::loom::sync::{Arc, Weak};
use crate::loom::thread_local;
use crate::loom::time::{Instant, now};
use crate::raw::{CHECKS_PER_CLOCK_READ, RawGil, Request, TIMED_BIT};
use crate::stats::{GilStats, ThreadRecord};

/// The default switch interval, as CPython's `sys.getswitchinterval()`: 5 ms.
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// How waiting threads get the GIL. See the crate docs for the guarantees of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Policy {
    /// Strict FIFO hand-off among CPU-bound threads and convoy-free re-acquire after I/O.
    #[default]
    Fair,
    /// A faithful model of CPython 3.11's `ceval_gil.c`: timed wait, drop request, forced
    /// switching, no FIFO. For comparison and for reproducing CPython's behaviour.
    CPython,
}

/// Whether the GIL excludes at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// One thread at a time holds the GIL.
    #[default]
    Enabled,
    /// Like `PYTHON_GIL=0` / CPython 3.13t: `acquire` never excludes; `check` and
    /// `allow_threads` cost next to nothing. Guards still nest and `is_held_by_current_thread`
    /// still answers, so the same program runs both ways.
    FreeThreaded,
}

/// How deep a thread's I/O credit can go into debt, in switch intervals: a thread that held
/// the GIL for this long must spend twice as long in `allow_threads` before its returns from
/// I/O are urgent again.
const MAX_DEBT_INTERVALS: i64 = 10;

/// Nanoseconds of `d` as `i64`, saturating.
fn nanos_i64(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// One thread's record of one GIL.
#[derive(Debug)]
struct Held {
    gil: Weak<RawGil>,
    record: Arc<ThreadRecord>,
    /// Nesting depth of this thread's guards at the current level; the thread holds the GIL
    /// iff it is non-zero.
    depth: u32,
    /// The depths of the levels suspended by active `allow_threads` calls, innermost last.
    /// Guards created inside an `allow_threads` closure start a fresh level.
    suspended: Vec<u32>,
    /// When the current hold began (meaningful while `depth > 0`), if known: the clock is
    /// read only when the acquisition waited (or every hold is timed, `GilBuilder::time_holds`),
    /// so that an uncontended acquire/release pair costs no clock read.
    since: Option<Instant>,
    /// I/O credit in nanoseconds: GIL time this thread may still take through urgent
    /// requests. Negative is debt: a thread that computed for long must first spend twice as
    /// long away before it may make urgent requests again.
    credit: i64,
    /// When `credit` was last brought up to date.
    credit_at: Instant,
}

impl Held {
    fn me(&self) -> usize {
        // The record's address identifies this thread to this GIL (for CPython's
        // `last_holder`); it lives in the GIL's registry as long as the GIL does.
        Arc::as_ptr(&self.record) as usize
    }

    /// Ends the current hold at `t`: statistics, and the hold is charged to the I/O credit,
    /// which refills at half the wall-clock rate up to one switch interval and can fall to a
    /// debt of `MAX_DEBT_INTERVALS` intervals. A hold whose start was not timed (it began
    /// uncontended) is charged from when others queued for it, if they did.
    ///
    /// `contended_since` (from `RawGil::contended_since`) stands in for an untimed start: the
    /// part of the hold during which others queued is charged.
    fn end_hold(&mut self, t: Instant, interval: Duration, contended_since: Option<Instant>) {
        let Some(since) = self.since.take().or(contended_since) else {
            return;
        };
        let hold = t.saturating_duration_since(since);
        self.record.held(hold);
        self.refill(t, interval);
        let floor = -nanos_i64(interval).saturating_mul(MAX_DEBT_INTERVALS);
        self.credit = self.credit.saturating_sub(nanos_i64(hold)).max(floor);
    }

    fn refill(&mut self, t: Instant, interval: Duration) {
        let earned = nanos_i64(t.saturating_duration_since(self.credit_at) / 2);
        self.credit = self.credit.saturating_add(earned).min(nanos_i64(interval));
        self.credit_at = t;
    }

    /// The urgent slice a return from I/O gets, if the thread has credit left.
    fn urgent_slice(&self) -> Option<Duration> {
        u64::try_from(self.credit)
            .ok()
            .filter(|&c| c > 0)
            .map(Duration::from_nanos)
    }

    /// Drops one guard of this thread, created at nesting `level` (the number of suspended
    /// levels when it was created). A guard of the current level (or of a level that has
    /// since been merged into it, see `resume`) counts down the current depth; a guard of a
    /// suspended level (dropped inside an `allow_threads` closure) counts down that level and
    /// releases nothing. Returns whether the GIL must be released.
    fn drop_guard(&mut self, level: usize) -> bool {
        match self.suspended.get_mut(level) {
            Some(depth) => {
                *depth = depth.saturating_sub(1);
                false
            }
            None if self.depth > 0 => {
                self.depth -= 1;
                self.depth == 0
            }
            None => false,
        }
    }

    /// A hold that began after waiting from `start` (`got`: when it got the GIL; `None`: it
    /// did not have to wait after all).
    fn begin_hold(&mut self, start: Instant, got: Option<Instant>) {
        self.since = Some(got.unwrap_or(start));
        self.record
            .acquired(got.map(|g| g.saturating_duration_since(start)));
    }

    /// A hold that began at once, without waiting: no clock read unless holds are timed.
    #[inline]
    fn begin_hold_at_once(&mut self, time_holds: bool) {
        self.since = time_holds.then(now);
        self.record.acquired(None);
    }

    /// Ends the current hold on release, reading the clock only if there is something to
    /// time or charge: a timed start, or waiters that queued during an untimed hold.
    #[inline]
    fn end_hold_if_needed(&mut self, raw: &RawGil) {
        let contended_since = if self.since.is_some() {
            None
        } else {
            raw.contended_since()
        };
        if self.since.is_some() || contended_since.is_some() {
            self.end_hold(now(), raw.interval(), contended_since);
        }
    }
}

// A `const` initializer spares every access the lazy-initialization check; loom's
// `thread_local!` has no const form.
#[cfg(not(loom))]
thread_local! {
    static HELD: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
}
#[cfg(loom)]
thread_local! {
    static HELD: RefCell<Vec<Held>> = RefCell::new(Vec::new());
}

/// Runs `f` on this thread's record of `raw`, creating it on first use.
fn with_held<R>(raw: &Arc<RawGil>, f: impl FnOnce(&mut Held) -> R) -> R {
    HELD.with(|cell| {
        let mut list = cell.borrow_mut();
        let at = match list
            .iter()
            .position(|h| std::ptr::eq(h.gil.as_ptr(), Arc::as_ptr(raw)))
        {
            // Keep the list in order of outermost acquisition, most recent last, so that the
            // free `allow_threads` releases the GIL acquired last.
            Some(at) if list[at].depth == 0 && at + 1 != list.len() => {
                let h = list.remove(at);
                list.push(h);
                list.len() - 1
            }
            Some(at) => at,
            None => {
                // Forget GILs that have been dropped since.
                list.retain(|h| h.gil.strong_count() > 0);
                let name = crate::loom::thread::current().name().map(str::to_owned);
                let t = now();
                list.push(Held {
                    gil: Arc::downgrade(raw),
                    record: raw.register(name),
                    depth: 0,
                    suspended: Vec::new(),
                    since: None,
                    credit: nanos_i64(raw.interval()),
                    credit_at: t,
                });
                list.len() - 1
            }
        };
        f(&mut list[at])
    })
}

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
///         let guard = gil.acquire();
///         let mut n = 0u64;
///         for _ in 0..1_000 {
///             n += 1;
///             guard.check(); // lets waiters in once the switch interval is over
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
        Self {
            raw: Arc::new(RawGil::new(
                Policy::Fair,
                Mode::Enabled,
                DEFAULT_SWITCH_INTERVAL,
                false,
            )),
        }
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

    /// Acquires the GIL, blocking until this thread may run.
    ///
    /// If this thread already holds this GIL, returns a nested guard at once; the GIL is
    /// released when the outermost guard goes (like `PyGILState_Ensure`/`Release`).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let outer = gil.acquire();
    /// let inner = gil.acquire(); // re-entrant: no deadlock
    /// drop(inner);
    /// assert!(gil.is_held_by_current_thread());
    /// drop(outer);
    /// assert!(!gil.is_held_by_current_thread());
    /// ```
    pub fn acquire(&self) -> GilGuard<'_> {
        let level = with_held(&self.raw, |h| {
            if h.depth == 0 {
                match self.raw.mode {
                    // Nothing excludes, so there is nothing to time: count the acquisition.
                    Mode::FreeThreaded => h.record.acquired(None),
                    Mode::Enabled => {
                        let req = Request {
                            urgent: false,
                            slice: self.raw.interval(),
                            me: h.me(),
                        };
                        // The clock is read only if the GIL is not free.
                        if self.raw.try_acquire(req) {
                            h.begin_hold_at_once(self.raw.time_holds);
                        } else {
                            let start = now();
                            let got = self.raw.acquire(req, start);
                            h.begin_hold(start, got);
                        }
                    }
                }
            }
            h.depth += 1;
            h.suspended.len()
        });
        GilGuard::new(self, level)
    }

    /// Acquires the GIL if that needs no waiting.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if another thread holds the GIL (with
    /// [`Policy::Fair`], also while others are queued for it: nobody overtakes them).
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, TryAcquireError};
    ///
    /// let gil = Gil::new();
    /// let guard = gil.try_acquire().unwrap();
    /// let other = gil.clone();
    /// let r = std::thread::spawn(move || other.try_acquire().map(drop)).join().unwrap();
    /// assert_eq!(r, Err(TryAcquireError::WouldBlock));
    /// drop(guard);
    /// ```
    pub fn try_acquire(&self) -> Result<GilGuard<'_>, TryAcquireError> {
        let level = with_held(&self.raw, |h| {
            if h.depth == 0 {
                let ok = match self.raw.mode {
                    Mode::FreeThreaded => true,
                    Mode::Enabled => self.raw.try_acquire(Request {
                        urgent: false,
                        slice: self.raw.interval(),
                        me: h.me(),
                    }),
                };
                if !ok {
                    return Err(TryAcquireError::WouldBlock);
                }
                match self.raw.mode {
                    Mode::FreeThreaded => h.record.acquired(None),
                    Mode::Enabled => h.begin_hold_at_once(self.raw.time_holds),
                }
            }
            h.depth += 1;
            Ok(h.suspended.len())
        })?;
        Ok(GilGuard::new(self, level))
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
        HELD.with(|cell| {
            cell.borrow()
                .iter()
                .any(|h| std::ptr::eq(h.gil.as_ptr(), Arc::as_ptr(&self.raw)) && h.depth > 0)
        })
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

    /// The mode this GIL was built with.
    pub fn mode(&self) -> Mode {
        self.raw.mode
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
    /// let guard = gil.acquire();
    /// gil.request_drop(); // nobody waits: nothing to do
    /// assert!(!guard.check());
    /// ```
    pub fn request_drop(&self) {
        if self.raw.mode == Mode::Enabled {
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
        match self.raw.mode {
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

    /// Suspends this thread's current level for `allow_threads`. Returns the thread's identity
    /// if the GIL was held (and must now be released), `None` if it was not.
    fn suspend(raw: &Arc<RawGil>) -> Option<usize> {
        with_held(raw, |h| {
            if h.depth == 0 {
                return None;
            }
            if raw.mode == Mode::Enabled {
                h.end_hold_if_needed(raw);
            }
            h.suspended.push(h.depth);
            h.depth = 0;
            Some(h.me())
        })
    }

    /// Resumes the level `suspend` saved: takes the GIL back (urgently while the thread has
    /// I/O credit) if that level still has guards.
    fn resume(raw: &Arc<RawGil>) {
        with_held(raw, |h| {
            let outer = h.suspended.pop().unwrap_or(0);
            if h.depth > 0 {
                // Guards created inside the closure escaped it and hold the GIL already.
                h.depth += outer;
                return;
            }
            if outer == 0 {
                // Every guard of that level was dropped inside the closure.
                return;
            }
            if raw.mode == Mode::FreeThreaded {
                // Nothing excludes, so there is nothing to time: count the acquisition only.
                h.record.acquired(None);
                h.depth = outer;
                return;
            }
            let interval = raw.interval();
            let mut req = Request {
                urgent: false,
                slice: interval,
                me: h.me(),
            };
            // A free GIL is taken without reading the clock (the credit refills lazily: it
            // is brought up to date the next time it is needed).
            if raw.try_acquire(req) {
                h.begin_hold_at_once(raw.time_holds);
            } else {
                let start = now();
                h.refill(start, interval);
                if let Some(credit) = h.urgent_slice() {
                    req.urgent = true;
                    req.slice = credit.min(interval);
                }
                let got = raw.acquire(req, start);
                h.begin_hold(start, got);
            }
            h.depth = outer;
        });
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
    /// thread's I/O credit only from the moment others queued for it. With `time_holds(true)` every hold is
    /// timed and charged, at the cost of two clock reads per acquire/release pair.
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
        Ok(Gil {
            raw: Arc::new(RawGil::new(
                self.policy,
                self.mode,
                self.interval,
                self.time_holds,
            )),
        })
    }
}

/// Proof that the current thread holds a [`Gil`]; releases it when dropped.
///
/// `!Send` and `!Sync`: the thread that acquired the GIL is the one that releases it, and
/// only it may call [`check`](Self::check).
///
/// # Examples
///
/// ```
/// let gil = gil_core::Gil::new();
/// {
///     let guard = gil.acquire();
///     guard.check();
/// } // released here
/// assert!(!gil.is_held_by_current_thread());
/// ```
#[derive(Debug)]
#[must_use = "if unused the GIL will immediately be released"]
pub struct GilGuard<'a> {
    gil: &'a Gil,
    /// The nesting level this guard belongs to (see `Held::drop_guard`).
    level: usize,
    /// `check()` calls left before the holder next reads the clock while waiters are queued.
    countdown: Cell<u32>,
    _not_send: PhantomData<*const ()>,
}

impl<'a> GilGuard<'a> {
    fn new(gil: &'a Gil, level: usize) -> Self {
        Self {
            gil,
            level,
            countdown: Cell::new(0),
            _not_send: PhantomData,
        }
    }

    /// The GIL this guard holds.
    pub fn gil(&self) -> &'a Gil {
        self.gil
    }

    /// The eval breaker: call at safe points. If another thread asked for the GIL (its wait
    /// reached the switch interval, or it came back from I/O), hands the GIL over and blocks
    /// until this thread's turn comes again. Returns whether it switched.
    ///
    /// When nobody waits, this is one relaxed atomic load. While others are queued it also
    /// counts down, and every 256 calls reads the clock: a turn that is over ends here even if
    /// the waiter keeping time has not woken up yet (measured: ~1.6 ns a call with a waiter
    /// queued, against ~1.0 ns with nobody waiting).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let guard = gil.acquire();
    /// assert!(!guard.check()); // nobody waits
    /// ```
    #[inline]
    pub fn check(&self) -> bool {
        let breaker = self.gil.raw.breaker();
        if breaker == 0 {
            return false;
        }
        if breaker == TIMED_BIT {
            // Waiters are queued and nothing else is asked: keep time every so many calls
            // (`raw/clock.rs`), in case the queue's time-keeper wakes late.
            let left = self.countdown.get();
            if left > 0 {
                self.countdown.set(left - 1);
                return false;
            }
            self.countdown.set(CHECKS_PER_CLOCK_READ);
            if !self.gil.raw.holder_turn_over() {
                return false;
            }
        }
        self.check_slow()
    }

    #[cold]
    #[inline(never)]
    fn check_slow(&self) -> bool {
        let raw = &self.gil.raw;
        with_held(raw, |h| {
            if h.depth == 0 {
                // A guard used while a nested guard's `allow_threads` released the GIL.
                return false;
            }
            let interval = raw.interval();
            let t = now();
            h.end_hold(t, interval, raw.contended_since());
            if let Some(got) = raw.yield_now(h.me(), interval, t) {
                h.begin_hold(t, Some(got));
                true
            } else {
                // Nothing was handed over: the hold goes on (timed from here).
                h.since = Some(t);
                false
            }
        })
    }

    /// Releases the GIL while `f` runs and re-acquires it afterwards, also when `f` panics
    /// (the panic then continues with the GIL held, and this guard releases it as usual).
    ///
    /// Use it around blocking work (I/O, sleeping, waiting on a lock), like
    /// `Py_BEGIN_ALLOW_THREADS`. With [`Policy::Fair`] the re-acquire does not wait behind a
    /// CPU-bound holder for an interval (see the crate docs).
    ///
    /// # Panics
    ///
    /// Does not panic itself; a panic of `f` is resumed once the GIL is held again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// guard.allow_threads(|| std::thread::sleep(Duration::from_millis(1)));
    /// assert!(gil.is_held_by_current_thread());
    /// ```
    pub fn allow_threads<F, R>(&mut self, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        released(&self.gil.raw, f)
    }
}

impl Drop for GilGuard<'_> {
    fn drop(&mut self) {
        let raw = &self.gil.raw;
        let release = HELD.try_with(|cell| {
            let mut list = cell.borrow_mut();
            let h = list
                .iter_mut()
                .find(|h| std::ptr::eq(h.gil.as_ptr(), Arc::as_ptr(raw)))?;
            if !h.drop_guard(self.level) || raw.mode == Mode::FreeThreaded {
                return Some(None);
            }
            h.end_hold_if_needed(raw);
            Some(Some(h.me()))
        });
        let me = match release {
            Ok(Some(Some(me))) => me,
            Ok(Some(None)) => return,
            // The thread-local list is gone (a guard dropped during thread exit): release
            // anyway, the guard proves this thread held the GIL.
            Ok(None) | Err(_) => 0,
        };
        if raw.mode == Mode::Enabled {
            raw.release(me);
        }
    }
}

/// Resumes the suspended level when dropped: after `allow_threads`'s closure, even if it
/// panicked.
struct Resume<'a> {
    raw: &'a Arc<RawGil>,
}

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        Gil::resume(self.raw);
    }
}

fn released<F: FnOnce() -> R, R>(raw: &Arc<RawGil>, f: F) -> R {
    let Some(me) = Gil::suspend(raw) else {
        // Not held at this level (e.g. an outer guard used inside a nested guard's
        // `allow_threads`): nothing to release.
        return f();
    };
    if raw.mode == Mode::Enabled {
        raw.release(me);
    }
    let _resume = Resume { raw };
    f()
}

/// Releases whatever GIL the calling thread holds while `f` runs, and re-acquires it after
/// (also when `f` panics); just runs `f` when the thread holds none.
///
/// This is what a library calls around a blocking wait without knowing about the
/// interpreter: `gil-sync` wraps every blocking wait in it, as CPython wraps them in
/// `Py_BEGIN_ALLOW_THREADS`. If the thread holds several GILs, the one it acquired most
/// recently is released.
///
/// # Panics
///
/// Does not panic itself; a panic of `f` is resumed once the GIL is held again.
///
/// # Examples
///
/// ```
/// let gil = gil_core::Gil::new();
/// let _guard = gil.acquire();
/// gil_core::allow_threads(|| assert!(!gil.is_held_by_current_thread()));
/// assert!(gil.is_held_by_current_thread());
/// // Without a GIL, it just runs the closure.
/// assert_eq!(std::thread::spawn(|| gil_core::allow_threads(|| 7)).join().unwrap(), 7);
/// ```
pub fn allow_threads<F: FnOnce() -> R, R>(f: F) -> R {
    let current = HELD
        .try_with(|cell| {
            let list = cell.borrow();
            list.iter()
                .rev()
                .filter(|h| h.depth > 0)
                .find_map(|h| h.gil.upgrade())
        })
        .ok()
        .flatten();
    match current {
        Some(raw) => released(&raw, f),
        None => f(),
    }
}

/// Whether the calling thread holds any GIL (outside `allow_threads`).
///
/// # Examples
///
/// ```
/// assert!(!gil_core::holds_any_gil());
/// let gil = gil_core::Gil::new();
/// let _g = gil.acquire();
/// assert!(gil_core::holds_any_gil());
/// ```
pub fn holds_any_gil() -> bool {
    HELD.try_with(|cell| {
        cell.borrow()
            .iter()
            .any(|h| h.depth > 0 && h.gil.strong_count() > 0)
    })
    .unwrap_or(false)
}
