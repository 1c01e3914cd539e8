//! [`Timer`]: Python's `threading.Timer`.
//!
//! # Implementation details
//!
//! The timer thread runs CPython's `Timer.run` (`finished.wait(interval)`, call unless
//! `finished` is set, `finished.set()`), then sets a second event, `done`, which is what
//! `join` waits on — so any number of threads may join, any number of times. The function sits
//! in a shared slot the thread takes it from, so a failed spawn leaves it in place for
//! another `start`.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::AtomicU64 as StdAtomicU64;
use std::time::{Duration, Instant};

use crate::error::{JoinError, TimerError};
use crate::event::Event;
use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread::Builder;
use crate::panic_payload::{drop_payload, panic_message};
use gil_core::ident;

/// The function a timer calls.
type Function = Box<dyn FnOnce() + Send>;

/// The `N` of the next default name `Thread-N` (CPython's `threading._counter`). A std
/// atomic in both builds: names only need to differ, they order nothing.
static NEXT_NAME: StdAtomicU64 = StdAtomicU64::new(1);

/// What the timer thread shares with the `Timer`.
struct Shared {
    /// Python's `finished`: set by `cancel` or after the function returned.
    finished: Event,
    /// Set when the timer thread is about to exit (what `join` waits on).
    done: Event,
    /// Taken by the timer thread (and dropped without a call if cancelled).
    function: Mutex<Option<Function>>,
    /// The timer thread's `ident::current()`, 0 until it runs: `join` from inside the
    /// function must not wait for itself.
    thread: AtomicU64,
    /// 1 once the function has been called.
    fired: AtomicU64,
}

/// Calls a function on a new thread after an interval unless cancelled first: Python's
/// `threading.Timer`.
///
/// [`start`](Timer::start) spawns the thread, which waits for [`interval`](Timer::interval)
/// (on the monotonic clock) and then calls the function, unless [`cancel`](Timer::cancel)
/// came first. [`join`](Timer::join) waits for the thread to end. The function runs **without
/// any GIL**: if it needs the interpreter, it acquires the GIL itself.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use gil_sync::Timer;
///
/// let (tx, rx) = mpsc::channel();
/// let timer = Timer::new(Duration::from_millis(10), move || tx.send("fired").unwrap());
/// timer.start().unwrap();
/// timer.join().unwrap();
/// assert_eq!(rx.recv().unwrap(), "fired");
/// assert!(timer.fired());
/// ```
///
/// # Memory ordering
///
/// Everything the function did happens-before [`join`](Timer::join) returning (and
/// [`join_timeout`](Timer::join_timeout) returning `true` for a thread that ended).
///
/// # Differences from Python's `threading.Timer`
///
/// - The function takes no arguments (capture them); the interval is a [`Duration`]
///   ([`Duration::MAX`] waits until cancelled; Python's `interval <= 0` is
///   [`Duration::ZERO`]).
/// - A panic in the function is caught and reported on stderr as
///   `Exception in thread Thread-N:` followed by the panic message (Python's default
///   `threading.excepthook`), after Rust's panic hook has printed its own line. As in
///   CPython, [`finished`](Timer::finished) is then left unset.
/// - The thread is never a "non-daemon" thread: the process does not wait for it at exit.
/// - `start` that fails to spawn a thread ([`TimerError::Spawn`]) may be retried, as in
///   CPython.
pub struct Timer {
    interval: Duration,
    name: String,
    shared: Arc<Shared>,
    /// Whether `start` succeeded (Python's `_started`).
    started: Mutex<bool>,
}

impl Timer {
    /// A timer that will call `f` `interval` after [`start`](Timer::start) (Python:
    /// `Timer(interval, function)`). Its thread is named `Thread-N`, as in Python.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let timer = gil_sync::Timer::new(Duration::from_secs(1), || {});
    /// assert_eq!(timer.interval(), Duration::from_secs(1));
    /// assert!(!timer.is_alive());
    /// ```
    pub fn new(interval: Duration, f: impl FnOnce() + Send + 'static) -> Self {
        // Relaxed: see `NEXT_NAME`.
        let n = NEXT_NAME.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self {
            interval,
            name: format!("Thread-{n}"),
            shared: Arc::new(Shared {
                finished: Event::new(),
                done: Event::new(),
                function: Mutex::new(Some(Box::new(f))),
                thread: AtomicU64::new(0),
                fired: AtomicU64::new(0),
            }),
            started: Mutex::new(false),
        }
    }

    /// The interval (Python: `interval`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(gil_sync::Timer::new(Duration::ZERO, || {}).interval(), Duration::ZERO);
    /// ```
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The timer thread's name, `Thread-N` (Python: `name`).
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::ZERO, || {});
    /// assert!(timer.name().starts_with("Thread-"));
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event `cancel` sets and the timer thread sets after calling the function
    /// (Python: `finished`).
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::MAX, || {});
    /// timer.cancel();
    /// assert!(timer.finished().is_set());
    /// ```
    pub fn finished(&self) -> &Event {
        &self.shared.finished
    }

    /// Whether the function has been called (it may still be running). Not in Python.
    ///
    /// The timer thread decides to call just before it sets this flag, so right after a
    /// `cancel` that lost the race (the interval had expired) it may still read `false`
    /// although the function is about to run; after `join` it is exact.
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::ZERO, || {});
    /// timer.start().unwrap();
    /// timer.join().unwrap();
    /// assert!(timer.fired());
    /// ```
    pub fn fired(&self) -> bool {
        // Acquire: pairs with the Release store before the call in `run`.
        self.shared.fired.load(Acquire) != 0
    }

    /// Starts the timer thread (Python: `start()`).
    ///
    /// # Errors
    ///
    /// - [`TimerError::AlreadyStarted`] if `start` already succeeded ("threads can only be
    ///   started once").
    /// - [`TimerError::Spawn`] if the OS refused a thread; the timer stays unstarted.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_sync::{Timer, TimerError};
    /// let timer = Timer::new(std::time::Duration::ZERO, || {});
    /// timer.start().unwrap();
    /// assert_eq!(timer.start(), Err(TimerError::AlreadyStarted));
    /// # timer.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), TimerError> {
        let mut started = self.started.lock();
        if *started {
            return Err(TimerError::AlreadyStarted);
        }
        let shared = Arc::clone(&self.shared);
        let (interval, name) = (self.interval, self.name.clone());
        Builder::new()
            .name(self.name.clone())
            .spawn(move || run(&shared, interval, &name))
            .map_err(|err| TimerError::Spawn(err.kind()))?;
        *started = true;
        Ok(())
    }

    /// Stops the timer if it is still waiting: the function will not be called (Python:
    /// `cancel()`).
    ///
    /// Before `start`, the thread will start and end without calling; while waiting, it ends
    /// promptly; once the function was called, this does nothing (it does not interrupt a
    /// running function). A cancel racing with the expiry may lose.
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::MAX, || unreachable!());
    /// timer.start().unwrap();
    /// timer.cancel();
    /// timer.join().unwrap();
    /// assert!(!timer.fired());
    /// ```
    pub fn cancel(&self) {
        self.shared.finished.set();
    }

    /// Whether the timer thread is running: started and not yet ended (Python:
    /// `is_alive()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::MAX, || {});
    /// assert!(!timer.is_alive());
    /// timer.start().unwrap();
    /// assert!(timer.is_alive());
    /// timer.cancel();
    /// timer.join().unwrap();
    /// assert!(!timer.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        *self.started.lock() && !self.shared.done.is_set()
    }

    /// Blocks until the timer thread has ended, with the calling thread's GIL released
    /// (Python: `join()`).
    ///
    /// The wait is interruptible: pending calls ([`gil_core::Gil::add_pending_call`]) that
    /// arrive meanwhile run during it, GIL held, on the GIL's main thread, and it goes on; an
    /// interrupt ends it (the timer thread goes on). CPython's `join` stops only for the
    /// main thread's signals; this one for an interrupt of any thread.
    ///
    /// # Errors
    ///
    /// - [`JoinError::NotStarted`] before [`Timer::start`]; [`JoinError::CurrentThread`] from
    ///   the timer's own function (Python raises `RuntimeError` for both).
    /// - [`JoinError::Interrupted`] if the calling thread was interrupted while it waited
    ///   (the interrupt is taken). A thread that had ended by then is joined (`Ok`), and the
    ///   interrupt stays pending.
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::ZERO, || {});
    /// timer.start().unwrap();
    /// timer.join().unwrap();
    /// timer.join().unwrap(); // any number of times
    /// assert!(!timer.is_alive());
    /// ```
    pub fn join(&self) -> Result<(), JoinError> {
        self.join_until(None).map(drop)
    }

    /// Blocks until the timer thread has ended or `timeout` passes; returns whether the
    /// thread is no longer alive (Python: `join(timeout)` then `not is_alive()`).
    /// Interruptible, as [`Timer::join`].
    ///
    /// # Errors
    ///
    /// As [`Timer::join`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let timer = gil_sync::Timer::new(Duration::MAX, || {});
    /// timer.start().unwrap();
    /// assert!(!timer.join_timeout(Duration::from_millis(1)).unwrap());
    /// timer.cancel();
    /// assert!(timer.join_timeout(Duration::MAX).unwrap());
    /// ```
    ///
    /// An interrupt ends the wait:
    ///
    /// ```
    /// use std::time::Duration;
    /// use gil_core::{Gil, Interrupt};
    /// use gil_sync::{JoinError, Timer};
    ///
    /// let gil = Gil::new();
    /// let timer = Timer::new(Duration::MAX, || {});
    /// timer.start().unwrap();
    /// let interrupter = gil.interrupter(); // for this thread
    /// std::thread::scope(|s| {
    ///     s.spawn(|| interrupter.interrupt().unwrap());
    ///     assert_eq!(
    ///         timer.join_timeout(Duration::MAX),
    ///         Err(JoinError::Interrupted(Interrupt::Requested))
    ///     );
    /// });
    /// assert!(timer.is_alive());
    /// timer.cancel();
    /// timer.join().unwrap();
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, JoinError> {
        self.join_until(crate::timeout::deadline_after(timeout))
    }

    /// Blocks until the timer thread has ended or `deadline` passes; returns whether the
    /// thread is no longer alive. Interruptible, as [`Timer::join`].
    ///
    /// # Errors
    ///
    /// As [`Timer::join`].
    ///
    /// # Examples
    ///
    /// ```
    /// let timer = gil_sync::Timer::new(std::time::Duration::ZERO, || {});
    /// assert!(timer.join_deadline(std::time::Instant::now()).is_err()); // not started
    /// timer.start().unwrap();
    /// timer.join_deadline(std::time::Instant::now()).unwrap(); // alive or not, no error
    /// ```
    pub fn join_deadline(&self, deadline: Instant) -> Result<bool, JoinError> {
        self.join_until(Some(deadline))
    }

    fn join_until(&self, deadline: Option<Instant>) -> Result<bool, JoinError> {
        if !*self.started.lock() {
            return Err(JoinError::NotStarted);
        }
        // Relaxed: only this thread can have stored its own identity.
        if self.shared.thread.load(Relaxed) == ident::current() {
            return Err(JoinError::CurrentThread);
        }
        self.shared
            .done
            .wait_until(deadline, true)
            .map_err(JoinError::Interrupted)
    }
}

/// CPython's `Timer.run`, then "thread done".
fn run(shared: &Shared, interval: Duration, name: &str) {
    // Relaxed: read back by this thread only (see `join_until`).
    shared.thread.store(ident::current(), Relaxed);
    shared.finished.wait_timeout(interval);
    let function = shared.function.lock().take();
    let mut completed = true;
    if !shared.finished.is_set()
        && let Some(function) = function
    {
        // Release: pairs with the Acquire in `Timer::fired`.
        shared.fired.store(1, Release);
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(function)) {
            completed = false;
            let message = panic_message(payload.as_ref());
            eprintln!("Exception in thread {name}:\n{message}");
            drop_payload(payload);
        }
    }
    // CPython: an exception escapes `run` before `finished.set()`.
    if completed {
        shared.finished.set();
    }
    shared.done.set();
}

impl fmt::Debug for Timer {
    /// Python's `Thread` repr without the ident: `<Timer(Thread-1, initial)>`,
    /// `<Timer(Thread-1, started)>` or `<Timer(Thread-1, stopped)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if !*self.started.lock() {
            "initial"
        } else if self.shared.done.is_set() {
            "stopped"
        } else {
            "started"
        };
        write!(f, "<Timer({}, {status})>", self.name)
    }
}
