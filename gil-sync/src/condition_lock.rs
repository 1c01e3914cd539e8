//! [`ConditionLock`]: the lock under a [`Condition`](crate::Condition), and what the condition
//! needs of it.
//!
//! # Implementation details
//!
//! CPython's `Condition` calls its lock's `acquire`/`release` and, where the lock has them,
//! `_is_owned`, `_release_save` and `_acquire_restore`. [`RawConditionLock`] is that protocol,
//! implemented by [`Lock`] and [`RLock`]; [`ConditionLock::raw`] is the one place the two
//! kinds are told apart.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::error::{AcquireError, ReleaseError, TryAcquireError};
use crate::lock::{Lock, LockGuard};
use crate::rlock::{RLock, RLockGuard, SavedState};
use gil_core::ident;

/// The lock under a [`Condition`](crate::Condition).
#[derive(Debug, Clone)]
pub enum ConditionLock {
    /// A plain [`Lock`] (Python: `Condition(Lock())`).
    Lock(Arc<Lock>),
    /// A re-entrant [`RLock`] (Python's default).
    RLock(Arc<RLock>),
}

impl ConditionLock {
    /// The lock, whichever kind it is.
    pub(crate) fn raw(&self) -> &dyn RawConditionLock {
        match self {
            Self::Lock(lock) => &**lock,
            Self::RLock(lock) => &**lock,
        }
    }
}

impl From<Arc<Lock>> for ConditionLock {
    fn from(lock: Arc<Lock>) -> Self {
        Self::Lock(lock)
    }
}

impl From<Arc<RLock>> for ConditionLock {
    fn from(lock: Arc<RLock>) -> Self {
        Self::RLock(lock)
    }
}

/// What a `Condition` needs of its lock, one level at a time and without guards (Python's
/// lock protocol as `threading.Condition` uses it). `Debug` is the lock's Python `repr`.
pub(crate) trait RawConditionLock: fmt::Debug {
    /// Acquires one level, blocking until `deadline` (`None`: forever) and, if
    /// `interruptible`, until the thread is interrupted.
    fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError>;

    /// Acquires one level if that needs no waiting.
    fn try_acquire(&self) -> Result<(), TryAcquireError>;

    /// Python's `release()`, with the lock's own rules: a `Lock` from any thread, an `RLock`
    /// by its owner only.
    fn release(&self) -> Result<(), ReleaseError>;

    /// Releases one level if the calling thread holds the lock, else nothing (a guard's drop:
    /// a `Lock` released behind the guard's back may belong to another thread by now).
    fn release_if_owned(&self);

    /// Python's `_is_owned()`: whether the calling thread holds the lock.
    fn is_owned(&self) -> bool;

    /// Python's `_release_save()`: releases every level; the caller must hold the lock.
    fn release_save(&self) -> SavedState;

    /// Python's `_acquire_restore()`: re-acquires (blocking, GIL released while it waits,
    /// not interruptible) what `release_save` released.
    fn acquire_restore(&self, saved: SavedState);
}

impl RawConditionLock for Lock {
    fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        Lock::acquire_until(self, deadline, interruptible).map(LockGuard::leak)
    }

    fn try_acquire(&self) -> Result<(), TryAcquireError> {
        Lock::try_acquire(self).map(LockGuard::leak)
    }

    fn release(&self) -> Result<(), ReleaseError> {
        Lock::release(self)
    }

    fn release_if_owned(&self) {
        // Err: not ours (any more), nothing to release.
        let _ = self.raw().unlock_owned(ident::current());
    }

    fn is_owned(&self) -> bool {
        Lock::is_owned(self)
    }

    fn release_save(&self) -> SavedState {
        let released = self.raw().unlock_owned(ident::current());
        debug_assert!(released.is_ok(), "wait checked ownership");
        // A `Lock` has one level.
        SavedState::new(1)
    }

    fn acquire_restore(&self, saved: SavedState) {
        debug_assert_eq!(saved.count(), 1);
        Lock::acquire(self).leak();
    }
}

impl RawConditionLock for RLock {
    fn acquire_until(
        &self,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> Result<(), AcquireError> {
        RLock::acquire_until(self, deadline, interruptible)
    }

    fn try_acquire(&self) -> Result<(), TryAcquireError> {
        RLock::try_acquire(self).map(RLockGuard::leak)
    }

    fn release(&self) -> Result<(), ReleaseError> {
        RLock::release(self)
    }

    fn release_if_owned(&self) {
        // Err: the level was already released behind the guard's back.
        let _ = RLock::release(self);
    }

    fn is_owned(&self) -> bool {
        RLock::is_owned(self)
    }

    fn release_save(&self) -> SavedState {
        match RLock::release_save(self) {
            Ok(saved) => saved,
            Err(_) => unreachable!("wait checked ownership"),
        }
    }

    fn acquire_restore(&self, saved: SavedState) {
        RLock::acquire_restore(self, saved);
    }
}
