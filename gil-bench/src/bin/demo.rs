//! `cargo xtask demo`: see the GIL at work, measured on this machine, beside CPython when
//! `python3` is installed; writes a report folder (JSON, SVG charts, HTML). `--help` lists
//! the flags; [`gil_bench::demo`] documents the scenarios.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use gil_bench::{cli, demo};

fn main() -> ExitCode {
    // A burner of the load scenario runs this binary again; it never gets past this line.
    gil_bench::load::burn_if_asked();
    cli::main("demo", demo::USAGE, demo::parse, |settings| {
        demo::run(&settings).map(drop)
    })
}
