//! The fixed-duration lock contention harness behind `cargo xtask contention`, modelled on
//! `parking_lot`'s `benchmark/src/mutex.rs`.
//!
//! Each of `threads` threads loops: take the lock, do `work_inside` units of work on a value
//! shared through the lock, release, do `work_outside` units on a local value, count one
//! round. A unit is `parking_lot`'s: one dependent `f64` add and multiply, about 3 ns. After
//! `duration` a shared flag stops them; each thread's count over the elapsed time is its
//! rate. The spread of those rates across threads is the point: a lock that lets one
//! thread take it straight back shows a high mean and a low `min / max`, a hand-off lock the
//! opposite.
//!
//! - [`Settings`]: threads, work inside/outside, seconds per test, iterations.
//! - [`LockKind`]: what is measured, from `gil_sync::Lock` to the GIL itself.
//! - [`run_once`], [`run`], [`run_interleaved`]: per-thread rates (rounds per second).
//! - [`Summary`] (mean, median, std-dev, min, max over threads) and [`Report`] (one table row).
//!
//! # What the GIL rows show
//!
//! A GIL is not meant to be taken and dropped around a short critical section: a Python thread
//! holds it for whole switch intervals (5 ms) and gives it up at `check()` or around blocking
//! calls. Here each round is a full `acquire` + drop of the guard, so:
//!
//! - [`Policy::Fair`](gil_core::Policy::Fair) hands the GIL straight to the oldest waiter at every release (it is never
//!   free while anyone waits), so queued threads run in strict turns, one hand-off per round,
//!   and the total is bounded by the hand-off latency (0.2-0.5 µs a round with 2 threads on
//!   the 2-core development VM, up to 5 µs with 4, when the next one must be woken).
//!   Rates are even only while every thread stays queued: a thread the OS preempts between
//!   rounds misses its turns while the others go on, so with more threads than cores
//!   `min / max` can drop well below 1. The switch interval plays no part: no hold lasts
//!   that long.
//! - [`Policy::CPython`](gil_core::Policy::CPython) lets the releasing thread take the GIL straight back; a waiter sleeps
//!   a whole interval before it asks for a forced switch, so one thread runs alone for about
//!   5 ms at a time and the rates even out only over many intervals. Each release also
//!   signals the waiters' condition variable, as `drop_gil` does, so every round pays a
//!   mutex and a wake-up: the total stayed at 1-2 MHz with 2 and with 4 threads on the
//!   2-core development VM.
//!
//! Neither says anything about the GIL's cost inside an interpreter (see the `fairness` and
//! `convoy` tables of the harness for that); the rows are there to put the GIL's hand-off
//! discipline next to the mutexes'.
//!
//! # Differences from `parking_lot`'s benchmark
//!
//! - Rates are divided by the measured time, not the nominal seconds.
//! - Each thread completes at least one round, so every rate is positive.
//! - The median of an even count is the mean of the two middle values.
//! - [`run_interleaved`] runs every lock kind once per iteration, in rotated order, because
//!   the speed of a shared VM drifts over seconds and would otherwise favour whichever kind
//!   ran first.

//!
//! One file per concern: [`settings`] (what is measured, the flags), `measure`, `summary` and
//! `print` (the tables the binary prints).

mod measure;
mod print;
pub mod settings;
mod summary;

pub use self::measure::{run, run_interleaved, run_once};
pub use self::print::print;
pub use self::settings::{LockKind, Options, Settings, USAGE, parse};
pub use self::summary::{Report, Summary};
