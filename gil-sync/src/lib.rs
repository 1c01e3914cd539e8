//! Python's threading primitives with Python's exact semantics, releasing the GIL while they
//! block.
//!
//! - Locks: [`Lock`] (releasable by any thread, [`Lock::locked`]) and [`RLock`] (owner and
//!   recursion count), with guards [`LockGuard`] and [`RLockGuard`].
//! - Signalling: [`Condition`] over a [`Lock`] or [`RLock`] (`wait`, `wait_for`, `notify(n)`,
//!   `notify_all`, oldest waiter first, no spurious wake-ups), [`Event`], [`Semaphore`] and
//!   [`BoundedSemaphore`].
//! - Coordination: [`Barrier`] (index, action, abort, reset) and [`Timer`].
//! - Errors, one type per operation family, each variant mapping to one Python exception:
//!   see [`error`](crate::TryAcquireError)'s table in the module docs of each type, and
//!   [`timeout`] for converting Python's timeout arguments.
//!
//! # How to use
//!
//! 1. Create the primitive, share it (`Arc` or scoped threads).
//! 2. Call the Python verb: `acquire`/`release`, `wait`/`notify`, `set`/`wait`, ...; each
//!    blocking verb has `try_*`, `*_timeout(Duration)` and `*_deadline(Instant)` forms.
//!    [`Duration::MAX`](std::time::Duration::MAX) means "forever".
//! 3. Where Python has a context manager, the Rust verb returns a guard that releases on drop.
//!
//! ```
//! use std::sync::Arc;
//! use gil_sync::{Condition, Lock};
//!
//! let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
//! let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
//! let (c, r) = (cond.clone(), ready.clone());
//! let t = std::thread::spawn(move || {
//!     let _g = c.acquire();
//!     r.store(true, std::sync::atomic::Ordering::Relaxed);
//!     c.notify(1).unwrap();
//! });
//! let _g = cond.acquire();
//! let ok = cond
//!     .wait_for(|| ready.load(std::sync::atomic::Ordering::Relaxed))
//!     .unwrap();
//! assert!(ok);
//! # drop(_g);
//! # t.join().unwrap();
//! ```
//!
//! # The GIL
//!
//! Every blocking wait first tries without blocking, then releases the GIL the calling thread
//! holds (if any, through [`gil_core::allow_threads`]) while it sleeps and re-acquires it
//! after — exactly as CPython's `acquire` does with `Py_BEGIN_ALLOW_THREADS`. So a thread
//! blocked on a primitive never stops the interpreter's other threads. Without any GIL this
//! crate is a plain, fast primitives library: uncontended paths are one atomic
//! read-modify-write and never touch the GIL.
//!
//! # Interrupts
//!
//! A thread blocked in an *interruptible* wait wakes when it is interrupted through a
//! [`gil_core::Interrupter`] (made on that thread by [`gil_core::Gil::interrupter`]) or when
//! a pending call ([`gil_core::Gil::add_pending_call`]) fails on the GIL's main thread, and
//! returns an `Interrupted` error carrying the [`gil_core::Interrupt`] (taken: the thread's
//! next `check()` does not report it again). Pending calls that succeed run inside the wait,
//! GIL held, and the wait goes on — CPython's `Py_MakePendingCalls` in a lock wait.
//!
//! - Interruptible: every `*_timeout` / `*_deadline` acquire ([`AcquireError::Interrupted`])
//!   and the `acquire_interruptible` of [`Lock`], [`RLock`], [`Semaphore`] (and so
//!   [`BoundedSemaphore`]) and [`Condition`]; [`Condition`]'s waits
//!   ([`WaitError::Interrupted`]); [`Barrier`]'s waits ([`BarrierError::Interrupted`]: the
//!   waiter leaves the cycle, as in Python); [`Event::wait_interruptible`]; [`Timer`]'s joins
//!   ([`JoinError::Interrupted`]).
//! - Not interruptible (they cannot return an error): `acquire()` of each lock and semaphore,
//!   and [`Event::wait`] with its timed forms. An interrupt that comes while they block stays
//!   pending for the thread's next `check()` or interruptible wait.
//!
//! An interrupted wait has acquired nothing and consumed no notification: the interrupt ends
//! a wait the same way a timeout does, by removing the waiter from its queue, so a wake-up
//! that reached it first wins (the wait succeeds and the interrupt stays pending). CPython
//! interrupts lock waits only on the main thread, and only for signals; here any thread can
//! be interrupted.
//!
//! # User code and internal locks
//!
//! Each primitive's internal mutex (a wait queue, a barrier's state, a timer's function
//! slot) is held only for a few pointer moves, never while user code runs and never across
//! anything that can release the GIL or block: a [`Barrier`] action and a [`Timer`]
//! function run with no lock held, and unparking a woken thread happens after the queue
//! lock is dropped. [`Condition::wait_for`]'s predicate runs holding the condition's own
//! lock — the [`Lock`] or [`RLock`] you gave it, as in Python — but no internal one. The
//! crate calls no `Debug`, `Clone` or `Drop` of user types under a lock.
//!
//! # Thread exit
//!
//! Every primitive works in a thread-local destructor, also after the thread's other
//! thread-locals are gone: the crate keeps no thread-local of its own (a thread's identity is
//! [`gil_core::ident::current`], a `const`, drop-free `Cell` that std never destroys), and
//! blocking waits go through
//! [`gil_core::allow_threads`], which runs the wait as is once the thread's GIL record is
//! gone.
//!
//! # Testing with loom
//!
//! Every protocol has a model in `tests/loom` (run by `cargo xtask verify`, or
//! `RUSTFLAGS="--cfg loom" cargo test -p gil-sync --release --test loom`). loom has no clock:
//! a timed wait in a model registers, yields once and cancels itself, which is exactly the
//! timeout path racing a notify or release.
//!
//! Randomized schedules with many more threads run with shuttle (`tests/shuttle/`, the same
//! shim under `--cfg shuttle`): `cargo xtask verify --only shuttle`.
#![forbid(unsafe_code)]
#![cfg_attr(any(loom, shuttle), allow(dead_code, unreachable_pub))]

mod barrier;
mod bounded_semaphore;
mod condition;
mod condition_lock;
mod error;
mod event;
mod lock;
mod loom;
mod panic_payload;
mod park;
mod raw_barrier;
mod raw_lock;
mod raw_semaphore;
mod rlock;
mod semaphore;
pub mod timeout;
mod timer;
mod waiter;

/// Not part of the API: the panic-payload helpers gil-runtime shares with `Timer`.
#[doc(hidden)]
pub mod __panic_payload {
    pub use crate::panic_payload::{drop_payload, panic_message};
}

/// Not part of the API: the park with a deadline (and its loom and shuttle forms) that
/// gil-runtime's `join` shares.
#[doc(hidden)]
pub mod __park {
    pub use crate::loom::thread::park_until;
}

pub use crate::barrier::{Barrier, BarrierWaitResult};
pub use crate::bounded_semaphore::BoundedSemaphore;
pub use crate::condition::{Condition, ConditionGuard, WaitResult};
pub use crate::condition_lock::ConditionLock;
pub use crate::error::{
    AcquireError, BarrierError, JoinError, NotifyError, ReleaseError, TimeoutArgError, TimerError,
    TryAcquireError, ValueError, WaitError,
};
pub use crate::event::Event;
pub use crate::lock::{Lock, LockGuard};
pub use crate::rlock::{RLock, RLockGuard, SavedState};
pub use crate::semaphore::{Semaphore, SemaphoreGuard};
pub use crate::timer::Timer;

/// The README's examples, run as doctests so that what crates.io shows keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
