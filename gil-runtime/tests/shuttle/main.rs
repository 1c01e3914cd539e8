//! Randomized-schedule tests of the registry and `Local` with shuttle (run: `cargo xtask
//! verify --only shuttle`; the budget is in gil-core's `tests/shuttle/support.rs`).
//!
//! loom checks the registry's races with at most three threads; these start and join five to
//! nine, from the main thread and from runtime threads, with shutdown racing the churn, and
//! share `Local`s among runtime and foreign threads. Under `--cfg shuttle` the registry's
//! mutex, the thread builder and the thread-locals are shuttle's, and so are the GIL and
//! gil-sync's waits underneath (see the `loom.rs` shims).
#![cfg(shuttle)]

use std::time::Duration;

mod local;
mod registry;
#[path = "../../../gil-core/tests/shuttle/support.rs"]
#[expect(dead_code, reason = "these tests use the runner, not `Exclusive`")]
mod support;

/// A timeout long enough never to pass on a real clock: under shuttle the coin decides.
const TIMEOUT: Duration = Duration::from_hours(1);
