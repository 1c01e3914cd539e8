//! A fair Global Interpreter Lock for people who write interpreters and VMs in Rust.
//!
//! - [`Gil`]: the lock; [`Gil::builder`] picks a [`Policy`], a [`Mode`] and the switch interval.
//! - [`GilGuard`]: proof the GIL is held; [`GilGuard::check`] is the eval breaker,
//!   [`GilGuard::allow_threads`] releases around blocking work. [`ArcGilGuard`]
//!   ([`Gil::acquire_arc`]) is the same guard without a lifetime.
//! - Data the GIL protects: [`GilCell`] (borrowed with a guard; a per-cell lock when
//!   free-threaded) and [`GilOnceCell`]; both take any [`Guard`].
//! - [`allow_threads`]: release whatever GIL the current thread holds (what `gil-sync` calls
//!   around every blocking wait); [`holds_any_gil`].
//! - Blocking without stopping the others: [`sleep`] (Python's `time.sleep`) and
//!   [`MutexExt::lock_releasing_gil`] for a `std::sync::Mutex`, which otherwise deadlocks
//!   with a holder that wants the GIL.
//! - The rest of an eval breaker ([`signal`]): [`Gil::interrupter`] makes an [`Interrupter`]
//!   that interrupts a thread (its next `check()` returns `Err(`[`Interrupt`]`)`, and its
//!   interruptible waits in gil-sync and gil-runtime wake); [`Gil::add_pending_call`] runs a
//!   closure on the GIL's main thread at its next `check()` (CPython's `Py_AddPendingCall`).
//! - [`GilStats`], [`ThreadStats`]: switches, drop requests, per-thread hold and wait time.
//! - Errors: [`TryAcquireError`], [`SwitchIntervalError`], [`BorrowError`], [`Interrupt`],
//!   [`InterruptError`], [`PendingCallError`].
//!
//! # How to use
//!
//! 1. Build one [`Gil`] per interpreter and share it (it is a cheap `Clone` handle).
//! 2. Each thread that runs interpreter code calls [`Gil::acquire`] and keeps the guard.
//! 3. At instruction boundaries it calls [`GilGuard::check`]: one relaxed load while nobody
//!    waits; a hand-off when a waiter's turn has come; `Err(`[`Interrupt`]`)` when the thread
//!    was interrupted or a pending call failed (the interpreter raises it).
//! 4. Around blocking work (I/O, sleeps, lock waits) it calls [`GilGuard::allow_threads`].
//!
//! ```
//! use gil_core::Gil;
//! use std::time::Duration;
//!
//! let gil = Gil::new();
//! let threads: Vec<_> = (0..2)
//!     .map(|_| {
//!         let gil = gil.clone();
//!         std::thread::spawn(move || {
//!             let mut guard = gil.acquire();
//!             let mut x = 0u64;
//!             for i in 0..100_000 {
//!                 x = x.wrapping_add(i); // "bytecode"
//!                 guard.check().unwrap(); // eval breaker
//!             }
//!             guard.allow_threads(|| std::thread::sleep(Duration::from_millis(1))); // "I/O"
//!             x
//!         })
//!     })
//!     .collect();
//! for t in threads {
//!     assert_eq!(t.join().unwrap(), 4_999_950_000);
//! }
//! assert!(gil.stats().threads.len() == 2);
//! ```
//!
//! # The fair policy and its guarantees
//!
//! [`Policy::Fair`] (the default) is a queue lock with direct hand-off plus a time-keeper:
//!
//! - **FIFO hand-off, no barging.** Waiters queue in arrival order. A release hands the GIL
//!   straight to the head of the queue; it never becomes free while anyone waits, so a thread
//!   that just released cannot take it back ahead of them.
//! - **Switch interval.** The head of the queue keeps time. Once the holder has had the GIL
//!   for one switch interval (counted from the moment the first waiter arrived, or from the
//!   hand-off), the head sets the drop request; the holder's next `check()` hands over and
//!   joins the back of the queue. So K threads that only call `check()` run in strict
//!   round-robin, and each waits at most **(K−1) × interval + hand-off latency** (plus however
//!   long a holder goes between `check()` calls). The holder keeps time too: while anyone
//!   waits, `check()` reads the clock every 256 calls and ends a turn that is over even if the
//!   head's timed park wakes late (on a VM or a busy machine it often does, by milliseconds).
//! - **Convoy-free I/O.** CPython makes a thread coming back from I/O wait up to a whole
//!   interval behind a CPU-bound holder, for every blocking call (the convoy effect,
//!   bpo-7946). Here a thread returning from `allow_threads` makes an *urgent* request if it
//!   has I/O credit: it goes ahead of the normal queue and asks the holder to yield at its
//!   next `check()`. The preempted holder goes to the front of the normal queue and keeps its
//!   turn's end, so the CPU-bound threads' FIFO order is untouched and urgent holds count
//!   against the interrupted turn instead of stretching it. Once a queued thread's turn is due
//!   it goes before any later urgent request, so urgent traffic delays it by at most one short
//!   hold per urgent thread already queued.
//! - **I/O credit bounds priority.** Each thread's credit is at most one interval; every
//!   contended hold is charged to it (a hold that began by waiting, in full; one that began
//!   on a free GIL, from the moment others queued for it), and it refills at half the
//!   wall-clock rate. A thread that holds
//!   the GIL for less than half of the time between its blocking calls (any I/O-bound thread)
//!   never runs out. A thread that computes for long stretches goes into debt (down to ten
//!   intervals) and queues like a CPU-bound thread until it has been away twice as long as it
//!   held. An urgent holder's slice is its remaining credit.
//! - **Lend path.** An urgent request normally does not touch the queue at all:
//!   the holder lends the GIL at its next `check()` and gets it back, with the rest of its
//!   slice, when the borrower releases; the lender keeps time so a borrower cannot keep it
//!   for more than one interval.
//! - **Nobody waits for a thread that is off the CPU.** A GIL returned by a borrower, or
//!   handed through the queue to a parked thread, is *reserved* for that thread until it
//!   runs and claims it. Meanwhile an urgent requester (back from I/O, with credit) may
//!   borrow it at once, instead of waiting for the scheduler to run the owner and reach a
//!   `check()`. The owner claims it as soon as nobody borrows it, so CPU-bound threads keep
//!   their turns and their FIFO order.
//! - **Spin, then park.** The head of the queue polls for a few microseconds before it parks,
//!   so hand-offs between busy threads cost a cache-line transfer, not a futex wake-up.
//! - **Cheap when uncontended.** Acquiring a free GIL and releasing it with nobody waiting is
//!   one CAS each way plus a few stores to the hold's record, which lives in the GIL next to
//!   the lock word (an enabled GIL has one holder): no clock is read and no thread-local list
//!   is searched (see [`GilBuilder::time_holds`] for what that leaves out of the statistics).
//!   Measured: 1.4× a std `Mutex` lock + unlock, and `allow_threads(|| ())` 1.3× a std guard
//!   drop + relock (`cargo xtask harness --only micro`).
//!
//! ## On a busy machine
//!
//! The bounds above assume the threads involved are on a CPU. When runnable threads outnumber
//! cores, a thread that holds the GIL can be descheduled for a scheduler slice (milliseconds)
//! and every GIL user waits with it: no GIL can take a lock back from a thread that is in the
//! middle of using it. What the fair policy does avoid is *handing* the GIL to a thread that
//! is off the CPU and letting it sit idle: reserved hand-offs (above) let a running I/O thread
//! use it meanwhile. Mutual exclusion, FIFO order and the I/O-credit bound hold under any
//! load; the latencies stretch by the scheduler's delays. The `trace` feature and the
//! `trace_convoy` example show, step by step, which waits are the scheduler's, and
//! `cargo xtask harness --only load` measures the convoy and sharing scenarios next to busy
//! processes, CPython beside us, with bare probes of the same scenarios (no lock at all for
//! the convoy, a FIFO baton for sharing) run under the same load: what they lose, every GIL
//! loses (README, "Under load").
//!
//! # The CPython policy
//!
//! [`Policy::CPython`] re-implements CPython 3.11's `take_gil`/`drop_gil` step by step (timed
//! wait on the interval, drop request by a waiter whose wait timed out with no switch,
//! forced switching, no queue). It exists so the two can be compared in one process, and so
//! that CPython's convoy effect and unfairness can be reproduced (see `gil-bench`).
//!
//! # Free-threaded mode
//!
//! [`Mode::FreeThreaded`] never excludes: `acquire` only records the hold in a thread-local,
//! `check` is the same relaxed load (set only by a mode switch), `allow_threads` runs the
//! closure. [`GilCell`]s then protect themselves with a per-cell lock.
//!
//! [`Gil::set_mode`] switches a GIL between the two modes while threads run, as CPython
//! 3.13t re-enables its GIL when an extension that needs it is imported: enabling it stops
//! every thread that holds it at its next `check()` (or when it releases it) and queues them
//! for the GIL; making it free-threaded takes the GIL once. Guards, nesting and
//! `allow_threads` frames carry over unchanged.
//!
//! # Data the GIL protects
//!
//! [`GilCell<T>`] is borrowed with a guard of its GIL, with `RefCell`'s rules: with the GIL
//! enabled the GIL is the lock (a borrow flips a flag, no atomic read-modify-write);
//! free-threaded, a per-cell lock. Its one rule: a thread that holds a borrow does not block
//! or release its GIL (`allow_threads` and gil-sync's blocking calls panic; `check()` takes
//! `&mut self` so borrows through its guard cannot be alive across it). [`GilOnceCell`] is
//! initialised once without making any thread wait. [`ArcGilGuard`] is a guard without a
//! lifetime, for a per-thread VM struct.
//!
//! # Misuse and panics
//!
//! - Acquiring a GIL the thread already holds returns a nested guard (documented no-op).
//! - `allow_threads` suspends the thread's current nesting level: an outer guard used or
//!   dropped inside the closure (possible with nested guards) neither switches nor releases
//!   anything, and guards acquired inside the closure form a fresh level.
//! - A panic while holding the guard releases the GIL during unwinding (and hands it to the
//!   next waiter); a panic inside `allow_threads` re-acquires, then continues unwinding.
//! - Leaking a guard (`mem::forget`) leaves the GIL held, like a leaked `MutexGuard` (and
//!   a free-threaded one keeps a mode switch waiting until its thread exits).
//! - A `GilCell` borrow alive at `allow_threads`, a gil-sync wait or `set_mode` panics
//!   before anything changes ([`assert_may_block`]); a misused guard (another GIL's, an outer
//!   one inside `allow_threads`) is a [`BorrowError`].
//!
//! # Cargo features
//!
//! - `trace` (off): records the fair policy's slow-path events with timestamps, read back
//!   with [`trace::take`]; for diagnosing where a contended hand-off's time goes.
//!
//! Spurious wake-ups are injected by a `--cfg`, not a feature, so that no crate in a
//! user's dependency graph can turn them on for everyone: built with
//! `RUSTFLAGS="--cfg gil_spurious_wakeups"`, one park or condition-variable wait in four
//! (here and in gil-sync) returns at once, so every wait loop's re-check is exercised.
//! `cargo xtask verify --only spurious` runs the suites that way.
//!
//! # Testing with loom
//!
//! The protocols are model-checked with loom (`tests/loom/`):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
//!     cargo test -p gil-core --release --test loom
//! ```
//!
//! or simply `cargo xtask verify`. loom has no clock: no deadline passes inside a model, and
//! "the interval expired" is driven from another thread with [`Gil::request_drop`], which
//! runs the code a waiter runs when its timed wait expires.
//!
//! Randomized schedules with many more threads run with shuttle (`tests/shuttle/`, the same
//! shim under `--cfg shuttle`): `cargo xtask verify --only shuttle`.

// `unsafe` is allowed in one module, `cell/slot.rs`, and denied everywhere else.
#![deny(unsafe_code)]
#![cfg_attr(any(loom, shuttle), allow(dead_code, unreachable_pub))]
#![doc(test(attr(deny(warnings))))]

mod blocking;
mod cell;
mod error;
mod gil;
pub mod ident;
mod loom;
mod policy;
mod raw;
pub mod signal;
mod stats;
pub mod trace;

pub use crate::blocking::{MutexExt, sleep};
pub use crate::cell::{GilCell, GilOnceCell, Ref, RefMut, assert_may_block};
pub use crate::error::{BorrowError, SwitchIntervalError, TryAcquireError};
pub use crate::gil::arc_guard::ArcGilGuard;
pub use crate::gil::guard::{GilGuard, allow_threads, holds_any_gil};
pub use crate::gil::proof::Guard;
pub use crate::gil::{DEFAULT_SWITCH_INTERVAL, Gil, GilBuilder};
pub use crate::policy::{Mode, Policy};
pub use crate::signal::{
    Interrupt, InterruptError, Interrupter, MAX_PENDING_CALLS, PendingCallError, Turn,
};
pub use crate::stats::{GilStats, LONG_HOLD_INTERVALS, ThreadStats};

/// Test support, not part of the API: spurious wake-up injection for the parking layer (built
/// with `--cfg gil_spurious_wakeups`), shared with gil-sync so one switch drives both.
#[doc(hidden)]
#[cfg(not(any(loom, shuttle)))]
pub mod __test {
    pub use crate::loom::spurious::{
        inject as inject_spurious_wakeup, injected as spurious_wakeups_injected,
    };
}

/// The README's examples, run as doctests so that what crates.io shows keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
