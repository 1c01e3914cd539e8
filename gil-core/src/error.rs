//! Error types. Messages are lowercase without trailing punctuation (API guidelines C-GOOD-ERR).

use thiserror::Error;

/// Why [`Gil::try_acquire`](crate::Gil::try_acquire) did not return a guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TryAcquireError {
    /// Another thread holds the GIL (or waiters are queued ahead of the caller, which the
    /// fair policy never lets a newcomer overtake).
    #[error("the gil is held by another thread")]
    WouldBlock,
}

/// Why a switch interval was refused (Python raises `ValueError` for the same input to
/// `sys.setswitchinterval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SwitchIntervalError {
    /// The interval was zero; it must be strictly positive.
    #[error("switch interval must be strictly positive")]
    Zero,
}
