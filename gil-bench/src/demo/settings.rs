//! The demo's settings: which scenarios, how long, how many threads, which CPython; and the
//! command line that sets them.

use std::path::PathBuf;
use std::time::Duration;

use crate::cpython::PythonChoice;

/// One of the demo's scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// CPU-bound scaling.
    Cpu,
    /// I/O-bound scaling.
    Io,
    /// The convoy effect.
    Convoy,
    /// GIL sharing among K CPU-bound threads.
    Share,
    /// The convoy and sharing next to other busy processes.
    Load,
    /// The switch-interval sweep.
    Sweep,
    /// Uncontended `Lock` cost.
    Lock,
}

impl Scenario {
    /// All scenarios, in running order.
    pub const ALL: [Self; 7] = [
        Self::Cpu,
        Self::Io,
        Self::Convoy,
        Self::Share,
        Self::Sweep,
        Self::Lock,
        Self::Load,
    ];

    /// The id used by `--only` and as the JSON key.
    pub fn id(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Io => "io",
            Self::Convoy => "convoy",
            Self::Share => "share",
            Self::Load => "load",
            Self::Sweep => "sweep",
            Self::Lock => "lock",
        }
    }

    pub(super) fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }
}

/// The demo's settings (`--help` lists the flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Multiplies every duration and amount of work (1 ≈ a minute and a half on 2 cores).
    pub scale: f64,
    /// Interleaved rounds per scenario (medians are reported).
    pub rounds: usize,
    /// Thread counts for the scaling scenarios (always starts with 1).
    pub threads: Vec<usize>,
    /// The switch interval outside the sweep.
    pub interval: Duration,
    /// The sweep's switch intervals.
    pub intervals: Vec<Duration>,
    /// CPython beside us.
    pub python: PythonChoice,
    /// The report folder (default `target/gil-demo/<UTC time>` in the workspace).
    pub out: Option<PathBuf>,
    /// Run only these scenarios (all when empty).
    pub only: Vec<Scenario>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            scale: 1.0,
            rounds: 3,
            threads: vec![1, 2, 4],
            interval: Duration::from_millis(5),
            intervals: [1, 5, 20].map(Duration::from_millis).to_vec(),
            python: PythonChoice::Auto,
            out: None,
            only: Vec::new(),
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
Usage: cargo xtask demo [options]

Runs the GIL scenarios on this machine (about 90 s on 2 cores), prints a table and a
reading for each, checks the project's goals, and writes a report folder (JSON, SVG charts,
HTML page). With python3.13 (else python3) on PATH, CPython runs the same scenarios
beside us. The load scenario runs the convoy and sharing idle and next to 1 and 2 busy
processes (this binary re-run as CPU burners, stopped at the end).

Options:
  --long             longer, steadier runs: --scale 4 --rounds 5 (about 8 minutes)
  --scale X          multiply every duration and amount of work by X (default 1)
  --rounds N         interleaved rounds per scenario, medians reported (default 3)
  --threads N        scale to 1, 2, 4, ... up to N threads (default 4)
  --interval-ms MS   the switch interval outside the sweep (default 5)
  --only LIST        run only these scenarios: cpu,io,convoy,share,sweep,lock,load
  --python PATH      the CPython to compare with (default: python3.13, else python3)
  --no-python        do not run CPython
  --out DIR          write the report into DIR (default target/gil-demo/<UTC time>)
  -h, --help         print this help
";

/// Parses the demo's flags (without the program name); `Ok(None)` for `--help`.
///
/// # Errors
///
/// A message naming the bad flag or value.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Settings>, String> {
    let mut s = Settings::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--long" => {
                s.scale = 4.0;
                s.rounds = 5;
            }
            "--scale" => {
                let v = value("--scale")?;
                s.scale = match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.001..=1000.0).contains(&x) => x,
                    _ => return Err(format!("--scale takes a number in 0.001..=1000, not {v:?}")),
                };
            }
            "--rounds" => {
                let v = value("--rounds")?;
                s.rounds = match v.parse::<usize>() {
                    Ok(n) if (1..=1000).contains(&n) => n,
                    _ => return Err(format!("--rounds takes an integer in 1..=1000, not {v:?}")),
                };
            }
            "--threads" => {
                let v = value("--threads")?;
                let max = match v.parse::<usize>() {
                    Ok(n) if (1..=1024).contains(&n) => n,
                    _ => {
                        return Err(format!("--threads takes an integer in 1..=1024, not {v:?}"));
                    }
                };
                s.threads = thread_counts(max);
            }
            "--interval-ms" => {
                let v = value("--interval-ms")?;
                s.interval = match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.01..=10_000.0).contains(&x) => {
                        Duration::from_secs_f64(x / 1e3)
                    }
                    _ => {
                        return Err(format!(
                            "--interval-ms takes a number of ms in 0.01..=10000, not {v:?}"
                        ));
                    }
                };
            }
            "--only" => {
                let v = value("--only")?;
                for id in v.split(',').filter(|id| !id.is_empty()) {
                    let sc = Scenario::from_id(id).ok_or_else(|| {
                        format!(
                            "--only: unknown scenario {id:?} (cpu, io, convoy, share, sweep, lock, load)"
                        )
                    })?;
                    if !s.only.contains(&sc) {
                        s.only.push(sc);
                    }
                }
            }
            "--python" => s.python = PythonChoice::At(PathBuf::from(value("--python")?)),
            "--no-python" => s.python = PythonChoice::Off,
            "--out" => s.out = Some(PathBuf::from(value("--out")?)),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(Some(s))
}

/// 1, 2, 4, ... up to `max`, and `max` itself.
fn thread_counts(max: usize) -> Vec<usize> {
    let mut v: Vec<usize> = std::iter::successors(Some(1usize), |&k| k.checked_mul(2))
        .take_while(|&k| k <= max)
        .collect();
    if v.last() != Some(&max) {
        v.push(max);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_flags() {
        assert_eq!(parse(args("")).unwrap(), Some(Settings::default()));
        assert_eq!(parse(args("--help")).unwrap(), None);
        let s = parse(args(
            "--long --threads 16 --only share,cpu,share --no-python --interval-ms 2",
        ))
        .unwrap()
        .unwrap();
        assert_eq!((s.scale, s.rounds), (4.0, 5));
        assert_eq!(s.threads, vec![1, 2, 4, 8, 16]);
        assert_eq!(s.only, vec![Scenario::Share, Scenario::Cpu]);
        assert_eq!(s.python, PythonChoice::Off);
        assert_eq!(s.interval, Duration::from_millis(2));
        assert_eq!(
            parse(args("--threads 6")).unwrap().unwrap().threads,
            vec![1, 2, 4, 6]
        );
        assert_eq!(
            parse(args("--threads 1")).unwrap().unwrap().threads,
            vec![1]
        );
    }

    #[test]
    fn rejects_bad_flags_with_a_message() {
        for (bad, needle) in [
            ("--scale", "needs a value"),
            ("--scale 0", "--scale"),
            ("--scale nan", "--scale"),
            ("--rounds 0", "--rounds"),
            ("--threads 0", "--threads"),
            ("--threads 99999", "--threads"),
            ("--interval-ms -1", "--interval-ms"),
            ("--interval-ms inf", "--interval-ms"),
            ("--only gpu", "unknown scenario"),
            ("--frobnicate", "unknown argument"),
        ] {
            let e = parse(args(bad)).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
