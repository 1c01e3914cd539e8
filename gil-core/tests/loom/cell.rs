//! `GilCell` (issue #15). The value sits in loom's `UnsafeCell` (`src/cell/slot.rs`) and each
//! borrow keeps loom's access token for its whole life, so any schedule in which two threads'
//! borrows overlap fails the model; an exact end count checks that no update was lost.

use std::sync::Arc;

use gil_core::{Gil, GilCell, Mode, Policy};
use gil_test_support::loom::model_with_bound;

use crate::support::POLICIES;

fn gil(policy: Policy, mode: Mode) -> Gil {
    Gil::builder()
        .policy(policy)
        .mode(mode)
        .build()
        .expect("valid interval")
}

/// Load, add, store with a safe point between borrows: one increment.
fn bump(cell: &GilCell<u64>, guard: &mut gil_core::GilGuard<'_>, gil: &Gil) {
    let v = *cell.borrow(guard);
    *cell.borrow_mut(guard) = v + 1;
    // Ask for a switch, as a waiter whose interval expired would; with the borrows dropped,
    // `check()` may hand over here.
    gil.request_drop();
    guard.check().unwrap();
}

/// With the GIL enabled the cell needs no lock of its own: two threads' borrows, with
/// hand-overs through `check()` between them, never overlap.
#[test]
fn enabled_borrows_never_overlap() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy, Mode::Enabled);
            let cell = Arc::new(GilCell::new(&gil, 0u64));
            let t = {
                let (gil, cell) = (gil.clone(), cell.clone());
                loom::thread::spawn(move || {
                    let mut guard = gil.acquire();
                    *cell.borrow_mut(&guard) += 1;
                    bump(&cell, &mut guard, &gil);
                })
            };
            let mut guard = gil.acquire();
            bump(&cell, &mut guard, &gil);
            drop(guard);
            t.join().unwrap();
            assert_eq!(*cell.borrow(&gil.acquire()), 3);
        });
    }
}

/// A borrow through an outer guard stays exclusive while a nested guard's `check()` is asked
/// to hand over: `check()` refuses while the borrow lives.
#[test]
fn enabled_check_does_not_hand_over_a_borrowed_cell() {
    loom::model(|| {
        let gil = gil(Policy::Fair, Mode::Enabled);
        let cell = Arc::new(GilCell::new(&gil, 0u64));
        let t = {
            let (gil, cell) = (gil.clone(), cell.clone());
            loom::thread::spawn(move || {
                let guard = gil.acquire();
                *cell.borrow_mut(&guard) += 1;
            })
        };
        let outer = gil.acquire();
        let mut inner = gil.acquire();
        {
            let mut w = cell.borrow_mut(&outer);
            gil.request_drop();
            inner.check().unwrap();
            *w += 10;
        }
        drop((inner, outer));
        t.join().unwrap();
        assert_eq!(*cell.borrow(&gil.acquire()), 11);
    });
}

/// Free-threaded, the cell is a lock: two threads (one nesting shared borrows) exclude each
/// other, and a waiter parked on the cell is always woken (a lost wake-up is a deadlock loom
/// reports).
#[test]
fn free_threaded_cell_excludes_and_wakes() {
    model_with_bound(3, || {
        let gil = gil(Policy::Fair, Mode::FreeThreaded);
        let cell = Arc::new(GilCell::new(&gil, 0u64));
        let t = {
            let (gil, cell) = (gil.clone(), cell.clone());
            loom::thread::spawn(move || {
                let guard = gil.acquire();
                *cell.borrow_mut(&guard) += 1;
            })
        };
        let guard = gil.acquire();
        {
            let a = cell.borrow(&guard);
            let b = cell.borrow(&guard);
            assert_eq!(*a, *b);
        }
        *cell.borrow_mut(&guard) += 1;
        t.join().unwrap();
        assert_eq!(*cell.borrow(&guard), 2);
    });
}

/// Three free-threaded borrowers of one cell: two may park at once, and one release must
/// wake both (or the one that re-parks is woken by the next release).
#[test]
fn free_threaded_two_waiters_are_both_woken() {
    model_with_bound(2, || {
        let gil = gil(Policy::Fair, Mode::FreeThreaded);
        let cell = Arc::new(GilCell::new(&gil, 0u64));
        let spawn_bumper = || {
            let (gil, cell) = (gil.clone(), cell.clone());
            loom::thread::spawn(move || {
                let guard = gil.acquire();
                *cell.borrow_mut(&guard) += 1;
            })
        };
        let (a, b) = (spawn_bumper(), spawn_bumper());
        let guard = gil.acquire();
        *cell.borrow_mut(&guard) += 1;
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(*cell.borrow(&guard), 3);
    });
}
