//! `GilGuard`: proof of holding a GIL, how to get one (`Gil::acquire`, `Gil::try_acquire`),
//! the eval breaker `check()`, `allow_threads`, and the free functions that find "the GIL
//! this thread holds".

use std::marker::PhantomData;

use crate::error::TryAcquireError;
use crate::gil::{Gil, free_threaded, held, hold, switch};
use crate::loom::sync::Arc;
use crate::policy::Mode;
use crate::raw::{CHECKS_PER_CLOCK_READ, PENDING_BIT, RawGil, SIGNAL_BIT, TIMED_BIT};
use crate::signal::{self, Interrupt, Turn};

impl Gil {
    /// Acquires the GIL, blocking until this thread may run.
    ///
    /// If this thread already holds this GIL, returns a nested guard at once; the GIL is
    /// released when the outermost guard goes (like `PyGILState_Ensure`/`Release`).
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let outer = gil.acquire();
    /// let inner = gil.acquire(); // re-entrant: no deadlock
    /// drop(inner);
    /// assert!(gil.is_held_by_current_thread());
    /// drop(outer);
    /// assert!(!gil.is_held_by_current_thread());
    /// ```
    #[expect(
        clippy::inline_always,
        reason = "measured: left to the compiler, this was no longer inlined once the mode \
                  became a run-time atomic, and the call cost 1.8 ns of a 5.3 ns \
                  acquire + release (`cargo xtask harness --only micro`)"
    )]
    #[inline(always)]
    pub fn acquire(&self) -> GilGuard<'_> {
        let level = if self.raw.mode() == Mode::Enabled {
            hold::acquire(&self.raw)
        } else {
            self.acquire_level()
        };
        GilGuard::new(self, level)
    }

    /// Acquires (blocking); returns the new guard's level.
    pub(crate) fn acquire_level(&self) -> u32 {
        if enabled_side(&self.raw) {
            hold::acquire(&self.raw)
        } else {
            free_threaded::acquire(&self.raw)
        }
    }

    /// Acquires the GIL if that needs no waiting.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if another thread holds the GIL (with
    /// [`Policy::Fair`], also while others are queued for it: nobody overtakes them).
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::{Gil, TryAcquireError};
    ///
    /// let gil = Gil::new();
    /// let guard = gil.try_acquire().unwrap();
    /// let other = gil.clone();
    /// let r = std::thread::spawn(move || other.try_acquire().map(drop)).join().unwrap();
    /// assert_eq!(r, Err(TryAcquireError::WouldBlock));
    /// drop(guard);
    /// ```
    ///
    /// [`Policy::Fair`]: crate::Policy::Fair
    pub fn try_acquire(&self) -> Result<GilGuard<'_>, TryAcquireError> {
        Ok(GilGuard::new(self, self.try_acquire_level()?))
    }

    /// Acquires without waiting; returns the new guard's level.
    pub(crate) fn try_acquire_level(&self) -> Result<u32, TryAcquireError> {
        if enabled_side(&self.raw) {
            hold::try_acquire(&self.raw).ok_or(TryAcquireError::WouldBlock)
        } else {
            Ok(free_threaded::acquire(&self.raw))
        }
    }
}

/// Proof that the current thread holds a [`Gil`]; releases it when dropped.
///
/// `!Send` and `!Sync`: the thread that acquired the GIL is the one that releases it, and
/// only it may call [`check`](Self::check).
///
/// # Examples
///
/// ```
/// let gil = gil_core::Gil::new();
/// {
///     let mut guard = gil.acquire();
///     guard.check().unwrap();
/// } // released here
/// assert!(!gil.is_held_by_current_thread());
/// ```
#[derive(Debug)]
#[must_use = "if unused the GIL will immediately be released"]
pub struct GilGuard<'a> {
    gil: &'a Gil,
    /// The level this guard belongs to (see `hold.rs` and `free_threaded.rs`).
    level: u32,
    /// `check()` calls left before the holder next reads the clock while waiters are queued.
    countdown: u32,
    _not_send: PhantomData<*const ()>,
}

impl<'a> GilGuard<'a> {
    fn new(gil: &'a Gil, level: u32) -> Self {
        Self {
            gil,
            level,
            countdown: 0,
            _not_send: PhantomData,
        }
    }

    /// The GIL this guard holds.
    pub fn gil(&self) -> &'a Gil {
        self.gil
    }

    /// The level this guard belongs to (`hold.rs`, `free_threaded.rs`).
    #[inline]
    pub(crate) fn level(&self) -> u32 {
        self.level
    }

    /// The eval breaker: call at safe points. If another thread asked for the GIL (its wait
    /// reached the switch interval, or it came back from I/O), hands the GIL over and blocks
    /// until this thread's turn comes again ([`Turn::Switched`]). Then, on the GIL's main
    /// thread, runs the pending calls ([`Gil::add_pending_call`]), and takes this thread's
    /// interrupt if one is pending ([`Gil::interrupter`]).
    ///
    /// When nothing is asked, this is one relaxed atomic load. While others are queued it also
    /// counts down, and every 256 calls reads the clock: a turn that is over ends here even if
    /// the waiter keeping time has not woken up yet (measured: ~1.6 ns a call with a waiter
    /// queued, against ~1.0 ns with nobody waiting).
    ///
    /// It takes `&mut self` so that no borrow made through this guard (e.g. a `GilCell`
    /// borrow) can be alive while the GIL may change hands.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// assert_eq!(guard.check(), Ok(gil_core::Turn::Kept)); // nobody waits
    /// ```
    ///
    /// # Errors
    ///
    /// The [`Interrupt`] the interpreter should raise: this thread was interrupted, or (main
    /// thread) a pending call failed or panicked. The GIL is held either way.
    #[inline]
    pub fn check(&mut self) -> Result<Turn, Interrupt> {
        check(&self.gil.raw, &mut self.countdown)
    }

    /// Releases the GIL while `f` runs and re-acquires it afterwards, also when `f` panics
    /// (the panic then continues with the GIL held, and this guard releases it as usual).
    ///
    /// Use it around blocking work (I/O, sleeping, waiting on a lock), like
    /// `Py_BEGIN_ALLOW_THREADS`. With [`Policy::Fair`](crate::Policy::Fair) the re-acquire does not wait behind a
    /// CPU-bound holder for an interval (see the crate docs).
    ///
    /// # Panics
    ///
    /// Before releasing anything, if the calling thread holds a [`GilCell`](crate::GilCell)
    /// borrow (made through another guard: this guard's own borrows cannot be alive here);
    /// see [`assert_may_block`](crate::assert_may_block). A panic of `f` is resumed once the
    /// GIL is held again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let gil = gil_core::Gil::new();
    /// let mut guard = gil.acquire();
    /// guard.allow_threads(|| std::thread::sleep(Duration::from_millis(1)));
    /// assert!(gil.is_held_by_current_thread());
    /// ```
    pub fn allow_threads<F, R>(&mut self, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        released(&self.gil.raw, f)
    }
}

impl Drop for GilGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        release(&self.gil.raw, self.level);
    }
}

/// `check()` of a guard of `raw` whose clock countdown is `countdown` (both guard types).
#[inline]
pub(crate) fn check(raw: &Arc<RawGil>, countdown: &mut u32) -> Result<Turn, Interrupt> {
    let breaker = raw.breaker();
    if breaker == 0 {
        return Ok(Turn::Kept);
    }
    if breaker == TIMED_BIT && !turn_over(raw, countdown) {
        return Ok(Turn::Kept);
    }
    check_slow(raw, countdown, breaker)
}

/// With `TIMED_BIT` up: whether the holder's turn is over, reading the clock every so many
/// calls (`raw/clock.rs`), in case the queue's time-keeper wakes late.
#[inline]
fn turn_over(raw: &RawGil, countdown: &mut u32) -> bool {
    if *countdown > 0 {
        *countdown -= 1;
        return false;
    }
    *countdown = CHECKS_PER_CLOCK_READ;
    raw.holder_turn_over()
}

#[cold]
#[inline(never)]
fn check_slow(raw: &Arc<RawGil>, countdown: &mut u32, breaker: u32) -> Result<Turn, Interrupt> {
    let rest = breaker & !(SIGNAL_BIT | PENDING_BIT);
    let switched =
        if rest == 0 || (rest == TIMED_BIT && breaker != rest && !turn_over(raw, countdown)) {
            false
        } else {
            yield_or_stop(raw)
        };
    if breaker != rest {
        signal::deliver(raw, breaker)?;
    }
    Ok(if switched { Turn::Switched } else { Turn::Kept })
}

/// The GIL's own business at a `check()`: a drop request, a mode switch's stop.
fn yield_or_stop(raw: &Arc<RawGil>) -> bool {
    if raw.mode() == Mode::Enabled {
        return hold::yield_turn(raw);
    }
    if hold::is_held(raw) {
        // The enabled lock, taken uncontended just as the GIL became free-threaded: the
        // hold goes on free-threaded from here (`switch::settle`).
        switch::settle(raw);
        return true;
    }
    // No waiters and no drop requests; only a mode switch may ask to stop.
    switch::stop_here(raw)
}

/// Whether the calling thread's hold of `raw`, if it has one, is an enabled GIL's
/// (`hold.rs`): the GIL is enabled, or the thread took the enabled lock uncontended just as
/// the GIL became free-threaded, and keeps that hold, excluding no free-threaded thread,
/// until its next `check()`, `allow_threads` or release (`switch.rs`, "Stale holds").
#[inline]
fn enabled_side(raw: &RawGil) -> bool {
    raw.mode() == Mode::Enabled || hold::is_held(raw)
}

/// Drops a guard of `raw` at `level` (both guard types).
#[inline]
pub(crate) fn release(raw: &Arc<RawGil>, level: u32) {
    if enabled_side(raw) {
        hold::release(raw, level);
    } else {
        free_threaded::release(raw, level);
    }
}

/// Runs `f` with `raw` released (or its level suspended), as `allow_threads`.
#[inline]
pub(crate) fn released<F: FnOnce() -> R, R>(raw: &Arc<RawGil>, f: F) -> R {
    if enabled_side(raw) {
        hold::released(raw, f)
    } else {
        free_threaded::released(raw, f)
    }
}

/// Releases whatever GIL the calling thread holds while `f` runs, and re-acquires it after
/// (also when `f` panics); just runs `f` when the thread holds none.
///
/// This is what a library calls around a blocking wait without knowing about the
/// interpreter: `gil-sync` wraps every blocking wait in it, as CPython wraps them in
/// `Py_BEGIN_ALLOW_THREADS`. If the thread holds several GILs, the one it acquired most
/// recently is released.
///
/// # Panics
///
/// Before releasing anything, if the calling thread holds a [`GilCell`](crate::GilCell)
/// borrow (see [`assert_may_block`](crate::assert_may_block)). A panic of `f` is resumed once
/// the GIL is held again.
///
/// # Examples
///
/// ```
/// let gil = gil_core::Gil::new();
/// let _guard = gil.acquire();
/// gil_core::allow_threads(|| assert!(!gil.is_held_by_current_thread()));
/// assert!(gil.is_held_by_current_thread());
/// // Without a GIL, it just runs the closure.
/// assert_eq!(std::thread::spawn(|| gil_core::allow_threads(|| 7)).join().unwrap(), 7);
/// ```
pub fn allow_threads<F: FnOnce() -> R, R>(f: F) -> R {
    match current_gil() {
        Some(raw) => released(&raw, f),
        None => f(),
    }
}

/// The GIL the calling thread acquired most recently among those it holds (outside
/// `allow_threads`).
pub(crate) fn current_gil() -> Option<Arc<RawGil>> {
    let me = held::ident();
    held::find_gil(|raw, h| {
        if raw.holder().owner() == me {
            Some(raw.holder().seq())
        } else {
            (raw.mode() == Mode::FreeThreaded && h.ft_depth > 0).then_some(h.ft_seq)
        }
    })
}

/// Whether the calling thread holds any GIL (outside `allow_threads`).
///
/// # Examples
///
/// ```
/// assert!(!gil_core::holds_any_gil());
/// let gil = gil_core::Gil::new();
/// let _g = gil.acquire();
/// assert!(gil_core::holds_any_gil());
/// ```
pub fn holds_any_gil() -> bool {
    current_gil().is_some()
}
