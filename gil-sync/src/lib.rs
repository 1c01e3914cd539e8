//! Python's threading primitives with Python's exact semantics, releasing the GIL while they
//! block.
//!
//! **Status: planned (issue #3).** This crate builds and will hold, one primitive per file:
//!
//! - `Lock` (releasable by another thread, `locked()`), `RLock` (owner and recursion count),
//! - `Condition` over a `Lock` or `RLock` (`wait`, `wait_for`, `notify(n)`, `notify_all`),
//! - `Semaphore` and `BoundedSemaphore`, `Event`, `Timer`, `Barrier`,
//!
//! each with `acquire` / `try_acquire` / `acquire_timeout(Duration)` /
//! `acquire_deadline(Instant)`, RAII guards where Python has a context manager, and typed
//! errors a binding layer can map onto `RuntimeError`, `ValueError` and `BrokenBarrierError`.
//!
//! Every blocking wait will first try without blocking, then wrap the sleep in
//! [`gil_core::allow_threads`], so a thread blocked on a primitive never stops the other
//! threads of the interpreter — exactly as CPython's `acquire` does with
//! `Py_BEGIN_ALLOW_THREADS`. Without any GIL it is a plain primitives library.
//!
//! The GIL-release hook it will use is available today:
//!
//! ```
//! let gil = gil_core::Gil::new();
//! let _guard = gil.acquire();
//! // What every blocking wait in this crate will do around its sleep:
//! gil_core::allow_threads(|| std::thread::sleep(std::time::Duration::from_millis(1)));
//! assert!(gil.is_held_by_current_thread());
//! ```
#![forbid(unsafe_code)]
