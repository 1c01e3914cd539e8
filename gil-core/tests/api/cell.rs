//! `GilCell` and `GilOnceCell` (issue #15): borrows in both modes, the borrow errors, the
//! "a thread holding a borrow never blocks" rule, panics, and exact end states across threads.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use gil_core::{BorrowError, Gil, GilCell, GilOnceCell, Mode};
use gil_test_support::{join, join_all, panic_message, spawn, wait_until};

pub(crate) const MODES: [Mode; 2] = [Mode::Enabled, Mode::FreeThreaded];

pub(crate) fn gil(mode: Mode) -> Gil {
    Gil::builder().mode(mode).build().unwrap()
}

/// Runs `f`, which must panic, and returns its message.
pub(crate) fn panic_of(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("should have panicked");
    panic_message(&*payload)
}

/// The cell can be borrowed mutably (so no flag or lock was left behind), and the GIL is free.
pub(crate) fn assert_cell_usable(gil: &Gil, cell: &GilCell<u64>) {
    let guard = gil.acquire();
    drop(cell.try_borrow_mut(&guard).expect("the cell is free"));
    drop(guard);
    assert!(!gil.is_held_by_current_thread());
}

#[test]
fn borrows_follow_refcell_rules_in_both_modes() {
    for mode in MODES {
        let gil = gil(mode);
        let cell = GilCell::new(&gil, 1u64);
        let guard = gil.acquire();
        {
            let (a, b) = (cell.borrow(&guard), cell.borrow(&guard));
            assert_eq!(*a + *b, 2);
            let e = cell.try_borrow_mut(&guard).unwrap_err();
            assert_eq!(e, BorrowError::AlreadyBorrowed, "{mode:?}");
            assert_eq!(e.to_string(), "already borrowed");
        }
        {
            let mut w = cell.borrow_mut(&guard);
            *w += 1;
            let e = cell.try_borrow(&guard).unwrap_err();
            assert_eq!(e, BorrowError::AlreadyMutablyBorrowed, "{mode:?}");
            assert_eq!(e.to_string(), "already mutably borrowed");
            let e = cell.try_borrow_mut(&guard).unwrap_err();
            assert_eq!(e, BorrowError::AlreadyBorrowed, "{mode:?}");
        }
        assert_eq!(cell.replace(&guard, 5), 2);
        drop(guard);
        assert_cell_usable(&gil, &GilCell::new(&gil, 0));
        assert_eq!(cell.into_inner(), 5);
    }
}

#[test]
fn check_does_not_hand_over_while_a_borrow_is_alive() {
    let gil = gil(Mode::Enabled);
    let cell = Arc::new(GilCell::new(&gil, 0u64));
    let outer = gil.acquire();
    let waiter = {
        let (gil, cell) = (gil.clone(), cell.clone());
        spawn("waiter", move || {
            let guard = gil.acquire();
            *cell.borrow_mut(&guard) += 1;
        })
    };
    wait_until("the waiter queues", || gil.waiters() == 1);
    let mut inner = gil.acquire();
    let r = cell.borrow_mut(&outer);
    gil.request_drop();
    for _ in 0..1_000 {
        assert!(
            !inner.check().unwrap().switched(),
            "handed over with a borrow alive"
        );
    }
    drop(r);
    gil.request_drop();
    wait_until("check() hands over", || inner.check().unwrap().switched());
    drop((inner, outer));
    join(waiter);
    assert_eq!(*cell.borrow(&gil.acquire()), 1);
}

#[test]
fn threads_mutating_shared_cells_lose_no_update() {
    const THREADS: usize = 4;
    const ROUNDS: u64 = if cfg!(miri) { 100 } else { 2_000 };
    for mode in MODES {
        let gil = gil(mode);
        let cells = Arc::new([GilCell::new(&gil, 0u64), GilCell::new(&gil, 0u64)]);
        let handles = (0..THREADS).map(|i| {
            let (gil, cells) = (gil.clone(), cells.clone());
            spawn(format!("mutator {i}"), move || {
                let mut guard = gil.acquire();
                for n in 0..ROUNDS {
                    {
                        // load, add, store: only the cell's protection keeps it exact
                        let mut w = cells[(n % 2) as usize].borrow_mut(&guard);
                        let v = *w;
                        std::hint::black_box(&v);
                        *w = v + 1;
                    }
                    guard.check().unwrap();
                }
            })
        });
        join_all(handles.collect::<Vec<_>>());
        let guard = gil.acquire();
        let total: u64 = cells.iter().map(|c| *c.borrow(&guard)).sum();
        assert_eq!(total, THREADS as u64 * ROUNDS, "{mode:?}");
    }
}

#[test]
fn free_threaded_borrow_waits_for_the_other_thread() {
    let gil = gil(Mode::FreeThreaded);
    let cell = Arc::new(GilCell::new(&gil, 0u64));
    let guard = gil.acquire();
    let mut w = cell.borrow_mut(&guard);
    let started = Arc::new(AtomicBool::new(false));
    let other = {
        let (gil, cell, started) = (gil.clone(), cell.clone(), started.clone());
        spawn("borrower", move || {
            let guard = gil.acquire();
            started.store(true, SeqCst);
            let v = *cell.borrow(&guard); // waits for the main thread's borrow
            v
        })
    };
    wait_until("the borrower starts", || started.load(SeqCst));
    std::thread::sleep(gil_test_support::SHORT);
    *w = 42;
    drop(w);
    assert_eq!(join(other), 42);
    drop(guard);
}

#[test]
fn once_cell_initialises_once() {
    let gil = gil(Mode::Enabled);
    let cell = GilOnceCell::new();
    let guard = gil.acquire();
    let calls = AtomicUsize::new(0);
    for _ in 0..3 {
        let v = cell.get_or_init(&guard, || {
            calls.fetch_add(1, SeqCst);
            7
        });
        assert_eq!(*v, 7);
    }
    assert_eq!(calls.load(SeqCst), 1);
}

#[test]
fn once_cell_initialiser_that_releases_the_gil_cannot_deadlock() {
    let gil = gil(Mode::Enabled);
    let cell = Arc::new(GilOnceCell::new());
    let (in_init_tx, in_init_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let first = {
        let (gil, cell) = (gil.clone(), cell.clone());
        spawn("first", move || {
            let guard = gil.acquire();
            *cell.get_or_init(&guard, || {
                gil_core::allow_threads(|| {
                    in_init_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                });
                1
            })
        })
    };
    gil_test_support::recv(&in_init_rx);
    // The first initialiser released the GIL and is still running: we initialise meanwhile.
    let second = *cell.get_or_init(&gil.acquire(), || 2);
    go_tx.send(()).unwrap();
    assert_eq!(second, 2);
    assert_eq!(join(first), 2, "the first value stored wins");
}

#[test]
fn arc_guards_borrow_nest_and_release_like_guards() {
    for mode in MODES {
        let gil = gil(mode);
        let cell = Arc::new(GilCell::new(&gil, 0u64));
        let mut outer = gil.acquire_arc();
        let inner = gil.acquire(); // nests inside the owned guard
        *cell.borrow_mut(&outer) += 1;
        *cell.borrow_mut(&inner) += 1;
        drop(inner);
        outer.allow_threads(|| assert!(!gil.is_held_by_current_thread()));
        assert!(!outer.check().unwrap().switched());
        let handle = gil.clone();
        drop(gil);
        // The owned guard keeps the GIL alive and still releases it.
        assert!(handle.is_held_by_current_thread());
        drop(outer);
        assert!(!handle.is_held_by_current_thread());
        let t = {
            let (gil, cell) = (handle.clone(), cell.clone());
            spawn("other", move || *cell.borrow(&gil.acquire_arc()))
        };
        assert_eq!(join(t), 2);
        if mode == Mode::Enabled {
            let held = handle.acquire();
            let other = handle.clone();
            let r = spawn("try", move || other.try_acquire_arc().map(drop));
            assert!(join(r).is_err());
            drop(held);
        }
    }
}
