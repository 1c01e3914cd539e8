//! `GilCell` under load (issue 15): what the cell runs share. The runs: `cells_mutators.rs`
//! (eight threads mutating shared cells under both modes, with exact end states),
//! `cells_panics.rs` (panics inside borrows) and `cells_hot.rs` (a hot free-threaded cell).
//!
//! With the GIL enabled the GIL is the cells' lock, so a load and a store through two separate
//! borrows in one hold (no `check()` between) are one atomic step, and so is the update of a
//! pair of cells: the runs check both, exactly, at the end and whenever a thread looks.
//! Free-threaded, each borrow locks its cell only: read-modify-writes go through one mutable
//! borrow, a pair is updated and read with both cells borrowed at once, and a thread that
//! already holds a borrow gets `WouldDeadlock` instead of waiting, which the threads count and
//! retry.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{BorrowError, Gil, GilCell, GilGuard, Mode, Policy};
use gil_test_support::{Watchdog, serial, spawn};

use crate::{INTERVAL, THREADS, join_all, run_time};

/// Cells `0..SINGLES` are incremented one at a time.
pub(crate) const SINGLES: usize = 8;
/// Cells `SINGLES..CELLS` form pairs `(SINGLES + 2k, SINGLES + 2k + 1)`, always updated
/// together: the two must be equal whenever a thread looks.
pub(crate) const CELLS: usize = 16;
pub(crate) const PAIRS: usize = (CELLS - SINGLES) / 2;

/// The GILs the runs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setup {
    Fair,
    CPython,
    FreeThreaded,
}

impl Setup {
    pub(crate) fn gil(self) -> Gil {
        let builder = Gil::builder().switch_interval(INTERVAL);
        match self {
            Self::Fair => builder.policy(Policy::Fair),
            Self::CPython => builder.policy(Policy::CPython),
            Self::FreeThreaded => builder.mode(Mode::FreeThreaded),
        }
        .build()
        .expect("a non-zero interval is valid")
    }

    pub(crate) fn free_threaded(self) -> bool {
        self == Self::FreeThreaded
    }
}

/// What the threads of one run share.
pub(crate) struct Shared {
    pub(crate) cells: Vec<GilCell<u64>>,
    /// Each thread's log pushes, `id << 32 | seq`, in the order they happened.
    pub(crate) log: GilCell<Vec<u64>>,
}

impl Shared {
    pub(crate) fn new(gil: &Gil) -> Arc<Self> {
        Arc::new(Self {
            cells: (0..CELLS).map(|_| GilCell::new(gil, 0)).collect(),
            log: GilCell::new(gil, Vec::new()),
        })
    }

    pub(crate) fn pair(&self, k: usize) -> (&GilCell<u64>, &GilCell<u64>) {
        (
            &self.cells[SINGLES + 2 * k],
            &self.cells[SINGLES + 2 * k + 1],
        )
    }
}

/// What one thread did; every count exact.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    /// Cell increments (a pair update counts two).
    pub(crate) increments: u64,
    pub(crate) pair_updates: u64,
    pub(crate) pair_reads: u64,
    pub(crate) nested_reads: u64,
    pub(crate) two_cell: u64,
    pub(crate) pushes: u64,
    pub(crate) releases: u64,
    /// `WouldDeadlock` answers (free-threaded), each followed by dropping every borrow and
    /// trying again.
    pub(crate) retries: u64,
    /// `check()` calls that handed the GIL over.
    pub(crate) switches: u64,
    pub(crate) panics: u64,
}

impl Tally {
    pub(crate) fn sum(tallies: &[Self]) -> Self {
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
pub(crate) fn spin(n: u64) {
    for i in 0..n {
        std::hint::black_box(i);
    }
}

/// After a `WouldDeadlock`, with every borrow dropped: let the holder finish.
pub(crate) fn back_off(retries: u64) {
    if retries.is_multiple_of(4) {
        thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// Adds one to `cell`. With the GIL enabled through two borrows, a load then a store (only
/// the GIL keeps it exact); free-threaded in one mutable borrow (the cell's lock does).
pub(crate) fn increment(free_threaded: bool, cell: &GilCell<u64>, guard: &GilGuard<'_>) {
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
pub(crate) fn second_mut<'g>(
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

/// Every cell can be borrowed mutably: no flag or lock was left behind. Holds a borrow of a
/// cell of its own meanwhile, so that free-threaded a cell still locked answers
/// `WouldDeadlock` instead of waiting for good.
pub(crate) fn assert_all_free<T>(gil: &Gil, cells: &[&GilCell<T>]) {
    let guard = gil.acquire();
    let sentinel = GilCell::new(gil, ());
    let _held = sentinel.borrow(&guard);
    for (i, cell) in cells.iter().enumerate() {
        if let Err(e) = cell.try_borrow_mut(&guard) {
            panic!("cell {i} still borrowed after every thread ended: {e}");
        }
    }
}

/// What one thread of a run does: `(setup, gil, shared, id, end)`, until `end`.
pub(crate) type Worker = fn(Setup, &Gil, &Shared, u64, Instant) -> Tally;

/// A run of [`THREADS`] threads doing `worker` on fresh shared cells for [`run_time`], under
/// the serial lock and a watchdog named `name`: the GIL, the cells, each thread's tally and
/// how long the run took.
pub(crate) fn run_workers(
    setup: Setup,
    name: &'static str,
    worker: Worker,
) -> (Gil, Arc<Shared>, Vec<Tally>, Duration) {
    let _serial = serial();
    let _watchdog = Watchdog::start(name, run_time() + Duration::from_secs(90));
    let gil = setup.gil();
    let shared = Shared::new(&gil);
    let start = Instant::now();
    let end = start + run_time();
    let handles = (0..THREADS)
        .map(|id| {
            let (gil, shared) = (gil.clone(), Arc::clone(&shared));
            spawn(format!("{name}-{id}"), move || {
                worker(setup, &gil, &shared, id as u64, end)
            })
        })
        .collect();
    let tallies = join_all(&gil, handles, run_time() + Duration::from_secs(30));
    (gil, shared, tallies, start.elapsed())
}
