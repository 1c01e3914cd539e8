//! A [`GilCell`](crate::GilCell)'s borrow state and the two protocols that keep it, one per
//! [`Mode`]; and the calling thread's count of outstanding borrows, which is what stops a
//! thread from releasing its GIL (or waiting at all) while it holds one.
//!
//! # The state word
//!
//! | bits   | meaning                                                                  |
//! |--------|--------------------------------------------------------------------------|
//! | 0      | `PARKED`: free-threaded only, a thread waits for the cell                |
//! | 1      | `EXCLUSIVE`: the borrow is mutable                                       |
//! | 2..=31 | how many borrows the borrowing thread holds (one when `EXCLUSIVE`)       |
//!
//! # With the GIL enabled
//!
//! The word is read and written with `Relaxed` loads and stores, never a locked instruction,
//! and only by a thread that holds the cell's GIL at the level of the guard it borrows
//! through (checked on every borrow, [`guard_is_current`]). The GIL is the lock: its
//! `Acquire`/`Release` hand-offs order every access. A borrow can end only while its thread
//! still holds the GIL, because a thread with a borrow outstanding cannot release it:
//! `allow_threads` (both forms) panics and `check()` does not hand over while
//! [`outstanding`] is non-zero. So at most one thread ever touches a cell's word at a time,
//! and a borrow by any thread other than the holder cannot exist.
//!
//! # Free-threaded
//!
//! The word is a lock owned by one thread, which may hold any number of shared borrows or
//! one mutable borrow (like `RefCell`, but exclusive across threads, so `T: Send` is enough
//! for `Sync`, as for `Mutex`). `owner` names it; a thread can read its own identity there
//! only if it wrote it itself (it clears it before unlocking), so the comparison is exact
//! for the caller. A thread that finds the cell held by another waits on the cell's condition
//! variable with `PARKED` set; the last release swaps the word to 0 and, if `PARKED` was set,
//! wakes every waiter under the mutex (so a waiter between setting the bit and sleeping is
//! not missed: it holds the mutex until it sleeps).
//!
//! **A thread that holds a borrow never waits** — for a cell, a gil-sync primitive or
//! anything behind `allow_threads` — so no cycle of waits can form and two cells cannot
//! deadlock (see `ARCHITECTURE.md`, section on `GilCell`, for why this, and not CPython 3.13t's
//! "suspend the critical sections while blocked", is the sound rule in Rust).

use std::cell::Cell;
use std::marker::PhantomData;

use crate::error::BorrowError;
use crate::gil::proof::guard_is_current;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::loom::sync::atomic::{AtomicU32, AtomicU64};
use crate::loom::sync::{Condvar, Mutex};
use crate::loom::thread_local;
use crate::policy::Mode;
use crate::raw::RawGil;

const PARKED: u32 = 1;
const EXCLUSIVE: u32 = 2;
const ONE: u32 = 4;
/// The count bits.
const COUNT: u32 = !(PARKED | EXCLUSIVE);

#[cfg(not(loom))]
thread_local! {
    static OUTSTANDING: Cell<u64> = const { Cell::new(0) };
}
#[cfg(loom)]
thread_local! {
    static OUTSTANDING: Cell<u64> = Cell::new(0);
}

/// How many `GilCell` borrows the calling thread holds (any cell, any GIL).
#[inline]
pub(crate) fn outstanding() -> u64 {
    OUTSTANDING.with(Cell::get)
}

#[inline]
fn count_borrow(up: bool) {
    OUTSTANDING.with(|c| {
        let n = c.get();
        c.set(if up { n + 1 } else { n.saturating_sub(1) });
    });
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct BorrowState {
    word: AtomicU32,
    /// Free-threaded: the identity of the thread that holds the cell, 0 if none.
    owner: AtomicU64,
    /// Free-threaded: where waiters sleep.
    sleep: Mutex<()>,
    wake: Condvar,
}

/// Proof that a borrow is recorded in a [`BorrowState`]; ends it when dropped. `!Send`: the
/// borrow ends on the thread that counted it.
#[derive(Debug)]
pub(crate) struct Borrowed<'a> {
    state: &'a BorrowState,
    exclusive: bool,
    free_threaded: bool,
    _not_send: PhantomData<*const ()>,
}

impl BorrowState {
    pub(crate) fn new() -> Self {
        Self {
            word: AtomicU32::new(0),
            owner: AtomicU64::new(0),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Records a borrow by a thread holding a guard of `raw` at `level` (the cell's GIL:
    /// the caller checked).
    #[inline]
    pub(crate) fn borrow(
        &self,
        raw: &RawGil,
        level: u32,
        exclusive: bool,
    ) -> Result<Borrowed<'_>, BorrowError> {
        if !guard_is_current(level) {
            return Err(BorrowError::NotHeld);
        }
        let free_threaded = match raw.mode() {
            Mode::Enabled => {
                self.enabled_borrow(exclusive)?;
                false
            }
            Mode::FreeThreaded => {
                self.ft_borrow(exclusive)?;
                true
            }
        };
        count_borrow(true);
        Ok(Borrowed {
            state: self,
            exclusive,
            free_threaded,
            _not_send: PhantomData,
        })
    }

    /// The enabled protocol: the caller holds the GIL (module docs).
    #[inline]
    fn enabled_borrow(&self, exclusive: bool) -> Result<(), BorrowError> {
        let w = self.word.load(Relaxed);
        let new = if exclusive {
            if w != 0 {
                return Err(BorrowError::AlreadyBorrowed);
            }
            EXCLUSIVE | ONE
        } else {
            if w & EXCLUSIVE != 0 {
                return Err(BorrowError::AlreadyMutablyBorrowed);
            }
            if w & COUNT == COUNT {
                return Err(BorrowError::TooManyBorrows);
            }
            w + ONE
        };
        self.word.store(new, Relaxed);
        Ok(())
    }

    /// The free-threaded protocol: lock the cell, or join this thread's own shared borrows.
    #[inline]
    fn ft_borrow(&self, exclusive: bool) -> Result<(), BorrowError> {
        let new = if exclusive { EXCLUSIVE | ONE } else { ONE };
        // Acquire: pairs with the Release of the previous holder's unlock, so its writes to
        // the value are visible.
        if self.word.compare_exchange(0, new, Acquire, Relaxed).is_ok() {
            self.owner.store(crate::ident::current(), Relaxed);
            return Ok(());
        }
        self.ft_borrow_slow(new)
    }

    #[cold]
    #[inline(never)]
    fn ft_borrow_slow(&self, new: u32) -> Result<(), BorrowError> {
        let me = crate::ident::current();
        loop {
            let w = self.word.load(Relaxed);
            if w & !PARKED == 0 {
                // Free, perhaps with waiters: take it and keep their bit for our unlock.
                if self
                    .word
                    .compare_exchange(w, w | new, Acquire, Relaxed)
                    .is_ok()
                {
                    self.owner.store(me, Relaxed);
                    return Ok(());
                }
                continue;
            }
            if self.owner.load(Relaxed) == me {
                return self.nest(w, new);
            }
            if outstanding() > 0 {
                return Err(BorrowError::WouldDeadlock);
            }
            self.wait();
        }
    }

    /// This thread holds the cell (word `w`) and asks for another borrow.
    fn nest(&self, w: u32, new: u32) -> Result<(), BorrowError> {
        if new & EXCLUSIVE != 0 {
            return Err(BorrowError::AlreadyBorrowed);
        }
        if w & EXCLUSIVE != 0 {
            return Err(BorrowError::AlreadyMutablyBorrowed);
        }
        if w & COUNT == COUNT {
            return Err(BorrowError::TooManyBorrows);
        }
        // Only the holder changes the count; waiters only set `PARKED`, which the RMW keeps.
        // Relaxed: nothing changes hands.
        self.word.fetch_add(ONE, Relaxed);
        Ok(())
    }

    /// Sleeps until the cell's holder lets go (or spuriously); the caller re-checks.
    #[cold]
    fn wait(&self) {
        let sleep = self.sleep.lock();
        // Under the mutex: the unlocker takes it before notifying, so it cannot notify
        // between our setting the bit and our sleeping.
        let now = self.word.load(Relaxed);
        if now & !PARKED == 0 {
            return; // released since we looked: retry
        }
        // Relaxed: the bit publishes nothing; the mutex orders it with the unlocker.
        if now & PARKED == 0
            && self
                .word
                .compare_exchange(now, now | PARKED, Relaxed, Relaxed)
                .is_err()
        {
            return;
        }
        drop(self.wake.wait(sleep));
    }

    /// Ends a borrow (`Borrowed::drop`).
    #[inline]
    fn release(&self, exclusive: bool, free_threaded: bool) {
        if free_threaded {
            self.ft_release();
        } else {
            let w = self.word.load(Relaxed);
            self.word
                .store(if exclusive { 0 } else { w.wrapping_sub(ONE) }, Relaxed);
        }
    }

    #[inline]
    fn ft_release(&self) {
        let w = self.word.load(Relaxed);
        if w & COUNT > ONE {
            // One of this thread's nested shared borrows; the cell stays held.
            self.word.fetch_sub(ONE, Relaxed);
            return;
        }
        self.owner.store(0, Relaxed);
        // Release: pairs with the next holder's Acquire.
        if self.word.swap(0, Release) & PARKED != 0 {
            self.wake_all();
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_all(&self) {
        let _sleep = self.sleep.lock();
        self.wake.notify_all();
    }
}

impl Drop for Borrowed<'_> {
    #[inline]
    fn drop(&mut self) {
        self.state.release(self.exclusive, self.free_threaded);
        count_borrow(false);
    }
}
