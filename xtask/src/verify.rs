//! `cargo xtask verify`: the checks CI runs, in order, stopping at the first failure.
//!
//! The steps and options are listed in [`USAGE`], which `cargo xtask verify --help` prints.

mod nightly;
mod release;
mod shuttle;

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Fallible, cargo, run, workspace_root};

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

/// The library crates whose `tests/loom` and `tests/stress` binaries `verify` runs.
const LIBRARY_CRATES: [&str; 3] = ["gil-core", "gil-sync", "gil-runtime"];

/// The modules of the api binaries that the memcheck and miri steps skip: the bad-input
/// tables and the fault suites, folded into the api binaries so that fewer test binaries
/// build, were never run under valgrind or Miri. Some cannot run there as they are: their
/// short timeouts expire under valgrind's one-thread-at-a-time schedule, and spawns that
/// must fail for their stack size succeed under Miri.
const UNINSTRUMENTED_MODULES: [&str; 2] = ["bad_input::", "faults::"];

/// libtest arguments that skip [`UNINSTRUMENTED_MODULES`] (filters match substrings of the
/// test paths, and no other module's name contains these).
fn skip_uninstrumented() -> impl Iterator<Item = &'static str> {
    UNINSTRUMENTED_MODULES
        .into_iter()
        .flat_map(|module| ["--skip", module])
}

/// One check of `verify`, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `cargo fmt --all -- --check`.
    Fmt,
    /// `cargo clippy --workspace --all-targets -- -D warnings`.
    Clippy,
    /// The unit and integration tests, through cargo-nextest when it is installed.
    Test,
    /// The API suites (bad-input and fault modules included) with spurious wake-ups injected.
    Spurious,
    /// `cargo test --workspace --doc`.
    Doctest,
    /// `cargo doc --workspace --no-deps` with warnings denied.
    Doc,
    /// The libraries build with the declared minimum Rust version.
    Msrv,
    /// `cargo package` of the libraries.
    Package,
    /// The loom models, one model file at a time.
    Loom,
    /// The shuttle tests: randomized schedules.
    Shuttle,
    /// The `#[ignore]`d stress tests; only with `--stress`.
    Stress,
    /// The API suites under valgrind's memcheck; only with `--stress`.
    Memcheck,
    /// The gil-sync and gil-runtime API suites under Miri; only with `--deep`.
    Miri,
    /// The stress suites under ThreadSanitizer; only with `--deep`.
    Tsan,
}

impl Step {
    /// Every step, in running order.
    const ALL: [Self; 14] = [
        Self::Fmt,
        Self::Clippy,
        Self::Test,
        Self::Spurious,
        Self::Doctest,
        Self::Doc,
        Self::Msrv,
        Self::Package,
        Self::Loom,
        Self::Shuttle,
        Self::Stress,
        Self::Memcheck,
        Self::Miri,
        Self::Tsan,
    ];

    /// The name used on the command line and in messages.
    fn name(self) -> &'static str {
        match self {
            Self::Fmt => "fmt",
            Self::Clippy => "clippy",
            Self::Test => "test",
            Self::Spurious => "spurious",
            Self::Doctest => "doctest",
            Self::Doc => "doc",
            Self::Msrv => "msrv",
            Self::Package => "package",
            Self::Loom => "loom",
            Self::Shuttle => "shuttle",
            Self::Stress => "stress",
            Self::Memcheck => "memcheck",
            Self::Miri => "miri",
            Self::Tsan => "tsan",
        }
    }

    /// The step called `name` on the command line.
    fn named(name: &str) -> Fallible<Self> {
        Self::ALL
            .into_iter()
            .find(|step| step.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|step| step.name()).collect();
                format!(
                    "verify: unknown step `{name}`; steps are {}",
                    names.join(", ")
                )
            })
    }
}

/// The parsed command line of `verify`.
#[derive(Debug, Default)]
struct Options {
    /// `--stress`: add the stress step.
    stress: bool,
    /// `--deep`: loom deeper, more shuttle schedules, Miri and ThreadSanitizer.
    deep: bool,
    /// `--skip-loom`: drop the loom step.
    skip_loom: bool,
    /// `--only <step>`: run just these steps (empty means all).
    only: Vec<Step>,
}

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

/// Parses the arguments of `verify`; `None` means help was asked for.
fn parse(args: &[OsString]) -> Fallible<Option<Options>> {
    let mut options = Options::default();
    let mut args = args.iter().map(|arg| arg.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--stress" => options.stress = true,
            "--deep" => options.deep = true,
            "--skip-loom" => options.skip_loom = true,
            "--only" => {
                let name = args.next().ok_or("verify: `--only` needs a step name")?;
                options.only.push(Step::named(&name)?);
            }
            other => match other.strip_prefix("--only=") {
                Some(name) => options.only.push(Step::named(name)?),
                None => {
                    return Err(format!(
                        "verify: unknown argument `{other}`; see `cargo xtask verify --help`"
                    ));
                }
            },
        }
    }
    Ok(Some(options))
}

/// The steps `options` select, in running order; an empty selection is an error.
fn plan(options: &Options) -> Fallible<Vec<Step>> {
    let steps: Vec<Step> = Step::ALL
        .into_iter()
        .filter(|step| match step {
            Step::Loom => !options.skip_loom,
            Step::Stress | Step::Memcheck => options.stress || options.only.contains(step),
            Step::Miri | Step::Tsan => options.deep || options.only.contains(step),
            _ => true,
        })
        .filter(|step| options.only.is_empty() || options.only.contains(step))
        .collect();
    if steps.is_empty() {
        return Err("verify: nothing left to run (`--only loom` with `--skip-loom`?)".into());
    }
    Ok(steps)
}

/// How a step that did not fail ended.
#[derive(Debug)]
enum Done {
    /// It ran and passed.
    Ran,
    /// It could not run here, for the reason given; reported, never counted as passed.
    Skipped(String),
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
        Step::Spurious => spurious(root),
        Step::Loom => loom(root, deep),
        Step::Shuttle => shuttle::shuttle(root, deep),
        Step::Stress => stress(root),
        Step::Memcheck => memcheck(root),
        Step::Miri => nightly::miri(root),
        Step::Tsan => nightly::tsan(root),
        Step::Msrv => return release::msrv(root),
        Step::Package => return release::package(root),
    };
    ran.map(|()| Done::Ran)
}

/// The `--cfg` that injects spurious wake-ups in gil-core's and gil-sync's parking layers.
/// A cfg, not a feature: no crate in a user's graph can switch it on for everyone.
const SPURIOUS_CFG: &str = "--cfg gil_spurious_wakeups";

/// A cargo command built with [`SPURIOUS_CFG`], in its own target directory so that the
/// default build's cache stays valid.
fn spurious_cargo(root: &Path) -> Command {
    let mut cmd = cargo(root);
    cmd.env("RUSTFLAGS", SPURIOUS_CFG)
        .env("CARGO_TARGET_DIR", root.join("target/spurious"));
    cmd
}

/// The spurious step: clippy of the injection code, then the suites with it on.
fn spurious(root: &Path) -> Fallible {
    run(spurious_cargo(root).args(words("clippy -p gil-core -p gil-sync -- -D warnings")))?;
    let mut cmd = spurious_cargo(root);
    if nextest_installed(root) {
        cmd.args(words("nextest run --no-fail-fast"));
    } else {
        cmd.arg("test");
    }
    cmd.args(LIBRARY_CRATES.iter().flat_map(|krate| ["-p", krate]))
        .args(words("--test api"));
    run(&mut cmd)
}

/// The environment's `name`, else `default`.
fn env_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Splits a command line written out in full into its words.
fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split_whitespace()
}

/// Whether `cargo nextest --version` succeeds.
fn nextest_installed(root: &Path) -> bool {
    cargo(root)
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The loom step: every model file of every library crate, one `cargo test` each; `deep`:
/// at 3 preemptions instead of 2.
fn loom(root: &Path, deep: bool) -> Fallible {
    let mut crates = Vec::new();
    for krate in LIBRARY_CRATES {
        let dir = root.join(krate).join("tests/loom");
        if !dir.join("main.rs").is_file() {
            eprintln!("loom: {krate} has no tests/loom/main.rs; skipping it");
            continue;
        }
        let models = model_files(&dir)?;
        if models.is_empty() {
            eprintln!("loom: {krate} has no model files in tests/loom yet; skipping it");
            continue;
        }
        crates.push((krate, models));
    }
    let total: usize = crates.iter().map(|(_, models)| models.len()).sum();
    if total == 0 {
        eprintln!("loom: no loom models found; nothing to check");
        return Ok(());
    }
    // Keep a user's LOOM_MAX_PREEMPTIONS, but set it explicitly so the echo shows it.
    let preemptions = env_or("LOOM_MAX_PREEMPTIONS", if deep { "3" } else { "2" });
    let target_dir = root.join("target").join("loom");
    let loom_test = |krate: &str| {
        let mut cmd = cargo(root);
        cmd.env("RUSTFLAGS", "--cfg loom")
            .env("LOOM_MAX_PREEMPTIONS", &preemptions)
            .env("CARGO_TARGET_DIR", &target_dir)
            .args(["test", "-p", krate, "--release", "--test", "loom"]);
        cmd
    };
    let mut timings = Vec::new();
    let mut index = 0;
    for (krate, models) in &crates {
        // Build first, so the time printed per model is the model's, not the compiler's.
        run(loom_test(krate).arg("--no-run"))?;
        for model in models {
            index += 1;
            eprintln!("[loom {index}/{total}] {krate}: {model}");
            let mut cmd = loom_test(krate);
            // `--nocapture`: a model kept below the bound asked for says so (see ARCHITECTURE).
            cmd.args(["--", "--nocapture", &format!("{model}::")]);
            // libtest filters match substrings: `lock::` also selects `rlock::…`.
            for other in models
                .iter()
                .filter(|other| *other != model && other.ends_with(model.as_str()))
            {
                cmd.args(["--skip", &format!("{other}::")]);
            }
            let started = Instant::now();
            run(&mut cmd)?;
            let elapsed = started.elapsed();
            eprintln!(
                "[loom {index}/{total}] {krate}: {model} passed in {}",
                secs(elapsed)
            );
            timings.push((format!("{krate}: {model}"), elapsed));
        }
    }
    eprintln!("loom: time per model file");
    for (model, elapsed) in &timings {
        eprintln!("  {model:<32} {:>8}", secs(*elapsed));
    }
    Ok(())
}

/// The sorted file stems of the `*.rs` files in `dir` that hold tests, other than `main.rs`.
fn model_files(dir: &Path) -> Fallible<Vec<String>> {
    let entries = fs::read_dir(dir)
        .map_err(|error| format!("loom: cannot read {}: {error}", dir.display()))?;
    let mut models: Vec<String> = entries
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("loom: cannot read {}: {error}", dir.display()))?
        .into_iter()
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "rs"))
        // A model file has tests; helpers shared by the models (e.g. `support.rs`) do not.
        .filter(|path| fs::read_to_string(path).is_ok_and(|text| text.contains("#[test]")))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .filter(|stem| stem != "main")
        .collect();
    models.sort();
    Ok(models)
}

/// The stress step: the ignored tests of every library crate's `tests/stress` binary.
fn stress(root: &Path) -> Fallible {
    let mut ran = false;
    for krate in LIBRARY_CRATES {
        if !root.join(krate).join("tests/stress/main.rs").is_file() {
            eprintln!("stress: {krate} has no tests/stress/main.rs; skipping it");
            continue;
        }
        let mut cmd = cargo(root);
        cmd.args(["test", "-p", krate]);
        cmd.args(words("--release --test stress -- --ignored --nocapture"));
        run(&mut cmd)?;
        ran = true;
    }
    if !ran {
        eprintln!("stress: no stress tests found; nothing to run");
    }
    Ok(())
}

/// The memcheck step: each library crate's `tests/api` binary, less
/// [`UNINSTRUMENTED_MODULES`], under valgrind's memcheck, failing on any error or definitely
/// lost block. Timing asserts are off in that run
/// (`GIL_TESTS_UNDER_VALGRIND`): valgrind runs one thread at a time.
fn memcheck(root: &Path) -> Fallible {
    let valgrind_found = std::process::Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !valgrind_found {
        return Err(
            "memcheck: valgrind not found; install it (Debian: apt-get install valgrind)".into(),
        );
    }
    for krate in LIBRARY_CRATES {
        let exe = test_executable(root, krate, "api")?;
        let started = Instant::now();
        run(std::process::Command::new("valgrind")
            .current_dir(root)
            .env("GIL_TESTS_UNDER_VALGRIND", "1")
            .args(words(
                "--tool=memcheck --error-exitcode=99 --leak-check=full \
                 --errors-for-leak-kinds=definite --show-leak-kinds=definite -q",
            ))
            .arg(&exe)
            .arg("--test-threads=2")
            .args(skip_uninstrumented()))?;
        eprintln!(
            "memcheck: {krate} api suite clean in {}",
            secs(started.elapsed())
        );
    }
    Ok(())
}

/// Builds `krate`'s test binary `test` (debug profile) and returns its path, read from
/// cargo's JSON messages.
fn test_executable(root: &Path, krate: &str, test: &str) -> Fallible<String> {
    let mut cmd = cargo(root);
    cmd.args(["test", "-p", krate, "--test", test])
        .args(words("--no-run --message-format=json"))
        .stderr(Stdio::inherit());
    eprintln!("+ {}", crate::render(&cmd));
    let output = cmd
        .output()
        .map_err(|error| format!("memcheck: cannot run cargo: {error}"))?;
    if !output.status.success() {
        return Err(format!("memcheck: building {krate}'s {test} tests failed"));
    }
    let messages = String::from_utf8_lossy(&output.stdout);
    let key = "\"executable\":\"";
    messages
        .rmatch_indices(key)
        .find_map(|(at, _)| {
            let rest = &messages[at + key.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .ok_or_else(|| format!("memcheck: cargo named no executable for {krate}'s {test} tests"))
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

/// Formats a duration as seconds with one decimal, like `12.3s`.
fn secs(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}
