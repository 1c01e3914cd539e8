//! Python's `threading.Thread` runtime on a `gil-core` GIL.
//!
//! **Status: planned (issue #4).** This crate builds and will hold:
//!
//! - an interpreter/runtime value that owns a [`gil_core::Gil`] in a chosen policy and mode
//!   and registers its creating thread as the main thread;
//! - `Thread` with Python's API: a target closure, `Thread-N` names, daemon flag inherited from
//!   the creating thread, `start` (once), `join`, `join_timeout`, `is_alive`, `ident`,
//!   `native_id`; the target runs holding the GIL and receives its guard;
//! - the module functions `current_thread`, `main_thread`, `enumerate`, `active_count`,
//!   `get_ident`, `get_native_id`, dummy threads for threads it did not start;
//! - `excepthook` for panicking targets, `local` storage, and Python's shutdown: joining
//!   non-daemon threads when the runtime is dropped.
//!
//! The building block it will run targets on is available today:
//!
//! ```
//! let gil = gil_core::Gil::new();
//! let worker = {
//!     let gil = gil.clone();
//!     std::thread::spawn(move || {
//!         let guard = gil.acquire(); // a target runs holding the GIL...
//!         guard.check(); // ...and yields at safe points
//!     })
//! };
//! worker.join().unwrap();
//! ```
#![forbid(unsafe_code)]
