//! `cargo xtask verify`: the checks CI runs, in order, stopping at the first failure.
//!
//! The steps and options are listed in [`USAGE`], which `cargo xtask verify --help` prints.

mod common;
mod nightly;
mod plan;
mod release;
mod shuttle;
mod suites;

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use self::common::{Done, nextest_installed, secs, words};
use self::plan::{Step, parse, plan};
use crate::command::{Fallible, cargo, run, workspace_root};

/// The text `cargo xtask verify --help` prints.
const USAGE: &str = "\
Usage: cargo xtask verify [--stress] [--deep] [--skip-loom] [--only <step>]...

Runs, in order, stopping at the first failure:
  fmt      cargo fmt --all -- --check
  clippy   cargo clippy --workspace --all-targets -- -D warnings
  test     cargo nextest run --workspace (cargo test when nextest is not installed)
  spurious the api suites (bad_input and faults modules included) of gil-core, gil-sync
           and gil-runtime again built with RUSTFLAGS=\"--cfg gil_spurious_wakeups\" (one park or
           condition-variable wait in four returns at once), CARGO_TARGET_DIR=
           target/spurious, after clippy of gil-core and gil-sync with that cfg
  doctest  cargo test --workspace --doc
  doc      RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps
  msrv     cargo check --lib --all-features of gil-core, gil-sync and gil-runtime with the
           workspace's rust-version toolchain (installed with rustup when missing; when it
           cannot be, the step says so and is reported as skipped), CARGO_TARGET_DIR=
           target/msrv
  package  cargo package of the three libraries: what crates.io would receive builds
           (CARGO_TARGET_DIR=target/package-verify, emptied first, and earlier unpacked
           copies of the three removed from $CARGO_HOME/registry: cargo reuses a registry
           crate by name and version)
  miri-cell gil-core's GilCell tests (api cell:: and send_sync::) under Miri: the
           workspace's one unsafe module, with the data-race detector and weak-memory
           emulation (nightly; miri and rust-src are installed with rustup when missing;
           when they cannot be, the step says so and is reported as skipped)
  loom     each tests/loom/<model>.rs of gil-core, gil-sync and gil-runtime, release mode,
           RUSTFLAGS=\"--cfg loom\", LOOM_MAX_PREEMPTIONS=2 (3 with --deep; a value already
           set wins), CARGO_TARGET_DIR=target/loom
  shuttle  clippy of the shuttle shims and tests, then each crate's tests/shuttle binary:
           randomized schedules (shuttle's PCT scheduler), release mode with debug
           assertions, RUSTFLAGS=\"--cfg shuttle -C debug-assertions\",
           CARGO_TARGET_DIR=target/shuttle, GIL_SHUTTLE_SEEDS=1-4 and
           GIL_SHUTTLE_ITERATIONS=250 per test (--deep: 1-32 and 1000; values already set
           win)
  stress   (only with --stress) the ignored tests of each crate's tests/stress binary
  memcheck (only with --stress) each crate's tests/api binary, less its bad_input and
           faults modules, under `valgrind --tool=memcheck`: no errors, no definite
           leaks (needs valgrind; Debian: apt-get install valgrind)
  miri     (only with --deep) the api suites of gil-sync and gil-runtime, less their
           bad_input and faults modules, under Miri
           (`cargo +nightly miri test`: data-race detector and weak-memory emulation on,
           MIRIFLAGS=-Zmiri-isolation-error=warn-nobacktrace unless set, Miri's own
           target/miri); tests Miri cannot run are #[cfg_attr(miri, ignore)] with a reason
  tsan     (only with --deep) the stress suites of the three crates under ThreadSanitizer
           (nightly, RUSTFLAGS=-Zsanitizer=thread, -Zbuild-std), GIL_STRESS_SECS=1 unless
           set, CARGO_TARGET_DIR=target/tsan
           miri and tsan need the nightly toolchain; missing miri or rust-src components
           are installed with rustup, and the step fails saying so when they cannot be

Options:
  --stress        also run the stress and memcheck steps
  --deep          deeper checking, not part of CI's default run: loom at 3 preemptions, a
                  larger shuttle budget, and the miri and tsan steps
  --skip-loom     skip the loom step, for quick local iterations (CI never skips it)
  --only <step>   run only this step (repeatable); `--only stress`, `memcheck`, `miri`
                  and `tsan` run even without --stress or --deep
  -h, --help      print this message
";

/// Runs `cargo xtask verify` with the arguments after `verify`.
pub(crate) fn verify(args: &[OsString]) -> Fallible {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let steps = plan(&options)?;
    let root = workspace_root()?;
    let started = Instant::now();
    let mut passed = Vec::new();
    for (index, &step) in steps.iter().enumerate() {
        eprintln!("\nverify: [{}/{}] {}", index + 1, steps.len(), step.name());
        let step_started = Instant::now();
        let result = run_step(step, &root, options.deep);
        let elapsed = step_started.elapsed();
        match result {
            Ok(done) => passed.push((step, elapsed, done)),
            Err(cause) => {
                eprintln!("{cause}");
                summarize(&passed, Some((step, elapsed)));
                return Err(format!("verify: step '{}' failed", step.name()));
            }
        }
    }
    summarize(&passed, None);
    let skipped = passed
        .iter()
        .filter(|(_, _, done)| matches!(done, Done::Skipped(_)))
        .count();
    let ran = steps.len() - skipped;
    let plural = if ran == 1 { "" } else { "s" };
    let skipped = match skipped {
        0 => String::new(),
        n => format!(" ({n} SKIPPED, see above)"),
    };
    eprintln!(
        "verify: all {ran} step{plural} that ran passed in {}{skipped}",
        secs(started.elapsed())
    );
    Ok(())
}

/// Runs one step from the workspace root; `deep`: with `--deep`'s settings.
fn run_step(step: Step, root: &Path, deep: bool) -> Fallible<Done> {
    let mut cmd = cargo(root);
    let ran = match step {
        Step::Fmt => run(cmd.args(words("fmt --all -- --check"))),
        Step::Clippy => run(cmd.args(words("clippy --workspace --all-targets -- -D warnings"))),
        Step::Test if nextest_installed(root) => {
            eprintln!("verify: cargo-nextest found; running the tests with it");
            run(cmd.args(words(
                "nextest run --workspace --no-fail-fast --no-tests=warn",
            )))
        }
        Step::Test => {
            eprintln!("verify: cargo-nextest not installed; falling back to cargo test");
            // `--tests` leaves the doctests to the doctest step instead of running them twice.
            run(cmd.args(words("test --workspace --tests")))
        }
        Step::Doctest => run(cmd.args(words("test --workspace --doc"))),
        Step::Doc => run(cmd
            .env("RUSTDOCFLAGS", "-D warnings")
            .args(words("doc --workspace --no-deps"))),
        Step::Spurious => suites::spurious(root),
        Step::Loom => suites::loom(root, deep),
        Step::Shuttle => shuttle::shuttle(root, deep),
        Step::Stress => suites::stress(root),
        Step::Memcheck => suites::memcheck(root),
        Step::Miri => nightly::miri(root),
        Step::Tsan => nightly::tsan(root),
        Step::Msrv => return release::msrv(root),
        Step::Package => return release::package(root),
        Step::MiriCell => return nightly::miri_cell(root),
    };
    ran.map(|()| Done::Ran)
}

/// Prints one `name  time  ok` (or `SKIPPED: why`) line per step that did not fail, then the failed step if there is one.
fn summarize(passed: &[(Step, Duration, Done)], failed: Option<(Step, Duration)>) {
    eprintln!("\nverify: summary");
    for (step, elapsed, done) in passed {
        let verdict = match done {
            Done::Ran => "ok".to_owned(),
            Done::Skipped(why) => format!("SKIPPED: {why}"),
        };
        eprintln!("  {:<8} {:>8}  {verdict}", step.name(), secs(*elapsed));
    }
    if let Some((step, elapsed)) = failed {
        eprintln!("  {:<8} {:>8}  FAILED", step.name(), secs(elapsed));
    }
}
