//! CPU-bound work in worker processes, the seeds' advice for CPU-bound Python: the demo
//! binary run again as a bounded worker, one per part of the work, each answering over a
//! pipe.
//!
//! A worker is `<demo> --cpu-worker <units>` ([`WORKER_FLAG`]; the `demo` binary calls
//! [`work_if_asked`] first thing in `main`). It runs [`cpu_job`] for its units holding a
//! GIL of its own, writes one line `cpu-worker <ns> <checksum>` to its stdout (the compute
//! time and the loop's result, so the work cannot be optimised away) and exits. It is
//! bounded twice: by its units (at most [`MAX_UNITS`]), and by its parent: a thread reads
//! its stdin, the parent's end of a pipe, and exits the process when that pipe closes (the
//! parent is gone or gave up on it). The parent's handle kills and reaps it when dropped.
//!
//! [`cpu_processes`] times `k` workers from the first spawn to the last reply, process start
//! included; [`start_cost`] times workers that do nothing, the overhead alone.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::scenarios::{cpu_job, part};
use crate::stats::median;

/// The hidden first argument that turns the `demo` binary into a CPU worker:
/// `--cpu-worker <units>`.
pub const WORKER_FLAG: &str = "--cpu-worker";

/// The most units a worker accepts: minutes of work at a few ns each, never an endless one.
pub const MAX_UNITS: u64 = 10_000_000_000;

/// The first word of a worker's reply line.
const REPLY_TAG: &str = "cpu-worker";

/// A worker's exit status when its parent's pipe closed before it finished.
pub const ORPHANED: i32 = 3;

/// The environment variable that carries a worker's units in unit tests.
const TEST_WORKER_ENV: &str = "GIL_BENCH_TEST_WORKER_UNITS";

/// If this process was started as a worker (`<exe> --cpu-worker <units>`), does the work,
/// replies on stdout and exits; otherwise returns at once. Call it first thing in `main`.
pub fn work_if_asked() {
    if let Some(units) = worker_request(std::env::args().skip(1)) {
        std::process::exit(work(units));
    }
}

/// The units `--cpu-worker <units>` asks for, when those are the first two arguments and the
/// units are a whole number up to [`MAX_UNITS`]; otherwise `None` (and the flag is an unknown
/// argument).
pub fn worker_request(args: impl IntoIterator<Item = String>) -> Option<u64> {
    let mut it = args.into_iter();
    if it.next()? != WORKER_FLAG {
        return None;
    }
    it.next()?.parse().ok().filter(|&u| u <= MAX_UNITS)
}

/// A worker's body: watches the parent's pipe, computes, replies; returns the exit status.
fn work(units: u64) -> i32 {
    let watcher = std::thread::Builder::new()
        .name("parent-pipe".to_owned())
        .spawn(|| {
            let mut buf = [0u8; 64];
            // The parent never writes: a read returns only at end-of-file or on an error,
            // both meaning the parent's end is closed.
            while let Ok(n) = io::stdin().lock().read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            std::process::exit(ORPHANED);
        });
    if let Err(e) = watcher {
        eprintln!("cpu worker: cannot watch the parent's pipe: {e}");
        return 2;
    }
    let gil = gil_core::Gil::new();
    let mut guard = gil.acquire();
    let t0 = Instant::now();
    let checksum = cpu_job(&mut guard, units);
    let ns = t0.elapsed().as_nanos();
    let mut out = io::stdout().lock();
    match writeln!(out, "{REPLY_TAG} {ns} {checksum}").and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => ORPHANED, // nobody reads the reply any more
    }
}

/// A worker's answer: how long its loop took and what it computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The loop's time inside the worker, ns (without process start and exit).
    pub ns: u64,
    /// The loop's result.
    pub checksum: u64,
}

/// The reply line in a worker's stdout (other lines, such as libtest's in unit tests, are
/// skipped); `None` when there is none.
pub fn parse_reply(stdout: &str) -> Option<Reply> {
    stdout.lines().find_map(|line| {
        let mut w = line.split_whitespace();
        if w.next()? != REPLY_TAG {
            return None;
        }
        let reply = Reply {
            ns: w.next()?.parse().ok()?,
            checksum: w.next()?.parse().ok()?,
        };
        w.next().is_none().then_some(reply)
    })
}

/// A started worker; dropping it kills and reaps the process.
#[derive(Debug)]
struct Worker {
    child: Option<Child>,
    /// The parent's end of the worker's stdin: open while the worker may work.
    pipe: Option<ChildStdin>,
}

impl Worker {
    fn start(exe: &Path, units: u64) -> Result<Self, String> {
        let mut cmd = Command::new(exe);
        if cfg!(test) {
            // A unit-test binary's `main` is libtest's: run the ignored test that works.
            cmd.args([
                "demo::procs::tests::worker_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "-q",
            ])
            .env(TEST_WORKER_ENV, units.to_string());
        } else {
            cmd.args([WORKER_FLAG, &units.to_string()]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start a worker process ({}): {e}", exe.display()))?;
        let pipe = child.stdin.take();
        Ok(Self {
            child: Some(child),
            pipe,
        })
    }

    /// Waits for the worker's reply and its exit.
    fn reply(mut self) -> Result<Reply, String> {
        let child = self.child.take().ok_or("worker already waited for")?;
        // Our end of its stdin stays open in `self.pipe` until the worker has exited.
        let out = child
            .wait_with_output()
            .map_err(|e| format!("cannot read a worker process's reply: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        match parse_reply(&stdout) {
            Some(r) if out.status.success() => Ok(r),
            _ => Err(format!(
                "a worker process failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.pipe.take());
        if let Some(child) = &mut self.child {
            // An error means it has already exited; `wait` reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One run of [`cpu_processes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRun {
    /// From the first spawn to the last reply.
    pub wall: Duration,
    /// Each worker's reply, in part order.
    pub replies: Vec<Reply>,
}

/// `units` of CPU-bound work split over `k` worker processes (worker `i` runs
/// [`part`]`(units, k, i)` units of [`cpu_job`]); timed from the first spawn to the last
/// reply, so process start and exit count.
///
/// # Errors
///
/// This executable cannot be found, a worker cannot be started, or one failed or gave no
/// reply (the workers already started are killed and reaped).
pub fn cpu_processes(k: usize, units: u64) -> Result<ProcessRun, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find this executable to start worker processes: {e}"))?;
    let t0 = Instant::now();
    let workers = (0..k.max(1))
        .map(|i| Worker::start(&exe, part(units, k, i)))
        .collect::<Result<Vec<_>, _>>()?;
    let replies = workers
        .into_iter()
        .map(Worker::reply)
        .collect::<Result<Vec<_>, _>>()?;
    let wall = t0.elapsed();
    black_box(replies.iter().fold(0, |a, r| a ^ r.checksum));
    Ok(ProcessRun { wall, replies })
}

/// What starting `k` workers that do nothing costs, from the first spawn to the last reply:
/// the median of `times` runs, seconds.
///
/// # Errors
///
/// As [`cpu_processes`].
pub fn start_cost(k: usize, times: usize) -> Result<f64, String> {
    let walls = (0..times.max(1))
        .map(|_| cpu_processes(k, 0).map(|r| r.wall.as_secs_f64()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(&walls))
}

#[cfg(test)]
mod tests;
