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

/// Why a [`GilCell`](crate::GilCell) borrow was refused. Nothing is borrowed when one is
/// returned: the cell, its flag and the GIL are as they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BorrowError {
    /// A shared borrow was asked while the calling thread holds the cell mutably borrowed
    /// (`RefCell`'s `BorrowError`).
    #[error("already mutably borrowed")]
    AlreadyMutablyBorrowed,
    /// A mutable borrow was asked while the calling thread holds the cell borrowed, shared
    /// or mutably (`RefCell`'s `BorrowMutError`).
    #[error("already borrowed")]
    AlreadyBorrowed,
    /// The guard belongs to a different [`Gil`](crate::Gil) than the cell.
    #[error("the guard belongs to a different gil than the cell")]
    WrongGil,
    /// The guard's GIL is not held at the guard's level: it is an outer guard used inside
    /// an `allow_threads` closure, where the GIL is released.
    #[error("the guard's gil is released here (an outer guard used inside allow_threads)")]
    NotHeld,
    /// Free-threaded only: another thread holds the cell, and waiting for it while this
    /// thread holds other cell borrows could deadlock (a thread that holds a borrow never
    /// waits; drop the other borrows and retry).
    #[error(
        "the cell is borrowed by another thread and waiting while holding other borrows could deadlock"
    )]
    WouldDeadlock,
    /// The cell already has the most shared borrows its flag can count (2³⁰ − 1).
    #[error("too many shared borrows")]
    TooManyBorrows,
}
