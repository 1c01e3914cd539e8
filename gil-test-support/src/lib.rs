//! Helpers shared by the tests of the gil workspace: dev-only, never published.
//!
//! Every wait a test makes is bounded by [`PATIENCE`], so that a lost wake-up or a deadlock
//! fails the test with a message instead of hanging `cargo test`.
//!
//! - **Threads:** [`spawn`] a named thread, [`join`] / [`join_all`] it within [`PATIENCE`],
//!   run a call [`within`] it, [`wait_until`] a condition holds, [`recv`] from a channel.
//! - **Deliberate panics:** [`quiet_panic`] (and [`quiet_panic_with`]) skip the panic hook;
//!   [`expect_deliberate`], [`catch_deliberate`] and [`panicked`] tell them from a failed
//!   assertion; [`panic_message`] reads a payload.
//! - **Probes:** [`exclusive`] (nobody else inside), [`serial`] (tests that need the cores to
//!   themselves), [`check_at_thread_exit`] (code in a thread-local destructor that runs after
//!   the thread's other thread-locals are gone).
//! - **The GIL:** [`acquire_within`] and [`gil_free`].
//! - **Auto traits:** the compile-time checks in [`traits`].
//! - **Stress tests:** [`Watchdog`], [`Rng`], [`env_size`], [`per_second`].
//! - **Models:** with `--cfg loom`, the module `loom` (`model_bounded`, `model_with_bound`,
//!   `model_capped`); with `--cfg shuttle`, the module `shuttle` (the runner every shuttle
//!   test goes through, and its section checker).
//!
//! The library crates take it as a path dev-dependency without a version, which `cargo
//! publish` drops: it depends on gil-core, and gil-core's own tests use it, a cycle cargo
//! allows for dev-dependencies (both sides see the same gil-core).

#![allow(
    clippy::disallowed_types,
    reason = "test code on real std threads: the library crates' loom shims are not its concern"
)]

use std::time::Duration;

mod gil;
#[cfg(loom)]
pub mod loom;
mod panic;
mod probe;
#[cfg(shuttle)]
pub mod shuttle;
mod stress;
mod thread;
pub mod traits;

pub use crate::gil::{acquire_within, gil_free};
pub use crate::panic::{
    DELIBERATE, catch_deliberate, expect_deliberate, panic_message, panicked, quiet_panic,
    quiet_panic_with,
};
pub use crate::probe::{check_at_thread_exit, exclusive, register_exit_probe, serial};
pub use crate::stress::{Rng, Watchdog, env_size, per_second};
pub use crate::thread::{join, join_all, recv, spawn, wait_until, within};

/// How long any wait may take before a test calls it a lost wake-up or a deadlock; also the
/// timeout of the "blocking" calls that must succeed, so that a regression fails rather than
/// hangs.
///
/// Generous: a healthy run needs milliseconds, even on a loaded 2-core VM, under valgrind
/// (one thread at a time) or under Miri (whose clock counts the work interpreted).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A timeout that is meant to expire: long enough for a thread to reach a blocking call,
/// short enough to wait for often.
pub const SHORT: Duration = Duration::from_millis(20);
