//! `cargo xtask demo`: see the GIL at work, measured on this machine, beside CPython when
//! `python3` is installed; writes a report folder (JSON, SVG charts, HTML). `--help` lists
//! the flags; [`gil_bench::demo`] documents the scenarios.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use gil_bench::{cli, demo};

fn main() -> ExitCode {
    // A burner of the load scenario and a worker of the cpu scenario run this binary again;
    // they never get past these lines.
    gil_bench::load::burn_if_asked();
    demo::procs::work_if_asked();
    cli::main("demo", demo::USAGE, demo::parse, |settings| {
        demo::run(&settings).map(drop)
    })
}
