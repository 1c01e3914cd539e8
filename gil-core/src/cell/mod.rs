//! Data the GIL protects: [`GilCell`] and [`GilOnceCell`].
//!
//! # Files
//!
//! - `mod.rs`: `GilCell`'s API.
//! - `state.rs`: the borrow state and its two protocols (GIL enabled: a flag the GIL
//!   protects; free-threaded: a per-cell lock), and each thread's count of outstanding borrows.
//! - `slot.rs`: the crate's only `unsafe`: the value's `UnsafeCell`, `Ref` and `RefMut`.
//! - `once.rs`: `GilOnceCell`.

use std::fmt;

use crate::error::BorrowError;
use crate::gil::Gil;
use crate::gil::proof::Guard;

mod once;
mod slot;
mod state;

pub use self::once::GilOnceCell;
pub use self::slot::{Ref, RefMut};

pub(crate) use self::state::outstanding;

/// A value protected by a [`Gil`]: borrowed with a guard of that GIL, with `RefCell`'s rules.
///
/// With the GIL enabled, the GIL is the lock: a borrow checks that the guard is this GIL's and
/// is current, then flips a flag, with no atomic read-modify-write. Under
/// [`Mode::FreeThreaded`](crate::Mode::FreeThreaded) the same calls take a per-cell lock
/// instead (other threads wait for it), so the same code stays correct without a GIL.
///
/// # The one rule: a thread that holds a borrow does not block
///
/// While the calling thread holds any `GilCell` borrow, it may not give its GIL away or
/// wait: `allow_threads` (both forms), and every blocking call of `gil-sync`, panic; `check()`
/// does not hand the GIL over (its own guard's borrows are ruled out at compile time, since
/// it takes `&mut self`). This is what makes the cell sound — no other thread can run under
/// the GIL and reach the cell mid-borrow — and, free-threaded, deadlock-free: a thread never
/// waits while holding a cell, so no cycle of waits can form. Drop borrows before blocking.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, GilCell};
/// use std::sync::Arc;
///
/// let gil = Gil::new();
/// let counter = Arc::new(GilCell::new(&gil, 0u64));
/// let threads: Vec<_> = (0..4)
///     .map(|_| {
///         let (gil, counter) = (gil.clone(), counter.clone());
///         std::thread::spawn(move || {
///             let mut guard = gil.acquire();
///             for _ in 0..1_000 {
///                 *counter.borrow_mut(&guard) += 1; // a "bytecode" that needs the heap
///                 guard.check().unwrap(); // may switch threads: no borrow is alive here
///             }
///         })
///     })
///     .collect();
/// for t in threads {
///     t.join().unwrap();
/// }
/// assert_eq!(*counter.borrow(&gil.acquire()), 4_000);
/// ```
///
/// A borrow alive across `check()` does not compile:
///
/// ```compile_fail,E0502
/// let gil = gil_core::Gil::new();
/// let cell = gil_core::GilCell::new(&gil, 0);
/// let mut guard = gil.acquire();
/// let r = cell.borrow_mut(&guard);
/// guard.check().unwrap(); // error: `guard` is borrowed by `r`
/// drop(r);
/// ```
///
/// nor across the guard's `allow_threads`:
///
/// ```compile_fail,E0502
/// let gil = gil_core::Gil::new();
/// let cell = gil_core::GilCell::new(&gil, 0);
/// let mut guard = gil.acquire();
/// let r = cell.borrow(&guard);
/// guard.allow_threads(|| ()); // error: `guard` is borrowed by `r`
/// drop(r);
/// ```
///
/// and a borrow cannot outlive its guard:
///
/// ```compile_fail,E0505
/// let gil = gil_core::Gil::new();
/// let cell = gil_core::GilCell::new(&gil, 0);
/// let guard = gil.acquire();
/// let r = cell.borrow(&guard);
/// drop(guard); // error: `guard` is borrowed by `r`
/// drop(r);
/// ```
///
/// # Differences from Python
///
/// CPython 3.13t suspends a thread's critical sections while it blocks, and re-takes them
/// after. A Rust borrow cannot be suspended: the compiler assumes nothing changes the value
/// while a `&mut` to it lives (it keeps values in registers across calls), so another thread
/// writing meanwhile would be undefined behaviour even though the borrower is asleep. The
/// rule above reaches the same goal — no deadlock through a blocking call — soundly.
pub struct GilCell<T> {
    gil: Gil,
    slot: slot::Slot<T>,
}

impl<T> GilCell<T> {
    /// A cell protected by `gil`.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let cell = gil_core::GilCell::new(&gil, String::from("heap"));
    /// assert!(cell.gil().ptr_eq(&gil));
    /// ```
    pub fn new(gil: &Gil, value: T) -> Self {
        Self {
            gil: gil.clone(),
            slot: slot::Slot::new(value),
        }
    }

    /// The GIL that protects this cell.
    pub fn gil(&self) -> &Gil {
        &self.gil
    }

    /// Borrows the value, shared.
    ///
    /// # Panics
    ///
    /// When [`try_borrow`](Self::try_borrow) returns an error: the calling thread holds the
    /// cell mutably borrowed, `guard` is another GIL's or is not current, and so on
    /// ([`BorrowError`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let cell = gil_core::GilCell::new(&gil, 7);
    /// let guard = gil.acquire();
    /// let (a, b) = (cell.borrow(&guard), cell.borrow(&guard)); // shared borrows nest
    /// assert_eq!(*a + *b, 14);
    /// ```
    #[inline]
    #[track_caller]
    pub fn borrow<'g>(&'g self, guard: &'g impl Guard) -> Ref<'g, T> {
        self.try_borrow(guard).unwrap_or_else(|e| borrow_failed(e))
    }

    /// Borrows the value, shared, or says why not.
    ///
    /// Free-threaded, waits while another thread holds the cell (unless this thread holds
    /// other borrows: [`BorrowError::WouldDeadlock`]).
    ///
    /// # Errors
    ///
    /// - [`BorrowError::AlreadyMutablyBorrowed`]: this thread holds it mutably borrowed.
    /// - [`BorrowError::WrongGil`]: `guard` belongs to another [`Gil`].
    /// - [`BorrowError::NotHeld`]: `guard` is an outer guard used inside `allow_threads`.
    /// - [`BorrowError::WouldDeadlock`], [`BorrowError::TooManyBorrows`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{BorrowError, Gil, GilCell};
    /// let gil = Gil::new();
    /// let cell = GilCell::new(&gil, 7);
    /// let guard = gil.acquire();
    /// let w = cell.borrow_mut(&guard);
    /// assert_eq!(cell.try_borrow(&guard).unwrap_err(), BorrowError::AlreadyMutablyBorrowed);
    /// drop(w);
    /// let other = Gil::new();
    /// let err = cell.try_borrow(&other.acquire()).unwrap_err();
    /// assert_eq!(err, BorrowError::WrongGil);
    /// ```
    #[inline]
    pub fn try_borrow<'g>(&'g self, guard: &'g impl Guard) -> Result<Ref<'g, T>, BorrowError> {
        self.check_gil(guard)?;
        self.slot.borrow(self.gil.raw(), guard.level())
    }

    /// Borrows the value mutably.
    ///
    /// # Panics
    ///
    /// When [`try_borrow_mut`](Self::try_borrow_mut) returns an error (the calling thread
    /// holds the cell borrowed, `guard` is another GIL's or not current, …).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let cell = gil_core::GilCell::new(&gil, vec![1]);
    /// let guard = gil.acquire();
    /// cell.borrow_mut(&guard).push(2);
    /// assert_eq!(*cell.borrow(&guard), [1, 2]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn borrow_mut<'g>(&'g self, guard: &'g impl Guard) -> RefMut<'g, T> {
        self.try_borrow_mut(guard)
            .unwrap_or_else(|e| borrow_failed(e))
    }

    /// Borrows the value mutably, or says why not.
    ///
    /// Free-threaded, waits while another thread holds the cell (unless this thread holds
    /// other borrows: [`BorrowError::WouldDeadlock`]).
    ///
    /// # Errors
    ///
    /// - [`BorrowError::AlreadyBorrowed`]: this thread holds it borrowed.
    /// - [`BorrowError::WrongGil`], [`BorrowError::NotHeld`], [`BorrowError::WouldDeadlock`]:
    ///   as [`try_borrow`](Self::try_borrow).
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{BorrowError, Gil, GilCell};
    /// let gil = Gil::new();
    /// let cell = GilCell::new(&gil, 7);
    /// let guard = gil.acquire();
    /// let r = cell.borrow(&guard);
    /// assert_eq!(cell.try_borrow_mut(&guard).unwrap_err(), BorrowError::AlreadyBorrowed);
    /// drop(r);
    /// let mut inner = gil.acquire();
    /// // An outer guard inside a nested guard's `allow_threads`: the GIL is released there.
    /// inner.allow_threads(|| {
    ///     assert_eq!(cell.try_borrow_mut(&guard).unwrap_err(), BorrowError::NotHeld);
    /// });
    /// ```
    #[inline]
    pub fn try_borrow_mut<'g>(
        &'g self,
        guard: &'g impl Guard,
    ) -> Result<RefMut<'g, T>, BorrowError> {
        self.check_gil(guard)?;
        self.slot.borrow_mut(self.gil.raw(), guard.level())
    }

    /// Replaces the value, returning the old one.
    ///
    /// # Panics
    ///
    /// As [`borrow_mut`](Self::borrow_mut).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let cell = gil_core::GilCell::new(&gil, 1);
    /// assert_eq!(cell.replace(&gil.acquire(), 2), 1);
    /// ```
    #[track_caller]
    pub fn replace(&self, guard: &impl Guard, value: T) -> T {
        std::mem::replace(&mut *self.borrow_mut(guard), value)
    }

    /// The value, through a unique reference: no guard needed, nothing can borrow it.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let mut cell = gil_core::GilCell::new(&gil, 1);
    /// *cell.get_mut() += 1;
    /// assert_eq!(cell.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.slot.get_mut()
    }

    /// The value, consuming the cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// assert_eq!(gil_core::GilCell::new(&gil, "v").into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T {
        self.slot.into_inner()
    }

    #[inline]
    fn check_gil(&self, guard: &impl Guard) -> Result<(), BorrowError> {
        if crate::loom::sync::Arc::ptr_eq(self.gil.raw(), guard.gil().raw()) {
            Ok(())
        } else {
            Err(BorrowError::WrongGil)
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn borrow_failed(e: BorrowError) -> ! {
    panic!("GilCell borrow failed: {e}")
}

impl<T> fmt::Debug for GilCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GilCell").finish_non_exhaustive()
    }
}

/// Panics if the calling thread holds a [`GilCell`] borrow, with the message every blocking
/// call gives in that case. Blocking calls (`allow_threads`, `gil-sync`'s waits) call it
/// before they change any state, so the panic leaves every lock, flag and GIL usable.
///
/// # Panics
///
/// If the calling thread holds a `GilCell` borrow (see [`GilCell`], "The one rule").
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, GilCell};
/// gil_core::assert_may_block(); // no borrow: fine
/// let gil = Gil::new();
/// let cell = GilCell::new(&gil, 0);
/// let guard = gil.acquire();
/// let r = cell.borrow(&guard);
/// let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(gil_core::assert_may_block));
/// assert!(err.is_err());
/// drop(r);
/// ```
#[inline]
#[track_caller]
pub fn assert_may_block() {
    if outstanding() > 0 {
        borrows_held();
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn borrows_held() -> ! {
    panic!(
        "cannot block or release the GIL while holding a GilCell borrow ({} outstanding on \
         this thread): drop it first",
        outstanding()
    )
}
