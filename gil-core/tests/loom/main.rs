//! loom models of the GIL's protocols (run: `cargo xtask verify`, or see the crate docs).
//!
//! Every model has at most 3 threads including the main one. loom has no clock: no deadline
//! passes inside a model, so "the switch interval expired" is driven by `Gil::request_drop`,
//! the exact code a waiter runs when its timed wait expires. loom never produces spurious
//! wake-ups; those are covered by the stress tests.
#![cfg(loom)]

mod allow_threads;
mod cell;
mod drop_request;
mod fifo;
mod handoff;
mod lend;
mod mode_switch;
mod signal;
mod support;
mod timeout;
