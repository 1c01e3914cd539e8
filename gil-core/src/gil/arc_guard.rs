//! `ArcGilGuard`: a guard that owns a handle to its GIL, so it has no lifetime (`parking_lot`'s
//! `lock_arc`). Everything it does is `GilGuard`'s, through the same functions (`guard.rs`).

use std::marker::PhantomData;

use crate::error::TryAcquireError;
use crate::gil::Gil;
use crate::gil::guard::{check, release, released};
use crate::gil::proof::{Guard, sealed};
use crate::signal::{Interrupt, Turn};

impl Gil {
    /// As [`acquire`](Self::acquire), returning a guard that owns a clone of this handle, so
    /// that a per-thread interpreter struct can keep it without a lifetime.
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{ArcGilGuard, Gil, GilCell};
    /// use std::sync::Arc;
    ///
    /// /// A VM thread: no lifetime parameter.
    /// struct Frame {
    ///     guard: ArcGilGuard,
    ///     heap: Arc<GilCell<Vec<i64>>>,
    /// }
    ///
    /// impl Frame {
    ///     fn push(&mut self, v: i64) {
    ///         self.heap.borrow_mut(&self.guard).push(v);
    ///         self.guard.check().unwrap();
    ///     }
    /// }
    ///
    /// let gil = Gil::new();
    /// let heap = Arc::new(GilCell::new(&gil, Vec::new()));
    /// let mut frame = Frame { guard: gil.acquire_arc(), heap: heap.clone() };
    /// frame.push(1);
    /// drop(frame);
    /// assert_eq!(*heap.borrow(&gil.acquire()), [1]);
    /// ```
    pub fn acquire_arc(&self) -> ArcGilGuard {
        ArcGilGuard::new(self.clone(), self.acquire_level())
    }

    /// As [`try_acquire`](Self::try_acquire), returning an [`ArcGilGuard`].
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] as for `try_acquire`.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let guard = gil.try_acquire_arc().unwrap();
    /// assert!(guard.gil().is_held_by_current_thread());
    /// ```
    pub fn try_acquire_arc(&self) -> Result<ArcGilGuard, TryAcquireError> {
        Ok(ArcGilGuard::new(self.clone(), self.try_acquire_level()?))
    }
}

/// A [`GilGuard`](crate::GilGuard) that owns a handle to its GIL: from
/// [`Gil::acquire_arc`]. The same rules apply (`!Send`, nesting, `check`, `allow_threads`).
///
/// # Examples
///
/// ```
/// let gil = gil_core::Gil::new();
/// let mut guard = gil.acquire_arc();
/// drop(gil); // the guard keeps the GIL alive
/// assert_eq!(guard.check(), Ok(gil_core::Turn::Kept));
/// ```
///
/// As with `GilGuard`, a `GilCell` borrow through it cannot be alive across `check()`:
///
/// ```compile_fail,E0502
/// let gil = gil_core::Gil::new();
/// let cell = gil_core::GilCell::new(&gil, 0);
/// let mut guard = gil.acquire_arc();
/// let r = cell.borrow(&guard);
/// guard.check().unwrap(); // error: `guard` is borrowed by `r`
/// drop(r);
/// ```
#[derive(Debug)]
#[must_use = "if unused the GIL will immediately be released"]
pub struct ArcGilGuard {
    gil: Gil,
    level: u32,
    countdown: u32,
    _not_send: PhantomData<*const ()>,
}

impl ArcGilGuard {
    fn new(gil: Gil, level: u32) -> Self {
        Self {
            gil,
            level,
            countdown: 0,
            _not_send: PhantomData,
        }
    }

    /// The GIL this guard holds.
    pub fn gil(&self) -> &Gil {
        &self.gil
    }

    /// The eval breaker, as [`GilGuard::check`](crate::GilGuard::check).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut guard = gil_core::Gil::new().acquire_arc();
    /// assert_eq!(guard.check(), Ok(gil_core::Turn::Kept));
    /// ```
    #[inline]
    ///
    /// # Errors
    ///
    /// As [`GilGuard::check`](crate::GilGuard::check).
    pub fn check(&mut self) -> Result<Turn, Interrupt> {
        check(self.gil.raw(), &mut self.countdown)
    }

    /// Releases the GIL while `f` runs, as
    /// [`GilGuard::allow_threads`](crate::GilGuard::allow_threads).
    ///
    /// # Panics
    ///
    /// As `GilGuard::allow_threads`: if the thread holds a `GilCell` borrow (made through
    /// another guard), before releasing anything; a panic of `f` is resumed with the GIL held.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire_arc();
    /// guard.allow_threads(|| assert!(!gil.is_held_by_current_thread()));
    /// ```
    pub fn allow_threads<F: FnOnce() -> R, R>(&mut self, f: F) -> R {
        released(self.gil.raw(), f)
    }
}

impl Drop for ArcGilGuard {
    #[inline]
    fn drop(&mut self) {
        release(self.gil.raw(), self.level);
    }
}

impl Guard for ArcGilGuard {
    #[inline]
    fn gil(&self) -> &Gil {
        &self.gil
    }
}

impl sealed::Sealed for ArcGilGuard {
    #[inline]
    fn level(&self) -> u32 {
        self.level
    }
}
