//! The shuttle step: each library crate's `tests/shuttle` binary, built with `--cfg shuttle`
//! (the `crate::loom` shims then sit on shuttle's randomly scheduled primitives).

use std::path::Path;

use super::common::{LIBRARY_CRATES, env_or, words};
use crate::command::{Fallible, cargo, run};

/// The flags of a shuttle build: the shims' shuttle path, and debug assertions, so the
/// libraries' `debug_assert!`d invariants are checked in every schedule.
const RUSTFLAGS: &str = "--cfg shuttle -C debug-assertions";

/// Seeds and schedules per seed and test: `(default, --deep)`. Each seed's schedules are
/// fixed, so a failure in CI fails again on the next run (shuttle prints the schedule too).
const SEEDS: (&str, &str) = ("1-4", "1-32");
const ITERATIONS: (&str, &str) = ("250", "1000");

/// Clippy of the shims' shuttle path and the tests (the normal clippy step sees neither),
/// then the tests, with the budget `deep` selects unless the environment sets one.
pub(super) fn shuttle(root: &Path, deep: bool) -> Fallible {
    let crates: Vec<&str> = LIBRARY_CRATES
        .into_iter()
        .filter(|krate| root.join(krate).join("tests/shuttle/main.rs").is_file())
        .collect();
    if crates.is_empty() {
        eprintln!("shuttle: no crate has tests/shuttle/main.rs; nothing to run");
        return Ok(());
    }
    let pick =
        |(default, deeper): (&'static str, &'static str)| if deep { deeper } else { default };
    let target_dir = root.join("target").join("shuttle");
    let shuttle_cargo = |subcommand: &str| {
        let mut cmd = cargo(root);
        cmd.env("RUSTFLAGS", RUSTFLAGS)
            .env("CARGO_TARGET_DIR", &target_dir)
            .arg(subcommand)
            .args(crates.iter().flat_map(|krate| ["-p", krate]));
        cmd
    };
    run(shuttle_cargo("clippy").args(words("--lib --test shuttle -- -D warnings")))?;
    run(shuttle_cargo("test")
        .env(
            "GIL_SHUTTLE_SEEDS",
            env_or("GIL_SHUTTLE_SEEDS", pick(SEEDS)),
        )
        .env(
            "GIL_SHUTTLE_ITERATIONS",
            env_or("GIL_SHUTTLE_ITERATIONS", pick(ITERATIONS)),
        )
        .args(words("--release --test shuttle")))
}
