//! Running commands: the workspace root, a `cargo` that runs there, and `run`, which echoes
//! each command as a shell line before running it.

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What every task returns; `Err` carries the message `main` prints before exiting with
/// status 1.
pub(crate) type Fallible<T = ()> = Result<T, String>;

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn workspace_root() -> Fallible<PathBuf> {
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
pub(crate) fn cargo(root: &Path) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(program);
    cmd.current_dir(root);
    cmd
}

/// Echoes `cmd` as `+ KEY=value program args…`, runs it with inherited stdio and waits.
///
/// Fails if the command cannot be started or does not exit successfully.
pub(crate) fn run(cmd: &mut Command) -> Fallible {
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
pub(crate) fn render(cmd: &Command) -> String {
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
