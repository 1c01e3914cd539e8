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

mod verify;

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// What every task returns; `Err` carries the message `main` prints before exiting with
/// status 1.
type Fallible<T = ()> = Result<T, String>;

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
  harness [args...]  run the gil-bench fairness/convoy/start-join/load harness (release
                     build), forwarding args; `--only load` measures next to busy
                     processes
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

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> Fallible<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(Path::to_path_buf).ok_or_else(|| {
        format!(
            "xtask: cannot find the workspace root above {}",
            manifest_dir.display()
        )
    })
}

/// A `cargo` command (the `CARGO` that started us, else `cargo` from `PATH`) that runs in
/// `root`.
fn cargo(root: &Path) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(program);
    cmd.current_dir(root);
    cmd
}

/// Echoes `cmd` as `+ KEY=value program args…`, runs it with inherited stdio and waits.
///
/// Fails if the command cannot be started or does not exit successfully.
fn run(cmd: &mut Command) -> Fallible {
    let line = render(cmd);
    eprintln!("+ {line}");
    let status = cmd
        .status()
        .map_err(|error| format!("xtask: cannot start `{line}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("xtask: `{line}` failed ({status})"))
    }
}

/// Renders `cmd` as a shell line: the variables it sets, the program's file name (so the
/// absolute path in `CARGO` reads as `cargo`) and the arguments, quoted where needed.
fn render(cmd: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => words.push(format!("{}={}", key.to_string_lossy(), quote(value))),
            None => words.push(format!("-u {}", key.to_string_lossy())),
        }
    }
    let program = Path::new(cmd.get_program());
    words.push(quote(program.file_name().unwrap_or(program.as_os_str())));
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

/// Quotes `word` for display the way a shell would need it: as is when it only holds
/// characters a shell leaves alone, else in double quotes.
fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,/:=+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.into_owned();
    }
    let mut quoted = String::from("\"");
    for c in word.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}
