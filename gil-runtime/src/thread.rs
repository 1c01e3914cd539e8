//! [`Thread`]'s methods: Python's `threading.Thread` accessors and `join`. The handle and
//! its record are defined in `registry.rs`; `start` and the started thread's body, a
//! thread's life in numbered steps, are in `thread/start.rs`.

use std::fmt;
use std::time::{Duration, Instant};

use gil_core::{ident, signal};

use crate::done::Waited;
use crate::error::{DaemonError, JoinError};
use crate::loom::sync::MutexGuard;
use crate::loom::thread::JoinHandle;
use crate::registry::{Kind, State, Status, Thread};

mod interrupt;
mod start;

impl Thread {
    /// Whether two handles are the same thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let main = rt.main_thread();
    /// assert!(main.ptr_eq(&rt.current_thread()));
    /// ```
    pub fn ptr_eq(&self, other: &Thread) -> bool {
        self.is(other)
    }

    /// Waits for the thread to end, with the calling thread's GIL released (Python:
    /// `join()`). Any number of threads may join, any number of times. The first `join`
    /// also waits for the OS thread to exit (as Python 3.13's does), which includes the
    /// thread's own `thread_local!` destructors; if a `start` is in progress on another
    /// thread, `join` waits for it to succeed or fail.
    ///
    /// The wait is interruptible, as Python's is by Ctrl-C: it ends with
    /// [`JoinError::Interrupted`] when the joining thread is interrupted
    /// ([`Thread::interrupt`], [`Handle::interrupt_main`](crate::Handle::interrupt_main), any
    /// [`Interrupter`](gil_core::Interrupter) made on it) before the thread ends. On the
    /// GIL's main thread, pending calls ([`Gil::add_pending_call`](gil_core::Gil::add_pending_call))
    /// run inside the wait, GIL held, as CPython runs signal handlers there; one that fails
    /// ends the wait the same way. Once the target has ended, the last wait for the OS
    /// thread's exit is not interruptible.
    ///
    /// # Errors
    ///
    /// [`JoinError::NotStarted`], [`JoinError::CurrentThread`], [`JoinError::DummyThread`]
    /// (nothing is waited for then); [`JoinError::Interrupted`] if interrupted first (the
    /// interrupt is taken, and the thread can be joined again); [`JoinError::Panicked`] once
    /// the thread has ended by a panic. An interrupt that arrives as the thread ends may
    /// lose the race: `join` then reports the thread's end, and the interrupt stays pending
    /// for the next [`check()`](gil_core::GilGuard::check) or interruptible wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| panic!("boom"));
    /// # rt.set_excepthook(|_| {}); // keep the doctest's output quiet
    /// t.start().unwrap();
    /// assert_eq!(t.join().unwrap_err().to_string(), "thread panicked: boom");
    /// ```
    ///
    /// Interrupted while joining (Ctrl-C in a main thread that joins a worker):
    ///
    /// ```
    /// use gil_core::Interrupt;
    /// use gil_runtime::JoinError;
    ///
    /// let rt = gil_runtime::Runtime::new();
    /// let stop = std::sync::Arc::new(gil_sync::Event::new());
    /// let worker = rt.thread({
    ///     let stop = stop.clone();
    ///     move |_| {
    ///         stop.wait();
    ///     }
    /// });
    /// worker.start().unwrap();
    /// rt.main_thread().interrupt().unwrap(); // as a signal-handling thread would
    /// assert_eq!(worker.join(), Err(JoinError::Interrupted(Interrupt::Requested)));
    /// stop.set();
    /// worker.join().unwrap(); // nothing changed: join again
    /// ```
    pub fn join(&self) -> Result<(), JoinError> {
        self.join_until(None).map(drop)
    }

    /// As [`Thread::join`], giving up after `timeout`; returns whether the thread has ended
    /// (Python: `join(timeout)` then `not is_alive()`). [`Duration::MAX`] waits forever. It
    /// waits for the target and the thread's `Local` values, not for the OS thread's exit.
    /// Interruptible as `join` is.
    ///
    /// # Errors
    ///
    /// As [`Thread::join`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|g| g.allow_threads(|| std::thread::sleep(Duration::from_millis(50))));
    /// t.start().unwrap();
    /// assert!(!t.join_timeout(Duration::from_millis(1)).unwrap());
    /// assert!(t.join_timeout(Duration::MAX).unwrap());
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> Result<bool, JoinError> {
        self.join_until(Instant::now().checked_add(timeout))
    }

    fn join_until(&self, deadline: Option<Instant>) -> Result<bool, JoinError> {
        self.check_joinable()?;
        gil_core::assert_may_block();
        // Interruptible, so `done` first, the OS thread after (see `join_os`).
        if !self.wait_done(deadline)? {
            return Ok(false);
        }
        if deadline.is_none() {
            self.join_os();
        }
        self.outcome()
    }

    /// Shutdown's join (`Runtime::shutdown`): untimed and not interruptible. An interrupt
    /// (or pending call) that arrives meanwhile stays pending.
    pub(crate) fn join_uninterruptibly(&self) -> Result<(), JoinError> {
        self.check_joinable()?;
        gil_core::assert_may_block();
        // The first joiner takes the OS thread and waits for its exit in one wait (no
        // `done` first: nothing can end this wait early).
        let os = self.0.state.lock().os.take();
        if let Some(os) = os {
            self.wait_exit(os);
        } else {
            let waited = gil_core::allow_threads(|| self.0.done.wait(None, false));
            debug_assert_eq!(waited, Waited::Done, "an untimed plain wait ends by `set`");
        }
        self.outcome().map(drop)
    }

    /// The refusals of `join`, in Python's order; waits for a `start` in progress.
    fn check_joinable(&self) -> Result<(), JoinError> {
        if self.0.kind == Kind::Dummy {
            return Err(JoinError::DummyThread);
        }
        // A `start` in progress on another thread may still fail (step 2 of a thread's
        // life, `thread/start.rs`: back to `Initial`, never setting `done`): wait until it
        // has spawned or failed. (The thread itself is never `Starting` once it runs code
        // that could join.)
        let state = self.settled_state();
        if state.ident == Some(ident::current()) {
            return Err(JoinError::CurrentThread);
        }
        if state.status == Status::Initial {
            return Err(JoinError::NotStarted);
        }
        Ok(())
    }

    /// Waits for `done` with the calling thread's GIL released, as an interruptible wait
    /// (the loop of gil-core's `signal` module docs); `false` once `deadline` passed.
    fn wait_done(&self, deadline: Option<Instant>) -> Result<bool, JoinError> {
        loop {
            match gil_core::allow_threads(|| self.0.done.wait(deadline, true)) {
                Waited::Done => return Ok(true),
                Waited::TimedOut => return Ok(false),
                Waited::Signalled => {
                    // The GIL is held again (if the thread holds one): on the main thread,
                    // pending calls run here, and one that fails raises an interrupt.
                    signal::run_pending_calls();
                    // An interrupt ends the wait, unless the thread ended meanwhile: then
                    // the end stands and the interrupt waits for the next `check()`.
                    if signal::is_interrupted()
                        && !self.0.done.is_set()
                        && let Some(interrupt) = signal::take_interrupt()
                    {
                        return Err(JoinError::Interrupted(interrupt));
                    }
                    // Only pending calls, or the thread ended: wait again (the same deadline).
                }
            }
        }
    }

    /// Once `done` is set: the first joiner to get here takes the OS thread and waits for
    /// it to exit (step 8 of a thread's life), as Python 3.13's `join` does with
    /// `pthread_join`; that also waits for the thread's own thread-local destructors. The
    /// reason is the stack: once joined, the OS reuses it for the next thread (a start+join
    /// loop of detached threads, woken by `done`, was 1.3-1.5x slower here: each new thread
    /// mapped a fresh stack while the last one was still exiting). Other joiners, and timed
    /// joins (which must not wait for those destructors), do not wait for the exit.
    ///
    /// This wait is not interruptible (`pthread_join` is not), which is why the
    /// interruptible `join` waits for `done` first: what is left is the thread's exit. That
    /// costs one more wake-up than joining the OS thread at once (as `join` did before
    /// issue 16, and shutdown still does), which did not show: 12 alternating runs of
    /// 15 × 2000 start+join of an empty target, on this 2-core VM under load, gave
    /// medians of 80 µs per thread both ways (minimums 44 and 59 µs, within the noise).
    fn join_os(&self) {
        // Taken only now: an interrupted join leaves the OS thread for the next joiner.
        let os = self.0.state.lock().os.take();
        if let Some(os) = os {
            self.wait_exit(os);
        }
    }

    /// Waits for the OS thread `os` (this thread's) to exit, the calling thread's GIL
    /// released.
    fn wait_exit(&self, os: JoinHandle<()>) {
        if gil_core::allow_threads(|| os.join()).is_err() {
            // Only our own bookkeeping can panic there (the target's panics are caught);
            // `Finish` recorded it.
            debug_assert!(self.0.state.lock().panic.is_some());
        }
    }

    /// The thread's outcome once it has ended: a panic, or a clean exit.
    fn outcome(&self) -> Result<bool, JoinError> {
        let panic = self.0.state.lock().panic.clone();
        match panic {
            Some(message) => Err(JoinError::Panicked(message)),
            None => Ok(true),
        }
    }

    /// Whether the thread is running: from just before its target runs until just after it
    /// ends (Python: `is_alive()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// assert!(!t.is_alive());
    /// ```
    pub fn is_alive(&self) -> bool {
        matches!(
            self.0.state.lock().status,
            Status::Starting | Status::Started
        )
    }

    /// The thread's name (Python: `name`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.main_thread().name(), "MainThread");
    /// ```
    pub fn name(&self) -> String {
        self.0.state.lock().name.clone()
    }

    /// Renames the thread (Python: `name = ...`). The OS thread name, set at start, is not
    /// changed.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// t.set_name("worker");
    /// assert_eq!(t.name(), "worker");
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        self.0.state.lock().name = name.into();
    }

    /// Whether the thread is a daemon (Python: `daemon`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert!(!rt.main_thread().daemon());
    /// ```
    pub fn daemon(&self) -> bool {
        self.0.state.lock().daemon
    }

    /// Sets the daemon flag before the thread starts (Python: `daemon = ...`).
    ///
    /// # Errors
    ///
    /// [`DaemonError::Active`] once the thread was started (even if it has finished).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// t.set_daemon(true).unwrap();
    /// assert!(t.daemon());
    /// ```
    pub fn set_daemon(&self, daemon: bool) -> Result<(), DaemonError> {
        let mut state = self.0.state.lock();
        if state.status != Status::Initial {
            return Err(DaemonError::Active);
        }
        state.daemon = daemon;
        Ok(())
    }

    /// The thread's identity once started (Python: `ident`), kept after it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.main_thread().ident(), Some(gil_runtime::get_ident()));
    /// ```
    pub fn ident(&self) -> Option<u64> {
        self.0.state.lock().ident
    }

    /// The kernel's thread id once started (Python: `native_id`), kept after it ends; `None`
    /// before `start`, and where the platform does not expose one (only Linux does here).
    ///
    /// Right after [`start`](Thread::start) the new thread may not have run yet; this then
    /// waits (with the caller's GIL released) until the thread has recorded its id, which
    /// it does before taking the GIL.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.main_thread().native_id(), gil_runtime::get_native_id());
    /// ```
    pub fn native_id(&self) -> Option<u64> {
        self.settled_state().native_id
    }

    /// The locked state once the thread is not `Starting`: a `start` in progress has either
    /// spawned a thread that recorded its native id (`Started` or later) or failed
    /// (`Initial`). Waits on `started`, with the caller's GIL released, meanwhile.
    fn settled_state(&self) -> MutexGuard<'_, State> {
        loop {
            let state = self.0.state.lock();
            if state.status != Status::Starting {
                return state;
            }
            drop(state);
            self.0.started.wait();
        }
    }
}

impl fmt::Debug for Thread {
    /// Python's `repr`: `<Thread(Thread-1, started daemon 7)>`, `<_MainThread(MainThread,
    /// started 1)>`, `<_DummyThread(Dummy-2, started daemon 3)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = match self.0.kind {
            Kind::Runtime => "Thread",
            Kind::Main => "_MainThread",
            Kind::Dummy => "_DummyThread",
        };
        // Copied out first: the formatter may be user code that looks at this thread.
        let (status, name, daemon, ident) = {
            let state = self.0.state.lock();
            (state.status, state.name.clone(), state.daemon, state.ident)
        };
        let status = match status {
            Status::Initial => "initial",
            Status::Starting | Status::Started => "started",
            Status::Stopped => "stopped",
        };
        write!(f, "<{class}({name}, {status}")?;
        if daemon {
            write!(f, " daemon")?;
        }
        if let Some(ident) = ident {
            write!(f, " {ident}")?;
        }
        write!(f, ")>")
    }
}
