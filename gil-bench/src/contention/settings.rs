//! What a contention run measures, and the command line that says so.

use std::ffi::OsString;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use crate::cli::{self, Arg, Parsed};

/// What one contention run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The thread counts to try, one table each (default: the available parallelism, at
    /// least 2).
    pub threads: Vec<usize>,
    /// Units of work per critical section (default 1; a unit is about 3 ns).
    pub work_inside: u32,
    /// Units of work between critical sections (default 1).
    pub work_outside: u32,
    /// How long each test runs (default 1 s).
    pub duration: Duration,
    /// How many times each test is repeated (default 3).
    pub iterations: usize,
}

impl Default for Settings {
    /// One thread count (the cores, at least 2), 1 unit inside and outside, 1 s, 3 iterations:
    /// with all seven lock kinds, about 21 s.
    fn default() -> Self {
        let cores = thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            threads: vec![cores.max(2)],
            work_inside: 1,
            work_outside: 1,
            duration: Duration::from_secs(1),
            iterations: 3,
        }
    }
}

/// A lock the harness can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// [`gil_sync::Lock`]: barging, with a direct hand-off to a waiter queued over 1 ms.
    Lock,
    /// [`gil_sync::RLock`], taken once per round.
    RLock,
    /// [`gil_sync::Semaphore`] with one permit.
    Semaphore,
    /// `std::sync::Mutex<()>`: the baseline.
    StdMutex,
    /// `parking_lot::Mutex<()>`: eventually fair (a hand-off every 0.5 ms on average).
    ParkingLot,
    /// [`Gil`](gil_core::Gil) with [`Policy::Fair`](gil_core::Policy::Fair) and a 5 ms switch interval: FIFO hand-off.
    GilFair,
    /// [`Gil`](gil_core::Gil) with [`Policy::CPython`](gil_core::Policy::CPython) and a 5 ms switch interval: CPython 3.11's GIL.
    GilCPython,
}

impl LockKind {
    /// Every kind, in table order.
    pub const ALL: [Self; 7] = [
        Self::Lock,
        Self::RLock,
        Self::Semaphore,
        Self::StdMutex,
        Self::ParkingLot,
        Self::GilFair,
        Self::GilCPython,
    ];

    /// The name `--locks` takes and JSON rows carry.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::RLock => "rlock",
            Self::Semaphore => "semaphore",
            Self::StdMutex => "std",
            Self::ParkingLot => "parking_lot",
            Self::GilFair => "gil-fair",
            Self::GilCPython => "gil-cpython",
        }
    }

    /// The kind called `name` (see [`LockKind::name`]), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The table label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lock => "gil_sync::Lock",
            Self::RLock => "gil_sync::RLock",
            Self::Semaphore => "gil_sync::Semaphore(1)",
            Self::StdMutex => "std::sync::Mutex",
            Self::ParkingLot => "parking_lot::Mutex",
            Self::GilFair => "Gil (Fair, 5 ms)",
            Self::GilCPython => "Gil (CPython, 5 ms)",
        }
    }
}

/// The text `--help` prints.
pub const USAGE: &str = "\
contention: parking_lot-style fixed-duration lock contention harness

usage: contention [--threads N[,N...]] [--inside N] [--outside N] [--seconds S]
                  [--iterations N] [--locks NAME[,NAME...]] [--json]
                  [--write-results FILE]

  --threads N,...   thread counts, one table each (default: available cores, at least 2)
  --inside N        work units inside each critical section (default 1; a unit is ~3 ns)
  --outside N       work units between critical sections (default 1)
  --seconds S       seconds per test (default 1)
  --iterations N    tests per lock kind and thread count (default 3)
  --locks a,b,...   lock kinds (default all): lock, rlock, semaphore, std, parking_lot,
                    gil-fair, gil-cpython
  --json            also print one JSON object per row
  --write-results FILE
                    rewrite the contention section of FILE (gil-bench/RESULTS.md)
  -h, --help        print this message

Each thread loops lock -> inside work -> unlock -> outside work and counts rounds until the
time is up. Rates are per thread, in kHz (thousands of rounds per second). A flag's value
may also follow an equals sign: --threads=2,4.
";

/// What the command line asked for: the settings, the lock kinds, and whether to print JSON
/// rows too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Thread counts, work, duration and iterations.
    pub settings: Settings,
    /// The lock kinds to measure, in table order.
    pub locks: Vec<LockKind>,
    /// Also print one JSON object per row.
    pub json: bool,
    /// Rewrite the `contention` section of this results file (`--write-results FILE`).
    pub results: Option<PathBuf>,
}

/// Parses the arguments (without the program name) with [`crate::cli`].
///
/// # Errors
///
/// A message naming the bad flag or value.
pub fn parse<I>(args: I) -> Result<Parsed<Options>, String>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut settings = Settings::default();
    let mut locks = LockKind::ALL.to_vec();
    let mut json = false;
    let mut results = None;
    let mut p = cli::parser(args);
    while let Some(arg) = cli::next(&mut p)? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Parsed::Help),
            Arg::Long("json") => json = true,
            Arg::Long("write-results") => results = Some(cli::path(&mut p, "--write-results")?),
            Arg::Long("threads") => settings.threads = cli::numbers(&mut p, "--threads", 1..=1024)?,
            Arg::Long("inside") => {
                settings.work_inside = cli::number(&mut p, "--inside", 0..=1_000_000)?;
            }
            Arg::Long("outside") => {
                settings.work_outside = cli::number(&mut p, "--outside", 0..=1_000_000)?;
            }
            Arg::Long("seconds") => {
                let s = cli::number(&mut p, "--seconds", 0.001..=3600.0)?;
                settings.duration = Duration::from_secs_f64(s);
            }
            Arg::Long("iterations") => {
                settings.iterations = cli::number(&mut p, "--iterations", 1..=1000)?;
            }
            Arg::Long("locks") => {
                locks = cli::names(&mut p, "--locks", &LockKind::ALL, LockKind::name)?;
            }
            other => return Err(cli::unknown(&other)),
        }
    }
    Ok(Parsed::Run(Options {
        settings,
        locks,
        json,
        results,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options `line` asks for (panics on an error or `--help`).
    fn run(line: &str) -> Options {
        match parse(line.split_whitespace()) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in LockKind::ALL {
            assert_eq!(LockKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(LockKind::from_name("nope"), None);
    }

    #[test]
    fn parses_flags_either_way() {
        let o = run("--threads=2,4 --inside 3 --outside=0 --seconds 0.5 --iterations=2 --json");
        assert_eq!(o.settings.threads, [2, 4]);
        assert_eq!((o.settings.work_inside, o.settings.work_outside), (3, 0));
        assert_eq!(o.settings.duration, Duration::from_millis(500));
        assert_eq!(o.settings.iterations, 2);
        assert!(o.json);
        assert_eq!(run("--threads 2,4"), run("--threads=2,4 "));
        assert_eq!(
            run("--locks std,lock,std").locks,
            [LockKind::StdMutex, LockKind::Lock]
        );
        assert_eq!(run("--locks all").locks, LockKind::ALL);
        assert_eq!(parse(["--help"]), Ok(Parsed::Help));
    }

    #[test]
    fn rejects_bad_values() {
        for (bad, needle) in [
            ("--threads=abc", "--threads takes an integer"),
            ("--threads 0", "--threads"),
            ("--threads 2,,4", "--threads"),
            ("--iterations 2.7", "--iterations takes an integer"),
            ("--seconds 0", "--seconds takes a number"),
            ("--locks gil", "--locks: unknown name"),
            ("--json=yes", "--json takes no value"),
            ("--frobnicate", "unknown flag --frobnicate"),
        ] {
            let e = parse(bad.split_whitespace()).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
