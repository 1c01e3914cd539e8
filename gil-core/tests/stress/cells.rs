//! `GilCell` under load (issue 15): eight threads mutating shared cells under both modes, with
//! exact end states; panics inside borrows; a hot free-threaded cell.
//!
//! With the GIL enabled the GIL is the cells' lock, so a load and a store through two separate
//! borrows in one hold (no `check()` between) are one atomic step, and so is the update of a
//! pair of cells: the runs check both, exactly, at the end and whenever a thread looks.
//! Free-threaded, each borrow locks its cell only: read-modify-writes go through one mutable
//! borrow, a pair is updated and read with both cells borrowed at once, and a thread that
//! already holds a borrow gets `WouldDeadlock` instead of waiting, which the threads count and
//! retry.
//!
//! `GIL_STRESS_HOT_SPIN` (default 300) sets how many spin iterations a writer of the hot cell
//! holds it for.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{BorrowError, Gil, GilCell, GilGuard, Mode, Policy};
use gil_test_support::{
    Rng, Watchdog, env_size, expect_deliberate, per_second, quiet_panic, serial, spawn,
};

use crate::{INTERVAL, THREADS, join_all, print_threads, run_time};

/// Cells `0..SINGLES` are incremented one at a time.
const SINGLES: usize = 8;
/// Cells `SINGLES..CELLS` form pairs `(SINGLES + 2k, SINGLES + 2k + 1)`, always updated
/// together: the two must be equal whenever a thread looks.
const CELLS: usize = 16;
const PAIRS: usize = (CELLS - SINGLES) / 2;

/// The GILs the runs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    Fair,
    CPython,
    FreeThreaded,
}

impl Setup {
    fn gil(self) -> Gil {
        let builder = Gil::builder().switch_interval(INTERVAL);
        match self {
            Self::Fair => builder.policy(Policy::Fair),
            Self::CPython => builder.policy(Policy::CPython),
            Self::FreeThreaded => builder.mode(Mode::FreeThreaded),
        }
        .build()
        .expect("a non-zero interval is valid")
    }

    fn free_threaded(self) -> bool {
        self == Self::FreeThreaded
    }
}

/// What the threads of one run share.
struct Shared {
    cells: Vec<GilCell<u64>>,
    /// Each thread's log pushes, `id << 32 | seq`, in the order they happened.
    log: GilCell<Vec<u64>>,
}

impl Shared {
    fn new(gil: &Gil) -> Arc<Self> {
        Arc::new(Self {
            cells: (0..CELLS).map(|_| GilCell::new(gil, 0)).collect(),
            log: GilCell::new(gil, Vec::new()),
        })
    }

    fn pair(&self, k: usize) -> (&GilCell<u64>, &GilCell<u64>) {
        (
            &self.cells[SINGLES + 2 * k],
            &self.cells[SINGLES + 2 * k + 1],
        )
    }
}

/// What one thread did; every count exact.
#[derive(Clone, Debug, Default)]
struct Tally {
    /// Cell increments (a pair update counts two).
    increments: u64,
    pair_updates: u64,
    pair_reads: u64,
    nested_reads: u64,
    two_cell: u64,
    pushes: u64,
    releases: u64,
    /// `WouldDeadlock` answers (free-threaded), each followed by dropping every borrow and
    /// trying again.
    retries: u64,
    /// `check()` calls that handed the GIL over.
    switches: u64,
    panics: u64,
}

impl Tally {
    fn sum(tallies: &[Self]) -> Self {
        let mut tally = Self::default();
        for x in tallies {
            tally.increments += x.increments;
            tally.pair_updates += x.pair_updates;
            tally.pair_reads += x.pair_reads;
            tally.nested_reads += x.nested_reads;
            tally.two_cell += x.two_cell;
            tally.pushes += x.pushes;
            tally.releases += x.releases;
            tally.retries += x.retries;
            tally.switches += x.switches;
            tally.panics += x.panics;
        }
        tally
    }
}

/// A little work that the compiler cannot remove, to widen the windows a race would need.
fn spin(n: u64) {
    for i in 0..n {
        std::hint::black_box(i);
    }
}

/// After a `WouldDeadlock`, with every borrow dropped: let the holder finish.
fn back_off(retries: u64) {
    if retries.is_multiple_of(4) {
        thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// Adds one to `cell`. With the GIL enabled through two borrows, a load then a store (only
/// the GIL keeps it exact); free-threaded in one mutable borrow (the cell's lock does).
fn increment(free_threaded: bool, cell: &GilCell<u64>, guard: &GilGuard<'_>) {
    if free_threaded {
        let mut w = cell.borrow_mut(guard);
        let v = *w;
        *w = std::hint::black_box(v) + 1;
    } else {
        let v = *cell.borrow(guard);
        *cell.borrow_mut(guard) = std::hint::black_box(v) + 1;
    }
}

/// A mutable borrow of `second` while holding one of `first`, or `None` (counted in
/// `retries`) when the second would have to wait while the first is held.
fn second_mut<'g>(
    free_threaded: bool,
    second: &'g GilCell<u64>,
    guard: &'g GilGuard<'_>,
    retries: &mut u64,
) -> Option<gil_core::RefMut<'g, u64>> {
    match second.try_borrow_mut(guard) {
        Ok(w) => Some(w),
        Err(BorrowError::WouldDeadlock) if free_threaded => {
            *retries += 1;
            None
        }
        Err(e) => panic!("second borrow failed: {e}"),
    }
}

/// One mutator: random operations on the shared cells until `end`, a `check()` after each,
/// now and then a release of the GIL.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per operation, read in one place"
)]
fn mutate(setup: Setup, gil: &Gil, shared: &Shared, id: u64, end: Instant) -> Tally {
    let ft = setup.free_threaded();
    let cells = &shared.cells;
    let mut rng = Rng::new(id.wrapping_add(0xCE11));
    let mut tally = Tally::default();
    // Even threads are CPU-bound (a hold outlasts the switch interval, so `check()` hands the
    // GIL over mid-run), odd ones release it every few dozen operations.
    let release_one_in = if id.is_multiple_of(2) { 1 << 16 } else { 32 };
    let mut guard = gil.acquire();
    while Instant::now() < end {
        match rng.below(32) {
            0..=9 => {
                let i = usize::try_from(rng.below(SINGLES as u64)).expect("small");
                increment(ft, &cells[i], &guard);
                tally.increments += 1;
            }
            10..=12 => {
                // Nested shared borrows of one cell, then an increment if it is a single.
                let i = usize::try_from(rng.below(CELLS as u64)).expect("small");
                {
                    let a = cells[i].borrow(&guard);
                    let b = cells[i].borrow(&guard);
                    assert_eq!(*a, *b);
                    let e = cells[i].try_borrow_mut(&guard).map(|_| ()).unwrap_err();
                    assert_eq!(e, BorrowError::AlreadyBorrowed);
                }
                tally.nested_reads += 1;
                if i < SINGLES {
                    increment(ft, &cells[i], &guard);
                    tally.increments += 1;
                }
            }
            13..=17 => {
                // A mutable borrow of single `i` while holding a shared borrow of `j`.
                let i = usize::try_from(rng.below(SINGLES as u64)).expect("small");
                let j =
                    (i + 1 + usize::try_from(rng.below(CELLS as u64 - 1)).expect("small")) % CELLS;
                loop {
                    let src = cells[j].borrow(&guard);
                    if let Some(mut dst) = second_mut(ft, &cells[i], &guard, &mut tally.retries) {
                        std::hint::black_box(*src);
                        *dst += 1;
                        break;
                    }
                    drop(src);
                    back_off(tally.retries);
                }
                tally.two_cell += 1;
                tally.increments += 1;
            }
            18..=22 => {
                let (a, b) = shared.pair(usize::try_from(rng.below(PAIRS as u64)).expect("small"));
                if ft {
                    // Both borrowed at once, lower index first.
                    loop {
                        let mut x = a.borrow_mut(&guard);
                        if let Some(mut y) = second_mut(ft, b, &guard, &mut tally.retries) {
                            *x += 1;
                            spin(16);
                            *y += 1;
                            break;
                        }
                        drop(x);
                        back_off(tally.retries);
                    }
                } else {
                    // Four separate borrows in one hold: only the GIL keeps the pair equal.
                    increment(ft, a, &guard);
                    spin(16);
                    increment(ft, b, &guard);
                }
                tally.pair_updates += 1;
                tally.increments += 2;
            }
            23..=28 => {
                let (a, b) = shared.pair(usize::try_from(rng.below(PAIRS as u64)).expect("small"));
                let (x, y) = if ft {
                    loop {
                        let x = a.borrow(&guard);
                        match b.try_borrow(&guard) {
                            Ok(y) => break (*x, *y),
                            Err(BorrowError::WouldDeadlock) => tally.retries += 1,
                            Err(e) => panic!("second borrow failed: {e}"),
                        }
                        drop(x);
                        back_off(tally.retries);
                    }
                } else {
                    let x = *a.borrow(&guard);
                    spin(16);
                    (x, *b.borrow(&guard))
                };
                assert_eq!(x, y, "{setup:?}: a pair torn apart");
                tally.pair_reads += 1;
            }
            29 => {
                let tag = (id << 32) | tally.pushes;
                if ft {
                    shared.log.borrow_mut(&guard).push(tag);
                } else {
                    let len = shared.log.borrow(&guard).len();
                    let mut log = shared.log.borrow_mut(&guard);
                    assert_eq!(log.len(), len, "the log changed within one hold");
                    log.push(tag);
                }
                tally.pushes += 1;
            }
            _ => {
                // Through a nested guard.
                let inner = gil.acquire();
                let i = usize::try_from(rng.below(SINGLES as u64)).expect("small");
                increment(ft, &cells[i], &inner);
                tally.increments += 1;
            }
        }
        if rng.below(release_one_in) == 0 {
            // Release the GIL with no borrow alive (the borrow checker sees to the guard's
            // own; the free functions check at run time).
            match rng.below(4) {
                0 => guard.allow_threads(thread::yield_now),
                1 => {
                    let d = rng.micros(50);
                    guard.allow_threads(|| thread::sleep(d));
                }
                2 => gil_core::allow_threads(thread::yield_now),
                _ => gil_core::sleep(rng.micros(20)),
            }
            tally.releases += 1;
        }
        if guard.check() {
            tally.switches += 1;
        }
    }
    gil_core::assert_may_block();
    tally
}

/// Every cell can be borrowed mutably: no flag or lock was left behind. Holds a borrow of a
/// cell of its own meanwhile, so that free-threaded a cell still locked answers
/// `WouldDeadlock` instead of waiting for good.
fn assert_all_free<T>(gil: &Gil, cells: &[&GilCell<T>]) {
    let guard = gil.acquire();
    let sentinel = GilCell::new(gil, ());
    let _held = sentinel.borrow(&guard);
    for (i, cell) in cells.iter().enumerate() {
        if let Err(e) = cell.try_borrow_mut(&guard) {
            panic!("cell {i} still borrowed after every thread ended: {e}");
        }
    }
}

/// The sum of the cells, and that each pair is equal.
fn end_state(setup: Setup, gil: &Gil, shared: &Shared) -> u64 {
    let guard = gil.acquire();
    for k in 0..PAIRS {
        let (a, b) = shared.pair(k);
        assert_eq!(
            *a.borrow(&guard),
            *b.borrow(&guard),
            "{setup:?}: pair {k} torn"
        );
    }
    shared.cells.iter().map(|c| *c.borrow(&guard)).sum()
}

/// The log holds every push, each thread's in the order it made them.
fn assert_log(gil: &Gil, shared: &Shared, tallies: &[Tally]) {
    let guard = gil.acquire();
    let log = shared.log.borrow(&guard);
    assert_eq!(
        log.len() as u64,
        Tally::sum(tallies).pushes,
        "log pushes lost"
    );
    let mut next = vec![0u64; tallies.len()];
    for &tag in log.iter() {
        let id = usize::try_from(tag >> 32).expect("small");
        assert_eq!(
            tag & 0xFFFF_FFFF,
            next[id],
            "thread {id}'s pushes out of order"
        );
        next[id] += 1;
    }
    for (id, t) in tallies.iter().enumerate() {
        assert_eq!(next[id], t.pushes, "thread {id}'s pushes");
    }
}

/// Eight threads mutating sixteen cells and a log for [`run_time`]: exact sum, pairs never
/// torn, the log complete and in order, every cell free at the end.
fn mutators(setup: Setup) {
    let _serial = serial();
    let _watchdog = Watchdog::start("cells mutators", run_time() + Duration::from_secs(90));
    let gil = setup.gil();
    let shared = Shared::new(&gil);
    let start = Instant::now();
    let end = start + run_time();
    let handles = (0..THREADS)
        .map(|id| {
            let (gil, shared) = (gil.clone(), Arc::clone(&shared));
            spawn(format!("cells-{id}"), move || {
                mutate(setup, &gil, &shared, id as u64, end)
            })
        })
        .collect();
    let tallies = join_all(&gil, handles, run_time() + Duration::from_secs(30));
    let elapsed = start.elapsed();
    let total = Tally::sum(&tallies);
    let sum = end_state(setup, &gil, &shared);
    let stats = gil.stats();
    println!(
        "{setup:?} cells: {THREADS} threads, {CELLS} cells, {elapsed:.2?}: {} increments \
         ({:.0}/s), {} pair updates, {} pair reads, {} nested reads, {} two-cell borrows, {} \
         log pushes, {} releases; {} WouldDeadlock retries; {} check() switches (gil: \
         switches {}, forced {})",
        total.increments,
        per_second(total.increments, elapsed),
        total.pair_updates,
        total.pair_reads,
        total.nested_reads,
        total.two_cell,
        total.pushes,
        total.releases,
        total.retries,
        total.switches,
        stats.switches,
        stats.forced_switches,
    );
    let per_thread: Vec<u64> = tallies.iter().map(|t| t.increments).collect();
    println!("  increments per thread {per_thread:?}");
    if !setup.free_threaded() {
        print_threads(&stats);
    }
    assert_eq!(sum, total.increments, "{setup:?}: lost updates");
    assert_log(&gil, &shared, &tallies);
    assert!(
        per_thread.iter().all(|&n| n > 0),
        "a thread made no progress: {per_thread:?}"
    );
    if setup.free_threaded() {
        assert_eq!(total.switches, 0, "check() switched free-threaded");
    } else {
        assert_eq!(total.retries, 0, "WouldDeadlock with the gil enabled");
        // The pairs and the log were checked across hand-overs at `check()`, not only across
        // releases.
        assert!(total.switches > 0, "check() never handed the gil over");
    }
    let all: Vec<&GilCell<u64>> = shared.cells.iter().collect();
    assert_all_free(&gil, &all);
    assert_all_free(&gil, &[&shared.log]);
    assert_eq!(gil.waiters(), 0);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_eight_threads_mutating_cells_lose_no_update() {
    mutators(Setup::Fair);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn cpython_eight_threads_mutating_cells_lose_no_update() {
    mutators(Setup::CPython);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn free_threaded_eight_threads_mutating_cells_lose_no_update() {
    mutators(Setup::FreeThreaded);
}

// ---- panics inside borrows -------------------------------------------------------------------

/// One operation under `guard` that ends in the deliberate panic, with borrows alive (or, for
/// op 3, inside `allow_threads`); increments it made before panicking are counted in `tally`.
fn panicking_op(
    op: u64,
    ft: bool,
    gil: &Gil,
    guard: &mut GilGuard<'_>,
    shared: &Shared,
    rng: &mut Rng,
    tally: &mut Tally,
) {
    let cells = &shared.cells;
    let i = usize::try_from(rng.below(CELLS as u64)).expect("small");
    let held = &*guard;
    match op {
        0 => {
            let mut w = cells[i].borrow_mut(held);
            *w += 1;
            tally.increments += 1;
            quiet_panic();
        }
        1 => {
            // Two shared borrows of `j` and a mutable one of `i`.
            let j = (i + 1) % CELLS;
            let a = cells[j].borrow(held);
            let _b = cells[j].borrow(held);
            std::hint::black_box(*a);
            if let Some(mut w) = second_mut(ft, &cells[i], held, &mut tally.retries) {
                *w += 1;
                tally.increments += 1;
            }
            quiet_panic();
        }
        2 => {
            let inner = gil.acquire();
            let mut w = cells[i].borrow_mut(&inner);
            *w += 1;
            tally.increments += 1;
            quiet_panic();
        }
        3 => guard.allow_threads(|| quiet_panic()),
        _ => {
            let _r = cells[i].borrow(held);
            match shared.log.try_borrow_mut(held) {
                Ok(mut log) => {
                    log.push(0);
                    tally.pushes += 1;
                }
                Err(BorrowError::WouldDeadlock) if ft => tally.retries += 1,
                Err(e) => panic!("log borrow failed: {e}"),
            }
            quiet_panic();
        }
    }
}

/// Panicking thread `id`: rounds of operations under one guard, most ending in a deliberate
/// panic caught here, then one under a fresh guard (whose GIL the unwinding releases).
fn panicker(setup: Setup, gil: &Gil, shared: &Shared, id: u64, end: Instant) -> Tally {
    let ft = setup.free_threaded();
    let mut rng = Rng::new(id.wrapping_add(0xBAD));
    let mut tally = Tally::default();
    while Instant::now() < end {
        let mut guard = gil.acquire();
        for _ in 0..32 {
            let op = rng.below(6);
            if op == 5 {
                let i = usize::try_from(rng.below(CELLS as u64)).expect("small");
                increment(ft, &shared.cells[i], &guard);
                tally.increments += 1;
            } else {
                expect_deliberate(catch_unwind(AssertUnwindSafe(|| {
                    panicking_op(op, ft, gil, &mut guard, shared, &mut rng, &mut tally);
                })));
                tally.panics += 1;
                gil_core::assert_may_block();
                assert!(
                    gil.is_held_by_current_thread(),
                    "the outer guard lost the gil"
                );
            }
            if guard.check() {
                tally.switches += 1;
            }
        }
        drop(guard);
        let i = usize::try_from(rng.below(CELLS as u64)).expect("small");
        expect_deliberate(catch_unwind(AssertUnwindSafe(|| {
            let guard = gil.acquire();
            let mut w = shared.cells[i].borrow_mut(&guard);
            *w += 1;
            tally.increments += 1;
            quiet_panic();
        })));
        tally.panics += 1;
        gil_core::assert_may_block();
        assert!(
            !gil.is_held_by_current_thread(),
            "a panic under a guard kept the gil"
        );
    }
    // Before the thread exits: no borrow counted on it.
    gil_core::assert_may_block();
    tally
}

/// Eight threads panicking inside borrows: afterwards every cell can be borrowed mutably,
/// every increment made before a panic is there, and no thread is left counting a borrow.
fn panics(setup: Setup) {
    let _serial = serial();
    let _watchdog = Watchdog::start("cells panics", run_time() + Duration::from_secs(90));
    let gil = setup.gil();
    let shared = Shared::new(&gil);
    let start = Instant::now();
    let end = start + run_time();
    let handles = (0..THREADS)
        .map(|id| {
            let (gil, shared) = (gil.clone(), Arc::clone(&shared));
            spawn(format!("panicker-{id}"), move || {
                panicker(setup, &gil, &shared, id as u64, end)
            })
        })
        .collect();
    let tallies = join_all(&gil, handles, run_time() + Duration::from_secs(30));
    let elapsed = start.elapsed();
    let total = Tally::sum(&tallies);
    let all: Vec<&GilCell<u64>> = shared.cells.iter().collect();
    assert_all_free(&gil, &all);
    assert_all_free(&gil, &[&shared.log]);
    let guard = gil.acquire();
    let sum: u64 = shared.cells.iter().map(|c| *c.borrow(&guard)).sum();
    let pushes = shared.log.borrow(&guard).len() as u64;
    drop(guard);
    println!(
        "{setup:?} cell panics: {THREADS} threads, {elapsed:.2?}: {} deliberate panics \
         ({:.0}/s), {} increments, {} log pushes, {} WouldDeadlock; {} check() switches",
        total.panics,
        per_second(total.panics, elapsed),
        total.increments,
        total.pushes,
        total.retries,
        total.switches,
    );
    assert_eq!(sum, total.increments, "{setup:?}: increments lost");
    assert_eq!(pushes, total.pushes, "{setup:?}: log pushes lost");
    assert!(
        tallies.iter().all(|t| t.panics > 0),
        "a thread made no progress"
    );
    assert_eq!(gil.waiters(), 0);
    assert!(!gil.is_held_by_current_thread());
    gil_core::assert_may_block();
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn fair_panics_inside_borrows_leave_every_cell_free() {
    panics(Setup::Fair);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn cpython_panics_inside_borrows_leave_every_cell_free() {
    panics(Setup::CPython);
}

#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn free_threaded_panics_inside_borrows_leave_every_cell_free() {
    panics(Setup::FreeThreaded);
}

// ---- one hot free-threaded cell ----------------------------------------------------------------

/// What a thread of the hot-cell run did.
#[derive(Debug, Default)]
struct Hot {
    /// Writes (each adds 2), or reads.
    ops: u64,
    /// Reads refused with `WouldDeadlock` (a reader holding its own cell).
    refused: u64,
}

/// A writer: holds the hot cell mutably for a while, the value odd meanwhile.
fn hot_writer(gil: &Gil, hot: &GilCell<u64>, id: u64, end: Instant) -> Hot {
    let mut rng = Rng::new(id.wrapping_add(0x407));
    let hold = env_size("GIL_STRESS_HOT_SPIN", 300u64);
    let mut h = Hot::default();
    let mut guard = gil.acquire();
    while Instant::now() < end {
        {
            let mut w = hot.borrow_mut(&guard);
            *w += 1;
            spin(hold / 2 + rng.below(hold));
            *w += 1;
        }
        h.ops += 1;
        spin(rng.below(hold));
        guard.check();
    }
    h
}

/// A reader: nested shared borrows of the hot cell, never an odd value, never going back;
/// one read in four made while holding a cell of its own, which must answer `WouldDeadlock`
/// rather than wait when the hot cell is taken.
fn hot_reader(gil: &Gil, hot: &GilCell<u64>, id: u64, end: Instant) -> Hot {
    let mut rng = Rng::new(id.wrapping_add(0x4EAD));
    let hold = env_size("GIL_STRESS_HOT_SPIN", 300u64).max(4);
    let mine = GilCell::new(gil, 0u64);
    let (mut h, mut last) = (Hot::default(), 0);
    let mut guard = gil.acquire();
    while Instant::now() < end {
        let seen = if rng.below(4) == 0 {
            let _mine = mine.borrow_mut(&guard);
            match hot.try_borrow(&guard) {
                Ok(r) => Some(*r),
                Err(BorrowError::WouldDeadlock) => None,
                Err(e) => panic!("reader's borrow failed: {e}"),
            }
        } else {
            let r = hot.borrow(&guard);
            let again = hot.borrow(&guard);
            assert_eq!(*r, *again);
            spin(rng.below(hold / 4));
            Some(*r)
        };
        match seen {
            Some(v) => {
                assert!(v % 2 == 0, "read {v} mid-write");
                assert!(v >= last, "read {v} after {last}");
                last = v;
                h.ops += 1;
            }
            None => h.refused += 1,
        }
        spin(rng.below(hold));
        guard.check();
    }
    h
}

/// Free-threaded: four writers hold one hot cell mutably for a few hundred spins each time,
/// four readers borrow it shared (nested); everyone waits on the cell's own lock. Exact total,
/// no torn or stale read, and every thread gets the cell.
#[test]
#[ignore = "stress: cargo xtask verify --stress"]
fn free_threaded_hot_cell_readers_and_writers_all_progress() {
    const WRITERS: usize = THREADS / 2;
    let _serial = serial();
    let _watchdog = Watchdog::start("cells hot", run_time() + Duration::from_secs(90));
    let gil = Setup::FreeThreaded.gil();
    let hot = Arc::new(GilCell::new(&gil, 0u64));
    let start = Instant::now();
    let end = start + run_time();
    let handles = (0..THREADS)
        .map(|id| {
            let (gil, hot) = (gil.clone(), Arc::clone(&hot));
            if id < WRITERS {
                spawn(format!("writer-{id}"), move || {
                    hot_writer(&gil, &hot, id as u64, end)
                })
            } else {
                spawn(format!("reader-{}", id - WRITERS), move || {
                    hot_reader(&gil, &hot, id as u64, end)
                })
            }
        })
        .collect();
    let hots = join_all(&gil, handles, run_time() + Duration::from_secs(30));
    let elapsed = start.elapsed();
    let writes: u64 = hots[..WRITERS].iter().map(|h| h.ops).sum();
    let reads: u64 = hots[WRITERS..].iter().map(|h| h.ops).sum();
    let refused: u64 = hots.iter().map(|h| h.refused).sum();
    let ops: Vec<u64> = hots.iter().map(|h| h.ops).collect();
    println!(
        "free-threaded hot cell: {WRITERS} writers + {} readers, {elapsed:.2?}: {writes} writes \
         ({:.0}/s), {reads} reads ({:.0}/s), {refused} WouldDeadlock; per thread {ops:?}",
        THREADS - WRITERS,
        per_second(writes, elapsed),
        per_second(reads, elapsed),
    );
    assert_all_free(&gil, &[&*hot]);
    assert_eq!(*hot.borrow(&gil.acquire()), 2 * writes, "lost writes");
    assert!(
        ops.iter().all(|&n| n > 0),
        "a thread never got the hot cell: {ops:?}"
    );
}
