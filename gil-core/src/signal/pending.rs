//! A GIL's share of the signals: its count of pending interrupts (behind `SIGNAL_BIT`), and
//! its pending calls and main thread (behind `PENDING_BIT`).
//!
//! # The hint
//!
//! `check()` must stay one relaxed load of the breaker when nothing is pending, so a thread's
//! interrupt shows there as `SIGNAL_BIT` of the GIL it was raised through. The bit is a
//! hint: a thread that finds it and has nothing to take just goes on, and whoever finds the
//! count at zero clears it. The count is of threads whose pending interrupt was raised
//! through this GIL: the raiser counts up *before* its CAS publishes the interrupt, and the
//! taker, having read that CAS, counts down; so the count never misses a pending interrupt.
//!
//! Clearing races raising: a raiser counts up, then sets the bit; a clearer clears the bit,
//! then re-reads the count and sets the bit again if it is not zero. Both RMWs of the bit
//! are ordered, and a `SeqCst` fence on each side makes it a store-buffer pattern: either
//! the raiser's set comes after the clear, or the clearer's re-read sees the count. So a
//! pending interrupt never loses its bit (loom: `tests/loom/signal.rs`).
//!
//! # Pending calls
//!
//! A bounded FIFO under a mutex; `PENDING_BIT` is set and cleared under that mutex, so it is
//! up exactly while the queue is not empty. The main thread takes one call at a time and
//! runs it with the mutex released; `busy` keeps a pending call that calls `check()` from
//! running the next one inside it (as CPython's `handling_signals` guard).

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::Interrupt;
use super::thread::ThreadSignals;
use crate::loom::sync::atomic::Ordering::SeqCst;
use crate::loom::sync::atomic::{AtomicU64, fence};
use crate::loom::sync::{Arc, Mutex};
use crate::raw::{PENDING_BIT, RawGil, SIGNAL_BIT};

/// How many calls may wait (CPython's `NPENDINGCALLS` for the main thread).
pub const MAX_PENDING_CALLS: usize = 32;

/// A queued call: runs on the main thread, GIL held; `Break` makes that thread's `check()`
/// (or interruptible wait) report [`Interrupt::PendingCall`].
pub(crate) type PendingCall = Box<dyn FnOnce() -> ControlFlow<()> + Send>;

/// Why a pending call was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PendingCallError {
    /// [`MAX_PENDING_CALLS`] calls already wait (CPython's `Py_AddPendingCall` returns -1).
    #[error("the pending call queue is full")]
    Full,
}

#[derive(Default)]
struct Pending {
    calls: VecDeque<PendingCall>,
    /// The main thread: its identity and its signal word (to wake its waits).
    main: Option<(u64, Arc<ThreadSignals>)>,
    /// A pending call is running.
    busy: bool,
}

/// See the module docs.
pub(crate) struct GilSignals {
    /// Pending interrupts raised through this GIL, as an `i64` in two's complement: a
    /// raiser that merges counts up and back down, which may pass below zero for a moment.
    count: AtomicU64,
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for GilSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GilSignals").finish_non_exhaustive()
    }
}

impl GilSignals {
    pub(crate) fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            pending: Mutex::new(Pending::default()),
        }
    }

    fn count_is_zero(&self) -> bool {
        // SeqCst: the store-buffer pattern of the module docs.
        self.count.load(SeqCst).cast_signed() <= 0
    }

    pub(super) fn count_up(&self) {
        self.count.fetch_add(1, SeqCst);
    }

    /// Counts down, and settles the hint if that was the last.
    pub(super) fn count_down(&self, raw: &RawGil) {
        self.count.fetch_sub(1, SeqCst);
        self.settle_hint(raw);
    }

    /// The raiser's side: `SIGNAL_BIT` on, after the count (fence).
    pub(super) fn raise_hint(raw: &RawGil) {
        fence(SeqCst);
        raw.set_hint(SIGNAL_BIT, true);
    }

    /// The clearer's side: if the count is zero, `SIGNAL_BIT` off, then re-read (fence).
    pub(super) fn settle_hint(&self, raw: &RawGil) {
        if !self.count_is_zero() || raw.breaker() & SIGNAL_BIT == 0 {
            return;
        }
        raw.set_hint(SIGNAL_BIT, false);
        fence(SeqCst);
        if !self.count_is_zero() {
            raw.set_hint(SIGNAL_BIT, true);
        }
    }

    /// Makes `me` (with its signal word) the main thread.
    pub(super) fn set_main(&self, me: u64, signals: Option<Arc<ThreadSignals>>) {
        self.pending.lock().main = signals.map(|s| (me, s));
    }

    /// The main thread's identity, if any.
    pub(super) fn main(&self) -> Option<u64> {
        self.pending.lock().main.as_ref().map(|m| m.0)
    }

    /// Queues `call` for the main thread and wakes its interruptible wait.
    pub(super) fn push(&self, raw: &RawGil, call: PendingCall) -> Result<(), PendingCallError> {
        let mut pending = self.pending.lock();
        if pending.calls.len() >= MAX_PENDING_CALLS {
            return Err(PendingCallError::Full);
        }
        pending.calls.push_back(call);
        raw.set_hint(PENDING_BIT, true);
        if let Some((_, main)) = &pending.main {
            main.wake_for_calls();
        }
        Ok(())
    }

    /// Runs the queued calls if `me` is the main thread (holding the GIL), oldest first,
    /// until the queue is empty or one fails. A failed or panicking call stops the run; the
    /// calls behind it stay queued for the next `check()`.
    pub(super) fn run(&self, raw: &RawGil, me: u64) -> Result<(), Interrupt> {
        loop {
            let call = {
                let mut pending = self.pending.lock();
                if pending.busy || pending.main.as_ref().is_none_or(|m| m.0 != me) {
                    return Ok(());
                }
                let Some(call) = pending.calls.pop_front() else {
                    raw.set_hint(PENDING_BIT, false);
                    return Ok(());
                };
                pending.busy = true;
                call
            };
            let outcome = catch_unwind(AssertUnwindSafe(call));
            self.pending.lock().busy = false;
            match outcome {
                Ok(ControlFlow::Continue(())) => {}
                Ok(ControlFlow::Break(())) => return Err(Interrupt::PendingCall),
                Err(payload) => {
                    // The panic hook has reported it; a payload whose own drop panics is
                    // forgotten rather than let unwind out of here.
                    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                        std::mem::forget(again);
                    }
                    return Err(Interrupt::PendingCallPanicked);
                }
            }
        }
    }

    /// How many calls wait.
    pub(super) fn len(&self) -> usize {
        self.pending.lock().calls.len()
    }
}
