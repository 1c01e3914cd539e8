//! The convoy effect (bpo-7946): a thread that keeps doing short blocking calls while a
//! CPU-bound thread holds the GIL. Under the fair policy it gets the GIL back at the
//! holder's next `check()`; under the CPython policy it may wait a whole interval each time.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{GilStats, Policy};
use gil_test_support::{PATIENCE, join, serial, spawn};

use crate::support::gil;

/// Interval 20 ms. A spinner holds the GIL calling `check()`; an I/O thread does `rounds`
/// 50 µs sleeps under `allow_threads`. Returns the I/O thread's re-acquire waits (time in
/// `allow_threads` minus time in the closure), sorted, and the GIL's statistics.
fn io_thread_against_a_spinner(policy: Policy, rounds: usize) -> (Vec<Duration>, GilStats) {
    let gil = gil(policy, Duration::from_millis(20));
    let stop = Arc::new(AtomicBool::new(false));
    let (holding_tx, holding_rx) = mpsc::channel();
    let spinner = {
        let (gil, stop) = (gil.clone(), Arc::clone(&stop));
        spawn("spinner", move || {
            let mut guard = gil.acquire();
            holding_tx.send(()).unwrap();
            let mut x = 0u64;
            while !stop.load(SeqCst) {
                x = std::hint::black_box(x.wrapping_add(1));
                guard.check().unwrap();
            }
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("spinner holds");
    let io = {
        let (gil, stop) = (gil.clone(), Arc::clone(&stop));
        spawn("io", move || {
            let mut guard = gil.acquire();
            let mut waits = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let start = Instant::now();
                let inside = guard.allow_threads(|| {
                    let t = Instant::now();
                    std::thread::sleep(Duration::from_micros(50));
                    t.elapsed()
                });
                waits.push(start.elapsed().saturating_sub(inside));
            }
            stop.store(true, SeqCst);
            waits
        })
    };
    let mut waits = join(io);
    join(spinner);
    waits.sort();
    (waits, gil.stats())
}

#[test]
fn fair_io_thread_reacquires_without_waiting_for_the_interval() {
    let _serial = serial();
    let (waits, stats) = io_thread_against_a_spinner(Policy::Fair, 50);
    let median = waits[waits.len() / 2];
    assert!(
        median < Duration::from_millis(5) || !crate::support::timing_asserts(),
        "median re-acquire wait {median:?} with a 20 ms interval; waits {waits:?}"
    );
    assert!(stats.priority_requests > 0, "{stats:?}");
}

/// CPython's policy has the convoy effect; all we assert is that it completes and never
/// makes priority requests (its figures go to the output).
#[test]
fn cpython_io_thread_against_a_spinner_completes() {
    let _serial = serial();
    let (waits, stats) = io_thread_against_a_spinner(Policy::CPython, 10);
    assert_eq!(waits.len(), 10);
    assert_eq!(stats.priority_requests, 0, "{stats:?}");
    println!(
        "cpython convoy: median re-acquire wait {:?} (20 ms interval)",
        waits[waits.len() / 2]
    );
}
