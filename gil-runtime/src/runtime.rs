//! [`Runtime`] and [`Handle`]: the interpreter-wide thread registry on one GIL.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use gil_core::{Gil, GilGuard, Mode, Policy, SwitchIntervalError};

use crate::builder::{ThreadBuilder, check_stack_size};
use crate::current;
use crate::error::StackSizeError;
use crate::loom::sync::Arc;
use crate::registry::{ExceptHookArgs, Kind, Shared, Thread};

/// A handle to a runtime: builds threads and answers the module functions
/// (`current_thread`, `enumerate`, ...). Cheap to clone and to move into targets; it does not
/// shut the runtime down when dropped (the [`Runtime`] does).
///
/// # Examples
///
/// ```
/// let rt = gil_runtime::Runtime::new();
/// let handle = rt.handle();
/// let t = rt.thread(move |_| {
///     assert_eq!(handle.current_thread().name(), "Thread-1");
/// });
/// t.start().unwrap();
/// t.join().unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// Python's interpreter, as far as threads go: one [`Gil`], the thread registry and the
/// main thread; dropping it is Python's shutdown.
///
/// The thread that creates it is registered as the main thread (`MainThread`). Everything
/// else is on [`Handle`], which `Runtime` dereferences to.
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
/// while it waits — then refuses new starts ([`StartError::Shutdown`](crate::StartError::Shutdown)). Daemon threads are not
/// waited for: a daemon thread still running keeps running, holding its own reference to the
/// GIL and registry, until its target returns or the process exits (which ends it abruptly,
/// as Python's interpreter exit does).
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

    /// Builds the runtime; the calling thread becomes its main thread.
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

    /// A runtime on an existing GIL.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let rt = gil_runtime::Runtime::with_gil(gil.clone());
    /// assert!(rt.gil().ptr_eq(&gil));
    /// ```
    pub fn with_gil(gil: Gil) -> Self {
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
        main.adopt_current();
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
    /// GIL while it waits.
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
                    // Decided under the same lock `start` checks: every non-daemon thread
                    // started before this point has been joined, and none starts after it.
                    registry.shut_down = true;
                    let removed = main.as_ref().and_then(|main| registry.remove(main));
                    drop(registry);
                    drop(removed);
                    return;
                }
                waiting
            };
            for t in waiting {
                // A panicked thread was already reported through the excepthook.
                let _ = t.join();
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

impl Handle {
    /// The runtime's GIL.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let _guard = rt.gil().acquire();
    /// ```
    pub fn gil(&self) -> &Gil {
        &self.shared.gil
    }

    /// A new, unstarted thread running `target` (Python: `Thread(target=...)`), named
    /// `Thread-N`, daemon if the calling thread is a daemon thread of this runtime. Use
    /// [`Handle::thread_builder`] for a name, daemon flag or stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// assert!(!t.daemon());
    /// ```
    pub fn thread<F>(&self, target: F) -> Thread
    where
        F: FnOnce(&mut GilGuard<'_>) + Send + 'static,
    {
        self.thread_builder().target(target)
    }

    /// A builder for a thread with a name, daemon flag or stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread_builder().name("io").daemon(true).target(|_| {});
    /// assert_eq!((t.name().as_str(), t.daemon()), ("io", true));
    /// ```
    pub fn thread_builder(&self) -> ThreadBuilder {
        ThreadBuilder::new(self.shared.clone())
    }

    /// The calling thread's [`Thread`] (Python: `current_thread()`): the main thread, a
    /// started thread, or — for a thread this runtime did not start — a dummy thread named
    /// `Dummy-N` (daemon, alive, listed by `enumerate` until the OS thread ends).
    ///
    /// Called from a thread-local destructor of a foreign thread after its records were
    /// destroyed, the dummy is not listed by `enumerate`: nothing would remove it when the
    /// thread ends.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let h = rt.handle();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(h.current_thread().name().starts_with("Dummy-")));
    /// });
    /// ```
    pub fn current_thread(&self) -> Thread {
        current::thread(&self.shared)
    }

    /// The main thread (Python: `main_thread()`).
    ///
    /// # Panics
    ///
    /// Never: the main thread record lives as long as the runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.main_thread().name(), "MainThread");
    /// ```
    pub fn main_thread(&self) -> Thread {
        self.shared
            .main
            .lock()
            .clone()
            .expect("the main thread is registered at construction")
    }

    /// Every live thread in start order, main first (Python: `enumerate()`): started and not
    /// yet finished, plus the main thread and dummy threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert!(rt.enumerate()[0].ptr_eq(&rt.main_thread()));
    /// ```
    pub fn enumerate(&self) -> Vec<Thread> {
        self.shared.registry.lock().threads.clone()
    }

    /// `enumerate().len()` (Python: `active_count()`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gil_runtime::Runtime::new().active_count(), 1);
    /// ```
    pub fn active_count(&self) -> usize {
        self.shared.registry.lock().threads.len()
    }

    /// The stack size for threads started from now on without an explicit
    /// [`ThreadBuilder::stack_size`]; 0 means the default of Rust threads, 2 MiB or
    /// `RUST_MIN_STACK` (Python: `threading.stack_size()`, whose 0 is the pthread default,
    /// often 8 MiB).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.stack_size(), 0);
    /// ```
    pub fn stack_size(&self) -> usize {
        self.shared.registry.lock().stack_size
    }

    /// Sets the stack size for threads started from now on and returns the previous setting
    /// (Python: `threading.stack_size(size)`); 0 restores the platform default. Applies to
    /// this runtime only, not to the process.
    ///
    /// # Errors
    ///
    /// [`StackSizeError::TooSmall`] for `0 < bytes < 32768` and
    /// [`StackSizeError::TooLarge`] above `isize::MAX`; the setting is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.set_stack_size(32768), Ok(0));
    /// assert_eq!(rt.set_stack_size(0), Ok(32768));
    /// assert_eq!(
    ///     rt.set_stack_size(1000).unwrap_err().to_string(),
    ///     "size not valid: 1000 bytes"
    /// );
    /// ```
    pub fn set_stack_size(&self, bytes: usize) -> Result<usize, StackSizeError> {
        let bytes = check_stack_size(bytes)?;
        Ok(std::mem::replace(
            &mut self.shared.registry.lock().stack_size,
            bytes,
        ))
    }

    /// Replaces the hook called with a panicked target's thread and message (Python:
    /// `threading.excepthook = hook`). It runs on the panicking thread, holding the GIL. A
    /// hook that panics is reported as `Exception in threading.excepthook:` on stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    /// use std::sync::Arc;
    /// let rt = gil_runtime::Runtime::new();
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let s = seen.clone();
    /// rt.set_excepthook(move |args| {
    ///     assert_eq!(args.message, "boom");
    ///     s.fetch_add(1, Relaxed);
    /// });
    /// let t = rt.thread(|_| panic!("boom"));
    /// t.start().unwrap();
    /// assert!(t.join().is_err());
    /// assert_eq!(seen.load(Relaxed), 1);
    /// ```
    pub fn set_excepthook(&self, hook: impl Fn(&ExceptHookArgs) + Send + Sync + 'static) {
        // The old hook is dropped after the lock: its captures may use the hook.
        let old = self.shared.hook.lock().replace(Arc::new(hook));
        drop(old);
    }

    /// Restores [`default_excepthook`](crate::default_excepthook) (Python: `threading.excepthook =
    /// threading.__excepthook__`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// rt.set_excepthook(|_| {});
    /// rt.reset_excepthook();
    /// ```
    pub fn reset_excepthook(&self) {
        let old = self.shared.hook.lock().take();
        drop(old);
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.shared, f)
    }
}
