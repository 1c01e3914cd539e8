//! Eight threads panicking inside `GilCell` borrows (issue 15): afterwards every cell can be
//! borrowed mutably, no increment made before a panic is lost, and no thread is left
//! counting a borrow.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use gil_core::{BorrowError, Gil, GilCell, GilGuard};
use gil_test_support::{Rng, expect_deliberate, per_second, quiet_panic};

use crate::THREADS;
use crate::cells::{
    CELLS, Setup, Shared, Tally, assert_all_free, increment, run_workers, second_mut,
};

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
            if guard.check().unwrap().switched() {
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
    let (gil, shared, tallies, elapsed) = run_workers(setup, "panicker", panicker);
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
