//! The eval breaker's other duties, after the GIL drop request: pending calls, thread
//! interrupts, and what an interruptible wait needs to take part (CPython's `intr_flag`).
//!
//! - A thread's interrupt lives in its own signal word (`thread.rs`); `check()` sees it
//!   through the signal count in the breaker of the GIL it was raised through, so that
//!   `check()` with nothing pending stays one relaxed load.
//! - Pending calls queue on the GIL and run on its main thread, GIL held, at its next
//!   `check()` — or in the middle of an interruptible wait, which then goes on waiting.
//! - A blocking primitive makes its wait interruptible with [`poll`], [`run_pending_calls`]
//!   and [`take_interrupt`]; gil-sync's wait queue is the reference user:
//!
//! ```text
//! signal::interruptible(|| loop {         // GIL released
//!     if token arrived          => return the token's outcome
//!     if signal::poll()         => leave the loop
//!     park (until the deadline) => on expiry: cancel, TimedOut
//! })
//! // GIL held again:
//! signal::run_pending_calls();            // a failing call raises an interrupt here
//! if signal::is_interrupted() {
//!     cancel the wait; if it was still queued: Interrupted(signal::take_interrupt())
//!     else the token stands (and the interrupt waits for the next check)
//! } else { wait again, with the remaining timeout }
//! ```

mod pending;
mod thread;

use std::ops::ControlFlow;

pub(crate) use self::pending::GilSignals;
pub use self::pending::{MAX_PENDING_CALLS, PendingCallError};
pub use self::thread::{InterruptError, Interrupter};
use crate::gil::{Gil, current_gil, held};
use crate::loom::sync::Arc;
use crate::raw::{PENDING_BIT, RawGil, SIGNAL_MASK};

/// Why a [`check()`](crate::GilGuard::check) or an interruptible wait stopped: what an
/// interpreter raises.
///
/// | variant | Python |
/// |---|---|
/// | [`Requested`](Self::Requested) | `KeyboardInterrupt` (`_thread.interrupt_main`), or the exception a binding set with it (`PyThreadState_SetAsyncExc`) |
/// | [`PendingCall`](Self::PendingCall) | the exception the pending call (signal handler) raised |
/// | [`PendingCallPanicked`](Self::PendingCallPanicked) | `SystemError` (CPython has no panics) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Interrupt {
    /// An [`Interrupter`] interrupted the thread.
    #[error("interrupted")]
    Requested,
    /// A pending call returned `ControlFlow::Break` (on the main thread).
    #[error("a pending call failed")]
    PendingCall,
    /// A pending call panicked (the panic hook reported it; the calls behind it still run).
    #[error("a pending call panicked")]
    PendingCallPanicked,
}

impl Interrupt {
    pub(crate) fn code(self) -> u64 {
        match self {
            Self::Requested => 0,
            Self::PendingCall => 1,
            Self::PendingCallPanicked => 2,
        }
    }

    pub(crate) fn from_code(code: u64) -> Self {
        match code {
            1 => Self::PendingCall,
            2 => Self::PendingCallPanicked,
            _ => Self::Requested,
        }
    }
}

/// What a [`check()`](crate::GilGuard::check) that was not interrupted did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Turn {
    /// The thread kept the GIL throughout.
    Kept,
    /// The thread handed the GIL over and has it back.
    Switched,
}

impl Turn {
    /// Whether the GIL changed hands.
    pub fn switched(self) -> bool {
        self == Self::Switched
    }
}

/// `check()`'s share: runs pending calls (main thread) and takes this thread's interrupt,
/// as `breaker` asks. Cold.
pub(crate) fn deliver(raw: &Arc<RawGil>, breaker: u32) -> Result<(), Interrupt> {
    if breaker & PENDING_BIT != 0 {
        raw.signals.run(raw, held::ident())?;
    }
    if breaker & SIGNAL_MASK != 0
        && let Some(kind) = thread::current_if_any().and_then(|s| s.take())
    {
        return Err(kind);
    }
    Ok(())
}

/// Whether the calling thread has an interrupt or pending calls to see to: an
/// interruptible wait leaves its park loop on it (see the module docs). A thread-local
/// read and a relaxed load.
pub fn poll() -> bool {
    thread::current_if_any().is_some_and(|s| s.poll())
}

/// Runs `f`, a wait's park loop, with the calling thread marked as waiting interruptibly:
/// an interrupt, or pending calls queued for this (main) thread, unpark it meanwhile (and
/// only meanwhile). `f` must poll [`poll`] before each park and leave when it is true.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gil_core::signal;
///
/// let gil = gil_core::Gil::new();
/// let interrupter = gil.interrupter();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(10));
///     interrupter.interrupt().unwrap();
/// });
/// signal::interruptible(|| {
///     while !signal::poll() {
///         std::thread::park();
///     }
/// });
/// assert_eq!(signal::take_interrupt(), Some(gil_core::Interrupt::Requested));
/// ```
pub fn interruptible<R>(f: impl FnOnce() -> R) -> R {
    struct Leave(Arc<thread::ThreadSignals>);
    impl Drop for Leave {
        fn drop(&mut self) {
            self.0.leave_wait();
        }
    }
    let Some(signals) = thread::current_if_any() else {
        // No interrupter or pending-call queue knows this thread: nothing can wake it.
        return f();
    };
    signals.enter_wait();
    let _leave = Leave(signals);
    f()
}

/// Whether an interrupt is pending on the calling thread.
pub fn is_interrupted() -> bool {
    thread::current_if_any().is_some_and(|s| s.interrupted())
}

/// Takes the calling thread's pending interrupt, if any: a wait that returns `Interrupted`
/// takes it, so that the next `check()` does not report it again.
pub fn take_interrupt() -> Option<Interrupt> {
    thread::current_if_any().and_then(|s| s.take())
}

/// Runs the pending calls of the GIL the calling thread holds, if it is that GIL's main
/// thread (CPython's `Py_MakePendingCalls` in a wait's `intr_flag` path). A call that fails
/// raises its [`Interrupt`] on the calling thread. Without a GIL it does nothing: the calls
/// run at the main thread's next `check()`.
pub fn run_pending_calls() {
    let Some(signals) = thread::current_if_any() else {
        return;
    };
    signals.take_calls();
    if let Some(raw) = current_gil()
        && raw.breaker() & PENDING_BIT != 0
        && let Err(kind) = raw.signals.run(&raw, held::ident())
    {
        thread::raise_on_current(kind, &raw);
    }
}

impl Gil {
    /// An [`Interrupter`] for the calling thread, counted on this GIL: whoever holds it can
    /// make this thread's next [`check()`](crate::GilGuard::check) return
    /// [`Interrupt::Requested`] and wake its interruptible waits.
    ///
    /// # Panics
    ///
    /// If called while the thread's thread-locals are being destroyed.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// gil.interrupter().interrupt().unwrap();
    /// assert_eq!(guard.check(), Err(gil_core::Interrupt::Requested));
    /// assert_eq!(guard.check(), Ok(gil_core::Turn::Kept)); // taken
    /// ```
    pub fn interrupter(&self) -> Interrupter {
        self.try_interrupter()
            .expect("`Gil::interrupter` called during thread-local destruction")
    }

    /// As [`interrupter`](Self::interrupter), but `None` instead of a panic while the
    /// calling thread's thread-locals are being destroyed (code that may run in a
    /// thread-local destructor, such as a runtime meeting a foreign thread there).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// assert!(gil.try_interrupter().is_some());
    /// ```
    pub fn try_interrupter(&self) -> Option<Interrupter> {
        Interrupter::try_new(self.raw())
    }

    /// Queues `call` to run on this GIL's main thread, GIL held, at its next `check()` or
    /// in its current interruptible wait (CPython's `Py_AddPendingCall`). Any thread may
    /// call it, with or without the GIL. `ControlFlow::Break(())` makes the main thread's
    /// `check()` (or wait) report [`Interrupt::PendingCall`]; so does a panic, as
    /// [`Interrupt::PendingCallPanicked`]. Either way the calls queued behind it run later.
    ///
    /// The main thread is the one that built the GIL, until [`set_main_thread`] says
    /// otherwise.
    ///
    /// # Errors
    ///
    /// [`PendingCallError::Full`] when [`MAX_PENDING_CALLS`] calls already wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// let other = gil.clone();
    /// std::thread::spawn(move || other.add_pending_call(|| ControlFlow::Break(())))
    ///     .join()
    ///     .unwrap()
    ///     .unwrap();
    /// assert_eq!(guard.check(), Err(gil_core::Interrupt::PendingCall));
    /// ```
    ///
    /// [`set_main_thread`]: Gil::set_main_thread
    pub fn add_pending_call(
        &self,
        call: impl FnOnce() -> ControlFlow<()> + Send + 'static,
    ) -> Result<(), PendingCallError> {
        self.raw().signals.push(self.raw(), Box::new(call))
    }

    /// Makes the calling thread this GIL's main thread: the one that runs pending calls.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// assert_eq!(gil.main_thread(), Some(gil_core::ident::current()));
    /// ```
    pub fn set_main_thread(&self) {
        self.raw()
            .signals
            .set_main(held::ident(), thread::current());
    }

    /// The main thread's identity ([`ident::current`](crate::ident::current) on it).
    pub fn main_thread(&self) -> Option<u64> {
        self.raw().signals.main()
    }

    /// How many pending calls wait.
    pub fn pending_calls(&self) -> usize {
        self.raw().signals.len()
    }
}
