//! Running CPython beside us: the demo and the harness's `load` table write
//! `python/demo_cpython.py` (compiled into the binary) into a folder and run one scenario of
//! it at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The CPython side of the demo's scenarios.
pub const SCRIPT: &str = include_str!("../python/demo_cpython.py");

/// The interpreters tried, in order, when none is named: the issues compare with 3.13.
pub const AUTO: [&str; 2] = ["python3.13", "python3"];

/// Whether and which Python to run beside us (`--python PATH`, `--no-python`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonChoice {
    /// `python3.13` from `PATH`, else `python3` ([`AUTO`]), if there is one.
    Auto,
    /// Do not run CPython.
    Off,
    /// This interpreter.
    At(PathBuf),
}

/// A Python interpreter found on this machine, and where its copy of the script is.
#[derive(Debug, Clone)]
pub struct Python {
    /// The interpreter (one of [`AUTO`], or `--python PATH`).
    pub program: PathBuf,
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub version: String,
    script: PathBuf,
}

/// One scenario's results: `name → values`, as the script printed them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PyResults(HashMap<String, Vec<f64>>);

impl PyResults {
    /// The first value of `name`, `NaN` if it is missing.
    pub fn get(&self, name: &str) -> f64 {
        self.0
            .get(name)
            .and_then(|v| v.first().copied())
            .unwrap_or(f64::NAN)
    }

    /// All values of `name` (empty if missing).
    pub fn all(&self, name: &str) -> &[f64] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    /// Parses the script's output: one `name value...` per line; other lines are ignored.
    pub fn parse(text: &str) -> Self {
        let mut map = HashMap::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(name) = words.next() else { continue };
            let values: Option<Vec<f64>> = words.map(|w| w.parse().ok()).collect();
            if let Some(values) = values {
                map.insert(name.to_owned(), values);
            }
        }
        Self(map)
    }
}

impl Python {
    /// Looks for `program` (default `python3`), checks that it is CPython 3, and writes the
    /// script into `dir`.
    ///
    /// # Errors
    ///
    /// Why Python cannot be used (not found, not CPython 3, or the script cannot be written).
    pub fn find(program: Option<&Path>, dir: &Path) -> Result<Self, String> {
        let program = program.map_or_else(|| PathBuf::from("python3"), Path::to_path_buf);
        let output = Command::new(&program)
            .args([
                "-c",
                "import platform; print(platform.python_implementation(), platform.python_version())",
            ])
            .output()
            .map_err(|e| format!("{} not found ({e})", program.display()))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut words = text.split_whitespace();
        match (words.next(), words.next()) {
            (Some("CPython"), Some(version)) if output.status.success() => {
                if !version.starts_with("3.") {
                    return Err(format!(
                        "{} is CPython {version}; the demo needs CPython 3",
                        program.display()
                    ));
                }
                let script = dir.join("demo_cpython.py");
                std::fs::write(&script, SCRIPT)
                    .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
                Ok(Self {
                    program,
                    version: version.to_owned(),
                    script,
                })
            }
            _ => Err(format!(
                "{} is not CPython ({})",
                program.display(),
                text.trim()
            )),
        }
    }

    /// The first of [`AUTO`] that [`Python::find`] accepts, the script written into `dir`.
    ///
    /// # Errors
    ///
    /// Why none can be used (each candidate's reason).
    pub fn find_auto(dir: &Path) -> Result<Self, String> {
        let mut why = Vec::new();
        for program in AUTO {
            match Self::find(Some(Path::new(program)), dir) {
                Ok(py) => return Ok(py),
                Err(e) => why.push(e),
            }
        }
        Err(why.join("; "))
    }

    /// The interpreter `choice` names, its script written into `dir` (created if need be);
    /// `Ok(None)` for [`PythonChoice::Off`].
    ///
    /// # Errors
    ///
    /// Why the interpreter cannot be used (see [`Python::find`] and [`Python::find_auto`]).
    pub fn choose(choice: &PythonChoice, dir: &Path) -> Result<Option<Self>, String> {
        let program = match choice {
            PythonChoice::Off => return Ok(None),
            PythonChoice::Auto => None,
            PythonChoice::At(program) => Some(program.as_path()),
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        match program {
            Some(program) => Self::find(Some(program), dir),
            None => Self::find_auto(dir),
        }
        .map(Some)
    }

    /// The CPython tag of [`Python::version`] for JSON names: `cpython313` for `3.13.0`.
    pub fn tag(&self) -> String {
        let mut parts = self.version.split('.');
        let (major, minor) = (parts.next().unwrap_or("3"), parts.next().unwrap_or(""));
        format!("cpython{major}{minor}")
    }

    /// Runs `scenario` with `key=value` arguments.
    ///
    /// # Errors
    ///
    /// The interpreter's stderr when it fails.
    pub fn run(&self, scenario: &str, args: &[(&str, String)]) -> Result<PyResults, String> {
        let output = Command::new(&self.program)
            .arg(&self.script)
            .arg(scenario)
            .args(args.iter().map(|(k, v)| format!("{k}={v}")))
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.program.display()))?;
        if output.status.success() {
            Ok(PyResults::parse(&String::from_utf8_lossy(&output.stdout)))
        } else {
            Err(format!(
                "CPython `{scenario}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "exact values parsed from text")]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_values() {
        let r = PyResults::parse("a_s 0.5\nwaits 1 2 3.5\nnan_one nan\ngarbage x y\n\n");
        assert_eq!(r.get("a_s"), 0.5);
        assert_eq!(r.all("waits"), &[1.0, 2.0, 3.5]);
        assert!(r.get("nan_one").is_nan());
        assert!(r.get("garbage").is_nan());
        assert!(r.get("missing").is_nan());
        assert!(r.all("missing").is_empty());
    }

    /// Every scenario of the embedded script, at a tiny size, prints what the demo reads.
    /// Needs `python3`; without it the test says so and passes (CI machines may lack it).
    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one run of the script per scenario, each checked against its keys"
    )]
    fn the_embedded_script_runs_every_scenario() {
        let dir = std::env::temp_dir().join(format!("gil-demo-py-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let py = match Python::find(None, &dir) {
            Ok(py) => py,
            Err(e) => {
                eprintln!("skipped: {e}");
                return;
            }
        };
        let a = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
            pairs.iter().map(|&(k, v)| (k, v.to_owned())).collect()
        };
        let cases = [
            (
                "cpu",
                a(&[("n", "2000"), ("threads", "1,2"), ("repeats", "1")]),
                vec![
                    "seq_s",
                    "t2_s",
                    "t2_ratio",
                    "t2_ratios",
                    "p2_s",
                    "p2_ratio",
                    "p2_ratios",
                    "p2_start_s",
                ],
            ),
            (
                "io",
                a(&[
                    ("sleeps", "2"),
                    ("sleep_ms", "0.1"),
                    ("trips", "4"),
                    ("delay_ms", "0.1"),
                    ("threads", "1,2"),
                    ("repeats", "1"),
                ]),
                vec!["sleep_t2_s", "sleep_t2_ratio", "tcp_t2_s", "tcp_t2_ratio"],
            ),
            (
                "convoy",
                a(&[
                    ("trips", "20"),
                    ("budget_s", "0.05"),
                    ("spinners", "0,1"),
                    ("repeats", "1"),
                    ("interval_ms", "1"),
                ]),
                vec![
                    "s0_us_per_trip",
                    "s1_us_per_trip",
                    "s1_p50_us",
                    "s1_p99_us",
                    "s1_max_us",
                    "s1_slowdown",
                    "s1_share",
                ],
            ),
            (
                "share",
                a(&[("k", "2"), ("duration_s", "0.05"), ("interval_ms", "1")]),
                vec![
                    "k2_jain",
                    "k2_slice_p50_ms",
                    "k2_wait_p50_ms",
                    "k2_wait_p99_ms",
                    "k2_wait_max_ms",
                    "k2_switches_per_s",
                ],
            ),
            (
                "sweep",
                a(&[
                    ("intervals", "1"),
                    ("duration_s", "0.05"),
                    ("trips", "20"),
                    ("budget_s", "0.05"),
                ]),
                vec![
                    "i1_k2_wait_p99_ms",
                    "i1_k2_switches_per_s",
                    "i1_convoy_us_per_trip",
                    "i1_convoy_slowdown",
                ],
            ),
            (
                "load",
                a(&[
                    ("trips", "20"),
                    ("budget_s", "0.05"),
                    ("spinners", "0,1"),
                    ("interval_ms", "1"),
                    ("k", "2"),
                    ("duration_s", "0.05"),
                    ("fast_k", "3"),
                ]),
                vec![
                    "s1_slowdown",
                    "s1_share",
                    "s1_p99_us",
                    "k2_wait_p99_ms",
                    "k2_wait_max_ms",
                    "fast_k3_wait_max_ms",
                ],
            ),
            (
                "lock",
                a(&[("n", "100"), ("repeats", "1")]),
                vec!["lock_ns"],
            ),
        ];
        for (scenario, args, keys) in cases {
            let r = py.run(scenario, &args).unwrap();
            for key in keys {
                assert!(
                    r.0.contains_key(key),
                    "{scenario}: {key} missing from {r:?}"
                );
            }
            // The times a scenario reports are real, positive numbers.
            for (key, values) in &r.0 {
                if key.ends_with("_s") || key.ends_with("_ns") {
                    assert!(
                        values.iter().all(|v| v.is_finite() && *v > 0.0),
                        "{scenario}: {key} = {values:?}"
                    );
                }
            }
        }
        assert!(py.run("nonsense", &[]).unwrap_err().contains("failed"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tags_name_the_minor_version() {
        let py = |version: &str| Python {
            program: PathBuf::from("python3"),
            version: version.to_owned(),
            script: PathBuf::new(),
        };
        assert_eq!(py("3.13.0").tag(), "cpython313");
        assert_eq!(py("3.11.7").tag(), "cpython311");
    }

    #[test]
    fn a_missing_interpreter_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir();
        let e = Python::find(Some(Path::new("/nonexistent/python3")), &dir).unwrap_err();
        assert!(e.contains("not found"), "{e}");
    }
}
