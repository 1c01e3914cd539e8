//! Interrupts and pending calls (issue 16): the runtime's main thread is its GIL's,
//! `Thread::interrupt` and `Handle::interrupt_main` reach a thread's `check()` and its
//! interruptible `join`, an interrupted join changes nothing, shutdown's joins are not
//! interruptible, and pending calls run on the main thread (also inside its `join`). The
//! refusals (not started, finished, dummy) are in `bad_input.rs`.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{GilGuard, Interrupt, InterruptError as CoreInterruptError, signal};
use gil_runtime::{InterruptError, JoinError, Runtime};
use gil_test_support::traits::{is_error, is_plain_error};
use gil_test_support::{PATIENCE, SHORT, recv, spawn};

use crate::support::{Gate, start_held};

/// Calls `check()` until it reports an interrupt (panics after [`PATIENCE`]).
fn spin_until_interrupted(guard: &mut GilGuard<'_>) -> Interrupt {
    let start = Instant::now();
    loop {
        if let Err(interrupt) = guard.check() {
            return interrupt;
        }
        assert!(start.elapsed() < PATIENCE, "no interrupt reached check()");
    }
}

#[test]
fn the_errors_are_plain_errors() {
    is_plain_error::<InterruptError>();
    is_error::<JoinError>();
    // `?` turns a failed `check()` into a `JoinError`.
    assert_eq!(
        JoinError::from(Interrupt::Requested),
        JoinError::Interrupted(Interrupt::Requested)
    );
    assert_eq!(
        JoinError::Interrupted(Interrupt::Requested).to_string(),
        "interrupted"
    );
}

#[test]
fn the_runtime_makes_its_creating_thread_the_gils_main_thread() {
    let rt = Runtime::new();
    assert_eq!(rt.gil().main_thread(), rt.main_thread().ident());
    // Also on a GIL another thread built, and through the builder.
    let gil = spawn("builds the gil", gil_core::Gil::new).join().unwrap();
    let rt = Runtime::with_gil(gil.clone());
    assert_eq!(gil.main_thread(), Some(gil_runtime::get_ident()));
    assert_eq!(gil.main_thread(), rt.main_thread().ident());
    let rt = Runtime::builder().build().unwrap();
    assert_eq!(rt.gil().main_thread(), Some(gil_runtime::get_ident()));
}

#[test]
fn interrupting_a_thread_spinning_on_check_ends_its_loop() {
    let rt = Runtime::new();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| {
        tx.send(Some(spin_until_interrupted(guard))).unwrap();
        // Taken: the next check is clean.
        tx.send(guard.check().err()).unwrap();
    });
    t.start().unwrap();
    // Right after `start`: waits for the thread to make its interrupter if need be.
    t.interrupt().unwrap();
    assert_eq!(recv(&rx), Some(Interrupt::Requested));
    assert_eq!(recv(&rx), None);
    t.join().unwrap();
}

#[test]
fn interrupts_raised_before_the_thread_looks_merge_into_one() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (tx, rx) = mpsc::channel();
    let waiter = gate.waiter();
    let t = rt.thread(move |guard| {
        guard.allow_threads(|| waiter.wait());
        tx.send([guard.check().err(), guard.check().err()]).unwrap();
    });
    t.start().unwrap();
    for _ in 0..3 {
        t.interrupt().unwrap();
    }
    gate.open();
    assert_eq!(recv(&rx), [Some(Interrupt::Requested), None]);
    t.join().unwrap();
}

#[test]
fn a_thread_may_interrupt_itself() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| {
        h.current_thread().interrupt().unwrap();
        tx.send(guard.check().err()).unwrap();
    });
    t.start().unwrap();
    assert_eq!(recv(&rx), Some(Interrupt::Requested));
    t.join().unwrap();
}

#[test]
fn interrupting_a_thread_blocked_in_join_returns_interrupted_and_it_can_join_again() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let held = start_held(&rt, &gate);
    let (tx, rx) = mpsc::channel();
    let joiner = rt.thread({
        let held = held.clone();
        move |guard| {
            tx.send(held.join()).unwrap();
            // Taken by `join`: not seen again.
            tx.send(guard.check().map(drop).map_err(JoinError::from))
                .unwrap();
            tx.send(held.join()).unwrap();
        }
    });
    joiner.start().unwrap();
    joiner.interrupt().unwrap();
    assert_eq!(recv(&rx), Err(JoinError::Interrupted(Interrupt::Requested)));
    assert_eq!(recv(&rx), Ok(()));
    assert!(held.is_alive(), "an interrupted join changes nothing");
    gate.open();
    assert_eq!(recv(&rx), Ok(()), "the thread is joinable after all");
    joiner.join().unwrap();
    assert!(!held.is_alive());
}

#[test]
fn an_interrupted_join_timeout_returns_interrupted_before_its_deadline() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let held = start_held(&rt, &gate);
    let (tx, rx) = mpsc::channel();
    let joiner = rt.thread({
        let held = held.clone();
        move |_| {
            let start = Instant::now();
            tx.send((held.join_timeout(PATIENCE * 6), start.elapsed()))
                .unwrap();
        }
    });
    joiner.start().unwrap();
    joiner.interrupt().unwrap();
    let (result, waited) = recv(&rx);
    assert_eq!(result, Err(JoinError::Interrupted(Interrupt::Requested)));
    assert!(waited < PATIENCE, "waited {waited:?}");
    gate.open();
    assert_eq!(held.join_timeout(PATIENCE), Ok(true));
    joiner.join().unwrap();
}

#[test]
fn interrupt_main_from_a_runtime_thread_interrupts_the_main_threads_check() {
    let rt = Runtime::new();
    let mut guard = rt.gil().acquire();
    let h = rt.handle();
    let t = rt.thread(move |_| h.interrupt_main().unwrap());
    t.start().unwrap();
    assert_eq!(spin_until_interrupted(&mut guard), Interrupt::Requested);
    drop(guard);
    t.join().unwrap();
}

#[test]
fn interrupt_main_wakes_the_main_thread_blocked_in_join() {
    let rt = Runtime::new();
    let _guard = rt.gil().acquire();
    let gate = Gate::new();
    let held = start_held(&rt, &gate);
    let h = rt.handle();
    let interrupter = rt.thread(move |guard| {
        // Let the main thread reach its join (not needed for the outcome: an interrupt
        // raised before the join ends it at once just the same).
        guard.allow_threads(|| std::thread::sleep(SHORT));
        h.interrupt_main().unwrap();
    });
    interrupter.start().unwrap();
    assert_eq!(
        held.join(),
        Err(JoinError::Interrupted(Interrupt::Requested))
    );
    assert!(held.is_alive());
    gate.open();
    held.join().unwrap();
    interrupter.join().unwrap();
}

#[test]
fn an_interrupt_of_a_joiner_whose_thread_has_ended_stays_pending() {
    let rt = Runtime::new();
    let mut guard = rt.gil().acquire();
    let t = rt.thread(|_| {});
    t.start().unwrap();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    rt.main_thread().interrupt().unwrap();
    // The thread has ended: every join reports it, and the interrupt is left for `check()`.
    assert_eq!(t.join(), Ok(()));
    assert_eq!(t.join_timeout(Duration::ZERO), Ok(true));
    assert_eq!(guard.check(), Err(Interrupt::Requested));
}

#[test]
fn a_held_interrupter_reports_the_thread_exited_once_joined() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let interrupter = t.interrupter().unwrap();
    assert!(!interrupter.is_finished());
    gate.open();
    // The first untimed join waits for the OS thread's exit.
    t.join().unwrap();
    assert!(interrupter.is_finished());
    assert_eq!(
        interrupter.interrupt(),
        Err(CoreInterruptError::ThreadExited)
    );
}

#[test]
fn an_interrupter_reaches_the_thread_from_another_os_thread() {
    let rt = Runtime::new();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| {
        tx.send(spin_until_interrupted(guard)).unwrap();
    });
    t.start().unwrap();
    let interrupter = t.interrupter().unwrap();
    spawn("signal thread", move || interrupter.interrupt().unwrap())
        .join()
        .unwrap();
    assert_eq!(recv(&rx), Interrupt::Requested);
    t.join().unwrap();
}

#[test]
fn shutdown_joins_are_not_interrupted_and_leave_the_interrupt_pending() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    rt.main_thread().interrupt().unwrap();
    let opener = spawn("opens the gate", move || {
        std::thread::sleep(SHORT);
        gate.open();
    });
    rt.shutdown();
    assert!(
        !t.is_alive(),
        "shutdown joined the thread despite the interrupt"
    );
    assert_eq!(signal::take_interrupt(), Some(Interrupt::Requested));
    opener.join().unwrap();
}

#[test]
fn a_pending_call_from_a_runtime_thread_runs_on_the_main_thread_at_its_next_check() {
    let rt = Runtime::new();
    let mut guard = rt.gil().acquire();
    let ran_on = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let t = rt.thread({
        let (gil, ran_on) = (rt.gil().clone(), ran_on.clone());
        move |_| {
            gil.add_pending_call(move || {
                ran_on.store(gil_runtime::get_ident(), SeqCst);
                ControlFlow::Continue(())
            })
            .unwrap();
            tx.send(()).unwrap();
        }
    });
    t.start().unwrap();
    // Not an interruptible wait: the call waits for the check.
    guard.allow_threads(|| recv(&rx));
    assert_eq!(ran_on.load(SeqCst), 0, "ran before the main thread's check");
    assert!(guard.check().is_ok());
    assert_eq!(ran_on.load(SeqCst), gil_runtime::get_ident());
    drop(guard);
    t.join().unwrap();
}

#[test]
fn a_pending_call_runs_inside_the_main_threads_join() {
    let rt = Runtime::new();
    let _guard = rt.gil().acquire();
    let gate = Arc::new(Gate::new());
    let ran = Arc::new(AtomicUsize::new(0));
    let t = rt.thread({
        let (gil, gate, ran) = (rt.gil().clone(), gate.clone(), ran.clone());
        move |guard| {
            let waiter = gate.waiter();
            // Only the main thread, inside its join, can open the gate this thread waits at.
            gil.add_pending_call(move || {
                assert!(
                    gil_core::holds_any_gil(),
                    "a pending call runs holding the GIL"
                );
                ran.fetch_add(1, SeqCst);
                gate.open();
                ControlFlow::Continue(())
            })
            .unwrap();
            guard.allow_threads(|| waiter.wait());
        }
    });
    t.start().unwrap();
    assert_eq!(t.join(), Ok(()));
    assert_eq!(ran.load(SeqCst), 1);
}

#[test]
fn a_failing_pending_call_interrupts_the_main_threads_join() {
    let rt = Runtime::new();
    let mut guard = rt.gil().acquire();
    let gate = Gate::new();
    let held = start_held(&rt, &gate);
    let queuer = rt.thread({
        let gil = rt.gil().clone();
        move |_| {
            gil.add_pending_call(|| ControlFlow::Break(())).unwrap();
        }
    });
    queuer.start().unwrap();
    assert_eq!(
        held.join(),
        Err(JoinError::Interrupted(Interrupt::PendingCall))
    );
    assert!(guard.check().is_ok(), "taken by the join");
    gate.open();
    held.join().unwrap();
    queuer.join().unwrap();
}
