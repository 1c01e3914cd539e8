//! Randomized-schedule tests of the GIL with shuttle (run: `cargo xtask verify --only
//! shuttle`, or see `gil_test_support::shuttle` for the budget).
//!
//! loom explores every interleaving of at most three threads and a few preemptions; these run
//! five or more threads through hundreds of GIL operations each, on schedules shuttle's PCT
//! scheduler draws. The crate's `--cfg shuttle` shim (`src/loom/shuttle.rs`) puts the GIL's
//! atomics, queue lock, parking and clock on shuttle: a timed park yields and then fires or
//! not on a recorded coin, and a firing moves a virtual clock, so the head's time-keeping,
//! the drop request, the lend path and the CPython policy's timed waits all run.
#![cfg(shuttle)]

mod gil;
mod signals;
