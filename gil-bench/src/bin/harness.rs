//! The fixed-duration harness: `cargo xtask harness [--quick] [--json] [--only TABLE]...`
//! (`--help` lists the flags).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use gil_bench::{cli, harness};

fn main() -> ExitCode {
    // A burner of the load scenario runs this binary again; it never gets past this line.
    gil_bench::load::burn_if_asked();
    cli::main("harness", harness::USAGE, harness::parse, |args| {
        harness::run(&args)
    })
}
