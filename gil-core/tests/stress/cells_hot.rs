//! One hot free-threaded `GilCell` (issue 15): writers hold it mutably for a while, readers
//! borrow it shared, everyone waits on the cell's own lock.
//!
//! `GIL_STRESS_HOT_SPIN` (default 300) sets how many spin iterations a writer of the hot cell
//! holds it for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gil_core::{BorrowError, Gil, GilCell};
use gil_test_support::{Rng, Watchdog, env_size, per_second, serial, spawn};

use crate::cells::{Setup, assert_all_free, spin};
use crate::{THREADS, join_all, run_time};

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
        guard.check().unwrap();
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
        guard.check().unwrap();
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
