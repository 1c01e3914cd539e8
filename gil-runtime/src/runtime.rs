//! [`Runtime`]: one runtime's construction ([`RuntimeBuilder`]) and shutdown; everything
//! else is on the [`Handle`] it dereferences to.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use gil_core::{Gil, Mode, Policy, SwitchIntervalError};

use crate::current;
use crate::handle::Handle;
use crate::loom::sync::Arc;
use crate::registry::{Kind, Shared, Thread};

/// Python's interpreter, as far as threads go: one [`Gil`], the thread registry and the
/// main thread; dropping it is Python's shutdown.
///
/// The thread that creates it is registered as the main thread (`MainThread`) and made the
/// GIL's main thread ([`Gil::set_main_thread`]): the one that runs the GIL's pending calls
/// ([`Gil::add_pending_call`]), as CPython's main thread runs the signal handlers.
/// Everything else is on [`Handle`], which `Runtime` dereferences to.
///
/// # Examples
///
/// ```
/// use gil_runtime::Runtime;
///
/// let rt = Runtime::new();
/// let t = rt.thread(|guard| {
///     let _ = guard.gil().switch_interval();
/// });
/// t.start().unwrap();
/// assert!(rt.active_count() >= 1);
/// drop(rt); // joins every non-daemon thread, as Python's shutdown
/// assert!(!t.is_alive());
/// ```
///
/// # Shutdown
///
/// [`Runtime::shutdown`] (also run on drop) marks the main thread stopped (a thread joining
/// it returns), joins every non-daemon thread — including ones started by other threads
/// while it waits — then refuses new starts
/// ([`StartError::Shutdown`](crate::StartError::Shutdown)). Daemon threads are not waited
/// for: a daemon thread still running keeps running, holding its own reference to the GIL
/// and registry, until its target returns or the process exits (which ends it abruptly, as
/// Python's interpreter exit does).
///
/// Shutdown's joins are not interruptible: an interrupt of the main thread
/// ([`Handle::interrupt_main`]) waits, pending, for its next `check()`, and shutdown still
/// joins every non-daemon thread. (CPython's `_shutdown` gives up waiting on Ctrl-C and
/// finalizes with the threads still running; here a thread that never ends keeps the drop
/// waiting.) The main thread's interrupter refuses from the start of shutdown on
/// ([`InterruptError::Finished`](crate::InterruptError::Finished)).
///
/// Dropping the runtime also puts the default excepthook back, dropping the one set with
/// [`Handle::set_excepthook`]: a hook that captured a [`Handle`] would otherwise keep the
/// runtime's registry alive forever (a reference cycle; Python's garbage collector breaks
/// such cycles, Rust's reference counts cannot). A daemon thread that panics after that
/// is reported by the default hook.
pub struct Runtime {
    handle: Handle,
}

/// Builds a [`Runtime`] with a chosen GIL policy, mode and switch interval.
#[derive(Debug, Default)]
pub struct RuntimeBuilder {
    gil: gil_core::GilBuilder,
}

impl RuntimeBuilder {
    /// The GIL policy (default [`Policy::Fair`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::builder().policy(gil_core::Policy::CPython).build().unwrap();
    /// assert_eq!(rt.gil().policy(), gil_core::Policy::CPython);
    /// ```
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.gil = self.gil.policy(policy);
        self
    }

    /// The GIL mode (default [`Mode::Enabled`]; [`Mode::FreeThreaded`] runs targets in
    /// parallel).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::builder().mode(gil_core::Mode::FreeThreaded).build().unwrap();
    /// assert_eq!(rt.gil().mode(), gil_core::Mode::FreeThreaded);
    /// ```
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.gil = self.gil.mode(mode);
        self
    }

    /// The switch interval (default 5 ms).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = gil_runtime::Runtime::builder().switch_interval(Duration::from_millis(1)).build();
    /// assert!(rt.is_ok());
    /// ```
    #[must_use]
    pub fn switch_interval(mut self, interval: Duration) -> Self {
        self.gil = self.gil.switch_interval(interval);
        self
    }

    /// Builds the runtime; the calling thread becomes its main thread and the GIL's
    /// ([`Gil::set_main_thread`]).
    ///
    /// # Errors
    ///
    /// [`SwitchIntervalError`] for a zero switch interval.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::builder().build().unwrap();
    /// assert_eq!(rt.current_thread().name(), "MainThread");
    /// ```
    pub fn build(self) -> Result<Runtime, SwitchIntervalError> {
        Ok(Runtime::with_gil(self.gil.build()?))
    }
}

impl Runtime {
    /// A runtime on a new fair, enabled GIL with the default interval.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.enumerate().len(), 1); // the main thread
    /// ```
    pub fn new() -> Self {
        Self::with_gil(Gil::new())
    }

    /// A builder for policy, mode and switch interval.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::builder().build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// A runtime on an existing GIL. The calling thread becomes the runtime's main thread
    /// and the GIL's ([`Gil::set_main_thread`]), whichever thread built the GIL.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let rt = gil_runtime::Runtime::with_gil(gil.clone());
    /// assert!(rt.gil().ptr_eq(&gil));
    /// assert_eq!(gil.main_thread(), rt.main_thread().ident());
    /// ```
    pub fn with_gil(gil: Gil) -> Self {
        // The runtime's main thread is the GIL's: the one that runs its pending calls
        // (CPython's main thread runs the signal handlers).
        gil.set_main_thread();
        let shared = Shared::new(gil);
        let main = Thread::new(
            Kind::Main,
            Arc::downgrade(&shared),
            "MainThread".to_owned(),
            false,
            None,
            None,
        );
        current::set(&shared, &main);
        main.adopt_current(Some(shared.gil.interrupter()));
        shared.registry.lock().threads.push(main.clone());
        *shared.main.lock() = Some(main);
        Self {
            handle: Handle { shared },
        }
    }

    /// A handle for use inside targets and elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let h = rt.handle();
    /// assert_eq!(h.active_count(), 1);
    /// ```
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Python's shutdown: stops the main thread (its joiners return), joins every non-daemon
    /// thread (also ones started meanwhile), then refuses new starts and drops the main
    /// thread from `enumerate`. Idempotent; also run on drop. Releases the calling thread's
    /// GIL while it waits; the waits are not interruptible (see "Shutdown" on [`Runtime`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// t.start().unwrap();
    /// rt.shutdown();
    /// assert!(!t.is_alive());
    /// assert!(rt.thread(|_| {}).start().is_err());
    /// ```
    pub fn shutdown(&self) {
        let shared = &self.handle.shared;
        let main = shared.main.lock().clone();
        // Python's `_shutdown` stops the main thread first: a thread joining it returns, so
        // a non-daemon thread that waits for the main thread does not deadlock shutdown.
        if let Some(main) = &main {
            main.stop();
        }
        let me = crate::get_ident();
        // Threads this call has joined: a finished thread is never listed again, so this only
        // keeps a broken invariant from turning into an endless loop.
        let mut joined: Vec<Thread> = Vec::new();
        loop {
            let waiting: Vec<Thread> = {
                let mut registry = shared.registry.lock();
                let waiting: Vec<Thread> = registry
                    .threads
                    .iter()
                    .filter(|t| {
                        t.0.kind == Kind::Runtime
                            && !t.daemon()
                            && t.ident() != Some(me)
                            && !joined.iter().any(|j| j.ptr_eq(t))
                    })
                    .cloned()
                    .collect();
                if waiting.is_empty() {
                    // Decided under the same lock `start` checks (step 1 of a thread's life,
                    // `thread/start.rs`): every non-daemon thread started before this point
                    // has been joined, and none starts after it.
                    registry.shut_down = true;
                    let removed = main.as_ref().and_then(|main| registry.remove(main));
                    drop(registry);
                    drop(removed);
                    return;
                }
                waiting
            };
            for t in waiting {
                // A panicked thread was already reported through the excepthook. Not
                // interruptible: shutdown joins every non-daemon thread.
                let _ = t.join_uninterruptibly();
                joined.push(t);
            }
        }
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
        // Breaks the cycle a hook that captured a `Handle` would make (documented above).
        self.handle.reset_excepthook();
        current::clear(&self.handle.shared);
    }
}

impl Deref for Runtime {
    type Target = Handle;

    fn deref(&self) -> &Handle {
        &self.handle
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.handle, f)
    }
}
