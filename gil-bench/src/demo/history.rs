//! What a report remembers about its run ([`Meta`]: date, commit, toolchain, CPython, cores,
//! load) and the comparison with the previous report in the same folder.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::goals::Goal;
use super::report::{Table, num, times};
use crate::host::date_time;
use crate::load::LoadReading;

/// Where and how a report was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// `git describe --always --dirty` of the workspace, where git can tell.
    pub commit: Option<String>,
    /// `rustc --version`, where `rustc` runs.
    pub rustc: Option<String>,
    /// CPython beside us (`3.11.7`), when it ran.
    pub cpython: Option<String>,
    /// Logical CPUs.
    pub cores: usize,
    /// `linux`, `macos`, …
    pub os: String,
    /// `x86_64`, `aarch64`, …
    pub arch: String,
    /// The load over the whole run (steal, others' CPU, runnable outside, load average).
    pub load: LoadReading,
}

/// The first line a command prints, trimmed; `None` when it cannot run or fails.
fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.lines().next()?.trim();
    (out.status.success() && !line.is_empty()).then(|| line.to_owned())
}

impl Meta {
    /// This run's metadata, `now`.
    pub fn now(cpython: Option<&str>, cores: usize, load: LoadReading) -> Self {
        Self {
            date: date_time(SystemTime::now()),
            commit: first_line("git", &["describe", "--always", "--dirty"]),
            rustc: first_line("rustc", &["--version"]),
            cpython: cpython.map(str::to_owned),
            cores,
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            load,
        }
    }

    /// One line: `2026-12-03 20:25 UTC, commit f46c077, rustc 1.95.0, CPython 3.11.7, 2 cores`.
    pub fn line(&self) -> String {
        let mut parts = vec![self.date.clone()];
        parts.extend(self.commit.as_ref().map(|c| format!("commit {c}")));
        parts.extend(self.rustc.clone());
        parts.extend(self.cpython.as_ref().map(|v| format!("CPython {v}")));
        parts.push(format!("{} cores", self.cores));
        if let Some(x) = self.load.others_cpu {
            parts.push(format!("others kept {} cores busy", num(x, 2)));
        }
        if let Some(x) = self.load.steal {
            parts.push(format!("steal {} %", num(x * 100.0, 1)));
        }
        parts.join(", ")
    }
}

/// The parts of an earlier `results.json` the comparison reads (other fields are ignored).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Previous {
    /// Where and how it was measured.
    pub meta: Meta,
    /// Its goal rows.
    pub goals: Vec<Goal>,
}

/// The newest report beside `out` (a sibling folder whose name sorts before `out`'s: the
/// folders are named by UTC time) with a `results.json` this version can read.
pub fn previous(out: &Path) -> Option<(PathBuf, Previous)> {
    let parent = out.parent()?;
    let name = out.file_name()?;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n < name))
        .collect();
    dirs.sort();
    dirs.into_iter().rev().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("results.json")).ok()?;
        let prev = serde_json::from_str::<Previous>(&text).ok()?;
        Some((dir, prev))
    })
}

/// A goal's figure with its unit: `1.220×`, `3.22 × interval`, `0 updates`.
fn figure(x: f64, unit: &str) -> String {
    match unit {
        "x" => format!("{}×", num(x, 3)),
        "intervals" => format!("{} × interval", num(x, 2)),
        "updates" => format!("{} updates", num(x, 0)),
        other => format!("{} {other}", num(x, 3)),
    }
}

/// Goal by goal: the previous figure, this run's, their ratio, and both verdicts; goals only
/// one of the runs measured are listed with a dash.
pub fn compare(prev: &Previous, now: &[Goal]) -> Table {
    let mut t = Table::new(&[
        "goal",
        "previous",
        "now",
        "now ÷ previous",
        "verdict then",
        "verdict now",
    ]);
    let fig = |g: Option<&Goal>| {
        g.and_then(|g| Some((g.value.filter(|x| x.is_finite())?, g.bar.unit.as_str())))
            .map_or("—".to_owned(), |(x, unit)| figure(x, unit))
    };
    for g in now {
        let before = prev.goals.iter().find(|p| p.id == g.id);
        let ratio = match (before.and_then(|p| p.value), g.value) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a != 0.0 => times(b / a),
            _ => "—".to_owned(),
        };
        t.row(vec![
            g.goal.clone(),
            fig(before),
            fig(Some(g)),
            ratio,
            before.map_or("—".to_owned(), Goal::verdict_text),
            g.verdict_text(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests;
