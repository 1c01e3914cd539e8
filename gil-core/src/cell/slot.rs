//! The workspace's one `unsafe` module: a value in an `UnsafeCell` paired with its
//! [`BorrowState`], and the borrow guards [`Ref`] and [`RefMut`] that dereference it.
//!
//! # Soundness
//!
//! The only way to a `&T` or `&mut T` inside a [`Slot`] is a `Ref` or `RefMut`, and the only
//! way to one of those is [`Slot::borrow`] / [`Slot::borrow_mut`], which first get a
//! [`Borrowed`] token *from this slot's own state*. A token exists exactly while its borrow is
//! recorded in that state, and the state's protocols (`state.rs`, argued in
//! `ARCHITECTURE.md`, section on `GilCell`) never record a mutable borrow beside any other borrow, nor
//! borrows of two threads at once. So while a `RefMut` lives no other reference to the value
//! exists, and while a `Ref` lives only shared ones, all on its thread (or sent from it as
//! `&T`, which needs `T: Sync`). Guards are `!Send` and `!Sync` (they end their borrow on the
//! thread that counted it); a value reached through them may move between threads like any
//! `&mut T`, which is why sharing a `Slot` needs `T: Send`.
//!
//! Under loom the `UnsafeCell` is loom's, and each guard keeps loom's access token for its
//! whole life, so a model in which two threads' borrows overlap fails.

#![allow(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
#[cfg(not(loom))]
use std::ptr::NonNull;

use crate::cell::state::{BorrowState, Borrowed};
use crate::error::BorrowError;
use crate::raw::RawGil;

#[cfg(not(loom))]
use std::cell::UnsafeCell;

#[cfg(loom)]
use loom::cell::UnsafeCell;

/// A value and its borrow state.
#[derive(Debug)]
pub(crate) struct Slot<T> {
    state: BorrowState,
    value: UnsafeCell<T>,
}

// SAFETY: a shared `Slot` gives access to its value only through `Ref`/`RefMut`, which the
// borrow protocol never lets two threads hold at once (module docs); a `RefMut` hands out
// `&mut T`, which can move the value's contents to the borrowing thread, hence `T: Send` (the
// bound of `Mutex<T>: Sync`). `BorrowState` is `Sync` by itself.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            state: BorrowState::new(),
            value: UnsafeCell::new(value),
        }
    }

    /// A shared borrow for a thread holding a guard of `raw` (the slot's GIL) at `level`.
    #[inline]
    pub(crate) fn borrow(&self, raw: &RawGil, level: u32) -> Result<Ref<'_, T>, BorrowError> {
        let token = self.state.borrow(raw, level, false)?;
        Ok(Ref {
            value: SharedPtr::new(&self.value),
            _token: token,
            _marker: PhantomData,
        })
    }

    /// A mutable borrow for a thread holding a guard of `raw` (the slot's GIL) at `level`.
    #[inline]
    pub(crate) fn borrow_mut(
        &self,
        raw: &RawGil,
        level: u32,
    ) -> Result<RefMut<'_, T>, BorrowError> {
        let token = self.state.borrow(raw, level, true)?;
        Ok(RefMut {
            value: ExclusivePtr::new(&self.value),
            _token: token,
            _marker: PhantomData,
        })
    }

    /// The value, through a unique reference to the slot: no borrow can exist.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        #[cfg(not(loom))]
        return self.value.get_mut();
        #[cfg(loom)]
        // SAFETY: `&mut self` excludes every other access to the value for the lifetime of
        // the returned reference (no `Ref`/`RefMut` can be alive: they borrow the slot).
        return self.value.with_mut(|p| unsafe { &mut *p });
    }

    pub(crate) fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

/// A pointer to the value for a shared borrow (under loom, also loom's access token).
#[cfg(not(loom))]
struct SharedPtr<T>(NonNull<T>);

#[cfg(not(loom))]
impl<T> SharedPtr<T> {
    fn new(cell: &UnsafeCell<T>) -> Self {
        // SAFETY: `UnsafeCell::get` returns a pointer derived from a reference, never null.
        Self(unsafe { NonNull::new_unchecked(cell.get()) })
    }

    /// # Safety
    ///
    /// A shared borrow of the value is recorded for at least `'a` (module docs).
    unsafe fn get<'a>(&self) -> &'a T {
        // SAFETY: the pointer is valid (it came from the slot, which outlives the guard that
        // owns this pointer) and the caller's borrow excludes writers.
        unsafe { self.0.as_ref() }
    }
}

#[cfg(loom)]
struct SharedPtr<T>(loom::cell::ConstPtr<T>);

#[cfg(loom)]
impl<T> SharedPtr<T> {
    fn new(cell: &UnsafeCell<T>) -> Self {
        Self(cell.get())
    }

    /// # Safety
    ///
    /// As the std version.
    unsafe fn get<'a>(&self) -> &'a T {
        // SAFETY: as the std version; loom checks the exclusion while `self` lives.
        unsafe { &*self.0.with(|p| p) }
    }
}

/// A pointer to the value for a mutable borrow (under loom, also loom's access token).
#[cfg(not(loom))]
struct ExclusivePtr<T>(NonNull<T>);

#[cfg(not(loom))]
impl<T> ExclusivePtr<T> {
    fn new(cell: &UnsafeCell<T>) -> Self {
        // SAFETY: as `SharedPtr::new`.
        Self(unsafe { NonNull::new_unchecked(cell.get()) })
    }

    /// # Safety
    ///
    /// A mutable borrow of the value is recorded for at least `'a`, and the returned
    /// reference is the only one used while it lives (module docs).
    unsafe fn get<'a>(&mut self) -> &'a mut T {
        // SAFETY: valid as in `SharedPtr::get`; the mutable borrow excludes every other
        // access, and `&mut self` makes this the only reference handed out at a time.
        unsafe { self.0.as_mut() }
    }

    /// # Safety
    ///
    /// A mutable borrow of the value is recorded for at least `'a`, and no reference from
    /// [`get`](Self::get) is used while the returned one lives.
    unsafe fn get_shared<'a>(&self) -> &'a T {
        // SAFETY: valid as in `SharedPtr::get`; the caller excludes `get`'s references.
        unsafe { self.0.as_ref() }
    }
}

#[cfg(loom)]
struct ExclusivePtr<T>(loom::cell::MutPtr<T>);

#[cfg(loom)]
impl<T> ExclusivePtr<T> {
    fn new(cell: &UnsafeCell<T>) -> Self {
        Self(cell.get_mut())
    }

    /// # Safety
    ///
    /// As the std version.
    unsafe fn get<'a>(&mut self) -> &'a mut T {
        // SAFETY: as the std version; loom checks the exclusion while `self` lives.
        unsafe { &mut *self.0.with(|p| p) }
    }

    /// # Safety
    ///
    /// As the std version.
    unsafe fn get_shared<'a>(&self) -> &'a T {
        // SAFETY: as the std version.
        unsafe { &*self.0.with(|p| p) }
    }
}

/// A shared borrow of a [`GilCell`](crate::GilCell)'s value, from
/// [`GilCell::borrow`](crate::GilCell::borrow). Ends the borrow when dropped.
///
/// `!Send` and `!Sync`: the borrow ends on the thread that made it.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, GilCell};
/// let gil = Gil::new();
/// let cell = GilCell::new(&gil, vec![1, 2]);
/// let guard = gil.acquire();
/// let r = cell.borrow(&guard);
/// assert_eq!(r.len(), 2);
/// ```
///
/// A borrow cannot move to another thread (which would end it there, holding no GIL):
///
/// ```compile_fail,E0277
/// use gil_core::{Gil, GilCell};
/// let gil: &'static Gil = Box::leak(Box::new(Gil::new()));
/// let cell: &'static GilCell<u8> = Box::leak(Box::new(GilCell::new(gil, 1)));
/// let guard: &'static _ = Box::leak(Box::new(gil.acquire()));
/// let r = cell.borrow(guard);
/// std::thread::spawn(move || drop(r)); // error: `Ref` cannot be sent between threads
/// ```
pub struct Ref<'a, T> {
    value: SharedPtr<T>,
    _token: Borrowed<'a>,
    _marker: PhantomData<&'a T>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `_token` records a shared borrow for as long as `self` lives, and the
        // returned reference cannot outlive `self`.
        unsafe { self.value.get() }
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A mutable borrow of a [`GilCell`](crate::GilCell)'s value, from
/// [`GilCell::borrow_mut`](crate::GilCell::borrow_mut). Ends the borrow when dropped.
///
/// `!Send` and `!Sync`: the borrow ends on the thread that made it.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, GilCell};
/// let gil = Gil::new();
/// let cell = GilCell::new(&gil, vec![1, 2]);
/// let guard = gil.acquire();
/// cell.borrow_mut(&guard).push(3);
/// assert_eq!(*cell.borrow(&guard), [1, 2, 3]);
/// ```
pub struct RefMut<'a, T> {
    value: ExclusivePtr<T>,
    _token: Borrowed<'a>,
    _marker: PhantomData<&'a mut T>,
}

impl<T> Deref for RefMut<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `_token` records a mutable borrow for as long as `self` lives; the
        // returned shared reference borrows `self`, so no `&mut` from `deref_mut` coexists.
        unsafe { self.value.get_shared() }
    }
}

impl<T> DerefMut for RefMut<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as `deref`; `&mut self` makes the returned reference the only one.
        unsafe { self.value.get() }
    }
}

impl<T: fmt::Debug> fmt::Debug for RefMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for RefMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
