//! What a worker of the mode-switch runs (`mode_switch.rs`) does: marked sections of cell
//! operations chosen by the mode it sees, `check()` after each, releases, nested guards and
//! (worker 0) switches of its own.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::Instant;

use gil_core::{BorrowError, Gil, GilCell, GilGuard, Mode, RefMut};
use gil_test_support::Rng;

use crate::cells::{back_off, spin};

/// Cells `0..RMW`: one mutable borrow per increment, in either mode.
const RMW: usize = 4;
/// Cells `RMW..SINGLES`: enabled, a load and a store through separate borrows.
pub(crate) const SINGLES: usize = 8;
/// Cells `SINGLES..CELLS`: pairs `(SINGLES + 2k, SINGLES + 2k + 1)`, always equal.
pub(crate) const PAIRS: usize = 4;
pub(crate) const CELLS: usize = SINGLES + 2 * PAIRS;

/// Index of `mode` in the per-mode tallies: 0 enabled, 1 free-threaded.
pub(crate) fn ix(mode: Mode) -> usize {
    usize::from(mode != Mode::Enabled)
}

pub(crate) fn other(mode: Mode) -> Mode {
    if mode == Mode::Enabled {
        Mode::FreeThreaded
    } else {
        Mode::Enabled
    }
}

/// What the workers share.
pub(crate) struct Shared {
    pub(crate) cells: Vec<GilCell<u64>>,
    /// Threads inside a marked section: the low half counts all of them, the high half those
    /// that entered with the GIL enabled ([`weight`]).
    pub(crate) inside: AtomicU64,
}

/// A section's weight in [`Shared::inside`].
fn weight(mode: Mode) -> u64 {
    if mode == Mode::Enabled {
        1 << 32 | 1
    } else {
        1
    }
}

/// What one worker did and saw; every count exact.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    /// Cell increments (a pair update counts two).
    pub(crate) increments: u64,
    /// Marked sections entered, per mode ([`ix`]).
    pub(crate) sections: [u64; 2],
    /// Free-threaded sections that found another thread inside (expected).
    pub(crate) overlaps: u64,
    /// Sections that broke exclusion: entered enabled with anyone inside, or free-threaded
    /// with one entered enabled inside.
    pub(crate) violations: u64,
    /// Sections whose mode was different at their end.
    pub(crate) drifts: u64,
    /// `WouldDeadlock` answers (each followed by dropping every borrow and retrying), and
    /// those of them given with the GIL enabled (a bug).
    pub(crate) retries: u64,
    pub(crate) enabled_refusals: u64,
    pub(crate) pair_updates: u64,
    pub(crate) pair_reads: u64,
    /// Pair reads that found the two cells different.
    pub(crate) torn: u64,
    /// `check()` calls that returned `true`, per mode before the call: hand-overs enabled,
    /// stops for a switch free-threaded.
    pub(crate) checks: [u64; 2],
    /// Checks and releases after which the mode had changed.
    pub(crate) crossed: u64,
    pub(crate) releases: u64,
    pub(crate) nested: u64,
    /// This worker's own `set_mode` calls.
    pub(crate) switches: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, o: &Self) {
        self.increments += o.increments;
        for m in 0..2 {
            self.sections[m] += o.sections[m];
            self.checks[m] += o.checks[m];
        }
        self.overlaps += o.overlaps;
        self.violations += o.violations;
        self.drifts += o.drifts;
        self.retries += o.retries;
        self.enabled_refusals += o.enabled_refusals;
        self.pair_updates += o.pair_updates;
        self.pair_reads += o.pair_reads;
        self.torn += o.torn;
        self.crossed += o.crossed;
        self.releases += o.releases;
        self.nested += o.nested;
        self.switches += o.switches;
    }
}

/// A cell index in `from..to`.
fn pick(rng: &mut Rng, from: usize, to: usize) -> usize {
    from + usize::try_from(rng.below((to - from) as u64)).expect("small")
}

/// A mutable borrow of `cell` while this thread holds another borrow, or `None` after a
/// `WouldDeadlock` (counted).
fn second<'g>(
    cell: &'g GilCell<u64>,
    guard: &'g GilGuard<'_>,
    mode: Mode,
    tally: &mut Tally,
) -> Option<RefMut<'g, u64>> {
    match cell.try_borrow_mut(guard) {
        Ok(w) => Some(w),
        Err(BorrowError::WouldDeadlock) => {
            tally.retries += 1;
            tally.enabled_refusals += u64::from(mode == Mode::Enabled);
            None
        }
        Err(e) => panic!("second borrow failed: {e}"),
    }
}

/// One marked section through `guard`, which must be current: a random cell operation, made
/// the way the mode seen on entry allows (module docs of `mode_switch.rs`).
fn section(gil: &Gil, guard: &GilGuard<'_>, shared: &Shared, rng: &mut Rng, tally: &mut Tally) {
    let mode = gil.mode();
    let enabled = mode == Mode::Enabled;
    let prev = shared.inside.fetch_add(weight(mode), SeqCst);
    tally.sections[ix(mode)] += 1;
    if (enabled && prev != 0) || prev >> 32 != 0 {
        tally.violations += 1;
    } else if prev != 0 {
        tally.overlaps += 1;
    }
    let cells = &shared.cells;
    match rng.below(16) {
        0..=4 => {
            *cells[pick(rng, 0, RMW)].borrow_mut(guard) += 1;
            tally.increments += 1;
        }
        5..=7 => {
            let cell = &cells[pick(rng, RMW, SINGLES)];
            if enabled {
                let v = *cell.borrow(guard);
                spin(8);
                *cell.borrow_mut(guard) = std::hint::black_box(v) + 1;
            } else {
                *cell.borrow_mut(guard) += 1;
            }
            tally.increments += 1;
        }
        8..=10 => {
            let k = SINGLES + 2 * pick(rng, 0, PAIRS);
            let (a, b) = (&cells[k], &cells[k + 1]);
            if enabled && rng.below(2) == 0 {
                // Four separate borrows: only the GIL keeps the pair equal.
                for cell in [a, b] {
                    let v = *cell.borrow(guard);
                    spin(8);
                    *cell.borrow_mut(guard) = v + 1;
                }
            } else {
                loop {
                    let mut x = a.borrow_mut(guard);
                    if let Some(mut y) = second(b, guard, mode, tally) {
                        *x += 1;
                        spin(16);
                        *y += 1;
                        break;
                    }
                    drop(x);
                    back_off(tally.retries);
                }
            }
            tally.increments += 2;
            tally.pair_updates += 1;
        }
        11..=13 => {
            let k = SINGLES + 2 * pick(rng, 0, PAIRS);
            let (x, y) = loop {
                let x = cells[k].borrow(guard);
                match cells[k + 1].try_borrow(guard) {
                    Ok(y) => break (*x, *y),
                    Err(BorrowError::WouldDeadlock) => {
                        tally.retries += 1;
                        tally.enabled_refusals += u64::from(enabled);
                    }
                    Err(e) => panic!("pair read failed: {e}"),
                }
                drop(x);
                back_off(tally.retries);
            };
            tally.torn += u64::from(x != y);
            tally.pair_reads += 1;
        }
        _ => {
            // A single incremented while holding a shared borrow of a pair cell.
            let (dst, src) = (pick(rng, 0, SINGLES), pick(rng, SINGLES, CELLS));
            loop {
                let r = cells[src].borrow(guard);
                if let Some(mut w) = second(&cells[dst], guard, mode, tally) {
                    std::hint::black_box(*r);
                    *w += 1;
                    break;
                }
                drop(r);
                back_off(tally.retries);
            }
            tally.increments += 1;
        }
    }
    tally.drifts += u64::from(gil.mode() != mode);
    shared.inside.fetch_sub(weight(mode), SeqCst);
}

/// `check()` through `guard`, counted.
fn check(gil: &Gil, guard: &mut GilGuard<'_>, tally: &mut Tally) {
    let before = gil.mode();
    if guard.check().unwrap().switched() {
        tally.checks[ix(before)] += 1;
    }
    tally.crossed += u64::from(gil.mode() != before);
}

/// Worker `id`: batches of sections under one guard until `end`, a `check()` after each,
/// now and then a nested guard, a release or (worker 0, every few ms) a switch, the guard
/// dropped after each batch. Even workers are CPU-bound (long batches, rare releases: holds
/// outlast the switch interval, so `check()` hands over or stops), odd ones release often.
pub(crate) fn worker(gil: &Gil, shared: &Shared, id: u64, seed: u64, end: Instant) -> Tally {
    let mut rng = Rng::new(seed ^ id.wrapping_mul(0x5851_F42D_4C95_7F2D));
    let mut tally = Tally::default();
    let (batch, release_one_in) = if id.is_multiple_of(2) {
        (1 << 15, 4096)
    } else {
        (64, 16)
    };
    let mut next_switch = Instant::now();
    while Instant::now() < end {
        let mut guard = gil.acquire();
        for _ in 0..=rng.below(batch) {
            section(gil, &guard, shared, &mut rng, &mut tally);
            check(gil, &mut guard, &mut tally);
            if rng.below(32) == 0 {
                let mut inner = gil.acquire();
                section(gil, &inner, shared, &mut rng, &mut tally);
                check(gil, &mut inner, &mut tally);
                if rng.below(release_one_in) == 0 {
                    inner.allow_threads(thread::yield_now);
                    tally.releases += 1;
                }
                tally.nested += 1;
            }
            let before = gil.mode();
            if rng.below(release_one_in) == 0 {
                // No borrow alive (the borrow checker sees to the guard's own).
                match rng.below(4) {
                    0 => guard.allow_threads(thread::yield_now),
                    1 => guard.allow_threads(|| thread::sleep(rng.micros(50))),
                    2 => gil_core::allow_threads(thread::yield_now),
                    _ => gil_core::sleep(rng.micros(20)),
                }
                tally.releases += 1;
                tally.crossed += u64::from(gil.mode() != before);
            } else if id == 0 && Instant::now() >= next_switch {
                // Under the guard; sometimes a nested one too.
                let inner = (rng.below(2) == 0).then(|| gil.acquire());
                gil.set_mode(other(before));
                assert!(gil.is_held_by_current_thread(), "a switch lost the gil");
                drop(inner);
                tally.switches += 1;
                next_switch = Instant::now() + rng.micros(5_000);
            }
        }
        drop(guard);
    }
    gil_core::assert_may_block();
    tally
}
