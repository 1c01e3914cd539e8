//! Faults in gil-core (issue #6): panics while holding the GIL, inside `allow_threads`, on
//! nested levels and on threads that were queued, with waiters queued, a drop request pending
//! or the GIL lent; both policies and free-threaded mode.
//!
//! `tests/api/panics.rs` covers one panic with at most one waiter; this file covers the
//! combinations it lacks. What the crate docs promise ("Misuse and panics"): a panic while
//! holding releases the GIL during unwinding and hands it to the next waiter; a panic inside
//! `allow_threads` re-acquires, then unwinds on (so after `catch_unwind` around the
//! `allow_threads` call alone, the guard still holds the GIL).
//!
//! Every wait is bounded ([`gil_test_support::join`], [`gil_test_support::wait_until`]), and
//! the deliberate panics go through `resume_unwind`, which skips the process-wide panic hook.

mod cell;

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode, Policy, TryAcquireError, allow_threads, holds_any_gil};
use gil_test_support::{
    PATIENCE, catch_deliberate, exclusive, join, panicked, quiet_panic, spawn, wait_until,
};

use crate::support::{HOUR, gil, try_acquire_elsewhere, wait_for_waiters};

/// Sets a flag when dropped: declared before a guard, it is dropped after it, so the flag
/// says "this thread's guards are gone", also when the thread unwinds.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Whether `gil` is free for a brand-new thread, and nothing on this thread claims it.
fn assert_free(gil: &Gil) {
    assert!(!gil.is_held_by_current_thread());
    assert_eq!(try_acquire_elsewhere(gil), Ok(()), "the gil was left held");
}

// ---- a panicking holder with several waiters queued ----------------------------------------

/// The holder panics (uncaught, its thread dies) while three threads are queued: each gets
/// the GIL in turn, alone, and the GIL is free afterwards.
fn panicking_holder_hands_the_gil_to_every_queued_waiter(policy: Policy) {
    let gil = gil(policy, HOUR);
    let inside = Arc::new(AtomicBool::new(false));
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let panicker = {
        let (gil, inside) = (gil.clone(), Arc::clone(&inside));
        spawn("panicker", move || {
            let _guard = gil.acquire();
            inside.store(true, SeqCst);
            holding_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            inside.store(false, SeqCst);
            quiet_panic();
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("panicker holds");
    let waiters: Vec<_> = (0..3)
        .map(|i| {
            let (gil, inside) = (gil.clone(), Arc::clone(&inside));
            spawn(format!("waiter-{i}"), move || {
                let _guard = gil.acquire();
                exclusive(&inside, || {
                    std::thread::sleep(Duration::from_millis(1));
                    gil.is_held_by_current_thread()
                })
            })
        })
        .collect();
    wait_for_waiters(&gil, 3);
    go_tx.send(()).unwrap();
    assert!(panicked(panicker));
    for w in waiters {
        assert!(join(w), "a waiter got the gil after the panic");
    }
    assert_free(&gil);
}

#[test]
fn panicking_holder_hands_the_gil_to_every_queued_waiter_fair() {
    panicking_holder_hands_the_gil_to_every_queued_waiter(Policy::Fair);
}

#[test]
fn panicking_holder_hands_the_gil_to_every_queued_waiter_cpython() {
    panicking_holder_hands_the_gil_to_every_queued_waiter(Policy::CPython);
}

/// Five threads queue behind the main thread; each panics as soon as it gets the GIL (five
/// panics in a row, each handing over to the next queued thread). Each must have been alone
/// when it panicked, and the GIL is free once the last one died.
fn queued_threads_that_panic_one_after_another(policy: Policy) {
    const N: usize = 5;
    let gil = gil(policy, HOUR);
    let inside = Arc::new(AtomicBool::new(false));
    let alone = Arc::new(AtomicUsize::new(0));
    let guard = gil.acquire();
    let threads: Vec<_> = (0..N)
        .map(|i| {
            let (gil, inside, alone) = (gil.clone(), Arc::clone(&inside), Arc::clone(&alone));
            spawn(format!("panicker-{i}"), move || {
                let _guard = gil.acquire();
                // Counted, not asserted: a failed assertion would look like the planned panic.
                if !inside.swap(true, SeqCst) && gil.is_held_by_current_thread() {
                    alone.fetch_add(1, SeqCst);
                }
                inside.store(false, SeqCst);
                quiet_panic();
            })
        })
        .collect();
    wait_for_waiters(&gil, N);
    drop(guard);
    for t in threads {
        assert!(panicked(t));
    }
    assert_eq!(alone.load(SeqCst), N, "every panicker held the gil alone");
    assert_free(&gil);
    let _guard = gil.acquire();
}

#[test]
fn queued_threads_that_panic_one_after_another_fair() {
    queued_threads_that_panic_one_after_another(Policy::Fair);
}

#[test]
fn queued_threads_that_panic_one_after_another_cpython() {
    queued_threads_that_panic_one_after_another(Policy::CPython);
}

/// Many caught panics in a row on one thread (holding, nested three deep, inside
/// `allow_threads` with the guard dropped by the unwinding, in a fresh level inside
/// `allow_threads`) while another thread keeps acquiring and releasing: after each one the
/// panicking thread holds nothing, and the two never hold the GIL at once.
fn repeated_caught_panics_leave_nothing_held(policy: Policy) {
    const ROUNDS: usize = 40;
    let gil = gil(policy, Duration::from_millis(1));
    let inside = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let turns = Arc::new(AtomicUsize::new(0));
    let contender = {
        let (gil, inside, stop, turns) = (
            gil.clone(),
            Arc::clone(&inside),
            Arc::clone(&stop),
            Arc::clone(&turns),
        );
        spawn("contender", move || {
            while !stop.load(SeqCst) {
                let mut guard = gil.acquire();
                exclusive(&inside, || guard.check().unwrap().switched());
                drop(guard);
                turns.fetch_add(1, SeqCst);
                // Outside the GIL, so that the CPython policy (no FIFO) lets the other in.
                std::thread::sleep(Duration::from_micros(50));
            }
        })
    };
    for round in 0..ROUNDS {
        if round % 4 == 0 {
            // Interleave with the contender: let it have a turn every few rounds.
            let seen = turns.load(SeqCst);
            wait_until("the contender had a turn", || turns.load(SeqCst) > seen);
        }
        catch_deliberate(|| match round % 4 {
            0 => {
                let _guard = gil.acquire();
                exclusive(&inside, || {});
                quiet_panic();
            }
            1 => {
                let _a = gil.acquire();
                let _b = gil.acquire();
                let _c = gil.acquire();
                exclusive(&inside, || {});
                quiet_panic();
            }
            2 => {
                let mut guard = gil.acquire();
                exclusive(&inside, || {});
                guard.allow_threads(|| quiet_panic());
            }
            _ => {
                let mut guard = gil.acquire();
                guard.allow_threads(|| {
                    let _fresh = gil.acquire();
                    exclusive(&inside, || {});
                    quiet_panic();
                });
            }
        });
        assert!(
            !gil.is_held_by_current_thread(),
            "round {round}: still held"
        );
        assert!(!holds_any_gil(), "round {round}: still held");
    }
    stop.store(true, SeqCst);
    join(contender);
    assert_free(&gil);
}

#[test]
fn repeated_caught_panics_leave_nothing_held_fair() {
    repeated_caught_panics_leave_nothing_held(Policy::Fair);
}

#[test]
fn repeated_caught_panics_leave_nothing_held_cpython() {
    repeated_caught_panics_leave_nothing_held(Policy::CPython);
}

// ---- drop requests, yields and the lend path ----------------------------------------------

/// The holder was asked to yield (drop request pending) but panicked before its next
/// `check()`. The waiter gets the GIL, and the stale request does not cut the new holder's
/// turn short: a thread queuing later does not make its `check()` switch before the (hour
/// long) interval.
fn drop_request_pending_when_the_holder_panics(policy: Policy) {
    let gil = gil(policy, HOUR);
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let panicker = {
        let gil = gil.clone();
        spawn("panicker", move || {
            let _guard = gil.acquire();
            holding_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            quiet_panic();
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("panicker holds");
    let (got_tx, got_rx) = mpsc::channel();
    let (check_tx, check_rx) = mpsc::channel::<()>();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || {
            let mut guard = gil.acquire();
            got_tx.send(()).unwrap();
            check_rx.recv_timeout(PATIENCE).expect("check signal");
            let switched = guard.check().unwrap().switched();
            (switched, gil.is_held_by_current_thread())
        })
    };
    wait_for_waiters(&gil, 1);
    gil.request_drop();
    assert_eq!(gil.stats().drop_requests, 1);
    go_tx.send(()).unwrap();
    assert!(panicked(panicker));
    got_rx
        .recv_timeout(PATIENCE)
        .expect("the waiter got the gil");
    let late = {
        let gil = gil.clone();
        spawn("late", move || drop(gil.acquire()))
    };
    wait_for_waiters(&gil, 1);
    check_tx.send(()).unwrap();
    assert_eq!(
        join(waiter),
        (false, true),
        "a drop request meant for the panicked holder switched the next one"
    );
    join(late);
    assert_free(&gil);
}

#[test]
fn drop_request_pending_when_the_holder_panics_fair() {
    drop_request_pending_when_the_holder_panics(Policy::Fair);
}

#[test]
fn drop_request_pending_when_the_holder_panics_cpython() {
    drop_request_pending_when_the_holder_panics(Policy::CPython);
}

/// A holder yields at `check()` (drop request) to a queued thread, which panics as soon as it
/// has the GIL: the yielder, now queued itself, gets the GIL back and `check()` says it
/// switched.
fn yielder_gets_the_gil_back_when_the_new_holder_panics(policy: Policy) {
    let gil = gil(policy, HOUR);
    let (holding_tx, holding_rx) = mpsc::channel();
    let (yield_tx, yield_rx) = mpsc::channel::<()>();
    let yielder = {
        let gil = gil.clone();
        spawn("yielder", move || {
            let mut guard = gil.acquire();
            holding_tx.send(()).unwrap();
            yield_rx.recv_timeout(PATIENCE).expect("yield signal");
            let switched = guard.check().unwrap().switched();
            (switched, gil.is_held_by_current_thread())
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("yielder holds");
    let panicker = {
        let gil = gil.clone();
        spawn("panicker", move || {
            let _guard = gil.acquire();
            quiet_panic();
        })
    };
    wait_for_waiters(&gil, 1);
    gil.request_drop();
    yield_tx.send(()).unwrap();
    assert!(panicked(panicker));
    assert_eq!(join(yielder), (true, true));
    assert_free(&gil);
}

#[test]
fn yielder_gets_the_gil_back_when_the_new_holder_panics_fair() {
    yielder_gets_the_gil_back_when_the_new_holder_panics(Policy::Fair);
}

#[test]
fn yielder_gets_the_gil_back_when_the_new_holder_panics_cpython() {
    yielder_gets_the_gil_back_when_the_new_holder_panics(Policy::CPython);
}

/// A thread comes back from `allow_threads` (an urgent request: with the fair policy it
/// borrows the GIL through the lend path at the holder's next `check()`) and panics, after
/// the closure (`inside == false`) or inside it (the unwinding re-acquires). The holder, which
/// lent the GIL and waits inside `check()`, must get it back and go on.
fn borrower_that_panics_gives_the_gil_back(policy: Policy, inside: bool) {
    // A short interval: the CPython policy has no lend path, its waiter only gets the GIL
    // once its timed wait expires and it sets the drop request.
    let gil = gil(policy, Duration::from_millis(1));
    let (released_tx, released_rx) = mpsc::channel();
    let (back_tx, back_rx) = mpsc::channel::<()>();
    let borrower_done = Arc::new(AtomicBool::new(false));
    let borrower = {
        let (gil, done) = (gil.clone(), Arc::clone(&borrower_done));
        spawn("borrower", move || {
            let _done = SetOnDrop(done);
            let mut guard = gil.acquire();
            guard.allow_threads(|| {
                released_tx.send(()).unwrap();
                back_rx.recv_timeout(PATIENCE).expect("back signal");
                if inside {
                    quiet_panic();
                }
            });
            quiet_panic();
        })
    };
    released_rx
        .recv_timeout(PATIENCE)
        .expect("borrower released");
    let (holding_tx, holding_rx) = mpsc::channel();
    let lender = {
        let (gil, done) = (gil.clone(), Arc::clone(&borrower_done));
        spawn("lender", move || {
            let mut guard = gil.acquire();
            holding_tx.send(()).unwrap();
            let deadline = Instant::now() + PATIENCE;
            while !done.load(SeqCst) {
                guard.check().unwrap();
                assert!(Instant::now() < deadline, "the borrower never finished");
                std::hint::spin_loop();
            }
            // Once more, so that a lend still in flight is settled.
            guard.check().unwrap();
            gil.is_held_by_current_thread()
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("lender holds");
    back_tx.send(()).unwrap();
    assert!(panicked(borrower));
    assert!(join(lender), "the lender holds the gil again");
    if policy == Policy::Fair {
        // The borrower came back with I/O credit while the lender held: an urgent request
        // (served by the lend path, or by the queue if the lender did not answer in time).
        assert!(gil.stats().priority_requests >= 1);
    }
    assert_free(&gil);
}

#[test]
fn borrower_that_panics_after_allow_threads_gives_the_gil_back_fair() {
    borrower_that_panics_gives_the_gil_back(Policy::Fair, false);
}

#[test]
fn borrower_that_panics_inside_allow_threads_gives_the_gil_back_fair() {
    borrower_that_panics_gives_the_gil_back(Policy::Fair, true);
}

#[test]
fn borrower_that_panics_after_allow_threads_gives_the_gil_back_cpython() {
    borrower_that_panics_gives_the_gil_back(Policy::CPython, false);
}

#[test]
fn borrower_that_panics_inside_allow_threads_gives_the_gil_back_cpython() {
    borrower_that_panics_gives_the_gil_back(Policy::CPython, true);
}

// ---- allow_threads with others queued ------------------------------------------------------

/// A thread holding nested guards panics inside `allow_threads` while two others queue for
/// the GIL: its unwinding queues for the GIL with them (it may come back before or after
/// them), then — caught — it holds the GIL as the docs say, or — uncaught — its thread dies
/// and releases. Everyone gets the GIL, alone.
fn panic_inside_allow_threads_with_others_queued(policy: Policy, caught: bool) {
    let gil = gil(policy, HOUR);
    let inside = Arc::new(AtomicBool::new(false));
    let visits = Arc::new(AtomicUsize::new(0));
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let panicker = {
        let (gil, inside, visits) = (gil.clone(), Arc::clone(&inside), Arc::clone(&visits));
        spawn("panicker", move || {
            let _outer = gil.acquire();
            let mut inner = gil.acquire();
            holding_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            let mut run = || {
                inner.allow_threads(|| {
                    assert!(!gil.is_held_by_current_thread());
                    // Some visitor got in: the GIL really was released.
                    wait_until("a visitor ran", || visits.load(SeqCst) > 0);
                    quiet_panic();
                });
            };
            if caught {
                catch_deliberate(run);
                // The panic re-acquired before unwinding on: both guards hold again.
                let held = gil.is_held_by_current_thread();
                let alone = !inside.load(SeqCst);
                let elsewhere = try_acquire_elsewhere(&gil);
                (held, alone, elsewhere)
            } else {
                run();
                unreachable!("the panic went on");
            }
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("panicker holds");
    let visitors: Vec<_> = (0..2)
        .map(|i| {
            let (gil, inside, visits) = (gil.clone(), Arc::clone(&inside), Arc::clone(&visits));
            spawn(format!("visitor-{i}"), move || {
                let _guard = gil.acquire();
                exclusive(&inside, || {
                    visits.fetch_add(1, SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                });
            })
        })
        .collect();
    wait_for_waiters(&gil, 2);
    go_tx.send(()).unwrap();
    if caught {
        assert_eq!(
            join(panicker),
            (true, true, Err(TryAcquireError::WouldBlock))
        );
    } else {
        assert!(panicked(panicker));
    }
    for v in visitors {
        join(v);
    }
    assert_eq!(visits.load(SeqCst), 2);
    assert_free(&gil);
}

#[test]
fn caught_panic_inside_allow_threads_with_others_queued_fair() {
    panic_inside_allow_threads_with_others_queued(Policy::Fair, true);
}

#[test]
fn caught_panic_inside_allow_threads_with_others_queued_cpython() {
    panic_inside_allow_threads_with_others_queued(Policy::CPython, true);
}

#[test]
fn uncaught_panic_inside_allow_threads_with_others_queued_fair() {
    panic_inside_allow_threads_with_others_queued(Policy::Fair, false);
}

#[test]
fn uncaught_panic_inside_allow_threads_with_others_queued_cpython() {
    panic_inside_allow_threads_with_others_queued(Policy::CPython, false);
}

/// A guard acquired inside `allow_threads` (a fresh level) is dropped by a panic in the
/// closure; the unwinding then restores the outer level, which holds the GIL again.
fn panic_in_a_fresh_level_inside_allow_threads(policy: Policy) {
    let gil = gil(policy, HOUR);
    let mut outer = gil.acquire();
    catch_deliberate(|| {
        outer.allow_threads(|| {
            let _fresh = gil.acquire();
            let _nested = gil.acquire();
            assert_eq!(
                try_acquire_elsewhere(&gil),
                Err(TryAcquireError::WouldBlock)
            );
            quiet_panic();
        });
    });
    assert!(gil.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&gil),
        Err(TryAcquireError::WouldBlock)
    );
    assert!(!outer.check().unwrap().switched());
    drop(outer);
    assert_free(&gil);
}

#[test]
fn panic_in_a_fresh_level_inside_allow_threads_fair() {
    panic_in_a_fresh_level_inside_allow_threads(Policy::Fair);
}

#[test]
fn panic_in_a_fresh_level_inside_allow_threads_cpython() {
    panic_in_a_fresh_level_inside_allow_threads(Policy::CPython);
}

/// Nested guards, uncaught, with a waiter queued: the thread dies, every level is dropped,
/// the waiter gets the GIL.
fn uncaught_panic_in_nested_guards_wakes_the_waiter(policy: Policy) {
    let gil = gil(policy, HOUR);
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let panicker = {
        let gil = gil.clone();
        spawn("panicker", move || {
            let _a = gil.acquire();
            let _b = gil.acquire();
            let _c = gil.try_acquire().expect("nested try_acquire");
            holding_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            quiet_panic();
        })
    };
    holding_rx.recv_timeout(PATIENCE).expect("panicker holds");
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || {
            let _guard = gil.acquire();
            gil.is_held_by_current_thread()
        })
    };
    wait_for_waiters(&gil, 1);
    go_tx.send(()).unwrap();
    assert!(panicked(panicker));
    assert!(join(waiter));
    assert_free(&gil);
}

#[test]
fn uncaught_panic_in_nested_guards_wakes_the_waiter_fair() {
    uncaught_panic_in_nested_guards_wakes_the_waiter(Policy::Fair);
}

#[test]
fn uncaught_panic_in_nested_guards_wakes_the_waiter_cpython() {
    uncaught_panic_in_nested_guards_wakes_the_waiter(Policy::CPython);
}

// ---- several GILs ------------------------------------------------------------------------

/// A thread holding two GILs panics: both are released. The free `allow_threads` releases the
/// GIL acquired last; a panic inside it re-acquires that one, and the first stays held
/// throughout.
fn panics_with_two_gils(policy: Policy) {
    let first = gil(policy, HOUR);
    let second = gil(policy, HOUR);
    catch_deliberate(|| {
        let _a = first.acquire();
        let _b = second.acquire();
        quiet_panic();
    });
    assert!(!holds_any_gil());
    assert_free(&first);
    assert_free(&second);

    let a = first.acquire();
    let b = second.acquire();
    catch_deliberate(|| {
        allow_threads(|| {
            assert!(first.is_held_by_current_thread());
            assert!(!second.is_held_by_current_thread());
            assert_eq!(try_acquire_elsewhere(&second), Ok(()));
            quiet_panic();
        });
    });
    assert!(first.is_held_by_current_thread() && second.is_held_by_current_thread());
    assert_eq!(
        try_acquire_elsewhere(&second),
        Err(TryAcquireError::WouldBlock)
    );
    drop(b);
    drop(a);
    assert!(!holds_any_gil());
    assert_free(&first);
    assert_free(&second);
}

#[test]
fn panics_with_two_gils_fair() {
    panics_with_two_gils(Policy::Fair);
}

#[test]
fn panics_with_two_gils_cpython() {
    panics_with_two_gils(Policy::CPython);
}

// ---- free-threaded mode --------------------------------------------------------------------

/// Free-threaded: a panic on one thread (nested guards, or inside `allow_threads`, caught or
/// not) affects neither the other threads' holds nor the panicking thread's bookkeeping.
fn free_threaded_panics(policy: Policy) {
    let gil = Gil::builder()
        .policy(policy)
        .mode(Mode::FreeThreaded)
        .build()
        .expect("a valid gil");
    let mut mine = gil.acquire();
    let other = {
        let gil = gil.clone();
        spawn("other", move || {
            catch_deliberate(|| {
                let _a = gil.acquire();
                let _b = gil.acquire();
                quiet_panic();
            });
            let nested_ok = !gil.is_held_by_current_thread();
            let mut guard = gil.acquire();
            catch_deliberate(|| guard.allow_threads(|| quiet_panic()));
            let allow_ok = gil.is_held_by_current_thread();
            drop(guard);
            (nested_ok, allow_ok, holds_any_gil())
        })
    };
    assert_eq!(join(other), (true, true, false));
    let dying = {
        let gil = gil.clone();
        spawn("dying", move || {
            let mut guard = gil.acquire();
            guard.allow_threads(|| quiet_panic());
        })
    };
    assert!(panicked(dying));
    assert!(gil.is_held_by_current_thread(), "another thread's panic");
    assert!(!mine.check().unwrap().switched());
    drop(mine);
    assert!(!holds_any_gil());
    assert_eq!(gil.waiters(), 0);
    assert_free(&gil);
}

#[test]
fn free_threaded_panics_fair() {
    free_threaded_panics(Policy::Fair);
}

#[test]
fn free_threaded_panics_cpython() {
    free_threaded_panics(Policy::CPython);
}

/// A pending call that panics: the panic is reported as `PendingCallPanicked` by the main
/// thread's `check()`, the GIL stays held and usable, and the calls behind it still run.
#[test]
fn a_panicking_pending_call_is_reported_and_loses_nothing() {
    let gil = Gil::new();
    let ran = Arc::new(AtomicBool::new(false));
    gil.add_pending_call(|| panic!("pending call panics (expected)"))
        .unwrap();
    {
        let ran = Arc::clone(&ran);
        gil.add_pending_call(move || {
            ran.store(true, SeqCst);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    }
    let mut guard = gil.acquire();
    assert_eq!(guard.check(), Err(gil_core::Interrupt::PendingCallPanicked));
    assert!(gil.is_held_by_current_thread());
    assert_eq!(guard.check(), Ok(gil_core::Turn::Kept));
    assert!(ran.load(SeqCst));
    drop(guard);
    assert_eq!(try_acquire_elsewhere(&gil), Ok(()));
}
