//! Python's `threading.Thread` runtime on a `gil-core` GIL.
//!
//! - [`Runtime`]: one [`gil_core::Gil`] (policy and mode of your choice), the thread registry
//!   and the main thread; dropping it is Python's shutdown (joins non-daemon threads).
//! - [`Thread`]: Python's `threading.Thread` — `Thread-N` names, daemon flag inherited from
//!   the creating thread, `start` (once), `join`, `join_timeout`, `is_alive`, `ident`,
//!   `native_id`. The target runs **holding the GIL** and receives its
//!   [`GilGuard`](gil_core::GilGuard), so it can call `check()` and `allow_threads`.
//! - Interrupts (gil-core's [`signal`](gil_core::signal) module): [`Thread::interrupt`]
//!   (Python's `PyThreadState_SetAsyncExc`) and [`Handle::interrupt_main`]
//!   (`_thread.interrupt_main()`) make the thread's next `check()` return
//!   `Err(Interrupt::Requested)` and wake a [`join`](Thread::join) it is blocked in
//!   ([`JoinError::Interrupted`]); [`Thread::interrupter`] hands out the
//!   [`Interrupter`](gil_core::Interrupter) a signal handler can hold. The runtime's main
//!   thread is its GIL's main thread, which runs the GIL's pending calls (also inside its
//!   `join`).
//! - [`Handle`]: the module functions — `current_thread`, `main_thread`, `enumerate`,
//!   `active_count`, `stack_size` — plus `set_excepthook` and `interrupt_main`;
//!   [`get_ident`] and [`get_native_id`] are free. [`ThreadBuilder`] sets a name, daemon
//!   flag or stack size.
//! - [`Local`]: Python's `threading.local`, one value per thread, dropped when the thread
//!   ends.
//! - Errors: [`StartError`], [`JoinError`], [`DaemonError`] (Python raises `RuntimeError` for
//!   each, with the same messages; `JoinError::Interrupted` is the interrupt's exception,
//!   `KeyboardInterrupt` for Ctrl-C), [`InterruptError`] (no such thread to interrupt),
//!   [`StackSizeError`] (`ValueError`) and [`BorrowError`] (a `Local` used again inside its
//!   own `with`; no Python counterpart). The table is in the `error` module's source docs.
//!
//! # Example
//!
//! ```
//! use gil_runtime::Runtime;
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
//!
//! let rt = Runtime::new();
//! let total = Arc::new(AtomicU64::new(0));
//! let threads: Vec<_> = (0..4)
//!     .map(|_| {
//!         let total = total.clone();
//!         rt.thread(move |guard| {
//!             for i in 0..1000 {
//!                 total.fetch_add(i, Relaxed);
//!                 guard.check().unwrap(); // let the others in when their turn comes
//!             }
//!         })
//!     })
//!     .collect();
//! for t in &threads {
//!     t.start().unwrap();
//! }
//! for t in &threads {
//!     t.join().unwrap();
//! }
//! assert_eq!(total.load(Relaxed), 4 * 499_500);
//! ```
//!
//! # User code and internal locks
//!
//! Everything of yours the crate runs — thread targets, excepthooks, a [`Local`]'s `with`
//! closure, `with_init` function, `T::clone` and `T::drop` — runs with none of the crate's
//! internal locks held (the registry's, a thread record's, a `Local`'s table), so it may
//! block, release the GIL, or use the same runtime and `Local` from other threads. The
//! internal locks are held only for a few field updates and never across anything that can
//! release the GIL or wait.
//!
//! # Thread exit
//!
//! The crate's per-thread state (the thread's identity, its `Local` values, its "current
//! thread" records) lives in thread-locals. Code that runs in a thread-local destructor
//! after they are gone still gets a defined result, never a panic: [`get_ident`] is
//! unchanged (a `const`, drop-free thread-local is never destroyed), a [`Local`] has no
//! value there and keeps none ("Thread exit" on [`Local`]), and
//! [`Handle::current_thread`] returns a dummy thread that `enumerate` does not list.
//!
//! # Examples and benchmarks
//!
//! - `cargo run --release -p gil-runtime --example workloads`: CPU-bound and I/O-bound work
//!   on 1, 2 and 4 threads, with the GIL enabled and free-threaded.
//! - `cargo run --release -p gil-runtime --example vm`: a small bytecode VM whose globals
//!   live in `GilCell`s, each VM thread owning an `ArcGilGuard`: countdown, the
//!   `counter += 1` race with and without a `Lock`, and blocking I/O, in every mode.
//! - `cargo bench -p gil-bench --bench runtime_thread`: `start` + `join` next to
//!   `std::thread::spawn` + `join`.
//!
//! # Testing with loom
//!
//! The registry's protocols (start, exit, join, timed join, shutdown, `native_id` right after
//! `start`), a thread's exit racing a `Local`'s drop, and an interrupt racing a join have
//! loom models in `tests/loom/`:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
//!     cargo test -p gil-runtime --release --test loom
//! ```
//!
//! Randomized schedules with many more threads run with shuttle (`tests/shuttle/`, the same
//! shim under `--cfg shuttle`): `cargo xtask verify --only shuttle`.
#![forbid(unsafe_code)]
#![cfg_attr(any(loom, shuttle), allow(dead_code, unreachable_pub))]

mod builder;
mod current;
mod done;
mod error;
mod excepthook;
mod handle;
mod local;
mod loom;
mod registry;
mod runtime;
mod thread;

pub use crate::builder::ThreadBuilder;
pub use crate::error::{
    BorrowError, DaemonError, InterruptError, JoinError, StackSizeError, StartError,
};
pub use crate::excepthook::default_excepthook;
pub use crate::handle::Handle;
pub use crate::local::Local;
pub use crate::registry::{ExceptHookArgs, Thread};
pub use crate::runtime::{Runtime, RuntimeBuilder};

/// The calling thread's identity (Python: `threading.get_ident()`): nonzero, and — unlike
/// Python's — never reused within the process. It is [`gil_core::ident::current`], the one
/// identity space of the workspace: the owner an `RLock`'s `Debug` shows, the GIL's holder
/// and [`Thread::ident`] are all in it.
///
/// # Examples
///
/// ```
/// assert_ne!(gil_runtime::get_ident(), 0);
/// ```
pub fn get_ident() -> u64 {
    gil_core::ident::current()
}

/// The kernel's id for the calling thread (Python: `threading.get_native_id()`); `None`
/// where the platform exposes none (only Linux is supported here).
///
/// # Examples
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert!(gil_runtime::get_native_id().is_some());
/// ```
pub fn get_native_id() -> Option<u64> {
    registry::native_id()
}

/// Sizes of the crate's per-thread tables, for the memory regression tests
/// (`tests/memory.rs`). Not part of the API: names and numbers may change in any release.
#[doc(hidden)]
pub mod __probe {
    /// How many `Local`s the calling thread's roster lists.
    pub fn local_registrations() -> usize {
        crate::local::registrations()
    }

    /// How many threads `local` keeps an entry for (with a value or without one).
    pub fn local_entries<T: Send + 'static>(local: &crate::Local<T>) -> usize {
        local.entries()
    }

    /// How many "current thread" records the calling thread keeps (one per runtime it is
    /// known to, plus dead ones not pruned yet).
    pub fn current_records() -> usize {
        crate::current::records()
    }
}

/// The README's examples, run as doctests so that what crates.io shows keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
