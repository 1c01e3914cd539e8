//! The `--deep` steps that need the nightly toolchain: the API suites under Miri and the
//! stress suites under ThreadSanitizer.

use std::path::Path;
use std::process::{Command, Stdio};

use super::common::{Done, LIBRARY_CRATES, env_or, words};
use super::suites::skip_uninstrumented;
use crate::command::{Fallible, run};

/// The crates whose API suites run under Miri. gil-core's is left out: its tests measure the
/// GIL's timing, and its protocols are loom's and shuttle's to check.
const MIRI_CRATES: [&str; 2] = ["gil-sync", "gil-runtime"];

/// Miri's flags unless `MIRIFLAGS` is set: its data-race detector and weak-memory emulation
/// are on by default; isolation stays on (a virtual clock, so timeouts are deterministic),
/// but an isolated call returns an error instead of stopping the run: `native_id` reads
/// `/proc/thread-self`, and is `None` under Miri (the tests that need it are ignored there).
const MIRIFLAGS: &str = "-Zmiri-isolation-error=warn-nobacktrace";

/// The miri step: the API suites of [`MIRI_CRATES`] under Miri, less
/// [`UNINSTRUMENTED_MODULES`](super::suites::UNINSTRUMENTED_MODULES), in Miri's own target
/// dir (`target/miri`).
pub(super) fn miri(root: &Path) -> Fallible {
    ensure_components("miri", &["miri", "rust-src"])?;
    let mut cmd = nightly_cargo(root);
    cmd.env("MIRIFLAGS", env_or("MIRIFLAGS", MIRIFLAGS))
        .arg("miri")
        .arg("test")
        .args(MIRI_CRATES.iter().flat_map(|krate| ["-p", krate]))
        .args(words("--test api --"))
        .args(skip_uninstrumented());
    run(&mut cmd)
}

/// The miri-cell step (default run): gil-core's `GilCell` tests under Miri, since
/// `src/cell/slot.rs` is the workspace's one `unsafe` module. Skipped, saying why, when the
/// nightly toolchain or its components cannot be had (CI without network, say).
pub(super) fn miri_cell(root: &Path) -> Fallible<Done> {
    if let Err(why) = ensure_components("miri-cell", &["miri", "rust-src"]) {
        eprintln!("verify: miri-cell SKIPPED: {why}");
        return Ok(Done::Skipped("no nightly toolchain with miri".to_owned()));
    }
    let mut cmd = nightly_cargo(root);
    cmd.env("MIRIFLAGS", env_or("MIRIFLAGS", MIRIFLAGS))
        .args(words(
            "miri test -p gil-core --test api -- cell:: send_sync::",
        ));
    run(&mut cmd)?;
    Ok(Done::Ran)
}

/// The tsan step: the stress suites of every library crate under ThreadSanitizer, which
/// needs std rebuilt with it (`-Zbuild-std`, hence `rust-src` and an explicit target).
pub(super) fn tsan(root: &Path) -> Fallible {
    ensure_components("tsan", &["rust-src"])?;
    let target = host_triple()?;
    let mut cmd = nightly_cargo(root);
    cmd.env("RUSTFLAGS", "-Zsanitizer=thread")
        .env("CARGO_TARGET_DIR", root.join("target").join("tsan"))
        .env("GIL_STRESS_SECS", env_or("GIL_STRESS_SECS", "1"))
        .args(["test", "-Zbuild-std", "--target", &target, "--release"])
        .args(LIBRARY_CRATES.iter().flat_map(|krate| ["-p", krate]))
        .args(words("--test stress -- --ignored --nocapture"));
    run(&mut cmd)
}

/// `cargo` of the nightly toolchain (through rustup, whatever toolchain runs xtask), in
/// `root`.
fn nightly_cargo(root: &Path) -> Command {
    let mut cmd = Command::new("rustup");
    cmd.current_dir(root).args(["run", "nightly", "cargo"]);
    cmd
}

/// The host's target triple, which `-Zbuild-std` needs spelled out.
fn host_triple() -> Fallible<String> {
    let output = Command::new("rustup")
        .args(["run", "nightly", "rustc", "-vV"])
        .output()
        .map_err(|error| format!("tsan: cannot run rustup: {error}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "tsan: `rustc +nightly -vV` named no host triple".to_owned())
}

/// Makes sure the nightly toolchain has `components`, installing the missing ones with
/// rustup; fails, saying why, when there is no nightly toolchain or an install fails.
fn ensure_components(step: &str, components: &[&str]) -> Fallible {
    let listing = Command::new("rustup")
        .args(words("component list --toolchain nightly --installed"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| {
            format!(
                "{step}: cannot run rustup ({error}); this step needs rustup's nightly toolchain"
            )
        })?;
    if !listing.status.success() {
        return Err(format!(
            "{step}: no nightly toolchain (rustup toolchain install nightly); this step needs it"
        ));
    }
    let installed = String::from_utf8_lossy(&listing.stdout);
    // Listed as `rust-src`, or with the host triple: `miri-x86_64-unknown-linux-gnu`.
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|component| {
            !installed
                .lines()
                .any(|line| line == *component || line.starts_with(&format!("{component}-")))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "{step}: installing the nightly components {}",
        missing.join(", ")
    );
    run(Command::new("rustup")
        .args(["component", "add", "--toolchain", "nightly"])
        .args(&missing))
    .map_err(|error| {
        format!(
            "{step}: cannot install {} for the nightly toolchain ({error}); install them by \
             hand or run verify without --deep",
            missing.join(", ")
        )
    })
}
