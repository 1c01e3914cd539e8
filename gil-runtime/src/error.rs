//! Error types, one per operation family; messages are Python's (`RuntimeError` for all).

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
