//! Where a contended trip's time goes: the socketpair convoy (one thread doing round trips,
//! releasing the GIL around each of its four send/recv calls, next to CPU-bound spinners),
//! traced with the `trace` feature, next to `--burners B` busy threads that never touch the
//! GIL (the "busy machine").
//!
//! ```text
//! cargo run --release -p gil-core --features trace --example trace_convoy -- --burners 1
//! ```
//!
//! Prints, per step of the fair policy's slow paths, how often it happened and how long it
//! took (p50, p99, total): the waits that are the scheduler's stand out as the long ones.
#![forbid(unsafe_code)]
#![expect(
    clippy::cast_precision_loss,
    reason = "counts and nanoseconds far below 2^52, turned into f64 for printing"
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use gil_core::Gil;
use gil_core::trace::{self, Event, Record};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(xs: &mut [f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an index"
    )]
    let i = ((xs.len() - 1) as f64 * p).round() as usize;
    xs[i]
}

#[expect(
    clippy::disallowed_methods,
    reason = "an example outside the crate's loom shim"
)]
fn main() {
    const { assert!(trace::ENABLED, "build with --features trace") };
    let burners = arg("--burners", 1);
    let spinners = arg("--spinners", 1);
    let trips = arg("--trips", 3000);
    let gil = Gil::new();
    let stop = Arc::new(AtomicBool::new(false));
    let work = Arc::new(AtomicU64::new(0));
    let burn: Vec<_> = (0..burners)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Relaxed) {
                    x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
                }
            })
        })
        .collect();
    let spin: Vec<_> = (0..spinners)
        .map(|_| {
            let (gil, stop, work) = (gil.clone(), Arc::clone(&stop), Arc::clone(&work));
            std::thread::spawn(move || {
                let mut g = gil.acquire();
                let mut x = 0u64;
                while !stop.load(Relaxed) {
                    for _ in 0..16 {
                        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
                    }
                    work.fetch_add(1, Relaxed);
                    g.check().unwrap();
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    // The spinners' rate alone (this thread does not hold the GIL), the reference for their
    // share of it during the trips.
    let (w0, s0) = (work.load(Relaxed), Instant::now());
    std::thread::sleep(Duration::from_millis(100));
    let solo = (work.load(Relaxed) - w0) as f64 / s0.elapsed().as_secs_f64();
    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
    let mut buf = [0u8; 1];
    let mut g = gil.acquire();
    let _ = trace::take();
    let w1 = work.load(Relaxed);
    let t0 = Instant::now();
    for _ in 0..trips {
        g.allow_threads(|| a.write_all(b"x")).expect("send");
        g.allow_threads(|| b.read_exact(&mut buf)).expect("recv");
        g.allow_threads(|| b.write_all(b"x")).expect("send");
        g.allow_threads(|| a.read_exact(&mut buf)).expect("recv");
    }
    let elapsed = t0.elapsed();
    let share = (work.load(Relaxed) - w1) as f64 / elapsed.as_secs_f64() / solo;
    let events = trace::take();
    drop(g);
    stop.store(true, Relaxed);
    for t in spin.into_iter().chain(burn) {
        t.join().expect("thread");
    }
    println!(
        "convoy: {trips} trips next to {spinners} spinner(s) and {burners} burner(s): {:.2} us/trip, spinner share {share:.2}, {} events",
        elapsed.as_secs_f64() * 1e6 / trips as f64,
        events.len()
    );
    if std::env::args().any(|a| a == "--summary") {
        return;
    }
    if std::env::args().any(|a| a == "--dump") {
        for r in events.iter().take(80) {
            println!("{:>12} t{} {:?}", r.nanos, r.thread, r.event);
        }
    }
    report(&events, elapsed);
}

/// Pairs each event with the next event of interest (same thread or any thread) and prints the
/// distribution of the gaps.
fn report(events: &[Record], elapsed: Duration) {
    // Same-thread steps: from an event to the next event of the same thread.
    let mut steps: HashMap<(Event, Event), Vec<f64>> = HashMap::new();
    let mut last: HashMap<u32, Record> = HashMap::new();
    // Cross-thread: a borrower's return or a hand-off to the next `LenderRuns` / `Granted`.
    let mut cross: HashMap<(Event, Event), Vec<f64>> = HashMap::new();
    let mut pending: Vec<Record> = Vec::new();
    for r in events {
        let prev = last.insert(r.thread, *r);
        if let Some(prev) = prev {
            steps
                .entry((prev.event, r.event))
                .or_default()
                .push((r.nanos - prev.nanos) as f64 / 1e3);
        }
        match r.event {
            Event::Returned | Event::HandOff => pending.push(*r),
            Event::LenderRuns | Event::Granted => {
                // The wake-up's cause: the latest return or hand-off by another thread since
                // this thread's previous event (it was waiting in between).
                let since = prev.map_or(0, |p| p.nanos);
                if let Some(p) = pending
                    .iter()
                    .rev()
                    .find(|p| p.thread != r.thread && p.nanos >= since)
                {
                    cross
                        .entry((p.event, r.event))
                        .or_default()
                        .push((r.nanos - p.nanos) as f64 / 1e3);
                }
                pending.retain(|p| p.nanos >= since);
            }
            _ => {}
        }
    }
    let total = elapsed.as_secs_f64() * 1e6;
    println!(
        "{:<40} {:>7} {:>9} {:>9} {:>11} {:>7}",
        "step (same thread unless ->>)", "count", "p50_us", "p99_us", "total_us", "share"
    );
    let mut rows: Vec<_> = steps
        .into_iter()
        .map(|((a, b), v)| (format!("{a:?} -> {b:?}"), v))
        .chain(
            cross
                .into_iter()
                .map(|((a, b), v)| (format!("{a:?} ->> {b:?}"), v)),
        )
        .collect();
    rows.sort_by(|x, y| y.1.iter().sum::<f64>().total_cmp(&x.1.iter().sum::<f64>()));
    for (name, mut v) in rows.into_iter().take(16) {
        let sum: f64 = v.iter().sum();
        println!(
            "{name:<40} {:>7} {:>9.2} {:>9.2} {:>11.0} {:>6.1}%",
            v.len(),
            pct(&mut v, 0.5),
            pct(&mut v, 0.99),
            sum,
            100.0 * sum / total
        );
    }
}
