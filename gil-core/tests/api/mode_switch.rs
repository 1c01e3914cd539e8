//! `Gil::set_mode` (issue #15): a free-threaded GIL enabled at run time and back, with
//! threads in `check()` loops, in `allow_threads`, holding nested guards, and using cells.

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;

use gil_core::{Gil, GilCell, Mode, Policy};
use gil_test_support::{join, join_all, spawn, wait_until};

use crate::cell::panic_of;

fn gil(policy: Policy, mode: Mode) -> Gil {
    Gil::builder()
        .policy(policy)
        .mode(mode)
        .switch_interval(Duration::from_millis(1))
        .build()
        .unwrap()
}

/// The mode that is not `mode`.
fn other(mode: Mode) -> Mode {
    if mode == Mode::Enabled {
        Mode::FreeThreaded
    } else {
        Mode::Enabled
    }
}

/// Threads that hold `gil` and run `check()` loops, each counting the sections it ran while
/// it was alone inside (`inside` > 1 means two threads ran at once).
struct Loops {
    stop: Arc<AtomicBool>,
    inside: Arc<AtomicUsize>,
    overlaps: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<u64>>,
}

impl Loops {
    fn start(gil: &Gil, n: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let inside = Arc::new(AtomicUsize::new(0));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicUsize::new(0));
        let threads = (0..n)
            .map(|i| {
                let (gil, stop, inside, overlaps, running) = (
                    gil.clone(),
                    stop.clone(),
                    inside.clone(),
                    overlaps.clone(),
                    running.clone(),
                );
                spawn(format!("loop {i}"), move || {
                    let mut guard = gil.acquire();
                    running.fetch_add(1, SeqCst);
                    let mut sections = 0u64;
                    while !stop.load(SeqCst) {
                        if inside.fetch_add(1, SeqCst) > 0 {
                            overlaps.fetch_add(1, SeqCst);
                        }
                        std::hint::black_box(sections);
                        inside.fetch_sub(1, SeqCst);
                        sections += 1;
                        guard.check().unwrap();
                    }
                    sections
                })
            })
            .collect();
        wait_until("every loop runs", || running.load(SeqCst) == n);
        Self {
            stop,
            inside,
            overlaps,
            threads,
        }
    }

    /// Overlaps counted from now on.
    fn reset_overlaps(&self) {
        self.overlaps.store(0, SeqCst);
    }

    fn overlaps(&self) -> usize {
        self.overlaps.load(SeqCst)
    }

    fn stop(self) -> Vec<u64> {
        self.stop.store(true, SeqCst);
        let _ = &self.inside;
        join_all(self.threads)
    }
}

#[test]
fn enabling_a_free_threaded_gil_stops_check_loops_then_excludes() {
    for policy in [Policy::Fair, Policy::CPython] {
        let gil = gil(policy, Mode::FreeThreaded);
        let loops = Loops::start(&gil, 4);
        gil.set_mode(Mode::Enabled);
        assert_eq!(gil.mode(), Mode::Enabled);
        loops.reset_overlaps();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(loops.overlaps(), 0, "{policy:?}: two threads ran at once");
        let switches_before = gil.stats().switches;
        wait_until("the loops take turns", || {
            gil.stats().switches > switches_before + 4
        });
        let sections = loops.stop();
        assert!(sections.iter().all(|&s| s > 0), "{sections:?}");
        assert!(!gil.is_held_by_current_thread());
    }
}

#[test]
fn making_an_enabled_gil_free_threaded_lets_queued_threads_run_together() {
    for policy in [Policy::Fair, Policy::CPython] {
        let gil = gil(policy, Mode::Enabled);
        let loops = Loops::start(&gil, 3);
        gil.set_mode(Mode::FreeThreaded);
        assert_eq!(gil.mode(), Mode::FreeThreaded);
        // All three hold it at once now: each sees the others hold it too.
        let holders = Arc::new(AtomicUsize::new(0));
        let probes: Vec<_> = (0..2)
            .map(|i| {
                let (gil, holders) = (gil.clone(), holders.clone());
                spawn(format!("probe {i}"), move || {
                    let _guard = gil.acquire();
                    holders.fetch_add(1, SeqCst);
                    wait_until("both probes hold the gil", || holders.load(SeqCst) == 2);
                })
            })
            .collect();
        join_all(probes);
        wait_until("the loops overlap", || loops.overlaps() > 0);
        loops.stop();
    }
}

#[test]
fn the_caller_keeps_its_nested_guards_and_frames_across_switches() {
    let gil = gil(Policy::Fair, Mode::FreeThreaded);
    let outer = gil.acquire();
    let mut inner = gil.acquire();
    for mode in [Mode::Enabled, Mode::FreeThreaded, Mode::Enabled] {
        gil.set_mode(mode);
        assert!(gil.is_held_by_current_thread(), "{mode:?}");
        // A switch inside an `allow_threads` frame: the suspended hold comes back in the
        // mode the GIL is in when the frame ends.
        inner.allow_threads(|| {
            assert!(!gil.is_held_by_current_thread());
            gil.set_mode(other(mode));
            let fresh = gil.acquire();
            drop(fresh);
            gil.set_mode(mode);
        });
        assert!(gil.is_held_by_current_thread(), "{mode:?}");
        assert!(!inner.check().unwrap().switched());
    }
    drop(inner);
    assert!(gil.is_held_by_current_thread());
    drop(outer);
    assert!(!gil.is_held_by_current_thread());
    // Enabled and free: another thread takes it at once.
    let other = gil.clone();
    assert!(join(spawn("taker", move || other.try_acquire().is_ok())));
}

#[test]
fn a_thread_in_allow_threads_comes_back_in_the_new_mode() {
    let gil = gil(Policy::Fair, Mode::FreeThreaded);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<()>();
    let (away_tx, away_rx) = std::sync::mpsc::channel();
    let sleeper = {
        let gil = gil.clone();
        spawn("sleeper", move || {
            let mut guard = gil.acquire();
            guard.allow_threads(|| {
                away_tx.send(()).unwrap();
                back_rx.recv().unwrap();
            });
            let mode = gil.mode();
            let held = gil.is_held_by_current_thread();
            drop(guard);
            (mode, held)
        })
    };
    gil_test_support::recv(&away_rx);
    // The sleeper is detached: the switch does not wait for it.
    gil.set_mode(Mode::Enabled);
    let guard = gil.acquire();
    back_tx.send(()).unwrap();
    // It comes back wanting the enabled GIL, which we hold: it waits.
    wait_until("the sleeper queues", || gil.waiters() == 1);
    drop(guard);
    assert_eq!(join(sleeper), (Mode::Enabled, true));
}

#[test]
fn cells_stay_exact_across_repeated_switches() {
    const THREADS: u64 = 4;
    let gil = gil(Policy::Fair, Mode::FreeThreaded);
    let cell = Arc::new(GilCell::new(&gil, 0u64));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let (gil, cell, stop) = (gil.clone(), cell.clone(), stop.clone());
            spawn(format!("worker {i}"), move || {
                let mut guard = gil.acquire();
                let mut n = 0u64;
                while !stop.load(SeqCst) {
                    *cell.borrow_mut(&guard) += 1;
                    n += 1;
                    if n.is_multiple_of(64) {
                        guard.allow_threads(std::thread::yield_now);
                    }
                    guard.check().unwrap();
                }
                n
            })
        })
        .collect();
    for round in 0..20 {
        let mode = if round % 2 == 0 {
            Mode::Enabled
        } else {
            Mode::FreeThreaded
        };
        gil.set_mode(mode);
        assert_eq!(gil.mode(), mode);
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, SeqCst);
    let total: u64 = join_all(workers).iter().sum();
    assert_eq!(*cell.borrow(&gil.acquire()), total);
}

#[test]
fn concurrent_switchers_serialize() {
    let gil = gil(Policy::Fair, Mode::FreeThreaded);
    let loops = Loops::start(&gil, 2);
    let switchers: Vec<_> = (0..3)
        .map(|i| {
            let gil = gil.clone();
            spawn(format!("switcher {i}"), move || {
                let _guard = gil.acquire();
                for round in 0..10 {
                    gil.set_mode(if (round + i) % 2 == 0 {
                        Mode::Enabled
                    } else {
                        Mode::FreeThreaded
                    });
                }
            })
        })
        .collect();
    join_all(switchers);
    gil.set_mode(Mode::Enabled);
    loops.reset_overlaps();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(loops.overlaps(), 0);
    loops.stop();
}

#[test]
fn switching_to_the_current_mode_does_nothing() {
    let gil = gil(Policy::Fair, Mode::Enabled);
    let guard = gil.acquire();
    gil.set_mode(Mode::Enabled);
    assert!(gil.is_held_by_current_thread());
    assert_eq!(gil.stats().mode_switches, 0);
    gil.set_mode(Mode::FreeThreaded);
    gil.set_mode(Mode::FreeThreaded);
    gil.set_mode(Mode::Enabled);
    assert_eq!(gil.stats().mode_switches, 2);
    drop(guard);
}

#[test]
fn a_switch_with_a_borrow_alive_panics_and_changes_nothing() {
    for mode in [Mode::Enabled, Mode::FreeThreaded] {
        let gil = gil(Policy::Fair, mode);
        let cell = GilCell::new(&gil, 0u64);
        let guard = gil.acquire();
        let r = cell.borrow(&guard);
        let target = other(mode);
        let msg = panic_of(|| gil.set_mode(target));
        assert!(msg.contains("holding a GilCell borrow"), "{msg}");
        assert_eq!(gil.mode(), mode);
        assert!(gil.is_held_by_current_thread());
        drop(r);
        drop(guard);
        gil.set_mode(target);
        assert_eq!(gil.mode(), target);
    }
}
