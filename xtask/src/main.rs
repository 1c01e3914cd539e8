//! Project tooling for the gil workspace, run as `cargo xtask <task>`.
//!
//! The `xtask` alias in `.cargo/config.toml` builds and runs this binary. Every task shells
//! out to the same `cargo` that started it (the `CARGO` environment variable) from the
//! workspace root, and echoes each command first, environment included
//! (`+ RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps`), so a log reads like a
//! shell script run under `set -x`.
//!
//! Everything xtask itself says goes to stderr, so the stdout of a forwarded binary
//! (`cargo xtask harness > results.txt`) stays clean.
//!
//! # Tasks
//!
//! - `verify [--stress] [--deep] [--skip-loom] [--only <step>]`: the checks CI runs, see
//!   [`verify`].
//! - `demo [args…]`: `cargo run --release -p gil-bench --bin demo -- args…`.
//! - `bench [args…]`: `cargo bench -p gil-bench -- args…` (the args go to criterion).
//! - `harness [args…]`: `cargo run --release -p gil-bench --bin harness -- args…`.
//! - `contention [args…]`: `cargo run --release -p gil-bench --bin contention -- args…`.
//! - `help`: lists the tasks.
#![forbid(unsafe_code)]

mod command;
mod verify;

use std::env;
use std::ffi::OsString;
use std::process::ExitCode;

use crate::command::{Fallible, cargo, run, workspace_root};

/// The text `cargo xtask help` prints.
const HELP: &str = "\
Usage: cargo xtask <task> [args...]

Tasks:
  verify [--stress] [--deep] [--skip-loom] [--only <step>]
                     run the checks CI runs, in order, stopping at the first failure:
                     fmt, clippy, test, spurious, doctest, doc, msrv, package,
                     loom, shuttle (+ stress and memcheck with --stress; loom at 3
                     preemptions, more shuttle schedules, miri and tsan with --deep);
                     see `cargo xtask verify --help`
  demo [args...]     run the gil-bench demo (release build), forwarding args
  bench [args...]    run the gil-bench criterion benchmarks, forwarding args to criterion
  harness [args...]  run the gil-bench fairness/convoy/start-join/load/micro/switch
                     harness (release build), forwarding args; `--only load` and
                     `--only switch` measure next to busy processes
  contention [args...]
                     run the parking_lot-style lock contention harness (release build),
                     forwarding args; per-thread rates show fairness
  help               print this message
";

/// Runs [`try_main`] and turns its error into a message on stderr and exit status 1.
fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Dispatches on the first argument; the rest go to the task untouched.
fn try_main() -> Fallible {
    let mut args = env::args_os().skip(1);
    let task = args.next();
    let rest: Vec<OsString> = args.collect();
    match task.as_ref().map(|task| task.to_string_lossy()).as_deref() {
        None | Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(())
        }
        Some("verify") => verify::verify(&rest),
        Some("demo") => release_bin("demo", &rest),
        Some("bench") => bench(&rest),
        Some("harness") => release_bin("harness", &rest),
        Some("contention") => release_bin("contention", &rest),
        Some(other) => Err(format!(
            "xtask: unknown task `{other}`; `cargo xtask help` lists the tasks"
        )),
    }
}

/// `cargo xtask bench`: runs the gil-bench criterion benchmarks.
fn bench(args: &[OsString]) -> Fallible {
    let mut cmd = cargo(&workspace_root()?);
    cmd.args(["bench", "-p", "gil-bench", "--"]);
    run(cmd.args(args))
}

/// `cargo xtask demo|harness|contention`: runs the gil-bench binary `bin` in a release
/// build, forwarding `args`.
fn release_bin(bin: &str, args: &[OsString]) -> Fallible {
    let mut cmd = cargo(&workspace_root()?);
    cmd.args(["run", "--release", "-p", "gil-bench", "--bin", bin, "--"]);
    run(cmd.args(args))
}
