//! `GilOnceCell`: a value initialised once, under the GIL, that never makes a thread wait.

use std::fmt;
use std::sync::OnceLock;

use crate::gil::proof::Guard;

/// A value initialised at most once, read without a lock afterwards (PyO3's `GILOnceCell`).
///
/// [`get_or_init`](Self::get_or_init) runs the initialiser with the GIL held and without any
/// other lock, so:
/// - an initialiser that releases the GIL (`allow_threads`, a `gil-sync` wait) cannot
///   deadlock: meanwhile another thread may run its own initialiser, and the first value
///   stored wins (the other is dropped) — the same race CPython code has around
///   module-level caches;
/// - an initialiser that does not release the GIL runs once, with the GIL enabled;
/// - a panicking initialiser leaves the cell uninitialised.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, GilOnceCell};
///
/// static TABLE: GilOnceCell<Vec<u32>> = GilOnceCell::new();
/// let gil = Gil::new();
/// let guard = gil.acquire();
/// let t = TABLE.get_or_init(&guard, || (0..4).collect());
/// assert_eq!(t, &[0, 1, 2, 3]);
/// assert!(std::ptr::eq(t, TABLE.get().unwrap()));
/// ```
///
/// # Differences from `std::sync::OnceLock`
///
/// `OnceLock::get_or_init` makes other threads wait while the initialiser runs: if the
/// initialiser releases the GIL and a waiting thread holds it, neither can go on.
pub struct GilOnceCell<T> {
    value: OnceLock<T>,
}

impl<T> GilOnceCell<T> {
    /// An empty cell (usable in a `static`).
    ///
    /// # Examples
    ///
    /// ```
    /// static CELL: gil_core::GilOnceCell<u8> = gil_core::GilOnceCell::new();
    /// assert!(CELL.get().is_none());
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self {
            value: OnceLock::new(),
        }
    }

    /// The value, if initialised. Needs no guard: once stored, the value never changes.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gil_core::GilOnceCell::new();
    /// let gil = gil_core::Gil::new();
    /// cell.set(&gil.acquire(), 5).unwrap();
    /// assert_eq!(cell.get(), Some(&5));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Stores `value` if the cell is empty.
    ///
    /// # Errors
    ///
    /// `Err(value)` if the cell was already initialised.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gil_core::GilOnceCell::new();
    /// let gil = gil_core::Gil::new();
    /// let guard = gil.acquire();
    /// assert_eq!(cell.set(&guard, 1), Ok(()));
    /// assert_eq!(cell.set(&guard, 2), Err(2));
    /// ```
    pub fn set(&self, _guard: &impl Guard, value: T) -> Result<(), T> {
        self.value.set(value)
    }

    /// The value, initialised by `f` if the cell is empty (see the type docs for what
    /// happens when `f` releases the GIL or panics).
    ///
    /// # Panics
    ///
    /// Only if `f` panics; the cell is then left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gil_core::GilOnceCell::new();
    /// let gil = gil_core::Gil::new();
    /// let guard = gil.acquire();
    /// assert_eq!(*cell.get_or_init(&guard, || 1), 1);
    /// assert_eq!(*cell.get_or_init(&guard, || 2), 1);
    /// ```
    pub fn get_or_init(&self, guard: &impl Guard, f: impl FnOnce() -> T) -> &T {
        match self.get_or_try_init(guard, || Ok::<T, std::convert::Infallible>(f())) {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// As [`get_or_init`](Self::get_or_init) with a fallible initialiser; an error leaves
    /// the cell empty.
    ///
    /// # Errors
    ///
    /// The initialiser's error.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gil_core::GilOnceCell::<u8>::new();
    /// let gil = gil_core::Gil::new();
    /// let guard = gil.acquire();
    /// assert_eq!(cell.get_or_try_init(&guard, || "x".parse::<u8>()).is_err(), true);
    /// assert!(cell.get().is_none());
    /// assert_eq!(cell.get_or_try_init(&guard, || "7".parse::<u8>()), Ok(&7));
    /// ```
    pub fn get_or_try_init<E>(
        &self,
        _guard: &impl Guard,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<&T, E> {
        if let Some(v) = self.value.get() {
            return Ok(v);
        }
        // No lock is held while `f` runs; storing the result runs no user code, so a thread
        // that races us here waits for a few instructions at most.
        let v = f()?;
        Ok(self.value.get_or_init(|| v))
    }

    /// The value, through a unique reference.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = gil_core::GilOnceCell::new();
    /// assert!(cell.get_mut().is_none());
    /// cell.set(&gil_core::Gil::new().acquire(), 1).unwrap();
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.take(), Some(2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Empties the cell, returning the value if there was one.
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }

    /// The value, consuming the cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gil_core::GilOnceCell::<u8>::new();
    /// assert_eq!(cell.into_inner(), None);
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

impl<T> Default for GilOnceCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for GilOnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GilOnceCell")
            .field(&self.value.get())
            .finish()
    }
}
