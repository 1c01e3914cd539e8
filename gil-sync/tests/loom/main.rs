//! loom models of gil-sync's protocols (run: `cargo xtask verify`, or see the crate docs).
//!
//! Every model has at most 3 threads including the main one. loom has no clock: a timed wait
//! inside a model registers, yields once and then cancels itself, so "the timeout fired" is
//! driven as a cancellation racing the notify or release in every interleaving.
#![cfg(loom)]

mod barrier;
mod condition;
mod event;
mod interrupt;
mod lock;
mod park;
mod rlock;
mod semaphore;
mod support;
