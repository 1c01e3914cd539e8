//! One thread's signal word: its pending interrupt, and the [`Interrupter`] other threads
//! (or a signal handler) raise it with.
//!
//! # The word
//!
//! | bits        | meaning                                                           |
//! |-------------|-------------------------------------------------------------------|
//! | `INTERRUPT` | an interrupt waits to be taken (by `check()` or a wait)           |
//! | `EXITED`    | the thread has exited: nothing can be raised any more             |
//! | `CALLS`     | pending calls were queued for this (main) thread while it waited  |
//! | `PARKING`   | the thread is in an interruptible wait's park loop                |
//! | `UNPARKING` | a raiser is unparking it (the loop may not be left meanwhile)     |
//! | kind        | the pending interrupt's [`Interrupt`] (2 bits)                    |
//! | slot        | which of the thread's GILs counted the interrupt (0: none)        |
//!
//! Only the thread itself clears `INTERRUPT` (it *takes* the interrupt); raisers set it with
//! a CAS that also writes the kind and the slot, so the taker knows which GIL's signal
//! count to give back (`Shared::count_signal`: the count in the breaker is how `check()`
//! sees the interrupt). A raise finding `INTERRUPT` already set merges with
//! it, as POSIX signals do.
//!
//! # Waking a waiting thread
//!
//! A raiser unparks the thread only while it is in an interruptible wait's park loop
//! (`PARKING`), and one raiser at a time (`UNPARKING`). Under loom and shuttle the thread
//! also does not leave that loop while a raiser is between its CAS and its unpark, so that
//! an unpark never lands on a thread blocked in anything else (loom forbids it); with std
//! such a late unpark is one spurious return of a later `park`, which every park loop in
//! the workspace tolerates, and waiting for the raiser would cost a scheduler tick whenever
//! it is preempted right after its unpark. Entering and leaving the loop, and every raise, are RMWs of the one word, so a
//! raiser either sees `PARKING` (and unparks) or comes after the thread left the loop (and
//! the thread polls the bits when it next enters one).

use std::cell::OnceCell;

use super::Interrupt;
use crate::loom::hint::spin_loop;
use crate::loom::sync::atomic::AtomicU64;
use crate::loom::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use crate::loom::sync::{Arc, Mutex, Weak};
use crate::loom::thread::{self, Thread};
use crate::loom::thread_local;
use crate::raw::RawGil;

const INTERRUPT: u64 = 1;
const EXITED: u64 = 1 << 1;
const CALLS: u64 = 1 << 2;
const PARKING: u64 = 1 << 3;
const UNPARKING: u64 = 1 << 4;
const KIND_SHIFT: u32 = 5;
const KIND_MASK: u64 = 0b11 << KIND_SHIFT;
const SLOT_SHIFT: u32 = 8;
/// Slots are the GILs a thread made interrupters for, plus one; more than this many share
/// slot 0 (interrupts through them are not counted: `check()` does not see them, waits still do).
const MAX_SLOT: u64 = (1 << 24) - 1;

/// Why an interrupt could not be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InterruptError {
    /// The thread has exited (Python's `PyThreadState_SetAsyncExc` finds no such thread).
    #[error("the thread has exited")]
    ThreadExited,
}

/// One thread's signal word (see the module docs) and what a raiser needs to wake it.
#[derive(Debug)]
pub(crate) struct ThreadSignals {
    bits: AtomicU64,
    thread: Thread,
    /// The GILs of this thread's interrupters, by slot − 1. Only the thread itself locks it.
    gils: Mutex<Vec<Weak<RawGil>>>,
}

/// The calling thread's word, made on first use; marks the thread exited when it goes.
struct Slot(OnceCell<Arc<ThreadSignals>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(signals) = self.0.get() {
            let old = signals.bits.fetch_or(EXITED, SeqCst);
            if old & INTERRUPT != 0 {
                signals.take_bits(old);
            }
        }
    }
}

// loom's `thread_local!` has no const form.
#[cfg(not(loom))]
thread_local! {
    static SIGNALS: Slot = const { Slot(OnceCell::new()) };
}
#[cfg(loom)]
thread_local! {
    static SIGNALS: Slot = Slot(OnceCell::new());
}

/// The calling thread's word, if it has one (none during thread-local destruction).
pub(super) fn current_if_any() -> Option<Arc<ThreadSignals>> {
    SIGNALS.try_with(|s| s.0.get().cloned()).ok().flatten()
}

/// The calling thread's word, made if needed (`None` during thread-local destruction).
pub(super) fn current() -> Option<Arc<ThreadSignals>> {
    SIGNALS
        .try_with(|s| {
            s.0.get_or_init(|| {
                Arc::new(ThreadSignals {
                    bits: AtomicU64::new(0),
                    thread: thread::current(),
                    gils: Mutex::new(Vec::new()),
                })
            })
            .clone()
        })
        .ok()
}

impl ThreadSignals {
    /// The slot of `gil` in this thread's list (added if new). Call on the owning thread.
    ///
    /// Slots never move. A slot whose GIL is gone is reused, unless the pending interrupt
    /// names it: no raiser can count on a GIL that is gone, so once the pending interrupt
    /// names another slot (or none), nothing can name this one again.
    pub(super) fn slot_of(&self, gil: &Arc<RawGil>) -> u64 {
        let mut gils = self.gils.lock();
        if let Some(i) = gils
            .iter()
            .position(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(gil)))
        {
            return i as u64 + 1;
        }
        let pending = (self.bits.load(SeqCst) >> SLOT_SHIFT) & MAX_SLOT;
        let free = gils
            .iter()
            .enumerate()
            .position(|(i, w)| w.strong_count() == 0 && i as u64 + 1 != pending);
        if let Some(i) = free {
            gils[i] = Arc::downgrade(gil);
            return i as u64 + 1;
        }
        if gils.len() as u64 >= MAX_SLOT {
            return 0;
        }
        gils.push(Arc::downgrade(gil));
        gils.len() as u64
    }

    /// Raises `kind` on this thread, counted on `gil` (whose slot here is `slot`). Only
    /// atomic operations and an unpark: see [`Interrupter::interrupt`].
    pub(super) fn raise(
        &self,
        kind: Interrupt,
        gil: Option<&RawGil>,
        slot: u64,
    ) -> Result<(), InterruptError> {
        // Slot 0 names no GIL: such an interrupt is not counted anywhere.
        let gil = gil.filter(|_| slot != 0);
        // Counted before the interrupt can be seen, so that the taker's count-down never
        // comes first (`Shared::count_signal`).
        if let Some(g) = gil {
            g.count_signal(true);
        }
        let slot = if gil.is_some() { slot } else { 0 };
        let result = self.update(|cur| {
            if cur & EXITED != 0 {
                Err(Err(InterruptError::ThreadExited))
            } else if cur & INTERRUPT != 0 {
                // Merged with the interrupt already pending.
                Err(Ok(false))
            } else {
                Ok(cur | INTERRUPT | (kind.code() << KIND_SHIFT) | (slot << SLOT_SHIFT))
            }
        });
        let result = match result {
            Ok(()) => Ok(true),
            Err(r) => r,
        };
        if let Some(g) = gil
            && result != Ok(true)
        {
            // Merged or refused: this raise pends nothing.
            g.count_signal(false);
        }
        result.map(drop)
    }

    /// Sets bits with `f` (CAS loop; `Err` leaves the word alone), and unparks the thread
    /// if it is in an interruptible park loop and nobody else is unparking it (module docs).
    fn update<E>(&self, mut f: impl FnMut(u64) -> Result<u64, E>) -> Result<(), E> {
        let mut cur = self.bits.load(Relaxed);
        let unpark = loop {
            let mut new = f(cur)?;
            let unpark = cur & (PARKING | UNPARKING) == PARKING;
            if unpark {
                new |= UNPARKING;
            }
            // SeqCst: the interrupt's count is ordered before it for the taker's swap.
            match self.bits.compare_exchange(cur, new, SeqCst, Relaxed) {
                Ok(_) => break unpark,
                Err(now) => cur = now,
            }
        };
        if unpark {
            self.thread.unpark();
            // Release: the leaving thread's Acquire spin sees the unpark done.
            self.bits.fetch_and(!UNPARKING, Release);
        }
        Ok(())
    }

    /// Marks the thread as in an interruptible park loop.
    pub(super) fn enter_wait(&self) {
        self.bits.fetch_or(PARKING, SeqCst);
    }

    /// Marks the thread as out of its park loop. Under the model checkers it then waits
    /// until no raiser is unparking it (loom forbids an unpark landing on a thread blocked
    /// in something else); with std that would only be one spurious wake-up of a later
    /// `park`, which every park loop tolerates, while waiting here could spin for a whole
    /// scheduler tick when the raiser was preempted right after its unpark (measured: the
    /// interrupt harness's p99 went from ~1 ms to 5-10 ms).
    pub(super) fn leave_wait(&self) {
        let old = self.bits.fetch_and(!PARKING, SeqCst);
        if cfg!(any(loom, shuttle)) && old & UNPARKING != 0 {
            while self.bits.load(Acquire) & UNPARKING != 0 {
                spin_loop();
            }
        }
    }

    /// Whether an interrupt or pending calls wait for this thread.
    pub(super) fn poll(&self) -> bool {
        // Relaxed: a hint; `take` re-reads with an RMW.
        self.bits.load(Relaxed) & (INTERRUPT | CALLS) != 0
    }

    /// Whether an interrupt is pending (not taken).
    pub(super) fn interrupted(&self) -> bool {
        self.bits.load(Relaxed) & INTERRUPT != 0
    }

    /// Takes the pending interrupt, if any. Call on the owning thread.
    pub(super) fn take(&self) -> Option<Interrupt> {
        if !self.interrupted() {
            return None;
        }
        // SeqCst: reads the raiser's CAS, and with it the count it made first.
        let old = self
            .bits
            .fetch_and(!(INTERRUPT | KIND_MASK | (MAX_SLOT << SLOT_SHIFT)), SeqCst);
        self.take_bits(old)
    }

    /// Gives back the count of an interrupt whose word was `old`; returns its kind.
    fn take_bits(&self, old: u64) -> Option<Interrupt> {
        if old & INTERRUPT == 0 {
            return None;
        }
        let slot = (old >> SLOT_SHIFT) & MAX_SLOT;
        if slot > 0 {
            let gil = self
                .gils
                .lock()
                .get(slot as usize - 1)
                .and_then(Weak::upgrade);
            if let Some(gil) = gil {
                gil.count_signal(false);
            }
        }
        Some(Interrupt::from_code((old & KIND_MASK) >> KIND_SHIFT))
    }

    /// Clears `CALLS`, returning whether it was set.
    pub(super) fn take_calls(&self) -> bool {
        self.bits.load(Relaxed) & CALLS != 0 && self.bits.fetch_and(!CALLS, SeqCst) & CALLS != 0
    }

    /// Sets `CALLS` and wakes the thread's interruptible wait (pending calls were queued
    /// for it).
    pub(super) fn wake_for_calls(&self) {
        let _: Result<(), ()> = self.update(|cur| {
            if cur & (CALLS | EXITED) == 0 {
                Ok(cur | CALLS)
            } else {
                Err(())
            }
        });
    }
}

/// Raises interrupts on one thread, counted on one GIL (made on that thread by
/// [`Gil::interrupter`](crate::Gil::interrupter)). `Send + Sync + Clone`: give it to the
/// thread that handles signals, a watchdog, or a `Thread` object.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, Interrupt};
///
/// let gil = Gil::new();
/// let mut guard = gil.acquire();
/// let interrupter = gil.interrupter();
/// std::thread::spawn(move || interrupter.interrupt().unwrap()).join().unwrap();
/// assert_eq!(guard.check(), Err(Interrupt::Requested));
/// ```
#[derive(Debug, Clone)]
pub struct Interrupter {
    signals: Arc<ThreadSignals>,
    gil: Weak<RawGil>,
    slot: u64,
}

impl Interrupter {
    /// An interrupter for the calling thread, counted on `gil`; `None` while the thread's
    /// thread-locals are being destroyed.
    pub(crate) fn try_new(gil: &Arc<RawGil>) -> Option<Self> {
        let signals = current()?;
        let slot = signals.slot_of(gil);
        Some(Self {
            signals,
            gil: Arc::downgrade(gil),
            slot,
        })
    }

    /// Interrupts the thread: its next [`check()`](crate::GilGuard::check) returns
    /// `Err(Interrupt::Requested)`, and an interruptible wait it is blocked in (gil-sync's,
    /// gil-runtime's `join`) wakes and returns its `Interrupted` error. Interrupts raised
    /// before the thread takes one merge into one, as POSIX signals do.
    ///
    /// It uses atomic operations and one `Thread::unpark` only: no lock, no allocation, so
    /// it may be called from a signal handler on Linux, where std's unpark is a futex wake
    /// (std does not promise that elsewhere). If the GIL is dropped meanwhile, the
    /// upgrade of its handle here may free it: keep a `Gil` alive where that matters.
    ///
    /// # Errors
    ///
    /// [`InterruptError::ThreadExited`] if the thread has exited.
    ///
    /// # Examples
    ///
    /// ```
    /// let gil = gil_core::Gil::new();
    /// let interrupter = std::thread::spawn({
    ///     let gil = gil.clone();
    ///     move || gil.interrupter()
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(interrupter.interrupt(), Err(gil_core::InterruptError::ThreadExited));
    /// ```
    pub fn interrupt(&self) -> Result<(), InterruptError> {
        let gil = self.gil.upgrade();
        self.signals
            .raise(Interrupt::Requested, gil.as_deref(), self.slot)
    }

    /// Whether the thread has exited (then [`interrupt`](Self::interrupt) fails).
    pub fn is_finished(&self) -> bool {
        self.signals.bits.load(Relaxed) & EXITED != 0
    }
}

/// Raises `kind` on the calling thread, counted on `gil` (a pending call failed in a wait).
pub(super) fn raise_on_current(kind: Interrupt, gil: &Arc<RawGil>) {
    if let Some(signals) = current() {
        let slot = signals.slot_of(gil);
        // The calling thread has not exited.
        let _ = signals.raise(kind, Some(gil), slot);
    }
}
