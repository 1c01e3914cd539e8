//! loom models of gil-runtime's registry (run: `cargo xtask verify`).
//!
//! At most 3 threads including the main one. A runtime thread's life is: registered (with
//! its ident) by `start`, which returns without waiting; adopts the ident, records its
//! native id and signals `started`; runs the target holding the GIL; drops its `Local`
//! values; leaves the registry; sets `done`. These models race that life with the main
//! thread's `native_id` wait, `join`, `join_timeout` (under loom a timed wait yields once and
//! expires), `enumerate` and shutdown. `local` races a thread's end (dropping its `Local`
//! values) with the drop of the `Local` itself. `interrupt` races an interrupt of a joining
//! thread with the end of the thread it joins (issue 16).
#![cfg(loom)]

mod interrupt;
mod local;
mod registry;
