//! Interrupts on random schedules: four threads (two spinning on `check()` under the GIL,
//! two parked in an interruptible loop without it) each interrupted once by one of two
//! raisers; every interrupt is taken exactly once, by the first `check()` that starts after
//! the raise completed, or by waking the parked thread. Fails at once with a raiser that does
//! not count (checked 2026-12-03, then reverted).

use shuttle::sync::Mutex;
use shuttle::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

use gil_core::{Gil, Interrupt, Interrupter, Turn, signal};
use gil_test_support::shuttle::{check, join_all, spawn_all};
use shuttle::thread;

const WORKERS: usize = 4;

#[test]
fn every_interrupt_is_taken_once() {
    check(|| {
        let gil = Gil::new();
        let interrupters: Arc<Mutex<Vec<Option<Interrupter>>>> =
            Arc::new(Mutex::new(vec![None; WORKERS]));
        let raised: Arc<Vec<AtomicBool>> =
            Arc::new((0..WORKERS).map(|_| AtomicBool::new(false)).collect());
        let workers = spawn_all(WORKERS, {
            let (gil, interrupters, raised) =
                (gil.clone(), Arc::clone(&interrupters), Arc::clone(&raised));
            move |i| {
                interrupters.lock().unwrap()[i] = Some(gil.interrupter());
                if i % 2 == 0 {
                    let mut guard = gil.acquire();
                    loop {
                        let done = raised[i].load(SeqCst);
                        match guard.check() {
                            Err(Interrupt::Requested) => break,
                            Ok(_) => assert!(!done, "worker {i}: a completed raise was missed"),
                            Err(other) => panic!("worker {i}: {other:?}"),
                        }
                        thread::yield_now();
                    }
                    assert!(guard.check().is_ok(), "taken twice");
                } else {
                    signal::interruptible(|| {
                        while !signal::poll() {
                            thread::park();
                        }
                    });
                    assert_eq!(signal::take_interrupt(), Some(Interrupt::Requested));
                    assert_eq!(signal::take_interrupt(), None);
                }
            }
        });
        let raisers = spawn_all(2, {
            let (interrupters, raised) = (Arc::clone(&interrupters), Arc::clone(&raised));
            move |r| {
                for i in (r..WORKERS).step_by(2) {
                    let interrupter = loop {
                        if let Some(x) = interrupters.lock().unwrap()[i].clone() {
                            break x;
                        }
                        thread::yield_now();
                    };
                    interrupter.interrupt().unwrap();
                    raised[i].store(true, SeqCst);
                }
            }
        });
        join_all(raisers);
        join_all(workers);
        let mut guard = gil.acquire();
        assert_eq!(guard.check(), Ok(Turn::Kept), "a count was left over");
    });
}
