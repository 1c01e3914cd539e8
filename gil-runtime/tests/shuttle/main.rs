//! Randomized-schedule tests of the registry and `Local` with shuttle (run: `cargo xtask
//! verify --only shuttle`; the budget is in `gil_test_support::shuttle`).
//!
//! loom checks the registry's races with at most three threads; these start and join five to
//! nine, from the main thread and from runtime threads, with shutdown racing the churn, and
//! share `Local`s among runtime and foreign threads, and interrupt a chain of joins. Under `--cfg shuttle` the registry's
//! mutex, the thread builder and the thread-locals are shuttle's, and so are the GIL and
//! gil-sync's waits underneath (see the `loom.rs` shims).
#![cfg(shuttle)]

use std::sync::Arc;

use gil_core::GilGuard;
use gil_runtime::{Handle, Thread};

mod interrupt;
mod local;
mod registry;

/// Starts `n` runtime threads of `h`, the `i`-th running `target(i, guard)`.
fn start_all<F>(h: &Handle, n: usize, target: F) -> Vec<Thread>
where
    F: Fn(usize, &mut GilGuard<'_>) + Send + Sync + 'static,
{
    let target = Arc::new(target);
    (0..n)
        .map(|i| {
            let target = Arc::clone(&target);
            let t = h.thread(move |guard| target(i, guard));
            t.start().unwrap();
            t
        })
        .collect()
}

/// Joins every thread of `threads`, each with a plain `join`.
fn join_threads(threads: &[Thread]) {
    for t in threads {
        t.join().unwrap();
    }
}
