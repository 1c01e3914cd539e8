//! [`ThreadBuilder`]: Python's `Thread(name=..., daemon=...)` plus a stack size, and the
//! stack-size rule shared with [`Handle::set_stack_size`](crate::Handle::set_stack_size).

use gil_core::GilGuard;

use crate::current;
use crate::error::StackSizeError;
use crate::loom::sync::Arc;
use crate::registry::{Kind, Shared, Target, Thread};

/// The smallest stack size accepted, as CPython's `THREAD_STACK_MIN` (32 KiB).
pub(crate) const STACK_SIZE_MIN: usize = 0x8000;

/// Checks a stack size as Python's `threading.stack_size` does: 0 (the platform default) or
/// at least [`STACK_SIZE_MIN`]; also at most `isize::MAX`, which keeps the page rounding of
/// the OS layer from overflowing (Python raises `OverflowError` past `Py_ssize_t`).
pub(crate) fn check_stack_size(bytes: usize) -> Result<usize, StackSizeError> {
    if bytes != 0 && bytes < STACK_SIZE_MIN {
        return Err(StackSizeError::TooSmall(bytes));
    }
    if isize::try_from(bytes).is_err() {
        return Err(StackSizeError::TooLarge(bytes));
    }
    Ok(bytes)
}

/// Builds a [`Thread`]: Python's `Thread(name=..., daemon=...)` plus a stack size.
///
/// # Examples
///
/// ```
/// let rt = gil_runtime::Runtime::new();
/// let t = rt
///     .thread_builder()
///     .name("worker")
///     .daemon(true)
///     .stack_size(256 * 1024)
///     .unwrap()
///     .target(|guard| {
///         guard.check().unwrap();
///     });
/// t.start().unwrap();
/// t.join().unwrap();
/// ```
#[derive(Debug)]
#[must_use = "a ThreadBuilder does nothing until `target` builds the thread"]
pub struct ThreadBuilder {
    /// The runtime the thread will belong to (for its default name and daemon flag).
    runtime: Arc<Shared>,
    name: Option<String>,
    daemon: Option<bool>,
    stack_size: Option<usize>,
}

impl ThreadBuilder {
    /// A builder with every setting at its default (`Handle::thread_builder`).
    pub(crate) fn new(runtime: Arc<Shared>) -> Self {
        Self {
            runtime,
            name: None,
            daemon: None,
            stack_size: None,
        }
    }

    /// The thread's name (default `Thread-N`, numbered as Python does: only default names
    /// take a number). An empty name means the default, as Python's falsy `name` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert_eq!(rt.thread_builder().name("w").target(|_| {}).name(), "w");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The daemon flag (default: the calling thread's, as Python's `daemon=None`; a thread
    /// the runtime did not start counts as a daemon dummy thread, and
    /// [`current_thread`](crate::Handle::current_thread) lists it from then on).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// assert!(rt.thread_builder().daemon(true).target(|_| {}).daemon());
    /// ```
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = Some(daemon);
        self
    }

    /// The new OS thread's stack size in bytes; 0 means the default of Rust threads (2 MiB,
    /// or `RUST_MIN_STACK`), which is smaller than the pthread default CPython gets (often
    /// 8 MiB): deep recursion may need an explicit size. Without this, the runtime's
    /// [`Handle::stack_size`](crate::Handle::stack_size) setting at `start` applies
    /// (Python's `threading.stack_size`).
    ///
    /// # Errors
    ///
    /// [`StackSizeError::TooSmall`] for `0 < bytes < 32768` (Python: `ValueError: size not
    /// valid: N bytes`), [`StackSizeError::TooLarge`] above `isize::MAX`. A size the OS
    /// cannot provide fails later, at [`Thread::start`], as
    /// [`StartError::Spawn`](crate::StartError::Spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread_builder().stack_size(1 << 20).unwrap().target(|_| {});
    /// t.start().unwrap();
    /// t.join().unwrap();
    /// assert_eq!(
    ///     rt.thread_builder().stack_size(1000).unwrap_err().to_string(),
    ///     "size not valid: 1000 bytes"
    /// );
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Result<Self, StackSizeError> {
        self.stack_size = Some(check_stack_size(bytes)?);
        Ok(self)
    }

    /// Builds the unstarted thread running `target`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread_builder().target(|_| {});
    /// assert!(!t.is_alive());
    /// ```
    pub fn target<F>(self, target: F) -> Thread
    where
        F: FnOnce(&mut GilGuard<'_>) + Send + 'static,
    {
        let shared = &self.runtime;
        // In Python's order: the name first (a falsy name is a default one), then the daemon
        // flag from `current_thread().daemon`, which makes a foreign thread a (daemon) dummy
        // thread, so its number comes after this thread's.
        let name = self
            .name
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| shared.next_name("Thread"));
        let daemon = self
            .daemon
            .unwrap_or_else(|| current::thread(shared).daemon());
        let target: Target = Box::new(target);
        Thread::new(
            Kind::Runtime,
            Arc::downgrade(shared),
            name,
            daemon,
            Some(target),
            self.stack_size,
        )
    }
}
