//! [`Thread`]: Python's `threading.Thread`.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use gil_sync::__panic_payload::{drop_payload, panic_message};

use crate::error::{DaemonError, JoinError, StartError};
use crate::excepthook;
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use crate::loom::thread::Builder;
use crate::registry::{ExceptHookArgs, Kind, Shared, State, Status, Target, Thread};
use gil_core::ident as core_ident;

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

    /// Starts the thread (Python: `start()`): creates the OS thread, which takes the GIL and
    /// runs the target. When `start` returns, [`ident`](Thread::ident) is set, `is_alive` is
    /// true and the thread is listed by `enumerate`. `start` does not wait for the new thread
    /// to be scheduled (see "Differences" on [`Thread`]).
    ///
    /// # Errors
    ///
    /// [`StartError::AlreadyStarted`] on a second call (even after it finished, and for the
    /// main or a dummy thread); [`StartError::Shutdown`] once the runtime has shut down;
    /// [`StartError::Spawn`] if the OS refused a thread (the thread can then be started
    /// again).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// t.start().unwrap();
    /// assert_eq!(t.start().unwrap_err().to_string(), "threads can only be started once");
    /// # t.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), StartError> {
        if self.0.kind != Kind::Runtime {
            return Err(StartError::AlreadyStarted);
        }
        let Some(shared) = self.0.runtime.upgrade() else {
            return Err(StartError::Shutdown);
        };
        let (target, name, stack_size, ident) = {
            let mut registry = shared.registry.lock();
            let mut state = self.0.state.lock();
            if state.status != Status::Initial {
                return Err(StartError::AlreadyStarted);
            }
            if registry.shut_down {
                return Err(StartError::Shutdown);
            }
            // Cleared before `Starting` is published, so a `native_id` caller that sees
            // `Starting` waits for this start's `set` (or the failure path's).
            self.0.started.clear();
            state.status = Status::Starting;
            let reserved = core_ident::reserve();
            state.ident = Some(reserved.get());
            registry.threads.push(self.clone());
            let Some(target) = state.target.take() else {
                unreachable!("an initial runtime thread has its target");
            };
            // An explicit size, else the runtime's setting at start (Python reads it then).
            let stack_size = state
                .stack_size
                .or(Some(registry.stack_size))
                .filter(|&n| n != 0);
            (target, state.name.clone(), stack_size, reserved)
        };
        let mut builder = Builder::new().name(name);
        if let Some(size) = stack_size {
            builder = builder.stack_size(size);
        }
        // The target travels in a slot so that a failed spawn can put it back.
        let slot = Arc::new(Mutex::new(Some(target)));
        let spawned = {
            let (thread, shared, slot) = (self.clone(), shared.clone(), slot.clone());
            builder.spawn(move || {
                // The spawned thread has asked for no identity yet: nothing ran before this.
                let adopted = ident.adopt();
                debug_assert!(adopted.is_ok(), "a new thread adopts its identity first");
                let target = slot.lock().take();
                if let Some(target) = target {
                    run(&shared, &thread, target);
                }
            })
        };
        match spawned {
            Ok(os) => {
                self.0.state.lock().os = Some(os);
                Ok(())
            }
            Err(error) => {
                let mut registry = shared.registry.lock();
                let removed = registry.remove(self);
                let mut state = self.0.state.lock();
                state.status = Status::Initial;
                state.ident = None;
                state.target = slot.lock().take();
                drop(state);
                drop(registry);
                drop(removed);
                // Wakes `native_id` callers that saw `Starting`; they now see `Initial`.
                self.0.started.set();
                Err(StartError::Spawn(error.kind()))
            }
        }
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
            // A `start` in progress on another thread may still fail (and go back to
            // `Initial`, never setting `done`): wait until it has spawned or failed. (The
            // thread itself is never `Starting` once it runs code that could join.)
            let state = self.settled_state();
            if state.ident == Some(core_ident::current()) {
                return Err(JoinError::CurrentThread);
            }
            if state.status == Status::Initial {
                return Err(JoinError::NotStarted);
            }
        }
        // The first untimed joiner takes the OS thread and waits for it to exit, as Python
        // 3.13's `join` does with `pthread_join`: one wake-up when the thread is gone, and the
        // OS can reuse its stack for the next thread (a start+join loop of detached threads,
        // woken by `done`, was 1.3-1.5x slower here: each new thread mapped a fresh stack
        // while the last one was still exiting). That also waits for the thread's own
        // thread-local destructors. Other joiners, and timed joins (which must not wait for
        // those destructors), wait for `done`, set just before the thread exits.
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

/// The body of a started thread, which has adopted its identity.
fn run(shared: &Arc<Shared>, thread: &Thread, target: Target) {
    crate::current::set(shared, thread);
    thread.record_started();
    // Whatever happens below, the thread leaves the registry, stops and wakes its joiners.
    let mut finish = Finish {
        shared,
        thread,
        panic: None,
    };
    let mut guard = shared.gil.acquire();
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| target(&mut guard))) {
        let message = panic_message(payload.as_ref());
        drop_payload(payload);
        excepthook::report(
            shared,
            &ExceptHookArgs {
                thread: thread.clone(),
                message: message.clone(),
            },
        );
        finish.panic = Some(message);
    }
    // Python clears a thread's `threading.local` values (holding the GIL) before `join`
    // can return; the thread-local destructors would run only after `done`.
    crate::local::drop_thread_values();
    drop(guard);
    drop(finish);
}

/// The end of a thread's life, also when our own code unwinds: leave the registry, record
/// the panic, stop, and set `done` — in that order, so a joined thread is never listed.
struct Finish<'a> {
    shared: &'a Arc<Shared>,
    thread: &'a Thread,
    panic: Option<String>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        crate::current::clear(self.shared);
        let removed = {
            let mut registry = self.shared.registry.lock();
            let removed = registry.remove(self.thread);
            let mut state = self.thread.0.state.lock();
            state.panic = self.panic.take().or_else(|| {
                std::thread::panicking()
                    .then(|| "the thread's runtime bookkeeping panicked".to_owned())
            });
            state.status = Status::Stopped;
            removed
        };
        self.thread.0.done.set();
        drop(removed);
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
