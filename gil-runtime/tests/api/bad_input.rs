//! The bad-input table of gil-runtime (issue #6): one test per case, each checking the exact
//! typed error, its message, and that the thread (and the runtime) still behave as
//! documented afterwards. Every wait is bounded: a deadlock fails the test instead of
//! hanging it.
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Thread::start` a second time (running, or finished; also on a clone) | `Err(StartError::AlreadyStarted)`; the thread runs and joins as before | `threads can only be started once` | `RuntimeError: threads can only be started once` |
//! | `Thread::start` on the main thread or a dummy thread | `Err(StartError::AlreadyStarted)` | `threads can only be started once` | `RuntimeError` (same text) |
//! | `Thread::start` after `Runtime::shutdown`, or once the runtime is gone | `Err(StartError::Shutdown)`; the thread stays unstarted (join: `NotStarted`, `set_daemon` allowed) | `can't create new thread at interpreter shutdown` | `RuntimeError` (same text, 3.12+) |
//! | `Thread::start` with a stack the OS cannot map (`set_stack_size(1 << 62)`, builder `stack_size(isize::MAX)`) | `Err(StartError::Spawn(kind))`; the thread stays unstarted and can be started again | `can't start new thread: <os error kind>` | `RuntimeError: can't start new thread` |
//! | `Thread::join` / `join_timeout(ZERO / 1 ns / MAX)` before `start` | `Err(JoinError::NotStarted)`; the thread can still start | `cannot join thread before it is started` | `RuntimeError` (same text) |
//! | `Thread::join` / `join_timeout(ZERO / 1 ns / MAX)` of the current thread (from its target, or the main thread on itself) | `Err(JoinError::CurrentThread)`, nothing waited for | `cannot join current thread` | `RuntimeError` (same text) |
//! | `Thread::join` / `join_timeout` of a dummy thread | `Err(JoinError::DummyThread)`; the dummy stays alive | `cannot join a dummy thread` | `RuntimeError` (3.13; 3.11: `AssertionError`) |
//! | `Thread::join` / `join_timeout` of a thread whose target panicked | `Err(JoinError::Panicked(msg))`, every time; the runtime stays usable | `thread panicked: <msg>` | `join()` returns `None` (the exception went to `excepthook`) |
//! | `Thread::join_timeout(ZERO / 1 ns)` on a running thread | `Ok(false)` at once, thread still alive | — | `join(0)`, then `is_alive()` is `True` |
//! | `Thread::join_timeout(Duration::MAX)` | `Ok(true)` at once for an ended thread; waits for a running one | — | `join()` |
//! | `Thread::set_daemon` once started (running or finished), on the main or a dummy thread | `Err(DaemonError::Active)`, flag unchanged | `cannot set daemon status of active thread` | `RuntimeError` (same text) |
//! | `Handle::set_stack_size` / `ThreadBuilder::stack_size` with `0 < n < 32768` | `Err(StackSizeError::TooSmall(n))`, setting unchanged | `size not valid: <n> bytes` | `ValueError: size not valid: <n> bytes` |
//! | `Handle::set_stack_size` / `ThreadBuilder::stack_size` above `isize::MAX` | `Err(StackSizeError::TooLarge(n))`, setting unchanged | `size too large: <n> bytes` | `OverflowError: Python int too large to convert to C ssize_t` |
//! | `Thread::interrupt` / `interrupter` before `start`, after a refused or failed start | `Err(InterruptError::NotStarted)`; the thread can still start, and runs uninterrupted | `cannot interrupt thread before it is started` | `PyThreadState_SetAsyncExc` returns 0 (no such thread) |
//! | `Thread::interrupt` / `interrupter` once the target has ended (joined or not) | `Err(InterruptError::Finished)` | `cannot interrupt a finished thread` | `PyThreadState_SetAsyncExc` returns 0 |
//! | `Handle::interrupt_main` / main `interrupt` after `Runtime::shutdown` | `Err(InterruptError::Finished)`; no interrupt is raised | `cannot interrupt a finished thread` | `_thread.interrupt_main()` never fails |
//! | `Thread::interrupt` / `interrupter` of a dummy thread, from any thread | `Err(InterruptError::DummyThread)`; the dummy stays alive, uninterrupted | `cannot interrupt a dummy thread` | works (a dummy thread has a thread state) |
//! | `RuntimeBuilder::switch_interval(Duration::ZERO).build()` | `Err(SwitchIntervalError::Zero)` | `switch interval must be strictly positive` | `ValueError` (same text) |

use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::SwitchIntervalError;
use gil_runtime::{
    DaemonError, InterruptError, JoinError, Runtime, StackSizeError, StartError, Thread,
};
use gil_test_support::{PATIENCE, SHORT, join, recv};

use crate::support::{Gate, silence, spawn_dummy, start_held};

/// "Returns promptly": a zero or 1 ns join must be back within this on a loaded machine.
const PROMPT: Duration = Duration::from_secs(2);

/// The timeouts that must act as a poll.
const EDGE: [Duration; 2] = [Duration::ZERO, Duration::from_nanos(1)];

/// The largest stack size that passes validation; no machine can map it.
const UNMAPPABLE: usize = isize::MAX.unsigned_abs();

/// Every join flavour, from the calling thread; untimed last.
fn every_join(t: &Thread) -> [Result<bool, JoinError>; 4] {
    [
        t.join_timeout(Duration::ZERO),
        t.join_timeout(Duration::from_nanos(1)),
        t.join_timeout(Duration::MAX),
        t.join().map(|()| true),
    ]
}

/// The runtime still starts and joins threads.
fn assert_runtime_usable(rt: &Runtime) {
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| {
        guard.check().unwrap();
        tx.send(()).unwrap();
    });
    t.start().expect("the runtime still starts threads");
    recv(&rx);
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_eq!(t.join(), Ok(()));
}

/// An unstarted thread's documented state: not alive, no ident, join refused.
fn assert_unstarted(t: &Thread) {
    assert!(!t.is_alive());
    assert_eq!(t.ident(), None);
    assert_eq!(t.native_id(), None);
    assert_eq!(t.join(), Err(JoinError::NotStarted));
    assert_eq!(t.join_timeout(Duration::MAX), Err(JoinError::NotStarted));
}

#[test]
fn thread_start_twice_is_start_error_already_started() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let ident = t.ident();
    let err = t.start().unwrap_err();
    assert_eq!(err, StartError::AlreadyStarted);
    assert_eq!(err.to_string(), "threads can only be started once");
    assert_eq!(t.clone().start(), Err(StartError::AlreadyStarted));
    assert!(
        t.is_alive(),
        "a refused start leaves the running thread alone"
    );
    assert_eq!(t.ident(), ident);
    gate.open();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    // Finished: still refused, still joinable.
    assert_eq!(t.start(), Err(StartError::AlreadyStarted));
    assert_eq!(t.join(), Ok(()));
    assert_eq!(t.ident(), ident);
    assert_runtime_usable(&rt);
}

#[test]
fn thread_start_of_the_main_or_a_dummy_thread_is_start_error_already_started() {
    let rt = Runtime::new();
    let err = rt.main_thread().start().unwrap_err();
    assert_eq!(err, StartError::AlreadyStarted);
    assert_eq!(err.to_string(), "threads can only be started once");
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert_eq!(dummy.start(), Err(StartError::AlreadyStarted));
    assert!(dummy.is_alive());
    gate.open();
    join(os);
    assert_runtime_usable(&rt);
}

#[test]
fn thread_start_after_shutdown_is_start_error_shutdown() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    rt.shutdown();
    let err = t.start().unwrap_err();
    assert_eq!(err, StartError::Shutdown);
    assert_eq!(
        err.to_string(),
        "can't create new thread at interpreter shutdown"
    );
    assert_eq!(t.start(), Err(StartError::Shutdown), "refused again");
    assert_unstarted(&t);
    t.set_daemon(true)
        .expect("an unstarted thread may change its flag");
    assert!(t.daemon());
    assert_eq!(rt.thread(|_| {}).start(), Err(StartError::Shutdown));
}

#[test]
fn thread_start_once_the_runtime_is_gone_is_start_error_shutdown() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    drop(rt);
    let err = t.start().unwrap_err();
    assert_eq!(err, StartError::Shutdown);
    assert_eq!(
        err.to_string(),
        "can't create new thread at interpreter shutdown"
    );
    assert_unstarted(&t);
}

#[test]
fn thread_start_with_an_unmappable_stack_is_start_error_spawn() {
    let rt = Runtime::new();
    // The runtime-wide setting: the thread can start once it is lowered again.
    assert_eq!(rt.set_stack_size(1 << 62), Ok(0));
    let t = rt.thread(|_| {});
    let err = t.start().unwrap_err();
    assert!(matches!(err, StartError::Spawn(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("can't start new thread: "),
        "{err}"
    );
    assert_unstarted(&t);
    assert_eq!(
        rt.active_count(),
        1,
        "a thread that failed to start is not listed"
    );
    t.set_daemon(false).expect("still unstarted");
    assert_eq!(rt.set_stack_size(0), Ok(1 << 62));
    t.start().expect("a failed start can be retried");
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));

    // An explicit size, the largest that passes validation.
    let t = rt
        .thread_builder()
        .stack_size(UNMAPPABLE)
        .expect("isize::MAX passes validation")
        .target(|_| {});
    assert!(matches!(t.start(), Err(StartError::Spawn(_))));
    assert!(matches!(t.start(), Err(StartError::Spawn(_))), "retried");
    assert_unstarted(&t);
    assert_runtime_usable(&rt);
}

#[test]
fn thread_join_before_start_is_join_error_not_started() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    let start = Instant::now();
    for result in every_join(&t) {
        let err = result.unwrap_err();
        assert_eq!(err, JoinError::NotStarted);
        assert_eq!(err.to_string(), "cannot join thread before it is started");
    }
    assert!(start.elapsed() < PROMPT, "nothing is waited for");
    t.start()
        .expect("a refused join does not stop a later start");
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_eq!(t.join(), Ok(()));
}

#[test]
fn thread_join_of_itself_from_its_target_is_join_error_current_thread() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    // Daemon, and the result read with a deadline: a self-join that blocks fails the test
    // instead of hanging the runtime's shutdown.
    let t = rt.thread_builder().daemon(true).target(move |_| {
        let me = h.current_thread();
        let start = Instant::now();
        let results = every_join(&me);
        tx.send((results, start.elapsed())).unwrap();
    });
    t.start().unwrap();
    let (results, elapsed) = recv(&rx);
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err, JoinError::CurrentThread);
        assert_eq!(err.to_string(), "cannot join current thread");
    }
    assert!(elapsed < PROMPT, "nothing is waited for: {elapsed:?}");
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_runtime_usable(&rt);
}

#[test]
fn thread_join_of_the_main_thread_by_itself_is_join_error_current_thread() {
    let rt = Runtime::new();
    let answered = gil_sync::Event::new();
    let results = std::thread::scope(|s| {
        // Watchdog: a self-join that blocks is ended by shutdown (which stops the main
        // thread), so the test fails instead of hanging.
        s.spawn(|| {
            if !answered.wait_timeout(PATIENCE) {
                rt.shutdown();
            }
        });
        let results = every_join(&rt.main_thread());
        answered.set();
        results
    });
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err, JoinError::CurrentThread);
        assert_eq!(err.to_string(), "cannot join current thread");
    }
    assert!(rt.main_thread().is_alive());
    assert_runtime_usable(&rt);
}

#[test]
fn thread_join_of_a_dummy_thread_is_join_error_dummy_thread() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    for result in every_join(&dummy) {
        let err = result.unwrap_err();
        assert_eq!(err, JoinError::DummyThread);
        assert_eq!(err.to_string(), "cannot join a dummy thread");
    }
    assert!(dummy.is_alive(), "a refused join must not stop the dummy");
    gate.open();
    join(os);
    assert_eq!(
        dummy.join(),
        Err(JoinError::DummyThread),
        "also once it ended"
    );
    assert_runtime_usable(&rt);
}

#[test]
fn thread_join_of_a_panicked_target_is_join_error_panicked() {
    let rt = Runtime::new();
    silence(&rt);
    let t = rt.thread(|_| std::panic::resume_unwind(Box::new("boom")));
    t.start().unwrap();
    let err = t.join().unwrap_err();
    assert_eq!(err, JoinError::Panicked("boom".to_owned()));
    assert_eq!(err.to_string(), "thread panicked: boom");
    // Every later join says the same, at once.
    for result in every_join(&t) {
        assert_eq!(result, Err(JoinError::Panicked("boom".to_owned())));
    }
    assert!(!t.is_alive());
    assert_eq!(t.start(), Err(StartError::AlreadyStarted));
    // The GIL was released by the panicking thread: the runtime is usable.
    drop(rt.gil().try_acquire().expect("the gil is free"));
    assert_runtime_usable(&rt);
}

#[test]
fn thread_join_timeout_zero_and_1ns_on_a_running_thread_is_false() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    for timeout in EDGE {
        let start = Instant::now();
        assert_eq!(t.join_timeout(timeout), Ok(false), "{timeout:?}");
        assert!(
            start.elapsed() < PROMPT,
            "{timeout:?} took {:?}",
            start.elapsed()
        );
        assert!(t.is_alive());
    }
    gate.open();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    for timeout in EDGE {
        assert_eq!(t.join_timeout(timeout), Ok(true), "ended: {timeout:?}");
    }
    assert_runtime_usable(&rt);
}

#[test]
fn thread_join_timeout_max_waits_without_overflow() {
    let rt = Runtime::new();
    // Ended: returns at once.
    let t = rt.thread(|_| {});
    t.start().unwrap();
    t.join().unwrap();
    let start = Instant::now();
    assert_eq!(t.join_timeout(Duration::MAX), Ok(true));
    assert!(start.elapsed() < PROMPT);
    // Running: waits until the target returns (opened shortly after, from another thread).
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let (tx, rx) = mpsc::channel();
    let joiner = {
        let t = t.clone();
        gil_test_support::spawn("joiner", move || {
            tx.send(()).unwrap();
            t.join_timeout(Duration::MAX)
        })
    };
    recv(&rx);
    std::thread::sleep(SHORT);
    assert!(t.is_alive());
    gate.open();
    assert_eq!(join(joiner), Ok(true));
    assert!(!t.is_alive());
    assert_runtime_usable(&rt);
}

#[test]
fn thread_set_daemon_after_start_is_daemon_error_active() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let err = t.set_daemon(true).unwrap_err();
    assert_eq!(err, DaemonError::Active);
    assert_eq!(err.to_string(), "cannot set daemon status of active thread");
    assert!(!t.daemon(), "a refused set changes nothing");
    gate.open();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_eq!(
        t.set_daemon(true),
        Err(DaemonError::Active),
        "also once finished"
    );
    assert!(!t.daemon());
    // The main thread and a dummy thread are always started.
    assert_eq!(rt.main_thread().set_daemon(true), Err(DaemonError::Active));
    assert!(!rt.main_thread().daemon());
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert_eq!(dummy.set_daemon(false), Err(DaemonError::Active));
    assert!(dummy.daemon());
    gate.open();
    join(os);
    assert_runtime_usable(&rt);
}

#[test]
fn stack_size_below_32_kib_is_stack_size_error_too_small() {
    let rt = Runtime::new();
    rt.set_stack_size(65536).unwrap();
    for bytes in [1, 1000, 32767] {
        let err = rt.set_stack_size(bytes).unwrap_err();
        assert_eq!(err, StackSizeError::TooSmall(bytes));
        assert_eq!(err.to_string(), format!("size not valid: {bytes} bytes"));
        let err = rt.thread_builder().stack_size(bytes).unwrap_err();
        assert_eq!(err, StackSizeError::TooSmall(bytes));
        assert_eq!(err.to_string(), format!("size not valid: {bytes} bytes"));
    }
    assert_eq!(rt.stack_size(), 65536, "a refused size changes nothing");
    // 0 (the default) and 32 KiB (the minimum) are accepted and run.
    assert_eq!(rt.set_stack_size(32768), Ok(65536));
    assert_runtime_usable(&rt);
    assert_eq!(rt.set_stack_size(0), Ok(32768));
    for bytes in [0, 32768] {
        let t = rt
            .thread_builder()
            .stack_size(bytes)
            .unwrap()
            .target(|_| {});
        t.start().unwrap();
        assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    }
}

#[test]
fn stack_size_above_isize_max_is_stack_size_error_too_large() {
    let rt = Runtime::new();
    for bytes in [UNMAPPABLE + 1, usize::MAX] {
        let err = rt.set_stack_size(bytes).unwrap_err();
        assert_eq!(err, StackSizeError::TooLarge(bytes));
        assert_eq!(err.to_string(), format!("size too large: {bytes} bytes"));
        let err = rt.thread_builder().stack_size(bytes).unwrap_err();
        assert_eq!(err, StackSizeError::TooLarge(bytes));
    }
    assert_eq!(rt.stack_size(), 0, "a refused size changes nothing");
    assert_eq!(
        rt.set_stack_size(UNMAPPABLE),
        Ok(0),
        "isize::MAX itself passes"
    );
    assert_eq!(rt.set_stack_size(0), Ok(UNMAPPABLE));
    assert_runtime_usable(&rt);
}

#[test]
fn runtime_builder_zero_switch_interval_is_switch_interval_error_zero() {
    let err = Runtime::builder()
        .switch_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err, SwitchIntervalError::Zero);
    assert_eq!(err.to_string(), "switch interval must be strictly positive");
    // A valid interval builds a working runtime on the same thread.
    let rt = Runtime::builder()
        .switch_interval(Duration::from_nanos(1))
        .build()
        .expect("a positive interval is valid");
    assert_eq!(rt.gil().switch_interval(), Duration::from_nanos(1));
    assert_eq!(rt.current_thread().name(), "MainThread");
    assert_runtime_usable(&rt);
}

/// Both ways to interrupt `t` refuse with `expected`.
fn assert_interrupt_refused(t: &Thread, expected: InterruptError) {
    let err = t.interrupt().unwrap_err();
    assert_eq!(err, expected);
    assert_eq!(t.interrupter().unwrap_err(), expected);
    let message = match expected {
        InterruptError::NotStarted => "cannot interrupt thread before it is started",
        InterruptError::Finished => "cannot interrupt a finished thread",
        InterruptError::DummyThread => "cannot interrupt a dummy thread",
        other => panic!("unexpected error {other:?}"),
    };
    assert_eq!(err.to_string(), message);
}

/// Starts `t`, whose target sends the result of its first `check()`, and checks that it
/// is clean: a refused interrupt must not reach the thread once it runs.
fn first_check_of(t: &Thread, rx: &mpsc::Receiver<Result<(), gil_core::Interrupt>>) {
    t.start()
        .expect("a thread whose interrupt was refused still starts");
    assert_eq!(
        recv(rx),
        Ok(()),
        "a refused interrupt must not be raised later"
    );
    t.join().unwrap();
}

#[test]
fn thread_interrupt_before_start_is_interrupt_error_not_started() {
    let rt = Runtime::new();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |guard| tx.send(guard.check().map(drop)).unwrap());
    assert_interrupt_refused(&t, InterruptError::NotStarted);
    assert_unstarted(&t);
    first_check_of(&t, &rx);

    // After a start the OS refused: unstarted again.
    let (tx, rx) = mpsc::channel();
    let t = rt
        .thread_builder()
        .stack_size(UNMAPPABLE)
        .unwrap()
        .target(move |guard| tx.send(guard.check().map(drop)).unwrap());
    assert!(matches!(t.start(), Err(StartError::Spawn(_))));
    assert_interrupt_refused(&t, InterruptError::NotStarted);
    drop((t, rx));

    // After a start refused at shutdown.
    let t = rt.thread(|_| {});
    rt.shutdown();
    assert_eq!(t.start(), Err(StartError::Shutdown));
    assert_interrupt_refused(&t, InterruptError::NotStarted);
}

#[test]
fn thread_interrupt_of_a_finished_thread_is_interrupt_error_finished() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    t.start().unwrap();
    // Ended, not joined yet (a timed join does not wait for the OS thread).
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_interrupt_refused(&t, InterruptError::Finished);
    t.join().unwrap();
    assert_interrupt_refused(&t, InterruptError::Finished);
    // A panicked thread has finished too.
    silence(&rt);
    let t = rt.thread(|_| std::panic::resume_unwind(Box::new("boom")));
    t.start().unwrap();
    assert!(t.join().is_err());
    assert_interrupt_refused(&t, InterruptError::Finished);
    assert_runtime_usable(&rt);
}

#[test]
fn interrupt_main_after_shutdown_is_interrupt_error_finished() {
    let rt = Runtime::new();
    let mut guard = rt.gil().acquire();
    rt.shutdown();
    let err = rt.interrupt_main().unwrap_err();
    assert_eq!(err, InterruptError::Finished);
    assert_eq!(err.to_string(), "cannot interrupt a finished thread");
    assert_interrupt_refused(&rt.main_thread(), InterruptError::Finished);
    assert_eq!(guard.check().map(drop), Ok(()), "nothing was raised");
}

#[test]
fn thread_interrupt_of_a_dummy_thread_is_interrupt_error_dummy_thread() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert_interrupt_refused(&dummy, InterruptError::DummyThread);
    // From the dummy itself too.
    let h = rt.handle();
    let from_itself = gil_test_support::spawn("foreign", move || {
        let me = h.current_thread();
        (me.interrupt(), me.interrupter().map(drop))
    });
    assert_eq!(
        join(from_itself),
        (
            Err(InterruptError::DummyThread),
            Err(InterruptError::DummyThread)
        )
    );
    assert!(
        dummy.is_alive(),
        "a refused interrupt must not stop the dummy"
    );
    gate.open();
    join(os);
    assert_interrupt_refused(&dummy, InterruptError::DummyThread);
    assert_runtime_usable(&rt);
}
