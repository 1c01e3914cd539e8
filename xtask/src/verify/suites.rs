//! The steps that run the library crates' suites in special builds: spurious wake-ups,
//! loom, the stress suites and valgrind's memcheck.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::common::{LIBRARY_CRATES, env_or, nextest_installed, secs, words};
use crate::command::{Fallible, cargo, run};

/// The modules of the api binaries that the memcheck and miri steps skip: the bad-input
/// tables and the fault suites, folded into the api binaries so that fewer test binaries
/// build, were never run under valgrind or Miri. Some cannot run there as they are: their
/// short timeouts expire under valgrind's one-thread-at-a-time schedule, and spawns that
/// must fail for their stack size succeed under Miri.
pub(super) const UNINSTRUMENTED_MODULES: [&str; 2] = ["bad_input::", "faults::"];

/// libtest arguments that skip [`UNINSTRUMENTED_MODULES`] (filters match substrings of the
/// test paths, and no other module's name contains these).
pub(super) fn skip_uninstrumented() -> impl Iterator<Item = &'static str> {
    UNINSTRUMENTED_MODULES
        .into_iter()
        .flat_map(|module| ["--skip", module])
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
pub(super) fn spurious(root: &Path) -> Fallible {
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

/// The loom step: clippy under `--cfg loom` (libraries and models), then every model file of
/// every library crate, one `cargo test` each; `deep`: at 3 preemptions instead of 2.
pub(super) fn loom(root: &Path, deep: bool) -> Fallible {
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
    // The shims and models are code too: clippy them under the same cfg, as the shuttle step
    // does for its own.
    let mut clippy = cargo(root);
    clippy
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", &target_dir)
        .arg("clippy")
        .args(crates.iter().flat_map(|(krate, _)| ["-p", krate]))
        .args(["--lib", "--test", "loom", "--", "-D", "warnings"]);
    run(&mut clippy)?;
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
pub(super) fn stress(root: &Path) -> Fallible {
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
pub(super) fn memcheck(root: &Path) -> Fallible {
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
    eprintln!("+ {}", crate::command::render(&cmd));
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
