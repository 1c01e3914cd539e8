//! Interrupts racing `check()` and interruptible park loops: two target threads, one
//! spinning on `check()` under the GIL and one parking interruptibly without it, and a
//! raiser that interrupts each in turn and waits until it was taken. Every interrupt must be
//! taken exactly once (none lost: a lost count or a lost unpark hangs the round), and the
//! GIL's signal count must come back to zero so that a final `check()` reports nothing.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use gil_core::{Gil, Interrupt, Turn, signal};
use gil_test_support::{PATIENCE, serial, spawn};

use super::run_time;

#[test]
#[ignore = "stress: run with `cargo xtask verify --stress`"]
fn interrupts_racing_check_and_parks_are_each_taken_once() {
    let _serial = serial();
    let gil = Gil::new();
    let limit = run_time();
    let taken = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let checker = {
        let (gil, taken, stop, tx) = (
            gil.clone(),
            Arc::clone(&taken[0]),
            Arc::clone(&stop),
            tx.clone(),
        );
        spawn("checker", move || {
            let mut guard = gil.acquire();
            tx.send(gil.interrupter()).unwrap();
            while !stop.load(SeqCst) {
                match guard.check() {
                    Ok(_) => {}
                    Err(Interrupt::Requested) => {
                        taken.fetch_add(1, SeqCst);
                    }
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        })
    };
    let parker = {
        let (gil, taken, stop) = (gil.clone(), Arc::clone(&taken[1]), Arc::clone(&stop));
        spawn("parker", move || {
            tx.send(gil.interrupter()).unwrap();
            while !stop.load(SeqCst) {
                signal::interruptible(|| {
                    while !signal::poll() && !stop.load(SeqCst) {
                        std::thread::park_timeout(Duration::from_millis(50));
                    }
                });
                if signal::take_interrupt().is_some() {
                    taken.fetch_add(1, SeqCst);
                }
            }
        })
    };
    let interrupters = [
        rx.recv_timeout(PATIENCE).unwrap(),
        rx.recv_timeout(PATIENCE).unwrap(),
    ];
    let start = Instant::now();
    let mut raised = [0_u64; 2];
    let mut worst = Duration::ZERO;
    while start.elapsed() < limit {
        for (i, interrupter) in interrupters.iter().enumerate() {
            let before = raised[i];
            let t = Instant::now();
            interrupter.interrupt().unwrap();
            raised[i] += 1;
            // Which target is which depends on who sent first; wait on the total.
            while taken[0].load(SeqCst) + taken[1].load(SeqCst) < raised[0] + raised[1] {
                assert!(
                    t.elapsed() < PATIENCE,
                    "interrupt {before} of target {i} was lost"
                );
                std::hint::spin_loop();
            }
            worst = worst.max(t.elapsed());
        }
    }
    stop.store(true, SeqCst);
    checker.join().unwrap();
    parker.join().unwrap();
    let mut guard = gil.acquire();
    assert_eq!(
        guard.check(),
        Ok(Turn::Kept),
        "a count or an interrupt was left over"
    );
    let total = raised[0] + raised[1];
    assert_eq!(taken[0].load(SeqCst) + taken[1].load(SeqCst), total);
    println!(
        "signals: {total} interrupts raised and taken once each ({:.0}/s), worst raise → take {worst:?}",
        f64::from(u32::try_from(total).unwrap_or(u32::MAX)) / start.elapsed().as_secs_f64()
    );
}
