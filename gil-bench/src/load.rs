//! Machine load for the measurements: busy processes beside the GIL, and what `/proc` says
//! about the load while a figure is taken.
//!
//! - [`Burners`]: B processes outside the GIL that only compute. Each is this executable
//!   run again with [`BURN_FLAG`] (the `harness` and `demo` binaries call [`burn_if_asked`]
//!   first thing in `main`); it stops by itself at its deadline or when its parent is gone,
//!   and dropping the [`Burners`] kills and reaps every one.
//! - [`Sampler`]: a background thread reading `/proc` every 100 ms; its [`LoadReading`] holds
//!   the median runnable count (`procs_running` in `/proc/stat`), how many of those were not
//!   this run's, the cores other processes kept busy (CPU time, [`others_between`]), the
//!   1-minute load average and the hypervisor's steal.
//!
//! [`crate::under_load`] runs the measurements next to the burners.
//!
//! Without `/proc` every reading is `None` and the measurements still run.

use std::hint::black_box;
use std::io;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::stats::median;

/// The hidden first argument that turns the `harness` and `demo` binaries into a burner:
/// `--burn <seconds>`.
pub const BURN_FLAG: &str = "--burn";

/// How much longer than the caller asked a burner may live before it stops by itself.
pub const MARGIN: Duration = Duration::from_secs(5);

/// Above this share of stolen CPU time a figure is flagged as not conclusive.
pub const STEAL_LIMIT: f64 = 0.05;

/// Above this many cores kept busy by processes outside this run, a figure is flagged as not
/// conclusive (half a core: on 2 cores, a neighbour busy half the time).
pub const OTHERS_LIMIT: f64 = 0.5;

/// The sampling period of a [`Sampler`].
pub const PERIOD: Duration = Duration::from_millis(100);

/// If this process was started as a burner (`<exe> --burn <seconds>`), burns a CPU until then
/// and exits; otherwise returns at once. Call it first thing in `main`.
pub fn burn_if_asked() {
    if let Some(lifetime) = burn_request(std::env::args().skip(1)) {
        black_box(burn(lifetime));
        std::process::exit(0);
    }
}

/// The lifetime `--burn <seconds>` asks for, when those are the first two arguments and the
/// seconds are a number in 0..=3600; otherwise `None` (and the flag is an unknown argument).
pub fn burn_request(args: impl IntoIterator<Item = String>) -> Option<Duration> {
    let mut it = args.into_iter();
    if it.next()? != BURN_FLAG {
        return None;
    }
    let seconds: f64 = it.next()?.parse().ok()?;
    (0.0..=3600.0)
        .contains(&seconds)
        .then(|| Duration::from_secs_f64(seconds))
}

/// Computes for `lifetime`, or until the parent process is gone (this process is re-parented),
/// whichever comes first; returns the result so that nothing is optimised away.
pub fn burn(lifetime: Duration) -> u64 {
    let deadline = Instant::now() + lifetime;
    let parent = std::os::unix::process::parent_id();
    let mut x = 0u64;
    loop {
        // About 100 µs of dependent multiply-adds between two looks at the clock.
        for i in 0..100_000 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
        if Instant::now() >= deadline || std::os::unix::process::parent_id() != parent {
            return x;
        }
    }
}

/// Busy processes outside the GIL; dropping the value kills and reaps every one.
#[derive(Debug)]
pub struct Burners {
    children: Vec<Child>,
}

impl Burners {
    /// Starts `n` burners (this executable with [`BURN_FLAG`]) that stop by themselves after
    /// `lifetime` + [`MARGIN`]; `n = 0` starts nothing.
    ///
    /// # Errors
    ///
    /// The executable cannot be found or a process cannot be started (those already started
    /// are killed and reaped).
    pub fn start(n: usize, lifetime: Duration) -> io::Result<Self> {
        Self::spawn(n, lifetime + MARGIN)
    }

    fn spawn(n: usize, lifetime: Duration) -> io::Result<Self> {
        let mut burners = Self {
            children: Vec::with_capacity(n),
        };
        if n == 0 {
            return Ok(burners);
        }
        let exe = std::env::current_exe()?;
        for _ in 0..n {
            let mut cmd = Command::new(&exe);
            let seconds = format!("{}", lifetime.as_secs_f64());
            if cfg!(test) {
                // A unit-test binary's `main` is libtest's: run the ignored test that burns.
                cmd.args(["load::tests::burner_process", "--exact", "--ignored", "-q"])
                    .env(TEST_BURN_ENV, seconds);
            } else {
                cmd.args([BURN_FLAG, &seconds]);
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            burners.children.push(child);
        }
        Ok(burners)
    }

    /// The burners' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// How many burners are still running (fewer than started when one reached its deadline).
    pub fn alive(&mut self) -> usize {
        self.children
            .iter_mut()
            .map(Child::try_wait)
            .filter(|status| matches!(status, Ok(None)))
            .count()
    }
}

impl Drop for Burners {
    fn drop(&mut self) {
        for child in &mut self.children {
            // An error means it has already exited; `wait` reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The environment variable that carries a burner's lifetime in unit tests.
const TEST_BURN_ENV: &str = "GIL_BENCH_TEST_BURN_S";

/// The machine's load during one measurement, from [`Sampler`]; `None` where `/proc` lacks it.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadReading {
    /// Median of `procs_running` (`/proc/stat`): runnable threads on the whole machine,
    /// this run's (measured threads, burners, CPython beside us, the sampler) included.
    pub procs_running: Option<f64>,
    /// Median of the runnable threads that were not this run's: `procs_running` minus the
    /// runnable threads of this process and its children (never below 0).
    pub outside: Option<f64>,
    /// Median 1-minute load average (`/proc/loadavg`).
    pub loadavg: Option<f64>,
    /// The share of CPU time the hypervisor gave to someone else (steal in `/proc/stat`).
    pub steal: Option<f64>,
    /// The cores that processes outside this run kept busy on average (machine CPU time
    /// minus this process tree's, [`others_between`]).
    pub others_cpu: Option<f64>,
}

impl LoadReading {
    /// Whether figures taken under this load are doubtful: a thread outside this run was
    /// runnable in most samples (on these small machines one is enough to change a convoy
    /// many times over), other processes kept more than [`OTHERS_LIMIT`] cores busy, or the
    /// hypervisor took more than [`STEAL_LIMIT`].
    pub fn is_noisy(&self) -> bool {
        self.outside.is_some_and(|x| x >= 1.0)
            || self.others_cpu.is_some_and(|x| x > OTHERS_LIMIT)
            || self.steal.is_some_and(|x| x > STEAL_LIMIT)
    }

    /// The median of each field over `readings` (`None` where no reading had it).
    pub fn median_of(readings: &[Self]) -> Self {
        let med = |f: fn(&Self) -> Option<f64>| {
            let xs: Vec<f64> = readings.iter().filter_map(f).collect();
            (!xs.is_empty()).then(|| median(&xs))
        };
        Self {
            procs_running: med(|r| r.procs_running),
            outside: med(|r| r.outside),
            loadavg: med(|r| r.loadavg),
            steal: med(|r| r.steal),
            others_cpu: med(|r| r.others_cpu),
        }
    }
}

/// One look at `/proc`.
#[derive(Debug, Clone, Copy)]
struct Sample {
    procs_running: Option<u32>,
    ours: Option<u32>,
    loadavg: Option<f64>,
}

fn sample() -> Sample {
    // This run's threads before and after the machine's count, the larger of the two: a
    // thread of ours that became runnable between two reads must not count as outside load.
    // The sampler thread itself is runnable in all three.
    let before = runnable_in_tree(std::process::id());
    let stat = std::fs::read_to_string("/proc/stat").ok();
    let after = runnable_in_tree(std::process::id());
    Sample {
        procs_running: stat.as_deref().and_then(parse_procs_running),
        ours: before.max(after),
        loadavg: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .as_deref()
            .and_then(parse_loadavg),
    }
}

/// Samples the machine's load every [`PERIOD`] on a thread of its own until [`Sampler::stop`].
#[derive(Debug)]
pub struct Sampler {
    stop: mpsc::Sender<()>,
    thread: thread::JoinHandle<Vec<Sample>>,
    ticks: Option<(u64, u64)>,
    busy: Option<others::Ticks>,
}

impl Sampler {
    /// Starts sampling (one sample at once, one every [`PERIOD`], one at [`Sampler::stop`]).
    ///
    /// # Panics
    ///
    /// If the thread cannot be spawned.
    pub fn start() -> Self {
        let (stop, rx) = mpsc::channel::<()>();
        let ticks = cpu_ticks();
        let busy = others::ticks_now();
        let thread = thread::Builder::new()
            .name("load-sampler".to_owned())
            .spawn(move || {
                let mut samples = vec![sample()];
                // Until `stop` sends or is dropped (a panic in the measurement).
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(PERIOD) {
                    samples.push(sample());
                }
                samples.push(sample()); // and one at the end: short runs get two
                samples
            })
            .expect("spawn the load sampler");
        Self {
            stop,
            thread,
            ticks,
            busy,
        }
    }

    /// Stops sampling and summarises what was seen.
    pub fn stop(self) -> LoadReading {
        let _ = self.stop.send(());
        let samples = self.thread.join().unwrap_or_default();
        let med = |xs: Vec<f64>| (!xs.is_empty()).then(|| median(&xs));
        LoadReading {
            procs_running: med(samples
                .iter()
                .filter_map(|s| s.procs_running)
                .map(f64::from)
                .collect()),
            outside: med(samples
                .iter()
                .filter_map(|s| Some(f64::from(s.procs_running?.saturating_sub(s.ours?))))
                .collect()),
            loadavg: med(samples.iter().filter_map(|s| s.loadavg).collect()),
            steal: steal_between(self.ticks, cpu_ticks()),
            others_cpu: others_between(self.busy, others::ticks_now(), crate::host::cores()),
        }
    }
}

/// `procs_running` from the text of `/proc/stat`.
pub fn parse_procs_running(stat: &str) -> Option<u32> {
    stat.lines()
        .find_map(|l| l.strip_prefix("procs_running "))
        .and_then(|v| v.trim().parse().ok())
}

/// The 1-minute load average from the text of `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok()
}

/// (steal, total) CPU time of the whole machine from the text of `/proc/stat`, in clock ticks.
pub fn parse_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let v = cpu_line(stat)?;
    Some((v[7], v.iter().sum()))
}

/// The first eight fields of the machine's `cpu` line in the text of `/proc/stat` (user, nice,
/// system, idle, iowait, irq, softirq, steal), in clock ticks.
fn cpu_line(stat: &str) -> Option<[u64; 8]> {
    let v: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .take(8)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

/// (steal, total) CPU time of the whole machine so far, in clock ticks; `None` where there is
/// no `/proc/stat`. Steal is time the hypervisor gave this VM's CPUs to someone else: while it
/// is high, no number here means much.
pub fn cpu_ticks() -> Option<(u64, u64)> {
    parse_cpu_ticks(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// The fraction of CPU time stolen between two [`cpu_ticks`] readings.
pub fn steal_between(a: Option<(u64, u64)>, b: Option<(u64, u64)>) -> Option<f64> {
    let ((s0, t0), (s1, t1)) = (a?, b?);
    (t1 > t0).then(|| s1.saturating_sub(s0) as f64 / (t1 - t0) as f64)
}

/// The state letter of a `/proc/<pid>/task/<tid>/stat` line (after the parenthesised name,
/// which may itself hold spaces and parentheses).
fn task_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Process `pid` and all its descendants (at most 256), found through each task's
/// `children` file; `None` where `/proc/<pid>/task` cannot be read.
fn tree(pid: u32) -> Option<Vec<u32>> {
    let mut stack = vec![pid];
    let mut seen = Vec::new();
    while let Some(p) = stack.pop() {
        let tasks = match std::fs::read_dir(format!("/proc/{p}/task")) {
            Ok(tasks) => tasks,
            Err(_) if p != pid => continue, // a child that has just exited
            Err(_) => return None,
        };
        seen.push(p);
        for task in tasks.flatten() {
            if seen.len() + stack.len() < 256
                && let Ok(children) = std::fs::read_to_string(task.path().join("children"))
            {
                stack.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
    }
    Some(seen)
}

/// Runnable threads (state `R`) of process `pid` and all its descendants; `None` where
/// `/proc/<pid>/task` cannot be read.
fn runnable_in_tree(pid: u32) -> Option<u32> {
    let mut runnable = 0;
    for p in tree(pid)? {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue; // exited meanwhile
        };
        for task in tasks.flatten() {
            if let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) {
                runnable += u32::from(task_state(&stat) == Some('R'));
            }
        }
    }
    Some(runnable)
}

mod others;

pub use self::others::{others_between, parse_busy_ticks, parse_own_ticks};

#[cfg(test)]
mod tests;
