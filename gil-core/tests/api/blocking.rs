//! `gil_core::sleep` and `MutexExt::lock_releasing_gil`: the GIL is released while they
//! block, so a thread waiting for the GIL gets in, and the mutex-holder-wants-the-GIL cycle
//! cannot form.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gil_core::{Gil, MutexExt, sleep};
use gil_test_support::{PATIENCE, catch_deliberate, join, quiet_panic, recv, spawn, within};

use crate::support::wait_for_waiters;

#[test]
fn sleep_lets_a_queued_thread_take_the_gil() {
    within("sleeper", || {
        let gil = Gil::new();
        let guard = gil.acquire();
        let visited = Arc::new(AtomicBool::new(false));
        let visitor = {
            let (gil, visited) = (gil.clone(), visited.clone());
            spawn("visitor", move || {
                let _guard = gil.acquire();
                visited.store(true, SeqCst);
            })
        };
        wait_for_waiters(&gil, 1);
        // With `std::thread::sleep` the visitor would never get in while we hold the GIL.
        let deadline = Instant::now() + PATIENCE;
        while !visited.load(SeqCst) {
            assert!(Instant::now() < deadline, "the visitor never got the gil");
            sleep(Duration::from_millis(5));
        }
        assert!(gil.is_held_by_current_thread());
        drop(guard);
        join(visitor);
    });
}

#[test]
fn sleep_without_a_gil_just_sleeps() {
    let started = Instant::now();
    sleep(Duration::from_millis(2));
    assert!(started.elapsed() >= Duration::from_millis(2));
    sleep(Duration::ZERO);
}

#[test]
fn sleep_zero_keeps_the_hold_and_its_depth() {
    let gil = Gil::new();
    let _outer = gil.acquire();
    let _inner = gil.acquire();
    sleep(Duration::ZERO);
    assert!(gil.is_held_by_current_thread());
}

/// The cycle `lock_releasing_gil` exists for: a thread holds the mutex and waits for the
/// GIL, while the GIL's holder wants the mutex. With `Mutex::lock` this deadlocks.
#[test]
fn a_mutex_holder_that_wants_the_gil_gets_it() {
    within("gil holder", || {
        let gil = Gil::new();
        let heap = Arc::new(Mutex::new(0_u32));
        let guard = gil.acquire();
        let (holding_tx, holding_rx) = mpsc::channel();
        let holder = {
            let (gil, heap) = (gil.clone(), heap.clone());
            spawn("mutex holder", move || {
                let mut value = heap.lock().unwrap();
                holding_tx.send(()).unwrap();
                let _gil = gil.acquire(); // waits for the main thread's GIL
                *value += 1;
            })
        };
        recv(&holding_rx);
        wait_for_waiters(&gil, 1);
        let mut value = heap.lock_releasing_gil().unwrap();
        *value += 10;
        assert_eq!(*value, 11, "the holder ran first: it had the mutex");
        assert!(gil.is_held_by_current_thread());
        drop(value);
        drop(guard);
        join(holder);
    });
}

#[test]
fn a_free_mutex_is_taken_without_releasing_the_gil() {
    let gil = Gil::new();
    let _guard = gil.acquire();
    let before = gil.stats().switches;
    let heap = Mutex::new(vec![1]);
    heap.lock_releasing_gil().unwrap().push(2);
    assert_eq!(*heap.lock().unwrap(), [1, 2]);
    assert_eq!(gil.stats().switches, before);
}

#[test]
fn without_a_gil_it_is_a_plain_lock() {
    let heap = Mutex::new(3);
    *heap.lock_releasing_gil().unwrap() += 1;
    assert_eq!(*heap.lock().unwrap(), 4);
}

#[test]
fn a_poisoned_mutex_is_an_error_on_the_free_path() {
    let heap = Arc::new(Mutex::new(5));
    let h = heap.clone();
    catch_deliberate(move || {
        let _held = h.lock().unwrap();
        quiet_panic();
    });
    let gil = Gil::new();
    let _guard = gil.acquire();
    let err = heap.lock_releasing_gil().unwrap_err();
    assert_eq!(**err.get_ref(), 5);
    assert!(gil.is_held_by_current_thread());
}

#[test]
fn a_mutex_poisoned_while_waiting_is_an_error_with_the_gil_back() {
    within("waiter", || {
        let heap = Arc::new(Mutex::new(7));
        let (holding_tx, holding_rx) = mpsc::channel();
        let holder = {
            let heap = heap.clone();
            spawn("panicking holder", move || {
                catch_deliberate(move || {
                    let _held = heap.lock().unwrap();
                    holding_tx.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(20));
                    quiet_panic();
                });
            })
        };
        recv(&holding_rx);
        let gil = Gil::new();
        let _guard = gil.acquire();
        let err = heap.lock_releasing_gil().unwrap_err();
        assert_eq!(**err.get_ref(), 7);
        assert!(gil.is_held_by_current_thread());
        join(holder);
    });
}

/// A thread named `name` holds a fresh 5 ms GIL while a visitor queues for it, then
/// `pause`s for 120 ms (24 intervals) before letting go. Returns its statistics.
fn hold_while_visitor_waits(name: &str, pause: fn(Duration)) -> gil_core::ThreadStats {
    let name = name.to_owned();
    within(&name.clone(), move || {
        let gil = crate::support::gil(gil_core::Policy::Fair, Duration::from_millis(5));
        let guard = gil.acquire();
        let visitor = {
            let gil = gil.clone();
            spawn("visitor", move || drop(gil.acquire()))
        };
        wait_for_waiters(&gil, 1);
        pause(Duration::from_millis(120));
        drop(guard);
        join(visitor);
        let stats = gil.stats();
        let mine = stats
            .threads
            .iter()
            .find(|t| t.name.as_deref() == Some(&name));
        mine.expect("the holder's statistics").clone()
    })
}

#[test]
fn a_hold_that_blocks_while_others_wait_is_a_long_hold() {
    let stats = hold_while_visitor_waits("blocks holding", std::thread::sleep);
    assert_eq!(stats.long_holds, 1, "{stats:?}");
    assert!(
        stats.max_long_hold >= Duration::from_millis(120),
        "{stats:?}"
    );
}

#[test]
fn a_hold_that_sleeps_with_the_gil_released_is_not() {
    let stats = hold_while_visitor_waits("sleeps released", sleep);
    assert_eq!(stats.long_holds, 0, "{stats:?}");
}

#[test]
fn a_long_hold_nobody_waits_for_is_not_counted() {
    within("alone", || {
        let gil = crate::support::gil(gil_core::Policy::Fair, Duration::from_millis(1));
        let guard = gil.acquire();
        std::thread::sleep(Duration::from_millis(30));
        drop(guard);
        let stats = gil.stats();
        assert!(stats.threads.iter().all(|t| t.long_holds == 0), "{stats:?}");
    });
}
