//! The one command-line parser of the `demo`, `harness` and `contention` binaries, on
//! [`lexopt`].
//!
//! Every tool's `parse` loops over [`lexopt::Parser::next`] and reads values through the
//! helpers here, so all three behave alike:
//!
//! - `--flag value` and `--flag=value` are the same; a flag that takes no value rejects
//!   `--flag=value`.
//! - Every value is checked: a number must parse as its type and lie in the flag's range
//!   (`--repeats 2.7` is an error, not 2), a list must have no empty item, a name must be
//!   one the flag knows.
//! - Anything else (an unknown flag, a stray word) is an error naming it.
//!
//! [`main`] runs a tool: `--help` prints its usage and exits 0, a command-line error goes to
//! stderr with exit status 2, a failed run with status 1.

use std::ffi::OsString;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

pub use lexopt::{Arg, Parser};

/// What a tool's command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<T> {
    /// Run with these settings.
    Run(T),
    /// Print the usage and exit.
    Help,
}

/// A parser over `args` (without the program name).
pub fn parser<I>(args: I) -> Parser
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    Parser::from_args(args)
}

/// The next flag of `p`, or `None` at the end.
///
/// # Errors
///
/// A value given to a flag that takes none (`--json=1`), or text that is not UTF-8.
pub fn next(p: &mut Parser) -> Result<Option<Arg<'_>>, String> {
    p.next().map_err(|e| match e {
        lexopt::Error::UnexpectedValue { option, .. } => format!("{option} takes no value"),
        other => other.to_string(),
    })
}

/// The message for an argument the tool does not know.
pub fn unknown(arg: &Arg<'_>) -> String {
    match arg {
        Arg::Short(c) => format!("unknown flag -{c} (try --help)"),
        Arg::Long(name) => format!("unknown flag --{name} (try --help)"),
        Arg::Value(v) => format!("unexpected argument {:?} (try --help)", v.to_string_lossy()),
    }
}

/// The value of `flag` (the flag `p` just returned) as text.
///
/// # Errors
///
/// The value is missing or not UTF-8.
pub fn text(p: &mut Parser, flag: &str) -> Result<String, String> {
    let value = p.value().map_err(|_| format!("{flag} needs a value"))?;
    value
        .into_string()
        .map_err(|v| format!("{flag}: {:?} is not UTF-8", v.to_string_lossy()))
}

/// The value of `flag` as a path (any bytes).
///
/// # Errors
///
/// The value is missing.
pub fn path(p: &mut Parser, flag: &str) -> Result<PathBuf, String> {
    p.value()
        .map(PathBuf::from)
        .map_err(|_| format!("{flag} needs a value"))
}

/// `word` as a `T` in `range`, or a message naming `flag`.
fn checked<T>(flag: &str, word: &str, range: &RangeInclusive<T>) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    match word.parse::<T>() {
        Ok(x) if range.contains(&x) => Ok(x),
        _ => Err(format!(
            "{flag} takes {} in {}..={}, not {word:?}",
            if word_is_integer::<T>() {
                "an integer"
            } else {
                "a number"
            },
            range.start(),
            range.end()
        )),
    }
}

/// Whether `T` is an integer type (it does not parse `0.5`).
fn word_is_integer<T: FromStr>() -> bool {
    "0.5".parse::<T>().is_err()
}

/// The value of `flag` as a number in `range` (a float must also be finite: `NaN` and the
/// infinities lie in no range).
///
/// # Errors
///
/// The value is missing, does not parse as a `T` (`2.7` for an integer) or lies outside
/// `range`.
pub fn number<T>(p: &mut Parser, flag: &str, range: RangeInclusive<T>) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    checked(flag, &text(p, flag)?, &range)
}

/// The value of `flag` as a comma-separated list of numbers in `range`, at least one.
///
/// # Errors
///
/// As [`number`] for any item; an empty list or an empty item (`1,,2`).
pub fn numbers<T>(p: &mut Parser, flag: &str, range: RangeInclusive<T>) -> Result<Vec<T>, String>
where
    T: FromStr + PartialOrd + Display,
{
    text(p, flag)?
        .split(',')
        .map(|word| checked(flag, word, &range))
        .collect()
}

/// The value of `flag` as a comma-separated list of names out of `all` (or `all` for every
/// one), each kept once, in the order given.
///
/// # Errors
///
/// The value is missing, or a name is not one of `all`'s (the message lists them).
pub fn names<T: Copy + PartialEq>(
    p: &mut Parser,
    flag: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<Vec<T>, String> {
    let value = text(p, flag)?;
    if value == "all" {
        return Ok(all.to_vec());
    }
    let mut picked = Vec::new();
    for word in value.split(',') {
        let item = all
            .iter()
            .copied()
            .find(|&x| name(x) == word)
            .ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|&x| name(x)).collect();
                format!(
                    "{flag}: unknown name {word:?} (known: {}, or all)",
                    known.join(", ")
                )
            })?;
        if !picked.contains(&item) {
            picked.push(item);
        }
    }
    Ok(picked)
}

/// Runs a tool named `tool`: parses the process's arguments with `parse`, then prints
/// `usage` (for `--help`) or calls `run`. A command-line error is printed as
/// `tool: message` with exit status 2, a failed run with status 1.
pub fn main<T>(
    tool: &str,
    usage: &str,
    parse: impl FnOnce(Vec<OsString>) -> Result<Parsed<T>, String>,
    run: impl FnOnce(T) -> Result<(), String>,
) -> ExitCode {
    match parse(std::env::args_os().skip(1).collect()) {
        Ok(Parsed::Help) => {
            print!("{usage}");
            ExitCode::SUCCESS
        }
        Ok(Parsed::Run(settings)) => match run(settings) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("{tool}: {message}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("{tool}: {message}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests;
