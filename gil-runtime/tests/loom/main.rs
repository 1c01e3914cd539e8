//! loom models of gil-runtime's registry (run: `cargo xtask verify`).
//!
//! At most 3 threads including the main one. A runtime thread's life is: registered by
//! `start`, records its ident, signals `start`, runs the target holding the GIL, leaves the
//! registry, sets `done`. These models race that life with the main thread's `start`
//! wait, `join`, `join_timeout` (under loom a timed wait yields once and expires), `enumerate`
//! and shutdown.
#![cfg(loom)]

mod registry;
