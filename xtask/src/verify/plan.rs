//! What `verify` runs: its steps, its command line, and the steps an invocation selects.

use std::ffi::OsString;

use crate::command::Fallible;

/// One check of `verify`, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// `cargo fmt --all -- --check`.
    Fmt,
    /// `cargo clippy --workspace --all-targets -- -D warnings`.
    Clippy,
    /// The unit and integration tests, through cargo-nextest when it is installed.
    Test,
    /// The API suites (bad-input and fault modules included) with spurious wake-ups injected.
    Spurious,
    /// `cargo test --workspace --doc`.
    Doctest,
    /// `cargo doc --workspace --no-deps` with warnings denied.
    Doc,
    /// The libraries build with the declared minimum Rust version.
    Msrv,
    /// `cargo package` of the libraries.
    Package,
    /// gil-core's `GilCell` tests (its one `unsafe` module) under Miri.
    MiriCell,
    /// The loom models, one model file at a time.
    Loom,
    /// The shuttle tests: randomized schedules.
    Shuttle,
    /// The `#[ignore]`d stress tests; only with `--stress`.
    Stress,
    /// The API suites under valgrind's memcheck; only with `--stress`.
    Memcheck,
    /// The gil-sync and gil-runtime API suites under Miri; only with `--deep`.
    Miri,
    /// The stress suites under ThreadSanitizer; only with `--deep`.
    Tsan,
}

impl Step {
    /// Every step, in running order.
    const ALL: [Self; 15] = [
        Self::Fmt,
        Self::Clippy,
        Self::Test,
        Self::Spurious,
        Self::Doctest,
        Self::Doc,
        Self::Msrv,
        Self::Package,
        Self::MiriCell,
        Self::Loom,
        Self::Shuttle,
        Self::Stress,
        Self::Memcheck,
        Self::Miri,
        Self::Tsan,
    ];

    /// The name used on the command line and in messages.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Fmt => "fmt",
            Self::Clippy => "clippy",
            Self::Test => "test",
            Self::Spurious => "spurious",
            Self::Doctest => "doctest",
            Self::Doc => "doc",
            Self::Msrv => "msrv",
            Self::Package => "package",
            Self::MiriCell => "miri-cell",
            Self::Loom => "loom",
            Self::Shuttle => "shuttle",
            Self::Stress => "stress",
            Self::Memcheck => "memcheck",
            Self::Miri => "miri",
            Self::Tsan => "tsan",
        }
    }

    /// The step called `name` on the command line.
    fn named(name: &str) -> Fallible<Self> {
        Self::ALL
            .into_iter()
            .find(|step| step.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|step| step.name()).collect();
                format!(
                    "verify: unknown step `{name}`; steps are {}",
                    names.join(", ")
                )
            })
    }
}

/// The parsed command line of `verify`.
#[derive(Debug, Default)]
pub(super) struct Options {
    /// `--stress`: add the stress step.
    pub(super) stress: bool,
    /// `--deep`: loom deeper, more shuttle schedules, Miri and ThreadSanitizer.
    pub(super) deep: bool,
    /// `--skip-loom`: drop the loom step.
    pub(super) skip_loom: bool,
    /// `--only <step>`: run just these steps (empty means all).
    pub(super) only: Vec<Step>,
}

/// Parses the arguments of `verify`; `None` means help was asked for.
pub(super) fn parse(args: &[OsString]) -> Fallible<Option<Options>> {
    let mut options = Options::default();
    let mut args = args.iter().map(|arg| arg.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--stress" => options.stress = true,
            "--deep" => options.deep = true,
            "--skip-loom" => options.skip_loom = true,
            "--only" => {
                let name = args.next().ok_or("verify: `--only` needs a step name")?;
                options.only.push(Step::named(&name)?);
            }
            other => match other.strip_prefix("--only=") {
                Some(name) => options.only.push(Step::named(name)?),
                None => {
                    return Err(format!(
                        "verify: unknown argument `{other}`; see `cargo xtask verify --help`"
                    ));
                }
            },
        }
    }
    Ok(Some(options))
}

/// The steps `options` select, in running order; an empty selection is an error.
pub(super) fn plan(options: &Options) -> Fallible<Vec<Step>> {
    let steps: Vec<Step> = Step::ALL
        .into_iter()
        .filter(|step| match step {
            Step::Loom => !options.skip_loom,
            Step::Stress | Step::Memcheck => options.stress || options.only.contains(step),
            Step::Miri | Step::Tsan => options.deep || options.only.contains(step),
            _ => true,
        })
        .filter(|step| options.only.is_empty() || options.only.contains(step))
        .collect();
    if steps.is_empty() {
        return Err("verify: nothing left to run (`--only loom` with `--skip-loom`?)".into());
    }
    Ok(steps)
}
