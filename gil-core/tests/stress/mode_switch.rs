//! `GilCell`s across run-time mode switches (issue 15): eight threads mutate shared cells
//! while switchers flip the GIL between enabled and free-threaded at random intervals
//! (microseconds to a few milliseconds) for the whole run, with exact end states.
//!
//! A worker (`mode_switch_worker.rs`) reads `gil.mode()` with its guard current, then runs a
//! *marked section* (cell operations, no `check()`, no release): the mode cannot change
//! inside one, since enabling waits for the worker to stop or detach and disabling needs the
//! GIL it holds. What it does depends on the mode it saw, as in `cells_mutators.rs`: some
//! cells always take one mutable borrow per increment (exact in both modes); others, with the
//! GIL enabled, a load and a store through two borrows, and pairs four separate borrows (only
//! the GIL keeps those exact); free-threaded, pairs are held both at once (`WouldDeadlock`:
//! drop, retry, count). A section entered enabled must find nobody else inside, and a
//! free-threaded one no section entered enabled; free-threaded ones overlap (counted, and
//! asserted to happen at all on two cores or more).
//!
//! One switcher flips the mode all run long; a second one switches in bursts, to random
//! modes; worker 0 flips it itself every few milliseconds. Switchers sometimes hold a guard,
//! or switch from inside `allow_threads`. The run starts in a mode chosen by the seed,
//! `GIL_STRESS_SEED` or else the clock, printed (it fixes the operations, not the schedule).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gil_core::{Gil, GilCell, GilStats, Mode, Policy};
use gil_test_support::{Rng, Watchdog, env_size, per_second, serial, spawn};

use crate::cells::{assert_all_free, spin};
use crate::mode_switch_worker::{CELLS, PAIRS, SINGLES, Shared, Tally, ix, other, worker};
use crate::{INTERVAL, THREADS, join_all, run_time};

/// What one switcher did.
#[derive(Clone, Debug, Default)]
struct Switches {
    /// `set_mode` calls, per target mode ([`ix`]).
    calls: [u64; 2],
    /// Calls that found the GIL in the other mode just before.
    flips: u64,
    total: Duration,
    longest: Duration,
}

/// Switcher `id`: `set_mode` until `end`, after pauses of a few microseconds to 4 ms. The
/// first flips the mode each time; the second alternates bursts of random targets with idle
/// spells of up to 20 ms.
fn switcher(gil: &Gil, id: u64, seed: u64, end: Instant) -> Switches {
    let mut rng = Rng::new(seed ^ 0x5EED ^ id);
    let mut s = Switches::default();
    let mut burst_end = Instant::now();
    while Instant::now() < end {
        if id > 0 && Instant::now() >= burst_end {
            thread::sleep(rng.micros(20_000));
            burst_end = Instant::now() + rng.micros(20_000);
        }
        match rng.below(4) {
            0 => spin(rng.below(20_000)),
            1 => thread::sleep(rng.micros(500)),
            2 => thread::sleep(rng.micros(1_000)),
            _ => thread::sleep(Duration::from_millis(1) + rng.micros(3_000)),
        }
        let before = gil.mode();
        let target = if id > 0 && rng.below(2) == 0 {
            before
        } else {
            other(before)
        };
        let start = Instant::now();
        match rng.below(8) {
            0 => {
                let _guard = gil.acquire();
                gil.set_mode(target);
                assert!(gil.is_held_by_current_thread(), "a switch lost the gil");
            }
            1 => gil.acquire().allow_threads(|| gil.set_mode(target)),
            _ => gil.set_mode(target),
        }
        let took = start.elapsed();
        s.calls[ix(target)] += 1;
        s.flips += u64::from(before != target);
        s.total += took;
        s.longest = s.longest.max(took);
    }
    s
}

/// Prints a run's figures.
fn print_figures(
    what: &str,
    elapsed: Duration,
    tallies: &[Tally],
    by_switcher: &[Switches],
    stats: &GilStats,
) {
    let mut t = Tally::default();
    for x in tallies {
        t.add(x);
    }
    let calls: Vec<[u64; 2]> = by_switcher.iter().map(|s| s.calls).collect();
    let n: u64 = calls.iter().flatten().sum();
    let total: Duration = by_switcher.iter().map(|s| s.total).sum();
    println!(
        "{what}, {THREADS} workers, {elapsed:.2?}: switchers' set_mode calls [to enabled, to \
         free-threaded] {calls:?} ({} found the other mode), worker 0's {}; set_mode mean \
         {:.1?}, longest {:.1?}",
        by_switcher.iter().map(|s| s.flips).sum::<u64>(),
        tallies[0].switches,
        total / u32::try_from(n.max(1)).expect("fits"),
        by_switcher
            .iter()
            .map(|s| s.longest)
            .max()
            .unwrap_or_default(),
    );
    println!(
        "  {} increments ({:.0}/s), {} pair updates, {} pair reads; sections [enabled, \
         free-threaded] {:?}, free-threaded overlaps {}; check() hand-overs {} (enabled), \
         stops {} (free-threaded); {} checks/releases crossed a switch; {} releases, {} \
         nested; {} WouldDeadlock retries; gil switches {}, forced {}",
        t.increments,
        per_second(t.increments, elapsed),
        t.pair_updates,
        t.pair_reads,
        t.sections,
        t.overlaps,
        t.checks[0],
        t.checks[1],
        t.crossed,
        t.releases,
        t.nested,
        t.retries,
        stats.switches,
        stats.forced_switches,
    );
    let per_worker: Vec<[u64; 2]> = tallies.iter().map(|x| x.sections).collect();
    println!("  sections per worker [enabled, free-threaded] {per_worker:?}");
}

/// Eight workers and two switchers for [`run_time`]; see the module docs.
fn mode_switches(policy: Policy) {
    let _serial = serial();
    let _watchdog = Watchdog::start("mode switches", run_time() + Duration::from_secs(90));
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seed: u64 = env_size("GIL_STRESS_SEED", u64::from(clock.subsec_nanos()));
    let start_mode = if seed.is_multiple_of(2) {
        Mode::Enabled
    } else {
        Mode::FreeThreaded
    };
    let gil = Gil::builder()
        .policy(policy)
        .mode(start_mode)
        .switch_interval(INTERVAL)
        .build()
        .expect("a non-zero interval is valid");
    let shared = Arc::new(Shared {
        cells: (0..CELLS).map(|_| GilCell::new(&gil, 0)).collect(),
        inside: AtomicU64::new(0),
    });
    let start = Instant::now();
    let end = start + run_time();
    let workers = (0..THREADS as u64)
        .map(|id| {
            let (gil, shared) = (gil.clone(), Arc::clone(&shared));
            spawn(format!("worker-{id}"), move || {
                worker(&gil, &shared, id, seed, end)
            })
        })
        .collect();
    let switchers = (0..2)
        .map(|id| {
            let gil = gil.clone();
            spawn(format!("switcher-{id}"), move || {
                switcher(&gil, id, seed, end)
            })
        })
        .collect();
    let tallies = join_all(&gil, workers, run_time() + Duration::from_secs(30));
    let by_switcher = join_all(&gil, switchers, Duration::from_secs(30));
    let elapsed = start.elapsed();
    let what = format!("{policy:?} mode switches (seed {seed}, from {start_mode:?})");
    print_figures(&what, elapsed, &tallies, &by_switcher, &gil.stats());
    let mut t = Tally::default();
    for x in &tallies {
        t.add(x);
    }
    let guard = gil.acquire();
    let sum: u64 = shared.cells.iter().map(|c| *c.borrow(&guard)).sum();
    for k in 0..PAIRS {
        let (a, b) = (
            &shared.cells[SINGLES + 2 * k],
            &shared.cells[SINGLES + 2 * k + 1],
        );
        assert_eq!(
            *a.borrow(&guard),
            *b.borrow(&guard),
            "{what}: pair {k} torn"
        );
    }
    drop(guard);
    assert_eq!(sum, t.increments, "{what}: lost updates");
    assert_eq!(t.torn, 0, "{what}: a pair seen torn");
    assert_eq!(t.violations, 0, "{what}: two threads inside while enabled");
    assert_eq!(t.drifts, 0, "{what}: the mode changed inside a section");
    assert_eq!(t.enabled_refusals, 0, "{what}: WouldDeadlock enabled");
    assert!(
        t.sections.iter().all(|&n| n > 0),
        "{what}: a mode never ran"
    );
    let flips: u64 = by_switcher.iter().map(|s| s.flips).sum();
    assert!(flips > 0 && t.crossed > 0, "{what}: the mode never changed");
    assert!(
        tallies.iter().all(|x| x.sections[0] + x.sections[1] > 0),
        "{what}: a worker made no progress"
    );
    // Hundreds of thousands a second on two cores; one core could in principle miss them.
    if thread::available_parallelism().is_ok_and(|n| n.get() >= 2) {
        assert!(
            t.overlaps > 0,
            "{what}: free-threaded sections never overlapped"
        );
    }
    let all: Vec<&GilCell<u64>> = shared.cells.iter().collect();
    assert_all_free(&gil, &all);
    assert_eq!(gil.waiters(), 0);
    assert!(!gil.is_held_by_current_thread());
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_eight_threads_mutating_cells_across_mode_switches_lose_no_update() {
    mode_switches(Policy::Fair);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn cpython_eight_threads_mutating_cells_across_mode_switches_lose_no_update() {
    mode_switches(Policy::CPython);
}
