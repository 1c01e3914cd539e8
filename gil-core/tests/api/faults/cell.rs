//! `GilCell` and `GilOnceCell` faults (issue #15): a panic while borrowed, inside an
//! initialiser, and a leaked borrow. Rows in `BEHAVIOUR.md`.

use std::sync::Arc;

use gil_core::{BorrowError, GilCell, GilOnceCell, Mode};
use gil_test_support::{DELIBERATE, join, quiet_panic, spawn};

use crate::cell::{MODES, assert_cell_usable, gil, panic_of};

#[test]
fn a_panic_while_borrowed_leaves_the_cell_and_gil_usable() {
    for mode in MODES {
        let gil = gil(mode);
        let cell = GilCell::new(&gil, 0u64);
        let msg = panic_of(|| {
            let guard = gil.acquire();
            let _r = cell.borrow(&guard);
            let other = GilCell::new(&gil, 1u64);
            let _m = other.borrow_mut(&guard);
            quiet_panic();
        });
        assert_eq!(msg, DELIBERATE);
        assert!(!gil.is_held_by_current_thread());
        assert_cell_usable(&gil, &cell);
        gil_core::assert_may_block(); // the thread's borrow count is back to zero
    }
}

#[test]
fn a_leaked_borrow_keeps_the_cell_borrowed_and_the_thread_from_blocking() {
    for mode in MODES {
        let gil = gil(mode);
        let cell = Arc::new(GilCell::new(&gil, 0u64));
        let leaker = {
            let (gil, cell) = (gil.clone(), cell.clone());
            spawn("leaker", move || {
                let mut guard = gil.acquire();
                std::mem::forget(cell.borrow(&guard));
                let msg = panic_of(|| guard.allow_threads(|| ()));
                assert!(msg.contains("holding a GilCell borrow"), "{msg}");
            })
        };
        join(leaker);
        if mode == Mode::Enabled {
            // The flag stays set for good (as a leaked `RefCell` borrow); the GIL is free.
            let guard = gil.acquire();
            assert_eq!(
                cell.try_borrow_mut(&guard).unwrap_err(),
                BorrowError::AlreadyBorrowed
            );
            assert_eq!(*cell.borrow(&guard), 0);
        }
    }
}

#[test]
fn a_panicking_once_cell_initialiser_leaves_it_empty() {
    let gil = gil(Mode::Enabled);
    let cell = GilOnceCell::<u32>::new();
    let guard = gil.acquire();
    let msg = panic_of(|| {
        cell.get_or_init(&guard, || quiet_panic());
    });
    assert_eq!(msg, DELIBERATE);
    assert!(cell.get().is_none());
    assert_eq!(*cell.get_or_init(&guard, || 7), 7);
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
}
