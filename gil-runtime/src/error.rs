//! Error types, one per operation family; messages are Python's where Python has the error
//! (`RuntimeError` for all but [`StackSizeError`]).
//!
//! | error | raised by | Python |
//! |---|---|---|
//! | [`StartError`] | `Thread::start` | `RuntimeError` |
//! | [`JoinError`] | `Thread::join`, `join_timeout` | `RuntimeError`; `Interrupted`: the interrupt's exception (`KeyboardInterrupt`, ...) |
//! | [`DaemonError`] | `Thread::set_daemon` | `RuntimeError` |
//! | [`InterruptError`] | `Thread::interrupt`, `Thread::interrupter`, `Handle::interrupt_main` | none: `PyThreadState_SetAsyncExc` returns 0 ("not found") |
//! | [`StackSizeError`] | `Handle::set_stack_size`, `ThreadBuilder::stack_size` | `ValueError`, `OverflowError` |
//! | [`BorrowError`] | `Local::try_with` | none |

use gil_core::Interrupt;
use thiserror::Error;

/// Why [`Thread::start`](crate::Thread::start) did not start the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StartError {
    /// `start` was already called.
    #[error("threads can only be started once")]
    AlreadyStarted,
    /// The runtime is shutting down (Python 3.12+).
    #[error("can't create new thread at interpreter shutdown")]
    Shutdown,
    /// The OS refused a thread; carries the OS error's kind.
    #[error("can't start new thread: {0}")]
    Spawn(std::io::ErrorKind),
}

/// Why [`Thread::join`](crate::Thread::join) did not report a clean exit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The thread was never started.
    #[error("cannot join thread before it is started")]
    NotStarted,
    /// A thread tried to join itself.
    #[error("cannot join current thread")]
    CurrentThread,
    /// The thread was not started by the runtime (a dummy thread).
    #[error("cannot join a dummy thread")]
    DummyThread,
    /// The target panicked; carries the panic message. The thread has ended and the
    /// runtime and its GIL are usable. (Python's `join` returns `None` here; the exception
    /// went to `excepthook`.)
    #[error("thread panicked: {0}")]
    Panicked(String),
    /// The joining thread was interrupted (an [`Interrupter`](gil_core::Interrupter), such
    /// as [`Thread::interrupt`](crate::Thread::interrupt) or
    /// [`Handle::interrupt_main`](crate::Handle::interrupt_main)), or a pending call it ran
    /// while waiting failed, before the thread ended. Nothing else changed: the thread can
    /// be joined again. (Python raises the interrupt's exception, `KeyboardInterrupt` for
    /// Ctrl-C, out of `join`.)
    #[error(transparent)]
    Interrupted(#[from] Interrupt),
}

/// Why [`Thread::interrupt`](crate::Thread::interrupt) (or
/// [`Thread::interrupter`](crate::Thread::interrupter),
/// [`Handle::interrupt_main`](crate::Handle::interrupt_main)) refused. Python's
/// `PyThreadState_SetAsyncExc` has one answer for all of them: 0, no such thread.
///
/// # Examples
///
/// ```
/// use gil_runtime::{InterruptError, Runtime};
///
/// let rt = Runtime::new();
/// let t = rt.thread(|_| {});
/// assert_eq!(t.interrupt(), Err(InterruptError::NotStarted));
/// t.start().unwrap();
/// t.join().unwrap();
/// assert_eq!(t.interrupt(), Err(InterruptError::Finished));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InterruptError {
    /// The thread was never started (or its start failed).
    #[error("cannot interrupt thread before it is started")]
    NotStarted,
    /// The thread has finished: its target has returned (or panicked), or, for the main
    /// thread, the runtime has shut down or the OS thread has exited.
    #[error("cannot interrupt a finished thread")]
    Finished,
    /// The thread was not started by the runtime (a dummy thread); make an
    /// [`Interrupter`](gil_core::Interrupter) on it with
    /// [`Gil::interrupter`](gil_core::Gil::interrupter) instead.
    #[error("cannot interrupt a dummy thread")]
    DummyThread,
}

/// Why [`Thread::set_daemon`](crate::Thread::set_daemon) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// The thread was already started.
    #[error("cannot set daemon status of active thread")]
    Active,
}

/// Why a stack size was refused ([`Handle::set_stack_size`](crate::Handle::set_stack_size),
/// [`ThreadBuilder::stack_size`](crate::ThreadBuilder::stack_size)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StackSizeError {
    /// Nonzero and below 32 KiB (Python: `ValueError`).
    #[error("size not valid: {0} bytes")]
    TooSmall(usize),
    /// Above `isize::MAX` (Python: `OverflowError`).
    #[error("size too large: {0} bytes")]
    TooLarge(usize),
}

/// A [`Local`](crate::Local)'s value is already lent to a [`with`](crate::Local::with)
/// closure of the same `Local` on the calling thread ([`Local::try_with`](crate::Local::try_with)
/// called from inside it). Python has no counterpart: its locals hand out shared references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the Local's value is already in use by a `with` closure on this thread")]
pub struct BorrowError(pub(crate) ());
