//! `GilCell` misuse (issue #15): each case a typed `BorrowError` with its message, or the
//! documented panic, and the cell and GIL usable afterwards. Rows in `BEHAVIOUR.md`.

use std::sync::Arc;

use gil_core::{BorrowError, GilCell, Mode};
use gil_test_support::{join, spawn};

use crate::cell::{MODES, assert_cell_usable, gil, panic_of};

#[test]
fn a_guard_of_another_gil_is_refused() {
    for mode in MODES {
        let (a, b) = (gil(mode), gil(mode));
        let cell = GilCell::new(&a, 0u64);
        let guard = b.acquire();
        let e = cell.try_borrow(&guard).unwrap_err();
        assert_eq!(e, BorrowError::WrongGil);
        assert_eq!(
            e.to_string(),
            "the guard belongs to a different gil than the cell"
        );
        assert_eq!(
            cell.try_borrow_mut(&guard).unwrap_err(),
            BorrowError::WrongGil
        );
        let msg = panic_of(|| drop(cell.borrow_mut(&guard)));
        assert!(msg.contains("different gil"), "{msg}");
        drop(guard);
        assert_cell_usable(&a, &cell);
    }
}

#[test]
fn an_outer_guard_inside_allow_threads_is_not_held() {
    let gil = gil(Mode::Enabled);
    let cell = GilCell::new(&gil, 0u64);
    let outer = gil.acquire();
    let mut inner = gil.acquire();
    inner.allow_threads(|| {
        assert_eq!(cell.try_borrow(&outer).unwrap_err(), BorrowError::NotHeld);
        // A guard acquired inside is current, the outer one still is not.
        let fresh = gil.acquire();
        assert_eq!(*cell.borrow(&fresh), 0);
        assert_eq!(
            cell.try_borrow_mut(&outer).unwrap_err(),
            BorrowError::NotHeld
        );
    });
    *cell.borrow_mut(&outer) += 1;
    drop((inner, outer));
    assert_cell_usable(&gil, &cell);
}

#[test]
fn releasing_the_gil_with_a_borrow_alive_panics_and_changes_nothing() {
    for mode in MODES {
        let gil = gil(mode);
        let cell = GilCell::new(&gil, 0u64);
        let outer = gil.acquire();
        let mut inner = gil.acquire();
        let r = cell.borrow(&outer);
        let msg = panic_of(|| inner.allow_threads(|| unreachable!("must not run")));
        assert!(msg.contains("holding a GilCell borrow"), "{mode:?}: {msg}");
        let msg = panic_of(|| gil_core::allow_threads(|| unreachable!("must not run")));
        assert!(msg.contains("holding a GilCell borrow"), "{mode:?}: {msg}");
        assert!(gil.is_held_by_current_thread(), "{mode:?}");
        drop(r);
        // No borrow left: both release again.
        inner.allow_threads(|| assert!(!gil.is_held_by_current_thread()));
        gil_core::allow_threads(|| ());
        drop((inner, outer));
        assert_cell_usable(&gil, &cell);
    }
}

#[test]
fn free_threaded_waiting_while_holding_a_borrow_would_deadlock() {
    let gil = gil(Mode::FreeThreaded);
    let a = Arc::new(GilCell::new(&gil, 0u64));
    let b = GilCell::new(&gil, 0u64);
    let (taken_tx, taken_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = {
        let (gil, a) = (gil.clone(), a.clone());
        spawn("holder", move || {
            let guard = gil.acquire();
            let _w = a.borrow_mut(&guard);
            taken_tx.send(()).unwrap();
            done_rx.recv().unwrap();
        })
    };
    gil_test_support::recv(&taken_rx);
    let guard = gil.acquire();
    let mine = b.borrow_mut(&guard);
    let e = a.try_borrow(&guard).unwrap_err();
    assert_eq!(e, BorrowError::WouldDeadlock);
    assert!(e.to_string().contains("could deadlock"), "{e}");
    drop(mine);
    done_tx.send(()).unwrap();
    join(holder);
    assert_eq!(*a.borrow(&guard), 0); // free again: waits for nobody
}

#[test]
fn an_outer_arc_guard_inside_allow_threads_is_not_held() {
    let gil = gil(Mode::Enabled);
    let cell = GilCell::new(&gil, 0u64);
    let outer = gil.acquire_arc();
    let mut inner = gil.acquire_arc();
    inner.allow_threads(|| {
        assert_eq!(cell.try_borrow(&outer).unwrap_err(), BorrowError::NotHeld);
    });
    assert_eq!(*cell.borrow(&outer), 0);
}
