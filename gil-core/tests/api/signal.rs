//! The eval breaker's signals: interrupts reported by `check()`, pending calls run on the
//! main thread, and the hooks an interruptible wait uses.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, mpsc};

use gil_core::{Gil, Interrupt, Mode, Policy, Turn, signal};
use gil_test_support::{PATIENCE, join, spawn, wait_until};

use crate::support::{HOUR, gil};

/// Queues a pending call on `gil` that counts its runs in the returned counter.
fn queue_counting_call(gil: &Gil) -> Arc<AtomicUsize> {
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    gil.add_pending_call(move || {
        counter.fetch_add(1, SeqCst);
        ControlFlow::Continue(())
    })
    .unwrap();
    ran
}

/// Every policy and mode a `check()` runs under.
fn every_gil() -> Vec<Gil> {
    let mut gils = Vec::new();
    for policy in [Policy::Fair, Policy::CPython] {
        for mode in [Mode::Enabled, Mode::FreeThreaded] {
            gils.push(
                Gil::builder()
                    .policy(policy)
                    .mode(mode)
                    .switch_interval(HOUR)
                    .build()
                    .unwrap(),
            );
        }
    }
    gils
}

#[test]
fn an_interrupt_from_another_thread_is_reported_once_by_check() {
    for gil in every_gil() {
        let mut guard = gil.acquire();
        let interrupter = gil.interrupter();
        join(spawn("interrupter", move || {
            interrupter.interrupt().unwrap();
        }));
        assert_eq!(guard.check(), Err(Interrupt::Requested), "{gil:?}");
        assert_eq!(guard.check(), Ok(Turn::Kept), "{gil:?}: taken once");
        assert!(!signal::is_interrupted());
    }
}

#[test]
fn a_spinning_thread_sees_an_interrupt_at_its_next_check() {
    let gil = gil(Policy::Fair, HOUR);
    let (tx, rx) = mpsc::channel();
    let spinner = {
        let gil = gil.clone();
        spawn("spinner", move || {
            let mut guard = gil.acquire();
            tx.send(gil.interrupter()).unwrap();
            let mut checks = 0_u64;
            loop {
                checks += 1;
                if let Err(interrupt) = guard.check() {
                    return (interrupt, checks);
                }
            }
        })
    };
    let interrupter = rx.recv_timeout(PATIENCE).unwrap();
    interrupter.interrupt().unwrap();
    let (interrupt, checks) = join(spinner);
    assert_eq!(interrupt, Interrupt::Requested);
    assert!(checks > 0);
}

#[test]
fn other_threads_do_not_take_an_interrupt_meant_for_one() {
    let gil = Gil::new();
    let (tx, rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let target = {
        let gil = gil.clone();
        spawn("target", move || {
            tx.send(gil.interrupter()).unwrap();
            go_rx.recv_timeout(PATIENCE).unwrap();
            let mut guard = gil.acquire();
            guard.check()
        })
    };
    let interrupter = rx.recv_timeout(PATIENCE).unwrap();
    interrupter.interrupt().unwrap();
    {
        // The signal count is up on this GIL, but the interrupt is the target's.
        let mut guard = gil.acquire();
        for _ in 0..1000 {
            assert_eq!(guard.check(), Ok(Turn::Kept));
        }
    }
    go_tx.send(()).unwrap();
    assert_eq!(join(target), Err(Interrupt::Requested));
}

#[test]
fn an_interrupter_outliving_its_gil_still_interrupts() {
    let gil = Gil::new();
    let interrupter = gil.interrupter();
    drop(gil);
    interrupter.interrupt().unwrap();
    assert_eq!(signal::take_interrupt(), Some(Interrupt::Requested));
    assert_eq!(signal::take_interrupt(), None);
}

#[test]
fn the_wait_hooks_see_an_interrupt_without_the_gil() {
    let gil = Gil::new();
    let interrupter = gil.interrupter();
    assert!(!signal::poll());
    interrupter.interrupt().unwrap();
    assert!(signal::poll());
    assert!(signal::is_interrupted());
    assert_eq!(signal::take_interrupt(), Some(Interrupt::Requested));
    assert!(!signal::poll());
    // Taken by the wait hook: the GIL's signal count is back to zero, check() has nothing to report.
    let mut guard = gil.acquire();
    assert_eq!(guard.check(), Ok(Turn::Kept));
}

#[test]
fn pending_calls_run_on_the_main_thread_in_order_at_its_next_check() {
    for gil in every_gil() {
        assert_eq!(gil.main_thread(), Some(gil_core::ident::current()));
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut guard = gil.acquire();
        join(spawn("queuer", {
            let (gil, log) = (gil.clone(), Arc::clone(&log));
            move || {
                for i in 0..3 {
                    let log = Arc::clone(&log);
                    gil.add_pending_call(move || {
                        log.lock().unwrap().push(i);
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                }
            }
        }));
        assert_eq!(gil.pending_calls(), 3);
        assert!(
            log.lock().unwrap().is_empty(),
            "nothing runs before check()"
        );
        assert_eq!(guard.check(), Ok(Turn::Kept));
        assert_eq!(*log.lock().unwrap(), [0, 1, 2], "{gil:?}");
        assert_eq!(gil.pending_calls(), 0);
    }
}

#[test]
fn other_threads_do_not_run_the_main_threads_pending_calls() {
    let gil = Gil::new();
    let ran = queue_counting_call(&gil);
    join(spawn("not-main", {
        let gil = gil.clone();
        move || {
            let mut guard = gil.acquire();
            for _ in 0..100 {
                assert_eq!(guard.check(), Ok(Turn::Kept));
            }
        }
    }));
    assert_eq!(ran.load(SeqCst), 0);
    let mut guard = gil.acquire();
    assert_eq!(guard.check(), Ok(Turn::Kept));
    assert_eq!(ran.load(SeqCst), 1);
}

#[test]
fn set_main_thread_moves_the_pending_calls() {
    let gil = Gil::new();
    let ran_on = Arc::new(std::sync::Mutex::new(None));
    {
        let ran_on = Arc::clone(&ran_on);
        gil.add_pending_call(move || {
            *ran_on.lock().unwrap() = Some(gil_core::ident::current());
            ControlFlow::Continue(())
        })
        .unwrap();
    }
    let worker = join(spawn("new-main", {
        let gil = gil.clone();
        move || {
            gil.set_main_thread();
            let mut guard = gil.acquire();
            assert_eq!(guard.check(), Ok(Turn::Kept));
            gil_core::ident::current()
        }
    }));
    assert_eq!(*ran_on.lock().unwrap(), Some(worker));
}

#[test]
fn a_failing_pending_call_is_reported_and_the_rest_run_later() {
    let gil = Gil::new();
    gil.add_pending_call(|| ControlFlow::Break(())).unwrap();
    let ran = queue_counting_call(&gil);
    let mut guard = gil.acquire();
    assert_eq!(guard.check(), Err(Interrupt::PendingCall));
    assert_eq!(ran.load(SeqCst), 0);
    assert_eq!(guard.check(), Ok(Turn::Kept));
    assert_eq!(ran.load(SeqCst), 1);
}

#[test]
fn a_pending_call_that_checks_does_not_run_the_next_inside_it() {
    let gil = Gil::new();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let (gil2, order) = (gil.clone(), Arc::clone(&order));
        gil.add_pending_call(move || {
            order.lock().unwrap().push("outer start");
            // Re-entrant check from inside a pending call (the GIL is held here).
            let mut inner = gil2.acquire();
            assert_eq!(inner.check(), Ok(Turn::Kept));
            order.lock().unwrap().push("outer end");
            ControlFlow::Continue(())
        })
        .unwrap();
    }
    {
        let order = Arc::clone(&order);
        gil.add_pending_call(move || {
            order.lock().unwrap().push("second");
            ControlFlow::Continue(())
        })
        .unwrap();
    }
    let mut guard = gil.acquire();
    assert_eq!(guard.check(), Ok(Turn::Kept));
    assert_eq!(
        *order.lock().unwrap(),
        ["outer start", "outer end", "second"]
    );
}

#[test]
fn run_pending_calls_runs_them_for_the_gil_held() {
    let gil = Gil::new();
    let ran = queue_counting_call(&gil);
    // Without the GIL: nothing runs.
    signal::run_pending_calls();
    assert_eq!(ran.load(SeqCst), 0);
    let _guard = gil.acquire();
    signal::run_pending_calls();
    assert_eq!(ran.load(SeqCst), 1);
    // A failing one becomes this thread's interrupt.
    gil.add_pending_call(|| ControlFlow::Break(())).unwrap();
    assert!(
        signal::poll(),
        "a pending call wakes the main thread's wait"
    );
    signal::run_pending_calls();
    assert_eq!(signal::take_interrupt(), Some(Interrupt::PendingCall));
}

#[test]
fn a_waiting_holder_still_gets_the_interrupt_after_switching() {
    let gil = gil(Policy::Fair, HOUR);
    let mut guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || drop(gil.acquire()))
    };
    wait_until("the waiter queues", || gil.waiters() == 1);
    gil.request_drop();
    gil.interrupter().interrupt().unwrap();
    // Hands over first (the drop request), then reports the interrupt, GIL held again.
    assert_eq!(guard.check(), Err(Interrupt::Requested));
    assert!(gil.is_held_by_current_thread());
    drop(guard);
    join(waiter);
}

#[test]
fn an_interrupter_of_a_new_gil_after_an_old_one_died_counts_on_the_new_one() {
    for _ in 0..3 {
        let old = Gil::new();
        let old_interrupter = old.interrupter();
        drop(old);
        old_interrupter.interrupt().unwrap();
        assert_eq!(signal::take_interrupt(), Some(Interrupt::Requested));
    }
    let gil = Gil::new();
    let mut guard = gil.acquire();
    gil.interrupter().interrupt().unwrap();
    assert_eq!(guard.check(), Err(Interrupt::Requested));
    assert_eq!(guard.check(), Ok(Turn::Kept));
}

#[test]
fn try_interrupter_never_panics_in_a_thread_local_destructor() {
    struct InDtor(Gil, std::sync::mpsc::Sender<bool>);
    impl Drop for InDtor {
        fn drop(&mut self) {
            let _ = self.1.send(self.0.try_interrupter().is_some());
        }
    }
    thread_local! {
        static LATE: std::cell::RefCell<Option<InDtor>> = const { std::cell::RefCell::new(None) };
    }
    let (tx, rx) = mpsc::channel();
    let gil = Gil::new();
    join(spawn("dtor", move || {
        assert!(gil.try_interrupter().is_some());
        LATE.with(|l| *l.borrow_mut() = Some(InDtor(gil, tx)));
    }));
    // Whichever thread-local goes first (std does not say), the call answers instead of
    // panicking: a panic in the destructor would abort before sending.
    rx.recv_timeout(PATIENCE)
        .expect("try_interrupter answered from the destructor");
}
