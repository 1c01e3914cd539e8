//! `Gil::set_mode` (issue #15): the stop-the-world handshake and the hand-over of the enabled
//! lock. A `GilCell` (loom's `UnsafeCell`) is incremented on both sides of the switch, so any
//! schedule in which two threads touch it at once (a thread attached free-threaded while
//! another holds the enabled GIL, say) fails, and a lost wake-up is a deadlock loom reports.

use std::sync::Arc;

use gil_core::{Gil, GilCell, Mode, Policy};

use crate::support::POLICIES;

fn setup(policy: Policy, mode: Mode) -> (Gil, Arc<GilCell<u64>>) {
    let gil = Gil::builder()
        .policy(policy)
        .mode(mode)
        .build()
        .expect("valid interval");
    let cell = Arc::new(GilCell::new(&gil, 0u64));
    (gil, cell)
}

/// Runs `f` on a new loom thread with clones of `gil` and `cell`.
fn beside(
    gil: &Gil,
    cell: &Arc<GilCell<u64>>,
    f: fn(&Gil, &GilCell<u64>),
) -> loom::thread::JoinHandle<()> {
    let (gil, cell) = (gil.clone(), Arc::clone(cell));
    loom::thread::spawn(move || f(&gil, &cell))
}

fn bump(gil: &Gil, cell: &GilCell<u64>) {
    let guard = gil.acquire();
    *cell.borrow_mut(&guard) += 1;
}

/// An increment, a `check()` (where a switch may stop or borrow the GIL), an increment.
fn bump_check_bump(gil: &Gil, cell: &GilCell<u64>) {
    let mut guard = gil.acquire();
    *cell.borrow_mut(&guard) += 1;
    guard.check().unwrap();
    *cell.borrow_mut(&guard) += 1;
}

/// Free-threaded → enabled while another thread holds the GIL and calls `check()`: it stops
/// there (or detaches when it drops its guard), and afterwards the GIL excludes.
#[test]
fn enable_stops_a_thread_at_check() {
    for policy in POLICIES {
        loom::model(move || {
            let (gil, cell) = setup(policy, Mode::FreeThreaded);
            let t = beside(&gil, &cell, bump_check_bump);
            gil.set_mode(Mode::Enabled);
            bump(&gil, &cell);
            t.join().unwrap();
            assert_eq!(gil.mode(), Mode::Enabled);
            assert_eq!(*cell.borrow(&gil.acquire()), 3);
        });
    }
}

/// A fresh free-threaded acquire racing the switch: either the switcher sees the thread
/// attached and waits for it, or the thread sees the switch and takes the enabled GIL.
#[test]
fn enable_races_a_fresh_attach() {
    for policy in POLICIES {
        loom::model(move || {
            let (gil, cell) = setup(policy, Mode::FreeThreaded);
            let t = beside(&gil, &cell, bump);
            gil.set_mode(Mode::Enabled);
            bump(&gil, &cell);
            t.join().unwrap();
            assert_eq!(*cell.borrow(&gil.acquire()), 2);
        });
    }
}

/// A thread inside `allow_threads` during the switch takes its hold back in the new mode.
#[test]
fn enable_while_a_thread_is_in_allow_threads() {
    for policy in POLICIES {
        loom::model(move || {
            let (gil, cell) = setup(policy, Mode::FreeThreaded);
            let t = beside(&gil, &cell, |gil, cell| {
                let mut guard = gil.acquire();
                guard.allow_threads(|| ());
                *cell.borrow_mut(&guard) += 1;
            });
            gil.set_mode(Mode::Enabled);
            bump(&gil, &cell);
            t.join().unwrap();
            assert_eq!(*cell.borrow(&gil.acquire()), 2);
        });
    }
}

/// Enabled → free-threaded by a holder while another thread is queued for the GIL: the
/// queued thread gets the lock, sees the new mode and goes on free-threaded, passing the
/// lock on (a thread that kept it would deadlock the switch back).
#[test]
fn disable_with_a_thread_queued() {
    for policy in POLICIES {
        loom::model(move || {
            let (gil, cell) = setup(policy, Mode::Enabled);
            let guard = gil.acquire();
            let t = beside(&gil, &cell, bump);
            gil.set_mode(Mode::FreeThreaded);
            *cell.borrow_mut(&guard) += 1;
            drop(guard);
            t.join().unwrap();
            assert_eq!(gil.mode(), Mode::FreeThreaded);
            assert_eq!(*cell.borrow(&gil.acquire()), 2);
            // Nobody kept the enabled lock: enabling again finds it free.
            gil.set_mode(Mode::Enabled);
            bump(&gil, &cell);
        });
    }
}

/// Enabled → free-threaded while another thread acquires the GIL and calls `check()`:
/// either it holds the GIL first, and the switcher's urgent request is lent it at `check()`
/// (fair policy), the lender seeing the new mode when it gets it back; or it takes the
/// enabled lock uncontended just after the switch (a stale hold, settled lazily) and must
/// still release it, so that enabling the GIL again finds it free. The cell follows the mode
/// throughout.
#[test]
fn disable_while_a_thread_acquires_and_checks() {
    for policy in POLICIES {
        loom::model(move || {
            let (gil, cell) = setup(policy, Mode::Enabled);
            let t = beside(&gil, &cell, bump_check_bump);
            gil.set_mode(Mode::FreeThreaded);
            bump(&gil, &cell);
            t.join().unwrap();
            assert_eq!(*cell.borrow(&gil.acquire()), 3);
            gil.set_mode(Mode::Enabled);
            bump(&gil, &cell);
            assert_eq!(*cell.borrow(&gil.acquire()), 4);
        });
    }
}

/// A stale hold (taken uncontended just after a switch to free-threaded) across a switch
/// back to enabled: the switcher waits for the enabled lock too, so the mode never changes
/// under a thread that holds the GIL without passing a `check()` or a release.
#[test]
fn enable_waits_for_a_stale_hold() {
    for policy in POLICIES {
        loom::model(move || {
            let (gil, cell) = setup(policy, Mode::Enabled);
            let t = beside(&gil, &cell, |gil, cell| {
                let guard = gil.acquire();
                let before = gil.mode();
                *cell.borrow_mut(&guard) += 1;
                assert_eq!(gil.mode(), before, "the mode changed under a holder");
            });
            gil.set_mode(Mode::FreeThreaded);
            gil.set_mode(Mode::Enabled);
            bump(&gil, &cell);
            t.join().unwrap();
            assert_eq!(*cell.borrow(&gil.acquire()), 2);
        });
    }
}
