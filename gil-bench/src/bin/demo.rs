//! `cargo xtask demo`: see the GIL at work, measured on this machine, beside CPython when
//! `python3` is installed; writes a report folder (JSON, SVG charts, HTML). `--help` lists
//! the flags; [`gil_bench::demo`] documents the scenarios.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    // A burner of the load scenario runs this binary again; it never gets past this line.
    gil_bench::load::burn_if_asked();
    match gil_bench::demo::parse(std::env::args().skip(1)) {
        Ok(None) => {
            print!("{}", gil_bench::demo::USAGE);
            ExitCode::SUCCESS
        }
        Ok(Some(settings)) => match gil_bench::demo::run(&settings) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("demo: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::from(2)
        }
    }
}
