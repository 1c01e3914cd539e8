//! Workloads, measurements and tools of the gil workspace: what the criterion benches, the
//! `harness`, `contention` and `demo` binaries share.
//!
//! Each workload mirrors a CPython anchor script in `gil-bench/python/anchors/` so the numbers compare:
//!
//! - [`sharing`] ↔ `e_gil_sharing.py`: K CPU-bound threads share the GIL for a fixed time
//!   ([`fairness`]); Jain's index of their progress, wait-time percentiles, hand-offs per
//!   second; [`baton`] is the bare probe of the fair policy's FIFO hand-off.
//! - [`convoy`](mod@convoy) ↔ `c_convoy.py`: socketpair round trips (each send/recv releases
//!   the GIL) alone and next to CPU-bound spinners; slowdown and the spinners' share of their
//!   solo rate.
//! - [`start_join`](mod@start_join): thread start + join, gil-runtime's against std's.
//! - [`switch`]: how long `Gil::set_mode` takes each way while threads run `check()` loops,
//!   and the bare stop-the-world handshake beside it.
//! - [`workload`]: one "bytecode" ([`work_unit`]: a few dozen dependent multiply-adds,
//!   ~20–40 ns, followed by [`GilGuard::check`](gil_core::GilGuard::check), as an
//!   interpreter's eval loop would), and [`Spinners`].
//! - [`stats`]: percentiles, medians, Jain's index, and the round-by-round interleaving
//!   every comparison of variants runs under.
//!
//! [`load`] puts other busy processes beside any of them and reads the machine's load;
//! [`under_load`] measures the convoy and sharing next to them.
//!
//! The tools: [`harness`] (`cargo xtask harness`), [`contention`] (`cargo xtask
//! contention`) and [`demo`] (`cargo xtask demo`); [`browser`] checks the demo's report page
//! in headless Chromium and keeps its screenshot.
#![forbid(unsafe_code)]
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "measurement code: counts and durations far below 2^52 become f64 for statistics"
)]
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "benchmarks run on real std threads and compare against std primitives"
)]

pub mod browser;
pub mod cli;
pub mod contention;
pub mod convoy;
pub mod cpython;
pub mod demo;
pub mod harness;
pub mod host;
pub mod interrupt;
pub mod json;
pub mod load;
pub mod results;
pub mod sharing;
pub mod start_join;
pub mod stats;
pub mod switch;
pub mod under_load;
pub mod workload;

pub use crate::convoy::{
    ConvoyRun, ConvoySummary, convoy, convoy_summary, convoy_within, spinner_solo_rate,
};
pub use crate::sharing::{FairnessRun, GAP, baton, fairness};
pub use crate::start_join::{StartJoin, start_join};
pub use crate::stats::{interleaved, jain, median, pct, round_ratio, try_interleaved};
pub use crate::workload::{Spinners, gil, work_unit};

/// The workspace README's examples, run as doctests so that the front door keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
