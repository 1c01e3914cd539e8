//! Integration tests of gil-core's public API, one module per topic.
//!
//! Timing-dependent tests take [`gil_test_support::serial`] so that they do not compete with
//! each other for the (possibly two) cores, and they assert orders and counts, or bounds with a
//! wide margin, never tight durations.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests run on real std threads"
)]

mod acquire;
mod allow_threads;
mod bad_input;
mod blocking;
mod cell;
mod check;
mod convoy;
mod faults;
mod free_threaded;
mod misuse;
mod mode_switch;
mod multiple_gils;
mod panics;
mod policy_cpython;
mod policy_fair;
mod send_sync;
mod signal;
mod stats;
mod support;
mod switch_interval;
mod try_acquire;
