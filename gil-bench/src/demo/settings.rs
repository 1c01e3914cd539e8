//! The demo's settings: which scenarios, how long, how many threads, which CPython; and the
//! command line that sets them.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{self, Arg, Parsed};
use crate::cpython::PythonChoice;

/// One of the demo's scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// CPU-bound scaling.
    Cpu,
    /// I/O-bound scaling.
    Io,
    /// Who holds the GIL when: a traced run drawn as a timeline.
    Timeline,
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
    /// Lost updates of `counter += 1`, without and with a `Lock`.
    Race,
}

impl Scenario {
    /// All scenarios, in running order.
    pub const ALL: [Self; 9] = [
        Self::Cpu,
        Self::Io,
        Self::Timeline,
        Self::Convoy,
        Self::Share,
        Self::Sweep,
        Self::Lock,
        Self::Race,
        Self::Load,
    ];

    /// The id used by `--only` and as the JSON key.
    pub fn id(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Io => "io",
            Self::Timeline => "timeline",
            Self::Convoy => "convoy",
            Self::Share => "share",
            Self::Load => "load",
            Self::Sweep => "sweep",
            Self::Lock => "lock",
            Self::Race => "race",
        }
    }
}

/// The demo's settings (`--help` lists the flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Multiplies every duration and amount of work (1 ≈ 75 s on 2 cores).
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
    /// Rewrite the `demo` section of this results file (`--write-results FILE`).
    pub results: Option<PathBuf>,
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
            results: None,
        }
    }
}

#[cfg(test)]
impl Settings {
    /// The whole demo at a tiny scale without CPython, writing into `out` (the tests' run).
    pub(crate) fn tiny(out: PathBuf) -> Self {
        Self {
            scale: 0.01,
            rounds: 1,
            threads: vec![1, 2],
            interval: Duration::from_millis(1),
            intervals: vec![Duration::from_millis(1), Duration::from_millis(2)],
            python: PythonChoice::Off,
            out: Some(out),
            only: Vec::new(),
            results: None,
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
Usage: cargo xtask demo [options]

Runs the GIL scenarios on this machine (about 75 s on 2 cores), prints a table and a
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
  --only LIST        run only these scenarios: cpu,io,timeline,convoy,share,sweep,lock,
                     race,load (repeatable)
  --python PATH      the CPython to compare with (default: python3.13, else python3)
  --no-python        do not run CPython
  --out DIR          write the report into DIR (default target/gil-demo/<UTC time>)
  --write-results FILE
                     rewrite the demo section of FILE (gil-bench/RESULTS.md)
  -h, --help         print this help

A flag's value may also follow an equals sign: --threads=8.
";

/// Parses the demo's flags (without the program name) with [`crate::cli`].
///
/// # Errors
///
/// A message naming the bad flag or value.
pub fn parse<I>(args: I) -> Result<Parsed<Settings>, String>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut s = Settings::default();
    let mut p = cli::parser(args);
    while let Some(arg) = cli::next(&mut p)? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Parsed::Help),
            Arg::Long("long") => {
                s.scale = 4.0;
                s.rounds = 5;
            }
            Arg::Long("scale") => s.scale = cli::number(&mut p, "--scale", 0.001..=1000.0)?,
            Arg::Long("rounds") => s.rounds = cli::number(&mut p, "--rounds", 1..=1000)?,
            Arg::Long("threads") => {
                s.threads = thread_counts(cli::number(&mut p, "--threads", 1..=1024)?);
            }
            Arg::Long("interval-ms") => {
                let ms = cli::number(&mut p, "--interval-ms", 0.01..=10_000.0)?;
                s.interval = Duration::from_secs_f64(ms / 1e3);
            }
            Arg::Long("only") => {
                for sc in cli::names(&mut p, "--only", &Scenario::ALL, Scenario::id)? {
                    if !s.only.contains(&sc) {
                        s.only.push(sc);
                    }
                }
            }
            Arg::Long("python") => s.python = PythonChoice::At(cli::path(&mut p, "--python")?),
            Arg::Long("no-python") => s.python = PythonChoice::Off,
            Arg::Long("out") => s.out = Some(cli::path(&mut p, "--out")?),
            Arg::Long("write-results") => {
                s.results = Some(cli::path(&mut p, "--write-results")?);
            }
            other => return Err(cli::unknown(&other)),
        }
    }
    Ok(Parsed::Run(s))
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

    /// The settings `line` asks for (panics on an error or `--help`).
    fn run(line: &str) -> Settings {
        match parse(line.split_whitespace()) {
            Ok(Parsed::Run(s)) => s,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn parses_flags() {
        assert_eq!(run(""), Settings::default());
        assert_eq!(parse(["--help"]), Ok(Parsed::Help));
        assert_eq!(parse(["-h"]), Ok(Parsed::Help));
        let s = run("--long --threads 16 --only share,cpu,share --no-python --interval-ms 2");
        assert_eq!((s.scale, s.rounds), (4.0, 5));
        assert_eq!(s.threads, vec![1, 2, 4, 8, 16]);
        assert_eq!(s.only, vec![Scenario::Share, Scenario::Cpu]);
        assert_eq!(s.python, PythonChoice::Off);
        assert_eq!(s.interval, Duration::from_millis(2));
        assert_eq!(run("--threads 6").threads, vec![1, 2, 4, 6]);
        assert_eq!(run("--threads 1").threads, vec![1]);
        assert_eq!(
            run("--only load --only cpu,load").only,
            [Scenario::Load, Scenario::Cpu]
        );
    }

    /// Issue 14: `--threads=4` was rejected by the demo and accepted by `contention`.
    #[test]
    fn a_value_after_an_equals_sign_is_the_same_value() {
        assert_eq!(run("--threads=4"), run("--threads 4"));
        assert_eq!(
            run("--scale=0.5 --rounds=2 --only=cpu --out=/tmp/x"),
            run("--scale 0.5 --rounds 2 --only cpu --out /tmp/x")
        );
    }

    #[test]
    fn rejects_bad_flags_with_a_message() {
        for (bad, needle) in [
            ("--scale", "--scale needs a value"),
            ("--scale 0", "--scale takes a number"),
            ("--scale nan", "--scale takes a number"),
            ("--rounds 0", "--rounds takes an integer"),
            ("--rounds 2.7", "--rounds takes an integer"),
            ("--threads 0", "--threads takes an integer"),
            ("--threads=abc", "--threads takes an integer"),
            ("--threads 99999", "--threads"),
            ("--interval-ms -1", "--interval-ms"),
            ("--interval-ms inf", "--interval-ms"),
            ("--only gpu", "--only: unknown name \"gpu\""),
            ("--long=yes", "--long takes no value"),
            ("--frobnicate", "unknown flag --frobnicate"),
            ("cpu", "unexpected argument"),
        ] {
            let e = parse(bad.split_whitespace()).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
