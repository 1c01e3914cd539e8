//! The release-readiness steps: the libraries build with the declared minimum Rust version
//! (`msrv`), and `cargo package` accepts them (`package`).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use super::common::{Done, LIBRARY_CRATES, words};
use crate::command::{Fallible, cargo, run};

/// The msrv step: `cargo check` of the three libraries (every feature, library targets
/// only: tests and tools use current stable) with the toolchain named by the workspace's
/// `rust-version`, in `target/msrv`. Installs the toolchain with rustup (minimal profile)
/// when it is missing; when it cannot, the step says so and is skipped, never counted as
/// passed.
pub(super) fn msrv(root: &Path) -> Fallible<Done> {
    let version = workspace_rust_version(root)?;
    if let Err(why) = ensure_toolchain(&version) {
        eprintln!("verify: msrv SKIPPED: Rust {version} is not available here: {why}");
        return Ok(Done::Skipped(format!("no Rust {version} toolchain")));
    }
    let mut cmd = Command::new("rustup");
    cmd.current_dir(root)
        .args([
            "run",
            &version,
            "cargo",
            "check",
            "--lib",
            "--all-features",
            "--locked",
        ])
        .args(LIBRARY_CRATES.iter().flat_map(|krate| ["-p", krate]))
        .env("CARGO_TARGET_DIR", root.join("target/msrv"))
        // The toolchain's own cargo and rustc, not the ones that started xtask.
        .env_remove("CARGO")
        .env_remove("RUSTC");
    run(&mut cmd)?;
    Ok(Done::Ran)
}

/// The package step: `cargo package` of the three libraries, which builds each packaged
/// crate against the others' packaged sources (cargo's local overlay registry), as
/// crates.io would see them. `--allow-dirty` packages the working tree as it is, so the step
/// checks local edits too (CI's clone is clean anyway); `cargo publish` refuses a dirty tree.
pub(super) fn package(root: &Path) -> Fallible<Done> {
    forget_unpacked_copies()?;
    // A target dir of its own, emptied first, for the same reason: cargo also reuses a
    // registry crate's *build* by name and version, and the verification builds gil-sync
    // against gil-core as a registry crate.
    let target = root.join("target").join("package-verify");
    if target.exists() {
        fs::remove_dir_all(&target)
            .map_err(|error| format!("package: cannot remove {}: {error}", target.display()))?;
    }
    let mut cmd = cargo(root);
    cmd.env("CARGO_TARGET_DIR", &target)
        .args(words("package --locked --allow-dirty"))
        .args(LIBRARY_CRATES.iter().flat_map(|krate| ["-p", krate]));
    run(&mut cmd)?;
    Ok(Done::Ran)
}

/// Removes the copies of our own crates that an earlier `package` step unpacked into
/// `$CARGO_HOME/registry/src/*/` (and their `.crate` files in `registry/cache/*/`). Cargo
/// unpacks a registry crate once per name and version and never again, so the next run would
/// verify gil-sync against the gil-core of that earlier run, not of this tree (seen here: a
/// new gil-core function "not found" only in the package step). A clean CI machine has none.
fn forget_unpacked_copies() -> Fallible {
    let Some(home) = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
    else {
        return Ok(());
    };
    for (dir, suffix) in [("src", ""), ("cache", ".crate")] {
        let Ok(indexes) = fs::read_dir(home.join("registry").join(dir)) else {
            continue;
        };
        for index in indexes.flatten() {
            let Ok(entries) = fs::read_dir(index.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = LIBRARY_CRATES.iter().any(|krate| {
                    name.strip_prefix(&format!("{krate}-"))
                        .and_then(|rest| rest.strip_suffix(suffix))
                        .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
                });
                if ours {
                    let path = entry.path();
                    let removed = if path.is_dir() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                    removed.map_err(|error| {
                        format!("package: cannot remove {}: {error}", path.display())
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// The `rust-version` of the root manifest's `[workspace.package]`.
fn workspace_rust_version(root: &Path) -> Fallible<String> {
    let manifest = root.join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .map_err(|error| format!("msrv: cannot read {}: {error}", manifest.display()))?;
    parse_rust_version(&text)
        .ok_or_else(|| format!("msrv: no `rust-version = \"…\"` in {}", manifest.display()))
}

/// The value of the first `rust-version = "x.y"` line of `[workspace.package]` in `text`.
fn parse_rust_version(text: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
        } else if in_section
            && let Some(value) = line.strip_prefix("rust-version")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// Makes sure rustup has toolchain `version`, installing it (minimal profile) if needed;
/// `Err` says why it is not available.
fn ensure_toolchain(version: &str) -> Result<(), String> {
    let present = Command::new("rustup")
        .args(["run", version, "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run rustup ({error})"))?;
    if present.success() {
        return Ok(());
    }
    eprintln!("+ rustup toolchain install {version} --profile minimal");
    let installed = Command::new("rustup")
        .args(["toolchain", "install", version, "--profile", "minimal"])
        .status()
        .map_err(|error| format!("cannot run rustup ({error})"))?;
    if installed.success() {
        Ok(())
    } else {
        Err(format!(
            "`rustup toolchain install {version}` failed ({installed})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_rust_version;

    #[test]
    fn reads_the_workspace_rust_version() {
        let text = "[package]\nrust-version = \"1.95\"\n\n[workspace.package]\nedition = \
                    \"2024\"\n# note\nrust-version = \"1.88\"\nlicense = \"MIT\"\n";
        assert_eq!(parse_rust_version(text).as_deref(), Some("1.88"));
        assert_eq!(
            parse_rust_version("[package]\nrust-version = \"1.95\"\n"),
            None
        );
    }
}
