//! Thread start + join with an empty body: gil-runtime's `Thread` next to std's, the
//! variants interleaved block by block.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use gil_core::Mode;

use crate::stats::{interleaved, median};

/// One way of starting and joining a thread with an empty body, for [`start_join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartJoin {
    /// `std::thread::spawn(|| {}).join()`: the floor.
    StdSpawn,
    /// `std::thread::Builder` with a name (what `Thread::start` uses: one `prctl` more).
    StdNamed,
    /// std spawn, then wait for the new thread to signal that it runs, then join: the
    /// handshake Python's `Thread.start` performs (and gil-runtime's no longer does).
    StdHandshake,
    /// `gil_runtime::Thread` `start` + `join` on an enabled (fair) GIL.
    Runtime,
    /// The same on a free-threaded runtime.
    RuntimeFreeThreaded,
}

impl StartJoin {
    /// Every variant, in table order.
    pub const ALL: [Self; 5] = [
        Self::StdSpawn,
        Self::StdNamed,
        Self::StdHandshake,
        Self::Runtime,
        Self::RuntimeFreeThreaded,
    ];

    /// The table label.
    pub fn label(self) -> &'static str {
        match self {
            Self::StdSpawn => "std spawn+join",
            Self::StdNamed => "std named spawn+join",
            Self::StdHandshake => "std spawn+handshake+join",
            Self::Runtime => "Thread start+join (GIL)",
            Self::RuntimeFreeThreaded => "Thread start+join (free-threaded)",
        }
    }
}

/// Thread start+join cost per variant, in µs per thread: `rounds` rounds, each timing
/// `per_block` start+joins of every variant in a rotating order, so that the machine's
/// drift (these VMs swing 2–4× over seconds) hits every variant alike; the median block of
/// each variant is returned, in [`StartJoin::ALL`] order.
///
/// # Panics
///
/// If a thread cannot be spawned.
pub fn start_join(rounds: usize, per_block: usize) -> Vec<(StartJoin, f64)> {
    let enabled = gil_runtime::Runtime::new();
    let free = gil_runtime::Runtime::builder()
        .mode(Mode::FreeThreaded)
        .build()
        .expect("default interval");
    let one = |variant: StartJoin| match variant {
        StartJoin::StdSpawn => thread::spawn(|| {}).join().expect("empty body"),
        StartJoin::StdNamed => thread::Builder::new()
            .name("Thread-1".to_owned())
            .spawn(|| {})
            .expect("spawn")
            .join()
            .expect("empty body"),
        StartJoin::StdHandshake => {
            let started = Arc::new(gil_sync::Event::new());
            let s = started.clone();
            let t = thread::spawn(move || s.set());
            started.wait();
            t.join().expect("empty body");
        }
        StartJoin::Runtime | StartJoin::RuntimeFreeThreaded => {
            let rt = if variant == StartJoin::Runtime {
                &enabled
            } else {
                &free
            };
            let t = rt.thread(|_| {});
            t.start().expect("start");
            t.join().expect("empty body");
        }
    };
    let samples = interleaved(StartJoin::ALL.len(), rounds, |i| {
        let started = Instant::now();
        for _ in 0..per_block {
            one(StartJoin::ALL[i]);
        }
        started.elapsed().as_secs_f64() * 1e6 / per_block as f64
    });
    StartJoin::ALL
        .iter()
        .zip(&samples)
        .map(|(&v, s)| (v, median(s)))
        .collect()
}
