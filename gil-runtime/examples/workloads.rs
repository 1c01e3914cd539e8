//! CPU-bound and I/O-bound work on 1, 2 and 4 runtime threads, with the GIL enabled and
//! free-threaded: what every Python threading tutorial claims, measured on this machine.
//!
//! ```text
//! cargo run --release -p gil-runtime --example workloads [-- --scale N]
//! ```
//!
//! - **CPU-bound**: a fixed amount of arithmetic split evenly over the threads; each "bytecode"
//!   ends with `guard.check().unwrap().switched()`, the eval breaker. Under the GIL only one thread computes at a
//!   time, so more threads do not finish sooner; free-threaded, they run on every core.
//! - **I/O-bound**: a fixed number of 10 ms blocking calls (sleeps standing in for I/O) split
//!   over the threads; each runs inside `allow_threads`, which releases the GIL, so the waits
//!   overlap in both modes.
//!
//! Times are wall-clock medians of three runs; "vs 1 thread" is the time relative to one
//! thread doing all the work in the same mode (lower is better, 0.50 is a 2x speed-up).
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use gil_core::{GilGuard, Mode};
use gil_runtime::Runtime;

/// Work units ("bytecodes") of the CPU-bound job at scale 1: about 0.5 s on one core.
const CPU_UNITS: u64 = 20_000_000;
/// Blocking calls of the I/O-bound job at scale 1, and how long each blocks.
const IO_CALLS: u32 = 40;
const IO_CALL: Duration = Duration::from_millis(10);

/// `units` "bytecodes" of 16 dependent multiply-xor-shifts (about 25 ns), each followed by
/// the eval breaker, as an interpreter's loop would.
fn cpu_job(guard: &mut GilGuard<'_>, units: u64) -> u64 {
    let mut x = black_box(1u64);
    for i in 0..units {
        for _ in 0..16 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
            x ^= x >> 17;
        }
        guard.check().unwrap();
    }
    x
}

/// Blocking calls with the GIL released, as a well-behaved extension does around I/O.
fn io_job(guard: &mut GilGuard<'_>, calls: u32) {
    for _ in 0..calls {
        guard.allow_threads(|| std::thread::sleep(IO_CALL));
    }
}

/// A job of a fixed total size, split evenly over the threads.
#[derive(Clone, Copy, Debug)]
enum Work {
    /// This many CPU "bytecodes" in all.
    Cpu(u64),
    /// This many blocking calls in all.
    Io(u32),
}

impl Work {
    /// One thread's share of the job, out of `threads`.
    fn run_share(self, guard: &mut GilGuard<'_>, threads: u32) {
        match self {
            Self::Cpu(units) => {
                black_box(cpu_job(guard, units / u64::from(threads)));
            }
            Self::Io(calls) => io_job(guard, calls / threads),
        }
    }
}

/// Runs `work` split over `threads` runtime threads; the wall time of start..join.
fn run_threads(rt: &Runtime, threads: u32, work: Work) -> Duration {
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let t = rt.thread(move |guard| work.run_share(guard, threads));
            t.start().expect("start a worker thread");
            t
        })
        .collect();
    for t in workers {
        t.join().expect("a worker thread panicked");
    }
    started.elapsed()
}

fn median_of_three(mut run: impl FnMut() -> Duration) -> Duration {
    let mut times = [run(), run(), run()];
    times.sort();
    times[1]
}

fn main() {
    let scale = std::env::args()
        .skip_while(|a| a != "--scale")
        .nth(1)
        .map_or(1, |s| {
            s.parse::<u32>().expect("--scale takes a positive integer")
        })
        .max(1);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let jobs = [
        ("CPU-bound", Work::Cpu(CPU_UNITS * u64::from(scale))),
        ("I/O-bound", Work::Io(IO_CALLS * scale)),
    ];
    println!(
        "{cores} cores; CPU job: {} units, I/O job: {} calls of {IO_CALL:?}\n",
        CPU_UNITS * u64::from(scale),
        IO_CALLS * scale
    );
    println!(
        "{:<10} {:<14} {:>7} {:>10} {:>12}",
        "workload", "mode", "threads", "time", "vs 1 thread"
    );
    for (workload, work) in jobs {
        let mut at_two = Vec::new();
        for (mode_name, mode) in [
            ("GIL enabled", Mode::Enabled),
            ("free-threaded", Mode::FreeThreaded),
        ] {
            let rt = Runtime::builder()
                .mode(mode)
                .build()
                .expect("default interval");
            let mut one = Duration::ZERO;
            for threads in [1, 2, 4] {
                let time = median_of_three(|| run_threads(&rt, threads, work));
                if threads == 1 {
                    one = time;
                }
                let ratio = time.as_secs_f64() / one.as_secs_f64();
                println!(
                    "{workload:<10} {mode_name:<14} {threads:>7} {:>8.1}ms {ratio:>11.2}x",
                    time.as_secs_f64() * 1e3
                );
                if threads == 2 {
                    at_two.push(ratio);
                }
            }
        }
        println!(
            "  -> {workload}: 2 threads take {:.2}x the 1-thread time under the GIL, {:.2}x \
             free-threaded.\n",
            at_two[0], at_two[1]
        );
    }
    println!("Reading: under the GIL, CPU-bound threads take turns (about 1.0x: no speed-up; what");
    println!("is left of 1.0 is hand-offs every switch interval and machine noise); free-threaded");
    println!("they scale with the cores. Blocking I/O releases the GIL, so I/O-bound threads");
    println!("overlap in both modes.");
}
