//! The harness's settings and its command line.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{self, Arg, Parsed};
use crate::cpython::PythonChoice;

/// The tables `--only` accepts.
pub const TABLES: [&str; 7] = [
    "fairness",
    "convoy",
    "start-join",
    "load",
    "micro",
    "switch",
    "interrupt",
];

/// Harness settings (`--help` lists the flags).
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// How long each fairness run lasts (the load table's sharing runs last half as long).
    pub duration: Duration,
    /// Runs per scenario (medians are reported).
    pub repeats: usize,
    /// Socketpair round trips per convoy run.
    pub trips: usize,
    /// Also print one JSON object per result.
    pub json: bool,
    /// The switch interval.
    pub interval: Duration,
    /// Run only these tables (`fairness`, `convoy`, `start-join`, `load`, `micro`,
    /// `switch`); all when empty.
    pub only: Vec<String>,
    /// The load table's interleaved rounds (medians and min–max are reported).
    pub rounds: usize,
    /// The load and switch tables' levels: how many busy processes run beside the GIL.
    pub burners: Vec<usize>,
    /// The CPython the load table runs beside us.
    pub python: PythonChoice,
    /// Rewrite the `harness-<table>` sections of this results file (`--write-results FILE`).
    pub results: Option<PathBuf>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(2),
            repeats: 3,
            trips: 2000,
            json: false,
            interval: Duration::from_millis(5),
            only: Vec::new(),
            rounds: 3,
            burners: vec![0, 1, 2],
            python: PythonChoice::Auto,
            results: None,
        }
    }
}

impl Args {
    /// Whether the table `name` is to run.
    pub fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    /// The quick settings used by `--quick` (about 30 s on 2 cores, the load table 10–20 s).
    pub fn quick() -> Self {
        Self {
            duration: Duration::from_millis(500),
            repeats: 1,
            trips: 500,
            rounds: 1,
            ..Self::default()
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
harness [--quick] [--json] [--duration S] [--repeats N] [--trips N] [--interval-ms MS]
        [--rounds N] [--burners LIST] [--python PATH | --no-python]
        [--write-results FILE]
        [--only TABLE[,TABLE...]]...

  --quick          short runs: --duration 0.5 --repeats 1 --trips 500 --rounds 1
  --json           also print one JSON object per result
  --duration S     each sharing run, seconds (default 2; the load table's last S/2)
  --repeats N      runs per scenario of the fairness and convoy tables (default 3; the
                   micro table runs 300 interleaved rounds, 60 with --repeats 1; the
                   switch table 5 rounds of 10 switches each way, 4 with --repeats 1)
  --trips N        socketpair round trips per convoy run (default 2000)
  --interval-ms MS the switch interval (default 5)
  --rounds N       the load table's interleaved rounds (default 3)
  --burners LIST   the load and switch tables' levels: busy processes beside the GIL
                   (default 0,1,2)
  --python PATH    the CPython the load table runs beside us (default python3.13, else python3)
  --no-python      the load table without CPython
  --write-results FILE
                   rewrite the harness-<table> section of FILE (gil-bench/RESULTS.md) for
                   each table run
  --only LIST      run only these tables: fairness, convoy, start-join, load, micro,
                   switch (repeatable; default all)
  -h, --help       print this help

A flag's value may also follow an equals sign: --repeats=5.
";

/// Parses harness flags from `args` (without the program name) with [`crate::cli`].
///
/// # Errors
///
/// A message naming the bad flag or value.
pub fn parse<I>(args: I) -> Result<Parsed<Args>, String>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut a = Args::default();
    let mut p = cli::parser(args);
    while let Some(arg) = cli::next(&mut p)? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Parsed::Help),
            Arg::Long("quick") => {
                a = Args {
                    json: a.json,
                    only: std::mem::take(&mut a.only),
                    burners: std::mem::take(&mut a.burners),
                    python: a.python.clone(),
                    results: a.results.take(),
                    ..Args::quick()
                };
            }
            Arg::Long("json") => a.json = true,
            Arg::Long("duration") => {
                let seconds = cli::number(&mut p, "--duration", 0.0..=86_400.0)?;
                a.duration = Duration::from_secs_f64(seconds);
            }
            Arg::Long("repeats") => a.repeats = cli::number(&mut p, "--repeats", 1..=1000)?,
            Arg::Long("trips") => a.trips = cli::number(&mut p, "--trips", 1..=100_000_000)?,
            Arg::Long("rounds") => a.rounds = cli::number(&mut p, "--rounds", 1..=1000)?,
            Arg::Long("burners") => a.burners = cli::numbers(&mut p, "--burners", 0..=64)?,
            Arg::Long("python") => a.python = PythonChoice::At(cli::path(&mut p, "--python")?),
            Arg::Long("no-python") => a.python = PythonChoice::Off,
            Arg::Long("write-results") => a.results = Some(cli::path(&mut p, "--write-results")?),
            Arg::Long("only") => {
                for table in cli::names(&mut p, "--only", &TABLES, |t| t)? {
                    if !a.only.iter().any(|o| o == table) {
                        a.only.push(table.to_owned());
                    }
                }
            }
            Arg::Long("interval-ms") => {
                let ms = cli::number(&mut p, "--interval-ms", 0.01..=10_000.0)?;
                a.interval = Duration::from_secs_f64(ms / 1e3);
            }
            other => return Err(cli::unknown(&other)),
        }
    }
    Ok(Parsed::Run(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings `line` asks for (panics on an error or `--help`).
    fn run(line: &str) -> Args {
        match parse(line.split_whitespace()) {
            Ok(Parsed::Run(a)) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn parses_the_load_flags() {
        assert_eq!(run(""), Args::default());
        assert_eq!(parse(["--help"]), Ok(Parsed::Help));
        let a = run("--only load --burners 0,2 --rounds 5 --no-python --only convoy");
        assert_eq!(a.only, ["load", "convoy"]);
        assert_eq!(a.burners, [0, 2]);
        assert_eq!(a.rounds, 5);
        assert_eq!(a.python, PythonChoice::Off);
        assert!(a.runs("load") && !a.runs("fairness"));
        let q = run("--burners 1 --python /opt/py --only load --quick --json");
        assert_eq!((q.rounds, q.trips, q.repeats), (1, 500, 1));
        assert_eq!(q.burners, [1]);
        assert_eq!(q.python, PythonChoice::At(PathBuf::from("/opt/py")));
        assert_eq!(q.only, ["load"]);
        assert!(q.json);
        assert!(Args::default().runs("load"));
        assert_eq!(run("--only micro,load,micro").only, ["micro", "load"]);
        assert_eq!(run("--only switch").only, ["switch"]);
    }

    /// Issue 14: `harness --repeats 2.7` silently became 2.
    #[test]
    fn a_fractional_count_is_an_error_not_truncated() {
        let e = parse(["--repeats", "2.7"]).unwrap_err();
        assert_eq!(e, "--repeats takes an integer in 1..=1000, not \"2.7\"");
        assert!(parse(["--repeats=2.7"]).is_err());
        assert!(parse(["--trips", "1e3"]).is_err());
        assert_eq!(run("--repeats=2 --trips=7"), run("--repeats 2 --trips 7"));
    }

    #[test]
    fn rejects_bad_load_flags() {
        for (bad, needle) in [
            ("--burners", "needs a value"),
            ("--burners 1,x", "--burners"),
            ("--burners ''", "--burners"),
            ("--burners 1,,2", "--burners"),
            ("--burners 65", "--burners"),
            ("--rounds x", "--rounds"),
            ("--rounds -1", "--rounds"),
            ("--repeats 0", "--repeats"),
            ("--interval-ms 0", "--interval-ms"),
            ("--only gpu", "load"),
            ("--python", "needs a value"),
            ("--json=1", "--json takes no value"),
            ("--burn 1", "unknown flag --burn"),
        ] {
            let e = parse(bad.split_whitespace()).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
