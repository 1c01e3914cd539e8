//! [`Handle`]: a runtime's module functions (`current_thread`, `enumerate`, `stack_size`,
//! `excepthook`, ...) and the way to build its threads.

use std::fmt;

use gil_core::{Gil, GilGuard};

use crate::builder::{ThreadBuilder, check_stack_size};
use crate::current;
use crate::error::{InterruptError, StackSizeError};
use crate::loom::sync::Arc;
use crate::registry::{ExceptHookArgs, Shared, Thread};

/// A handle to a runtime: builds threads and answers the module functions
/// (`current_thread`, `enumerate`, ...). Cheap to clone and to move into targets; it does not
/// shut the runtime down when dropped (the [`Runtime`](crate::Runtime) does).
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

    /// Interrupts the main thread (Python: `_thread.interrupt_main()`): its next
    /// [`check()`](GilGuard::check) returns `Err(Interrupt::Requested)`, and an
    /// interruptible wait it is blocked in — [`Thread::join`], gil-sync's waits — wakes with
    /// its `Interrupted` error. An interpreter raises `KeyboardInterrupt` there, as Python
    /// does in its main thread on Ctrl-C. The same as `main_thread().interrupt()`.
    ///
    /// # Errors
    ///
    /// [`InterruptError::Finished`] once the runtime has shut down (the main thread counts
    /// as stopped then), or if the OS thread that built the runtime has exited.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::Interrupt;
    ///
    /// let rt = gil_runtime::Runtime::new();
    /// let mut guard = rt.gil().acquire();
    /// let h = rt.handle();
    /// let t = rt.thread(move |_| h.interrupt_main().unwrap());
    /// t.start().unwrap();
    /// // The main thread's eval loop: it sees the interrupt at a safe point.
    /// let seen = loop {
    ///     if let Err(interrupt) = guard.check() {
    ///         break interrupt;
    ///     }
    /// };
    /// assert_eq!(seen, Interrupt::Requested);
    /// # drop(guard);
    /// # t.join().unwrap();
    /// ```
    ///
    /// # Differences from Python
    ///
    /// CPython's `interrupt_main(signum=SIGINT)` simulates the signal: the main thread runs
    /// the Python-level handler for it (for SIGINT, `default_int_handler`, which raises
    /// `KeyboardInterrupt`; nothing if the signal is ignored). Here there is no signal and
    /// no handler: the main thread sees [`Interrupt::Requested`](gil_core::Interrupt::Requested)
    /// directly, and an interpreter that wants a handler queues one with
    /// [`Gil::add_pending_call`] instead. CPython's call never fails; this one reports a
    /// runtime that has shut down.
    pub fn interrupt_main(&self) -> Result<(), InterruptError> {
        self.main_thread().interrupt()
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
