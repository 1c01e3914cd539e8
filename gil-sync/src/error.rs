//! Error types, one per operation family; variants name the reason.
//!
//! Messages are lowercase without trailing punctuation (API guidelines C-GOOD-ERR) and, where
//! Python has a message for the same case, they are Python's. The table says which Python
//! exception a binding layer should raise for each variant:
//!
//! | variant | Python |
//! |---|---|
//! | [`TryAcquireError::WouldBlock`], [`AcquireError::TimedOut`] | `acquire(...)` returns `False` |
//! | [`ReleaseError::Unlocked`], [`ReleaseError::NotOwner`] | `RuntimeError` |
//! | [`ReleaseError::InvalidCount`], [`ReleaseError::OverRelease`] | `ValueError` |
//! | [`ReleaseError::Overflow`] | `OverflowError` |
//! | [`WaitError::NotOwner`], [`NotifyError::NotOwner`] | `RuntimeError` |
//! | [`BarrierError::Broken`] | `threading.BrokenBarrierError` |
//! | [`BarrierError::ActionFailed`] | the action's own exception |
//! | [`ValueError`] variants | `ValueError` |
//! | [`TimerError::AlreadyStarted`], [`TimerError::Spawn`] | `RuntimeError` |
//! | [`JoinError::NotStarted`], [`JoinError::CurrentThread`] | `RuntimeError` |
//! | [`TimeoutArgError`] variants | `ValueError` / `OverflowError` (see each) |
//! | [`AcquireError::Interrupted`], [`WaitError::Interrupted`], [`BarrierError::Interrupted`], [`JoinError::Interrupted`] (and the bare [`Interrupt`] of the `*_interruptible` forms) | by the [`Interrupt`]: `KeyboardInterrupt` for [`Interrupt::Requested`] (or the exception a binding raised it for), the pending call's exception for [`Interrupt::PendingCall`], `SystemError` for [`Interrupt::PendingCallPanicked`] |
//!
//! An `Interrupted` error has taken the thread's interrupt: the thread's next
//! [`check()`](gil_core::GilGuard::check) does not report it again.

use gil_core::Interrupt;
use thiserror::Error;

/// Why a non-blocking `try_acquire` did not acquire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TryAcquireError {
    /// The lock is held, or the semaphore's value is zero (Python's `acquire(False)` returns
    /// `False`).
    #[error("acquire would block")]
    WouldBlock,
}

/// Why a timed acquire did not acquire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AcquireError {
    /// The timeout passed first (Python's `acquire(timeout=t)` returns `False`).
    #[error("timed out waiting to acquire")]
    TimedOut,
    /// The thread was interrupted (an [`Interrupter`](gil_core::Interrupter), or a pending
    /// call that failed) while it waited; nothing was acquired (Python: the interrupt's
    /// exception, see the module docs).
    #[error("interrupted while waiting to acquire")]
    Interrupted(#[source] Interrupt),
}

/// Why a `release` was refused. Nothing was changed when it is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// `Lock::release` on an unlocked lock (Python: `RuntimeError`).
    #[error("release unlocked lock")]
    Unlocked,
    /// `RLock::release` (or a `Condition` over it) by a thread that does not own it
    /// (Python: `RuntimeError`).
    #[error("cannot release un-acquired lock")]
    NotOwner,
    /// `Semaphore::release_n(0)` (Python: `ValueError`).
    #[error("n must be one or more")]
    InvalidCount,
    /// `BoundedSemaphore::release` past its initial value (Python: `ValueError`); the value
    /// is left as it was.
    #[error("semaphore released too many times")]
    OverRelease,
    /// The value (or recursion count) would pass its maximum (Python ints do not overflow;
    /// CPython's `RLock` raises `OverflowError` for its count).
    #[error("internal count overflowed")]
    Overflow,
}

/// Why `Condition::wait` (or `wait_for`) refused to wait, or stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The calling thread does not hold the condition's lock (Python: `RuntimeError`).
    #[error("cannot wait on un-acquired lock")]
    NotOwner,
    /// The thread was interrupted while it waited; it holds the lock again and consumed no
    /// notification (Python: the interrupt's exception, see the module docs).
    #[error("interrupted while waiting on the condition")]
    Interrupted(#[source] Interrupt),
}

/// Why `Condition::notify` refused to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The calling thread does not hold the condition's lock (Python: `RuntimeError`).
    #[error("cannot notify on un-acquired lock")]
    NotOwner,
}

/// A constructor argument Python rejects with `ValueError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValueError {
    /// `Barrier::new(0)`.
    #[error("parties must be > 0")]
    ZeroParties,
    /// A semaphore's initial value above [`Semaphore::MAX_VALUE`](crate::Semaphore::MAX_VALUE)
    /// (Python ints have no such limit; raised as `OverflowError` by a binding).
    #[error("semaphore initial value too large")]
    ValueTooLarge,
}

/// Why `Barrier::wait` did not pass the barrier.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BarrierError {
    /// The barrier is broken: aborted, reset while this thread waited, a waiter timed out, or
    /// the action failed in another thread (Python: `BrokenBarrierError`).
    #[error("barrier is broken")]
    Broken,
    /// The action failed in *this* thread (it was the last to arrive); the barrier is broken
    /// for everyone else. Carries the action's own error, which Python re-raises as is.
    #[error("barrier action failed: {0}")]
    ActionFailed(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The thread was interrupted while it waited, which broke the barrier for everyone else
    /// (unless it was still waiting for the previous cycle to drain: then nothing changed).
    /// Python: the interrupt's exception, see the module docs.
    #[error("interrupted while waiting at the barrier")]
    Interrupted(#[source] Interrupt),
}

impl BarrierError {
    /// Whether this is [`BarrierError::Broken`].
    pub fn is_broken(&self) -> bool {
        matches!(self, Self::Broken)
    }
}

/// Why `Timer::start` did not start the timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimerError {
    /// `start` was already called (Python: `RuntimeError`).
    #[error("threads can only be started once")]
    AlreadyStarted,
    /// The OS refused a thread (Python: `RuntimeError`); carries the OS error's kind.
    #[error("can't start new thread: {0}")]
    Spawn(std::io::ErrorKind),
}

/// Why `Timer::join` refused to wait, or stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The timer was never started (Python: `RuntimeError`).
    #[error("cannot join thread before it is started")]
    NotStarted,
    /// Called from the timer's own thread (its function), which would wait for itself
    /// (Python: `RuntimeError`).
    #[error("cannot join current thread")]
    CurrentThread,
    /// The thread was interrupted while it waited; the timer thread goes on (Python: the
    /// interrupt's exception, see the module docs).
    #[error("interrupted while joining the timer thread")]
    Interrupted(#[source] Interrupt),
}

/// Why a Python-style timeout argument was rejected (see [`crate::timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimeoutArgError {
    /// `acquire(blocking=False, timeout=t)` with `t != -1` (Python: `ValueError`).
    #[error("can't specify a timeout for a non-blocking call")]
    NonBlockingWithTimeout,
    /// `Semaphore.acquire(blocking=False, timeout=t)` with `t` not `None` (Python:
    /// `ValueError`).
    #[error("can't specify timeout for non-blocking acquire")]
    SemaphoreNonBlockingWithTimeout,
    /// A negative lock timeout other than `-1` (Python: `ValueError`).
    #[error("timeout value must be a non-negative number")]
    Negative,
    /// A NaN timeout (Python: `ValueError`).
    #[error("Invalid value NaN (not a number)")]
    NaN,
    /// Larger than [`TIMEOUT_MAX`](crate::timeout::TIMEOUT_MAX) or infinite (Python:
    /// `OverflowError`).
    #[error("timestamp out of range for platform time_t")]
    Overflow,
}
