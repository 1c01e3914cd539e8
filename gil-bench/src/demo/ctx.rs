//! What every scenario's presenter gets: the settings, CPython if any, and the findings so
//! far.

use super::goals::Findings;
use super::settings::Settings;
use crate::cpython::{PyResults, Python};

/// What every scenario gets: the settings, CPython if any, and the findings so far.
#[derive(Debug)]
pub(super) struct Ctx<'a> {
    pub(super) s: &'a Settings,
    pub(super) py: Option<Python>,
    pub(super) findings: Findings,
}

impl Ctx<'_> {
    /// Runs a CPython scenario; `None` (with a note on stderr) when there is no Python or it
    /// failed.
    pub(super) fn python(&self, scenario: &str, args: &[(&str, String)]) -> Option<PyResults> {
        let py = self.py.as_ref()?;
        match py.run(scenario, args) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("  note: {e}; going on without CPython's numbers for this scenario");
                None
            }
        }
    }

    pub(super) fn py_label(&self) -> String {
        self.py
            .as_ref()
            .map_or("CPython".to_owned(), |p| format!("CPython {}", p.version))
    }

    /// `x` scaled by `--scale`.
    pub(super) fn scaled(&self, x: f64) -> f64 {
        x * self.s.scale
    }
}

/// A float setting for the CPython script.
pub(super) fn arg(x: f64) -> String {
    format!("{x}")
}

/// Comma-separated thread counts for the CPython script.
pub(super) fn list(xs: &[usize]) -> String {
    xs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
