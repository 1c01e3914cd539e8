//! [`Thread`]'s methods: Python's `threading.Thread` accessors and `join`. The handle and
//! its record are defined in `registry.rs`; `start` and the started thread's body, a
//! thread's life in numbered steps, are in `thread/start.rs`.

use std::fmt;
use std::time::{Duration, Instant};

use gil_core::ident;

use crate::error::{DaemonError, JoinError};
use crate::loom::sync::MutexGuard;
use crate::registry::{Kind, State, Status, Thread};

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
    /// # Errors
    ///
    /// [`JoinError::NotStarted`], [`JoinError::CurrentThread`], [`JoinError::DummyThread`]
    /// (nothing is waited for then), or [`JoinError::Panicked`] once the thread has ended by
    /// a panic.
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
    pub fn join(&self) -> Result<(), JoinError> {
        self.join_until(None).map(drop)
    }

    /// As [`Thread::join`], giving up after `timeout`; returns whether the thread has ended
    /// (Python: `join(timeout)` then `not is_alive()`). [`Duration::MAX`] waits forever. It
    /// waits for the target and the thread's `Local` values, not for the OS thread's exit.
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
        if self.0.kind == Kind::Dummy {
            return Err(JoinError::DummyThread);
        }
        {
            // A `start` in progress on another thread may still fail (step 2 of a thread's
            // life, `thread/start.rs`: back to `Initial`, never setting `done`): wait until
            // it has spawned or failed. (The
            // thread itself is never `Starting` once it runs code that could join.)
            let state = self.settled_state();
            if state.ident == Some(ident::current()) {
                return Err(JoinError::CurrentThread);
            }
            if state.status == Status::Initial {
                return Err(JoinError::NotStarted);
            }
        }
        // The first untimed joiner takes the OS thread and waits for it to exit (step 8), as
        // Python 3.13's `join` does with `pthread_join`: one wake-up when the thread is gone,
        // and the OS can reuse its stack for the next thread (a start+join loop of detached
        // threads, woken by `done`, was 1.3-1.5x slower here: each new thread mapped a fresh
        // stack while the last one was still exiting). That also waits for the thread's own
        // thread-local destructors. Other joiners, and timed joins (which must not wait for
        // those destructors), wait for `done`, set just before the thread exits (step 7).
        // Before the OS handle is taken: a panic here leaves the thread joinable.
        gil_core::assert_may_block();
        let ended = match deadline {
            None => {
                let os = self.0.state.lock().os.take();
                match os {
                    Some(os) => {
                        if gil_core::allow_threads(|| os.join()).is_err() {
                            // Only our own bookkeeping can panic there (the target's panics
                            // are caught); `Finish` recorded it.
                            debug_assert!(self.0.state.lock().panic.is_some());
                        }
                        true
                    }
                    None => self.0.done.wait(),
                }
            }
            Some(deadline) => self.0.done.wait_deadline(deadline),
        };
        if !ended {
            return Ok(false);
        }
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
