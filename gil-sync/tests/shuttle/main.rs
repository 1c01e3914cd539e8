//! Randomized-schedule tests of the primitives with shuttle, four to eight threads each (run:
//! `cargo xtask verify --only shuttle`; the budget is in `gil_test_support::shuttle`).
//!
//! loom checks each primitive's protocol exhaustively with two or three threads; these run
//! longer mixes — blocking, timed and non-blocking calls, cross-thread releases, several
//! waiters queued at once — on schedules shuttle's PCT scheduler draws. Under `--cfg shuttle`
//! a timed wait yields and then expires or not on a coin shuttle records, whatever its
//! duration, so the "timed out" path races every wake-up here too. The last module holds a
//! GIL across the waits.
#![cfg(shuttle)]

mod barrier;
mod condition;
mod event;
mod gil;
mod lock;
mod semaphore;
mod timer;

/// Takes a lock or a permit one of three ways, by `k`: blocking, timed (which may expire
/// under shuttle, whatever [`TIMEOUT`](gil_test_support::shuttle::TIMEOUT) says) or non-blocking. `None`: it did not get it.
fn one_of_three_ways<G>(
    k: usize,
    blocking: impl FnOnce() -> G,
    timed: impl FnOnce() -> Option<G>,
    non_blocking: impl FnOnce() -> Option<G>,
) -> Option<G> {
    match k % 3 {
        0 => Some(blocking()),
        1 => timed(),
        _ => non_blocking(),
    }
}
