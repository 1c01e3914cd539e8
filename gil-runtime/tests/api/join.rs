//! `join` and `join_timeout`: the refusals (not started, current thread, dummy thread), timed
//! joins of a running thread, edge timeouts, many joiners, repeated joins, and joining the
//! main thread.

use std::sync::mpsc;
use std::time::Duration;

use gil_runtime::{JoinError, Runtime};
use gil_test_support::{PATIENCE, SHORT, join, recv, spawn, within};

use crate::support::{Gate, spawn_dummy, start_held};

#[test]
fn joining_a_thread_never_started_is_an_error() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    let err = t.join().unwrap_err();
    assert_eq!(err, JoinError::NotStarted);
    assert_eq!(err.to_string(), "cannot join thread before it is started");
    assert_eq!(t.join_timeout(Duration::ZERO), Err(JoinError::NotStarted));
    assert_eq!(t.join_timeout(PATIENCE), Err(JoinError::NotStarted));
    assert_eq!(t.join_timeout(Duration::MAX), Err(JoinError::NotStarted));
}

#[test]
fn joining_a_thread_whose_start_was_refused_is_not_started() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    rt.shutdown();
    assert!(t.start().is_err());
    assert_eq!(t.join(), Err(JoinError::NotStarted));
}

#[test]
fn a_target_joining_its_own_thread_is_an_error() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    // Daemon, and results read with a deadline: a self-join that blocks fails the test
    // instead of hanging the runtime's shutdown.
    let t = rt.thread_builder().daemon(true).target(move |_| {
        let me = h.current_thread();
        tx.send(me.join_timeout(Duration::ZERO)).unwrap();
        tx.send(me.join().map(|()| true)).unwrap();
    });
    t.start().unwrap();
    assert_eq!(recv(&rx), Err(JoinError::CurrentThread));
    let err = recv(&rx).unwrap_err();
    assert_eq!(err, JoinError::CurrentThread);
    assert_eq!(err.to_string(), "cannot join current thread");
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
}

#[test]
fn the_main_thread_joining_itself_is_an_error() {
    let rt = Runtime::new();
    let answered = gil_sync::Event::new();
    std::thread::scope(|s| {
        // Watchdog: a self-join that blocks is ended by shutdown (which stops the main
        // thread), so the test fails instead of hanging.
        s.spawn(|| {
            if !answered.wait_timeout(PATIENCE) {
                rt.shutdown();
            }
        });
        let joined = rt.main_thread().join();
        let timed = rt.current_thread().join_timeout(PATIENCE);
        answered.set();
        assert_eq!(joined, Err(JoinError::CurrentThread));
        assert_eq!(timed, Err(JoinError::CurrentThread));
    });
}

#[test]
fn joining_a_dummy_thread_is_an_error_from_any_thread() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    let err = dummy.join().unwrap_err();
    assert_eq!(err, JoinError::DummyThread);
    assert_eq!(err.to_string(), "cannot join a dummy thread");
    assert_eq!(dummy.join_timeout(PATIENCE), Err(JoinError::DummyThread));
    assert!(dummy.is_alive(), "a refused join must not stop the dummy");
    // From a runtime thread, and from the dummy's own thread.
    let d = dummy.clone();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| tx.send(d.join()).unwrap());
    t.start().unwrap();
    assert_eq!(recv(&rx), Err(JoinError::DummyThread));
    t.join().unwrap();
    gate.open();
    join(os);
    assert_eq!(
        dummy.join(),
        Err(JoinError::DummyThread),
        "also once its thread ended"
    );
    let h = rt.handle();
    let own = join(spawn("foreign", move || h.current_thread().join()));
    assert_eq!(own, Err(JoinError::DummyThread));
}

#[test]
fn join_timeout_on_a_running_thread_returns_false_and_leaves_it_alive() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    assert_eq!(t.join_timeout(SHORT), Ok(false));
    assert!(t.is_alive());
    assert_eq!(t.join_timeout(Duration::ZERO), Ok(false));
    assert_eq!(t.join_timeout(Duration::from_nanos(1)), Ok(false));
    assert!(t.is_alive());
    gate.open();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert!(!t.is_alive());
}

#[test]
fn zero_and_one_nanosecond_timeouts_report_an_ended_thread() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(t.join_timeout(Duration::ZERO), Ok(true));
    assert_eq!(t.join_timeout(Duration::from_nanos(1)), Ok(true));
}

#[test]
fn join_timeout_max_waits_until_the_thread_ends() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let joiner = {
        let t = t.clone();
        spawn("joiner", move || t.join_timeout(Duration::MAX))
    };
    // Still waiting: the target is held by the gate.
    assert_eq!(t.join_timeout(SHORT), Ok(false));
    assert!(
        !joiner.is_finished(),
        "join_timeout(MAX) returned while the thread ran"
    );
    gate.open();
    assert_eq!(join(joiner), Ok(true));
    assert!(!t.is_alive());
}

#[test]
fn join_timeout_beyond_any_deadline_waits_until_the_thread_ends() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let t2 = t.clone();
    let huge = Duration::from_secs(u64::MAX / 4);
    let joiner = spawn("joiner", move || t2.join_timeout(huge));
    gate.open();
    assert_eq!(join(joiner), Ok(true));
}

#[test]
fn many_threads_joining_the_same_thread_all_return() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let target = start_held(&rt, &gate);
    let (tx, rx) = mpsc::channel();
    // Runtime threads join with a deadline (so a failure cannot hang the runtime's
    // shutdown); std threads join without one.
    let rt_joiners: Vec<_> = (0..3)
        .map(|_| {
            let (target, tx) = (target.clone(), tx.clone());
            let j = rt.thread(move |_| tx.send(target.join_timeout(PATIENCE)).unwrap());
            j.start().unwrap();
            j
        })
        .collect();
    let std_joiners: Vec<_> = (0..3)
        .map(|_| {
            let target = target.clone();
            spawn("joiner", move || target.join())
        })
        .collect();
    assert!(rx.recv_timeout(SHORT).is_err(), "a join returned early");
    gate.open();
    for _ in 0..3 {
        assert_eq!(recv(&rx), Ok(true));
    }
    for j in std_joiners {
        assert_eq!(join(j), Ok(()));
    }
    for j in &rt_joiners {
        j.join().unwrap();
    }
}

#[test]
fn a_thread_can_be_joined_many_times() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    t.start().unwrap();
    for _ in 0..3 {
        t.join().unwrap();
        assert_eq!(t.join_timeout(Duration::ZERO), Ok(true));
    }
    t.clone().join().unwrap();
}

#[test]
fn a_daemon_thread_joining_the_main_thread_returns_after_shutdown() {
    let rt = Runtime::new();
    let main = rt.main_thread();
    let (tx, rx) = mpsc::channel();
    let joiner = rt.thread_builder().daemon(true).target(move |_| {
        tx.send(main.join_timeout(Duration::ZERO)).unwrap();
        tx.send(main.join_timeout(PATIENCE)).unwrap();
    });
    joiner.start().unwrap();
    assert_eq!(
        recv(&rx),
        Ok(false),
        "the main thread is alive before shutdown"
    );
    assert!(
        rx.recv_timeout(SHORT).is_err(),
        "joining main returned before shutdown"
    );
    rt.shutdown();
    assert_eq!(recv(&rx), Ok(true));
    assert_eq!(joiner.join_timeout(PATIENCE), Ok(true));
}

/// Python's `_shutdown` stops the main thread *before* it waits for the non-daemon threads
/// (`PYTHON_SEMANTICS.md` 1.8: "that join returns when the main thread finishes at shutdown"),
/// so a non-daemon thread joining the main thread lets shutdown finish.
#[test]
fn a_non_daemon_thread_joining_the_main_thread_does_not_deadlock_shutdown() {
    let rt = Runtime::new();
    let main = rt.main_thread();
    let (tx, rx) = mpsc::channel();
    // With a deadline, so that a regression fails after PATIENCE instead of hanging.
    let joiner = rt.thread(move |_| tx.send(main.join_timeout(PATIENCE)).unwrap());
    joiner.start().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            rt.shutdown();
            done_tx.send(()).unwrap();
        });
        assert_eq!(recv(&rx), Ok(true), "joining the main thread timed out");
        recv(&done_rx);
    });
    assert!(!joiner.is_alive());
}

#[test]
fn join_waits_with_the_joiners_gil_released() {
    let rt = Runtime::new();
    let gil = rt.gil().clone();
    // Daemon, so that a joiner stuck with the GIL cannot hang the runtime's shutdown.
    let t = rt.thread_builder().daemon(true).target(|guard| {
        assert!(guard.gil().is_held_by_current_thread());
    });
    let ended = within("joiner holding the GIL", move || {
        let _held = gil.acquire();
        t.start().unwrap();
        t.join().map(|()| t.is_alive())
    });
    assert_eq!(ended, Ok(false));
}

#[test]
fn join_timeout_waits_with_the_main_threads_gil_released() {
    let rt = Runtime::new();
    let held = rt.gil().acquire();
    let t = rt
        .thread_builder()
        .daemon(true)
        .target(|guard| assert!(guard.gil().is_held_by_current_thread()));
    t.start().unwrap();
    assert_eq!(
        t.join_timeout(PATIENCE),
        Ok(true),
        "the target never got the GIL"
    );
    assert!(
        held.gil().is_held_by_current_thread(),
        "join gives the GIL back"
    );
    drop(held);
}

/// Like Python 3.13's `join` (`pthread_join`), the first joiner returns once the OS thread
/// has exited, not merely once the target has returned: the thread's own thread-local
/// destructors (here a slow one) have run by then.
#[test]
fn join_returns_after_the_threads_thread_locals_are_dropped() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    static DROPPED: AtomicUsize = AtomicUsize::new(0);
    struct SlowDrop;
    impl Drop for SlowDrop {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(2));
            DROPPED.fetch_add(1, SeqCst);
        }
    }
    thread_local! {
        static SLOW: std::cell::RefCell<Option<SlowDrop>> = const { std::cell::RefCell::new(None) };
    }
    let rt = Runtime::new();
    for round in 1..=10 {
        let t = rt.thread(|_| SLOW.with(|s| *s.borrow_mut() = Some(SlowDrop)));
        t.start().unwrap();
        t.join().unwrap();
        assert_eq!(
            DROPPED.load(SeqCst),
            round,
            "join returned before the thread exited"
        );
    }
}

/// Regression (review): a timed join that held the OS handle used to wait for the thread's
/// thread-local destructors (user code, here one that sleeps 1 s) after `done`. Timed joins
/// now wait for `done` only; the next untimed join still waits for the OS thread.
#[test]
fn a_timed_join_does_not_wait_for_thread_local_destructors() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

    static DROPPED: AtomicBool = AtomicBool::new(false);
    struct SlowDrop;
    impl Drop for SlowDrop {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_secs(1));
            DROPPED.store(true, SeqCst);
        }
    }
    thread_local! {
        static SLOW: std::cell::RefCell<Option<SlowDrop>> = const { std::cell::RefCell::new(None) };
    }
    let rt = Runtime::new();
    let t = rt.thread(|_| SLOW.with(|s| *s.borrow_mut() = Some(SlowDrop)));
    t.start().unwrap();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert!(!t.is_alive());
    assert!(
        !DROPPED.load(SeqCst),
        "the timed join waited for the thread-local destructor"
    );
    t.join().unwrap();
    assert!(
        DROPPED.load(SeqCst),
        "the untimed join waits for the OS thread"
    );
}
