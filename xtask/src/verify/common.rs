//! What the steps of `verify` share: the crates they run, how a step ended, and small
//! helpers for building and reporting commands.

use std::env;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::command::cargo;

/// The library crates whose `tests/loom` and `tests/stress` binaries `verify` runs.
pub(super) const LIBRARY_CRATES: [&str; 3] = ["gil-core", "gil-sync", "gil-runtime"];

/// How a step that did not fail ended.
#[derive(Debug)]
pub(super) enum Done {
    /// It ran and passed.
    Ran,
    /// It could not run here, for the reason given; reported, never counted as passed.
    Skipped(String),
}

/// The environment's `name`, else `default`.
pub(super) fn env_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Splits a command line written out in full into its words.
pub(super) fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split_whitespace()
}

/// Whether `cargo nextest --version` succeeds.
pub(super) fn nextest_installed(root: &Path) -> bool {
    cargo(root)
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Formats a duration as seconds with one decimal, like `12.3s`.
pub(super) fn secs(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}
