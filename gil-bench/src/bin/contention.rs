//! The lock contention harness: `cargo xtask contention [--threads N[,N...]] [--inside N]
//! [--outside N] [--seconds S] [--iterations N] [--locks a,b,...] [--json]`.
//!
//! Prints, per thread count, one row per lock kind with the per-thread rates in kHz (mean,
//! median, std-dev, min, max, as `parking_lot`'s `benchmark/src/mutex.rs` does), the total rate
//! and the slowest/fastest thread ratio. See `gil_bench::contention`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use gil_bench::{cli, contention};

fn main() -> ExitCode {
    cli::main(
        "contention",
        contention::USAGE,
        contention::parse,
        |options| contention::print(&options),
    )
}
