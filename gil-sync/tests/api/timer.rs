//! `Timer`: CPython's `lock_tests`/`test_threading` `TimerTests`, ported.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{JoinError, Timer, TimerError};

const LONG: Duration = Duration::from_secs(10);

#[test]
fn fires_once_after_interval() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let timer = Timer::new(Duration::from_millis(50), move || {
        c.fetch_add(1, SeqCst);
        tx.send(Instant::now()).unwrap();
    });
    assert!(!timer.is_alive());
    timer.start().unwrap();
    let fired_at = rx.recv_timeout(LONG).unwrap();
    assert!(fired_at - start >= Duration::from_millis(50));
    assert!(timer.join_timeout(LONG).unwrap());
    assert_eq!(calls.load(SeqCst), 1);
    assert!(timer.fired());
    assert!(timer.finished().is_set());
    assert!(!timer.is_alive());
    // Cancel after firing is a no-op.
    timer.cancel();
    assert_eq!(calls.load(SeqCst), 1);
}

#[test]
fn cancel_before_start() {
    let timer = Timer::new(Duration::ZERO, || panic!("must not run"));
    timer.cancel();
    timer.start().unwrap();
    assert!(timer.join_timeout(LONG).unwrap());
    assert!(!timer.fired());
}

#[test]
fn cancel_while_waiting_ends_promptly() {
    let timer = Timer::new(Duration::from_secs(3600), || panic!("must not run"));
    timer.start().unwrap();
    assert!(timer.is_alive());
    assert!(!timer.join_timeout(Duration::from_millis(10)).unwrap());
    let start = Instant::now();
    timer.cancel();
    assert!(timer.join_timeout(LONG).unwrap());
    assert!(start.elapsed() < LONG);
    assert!(!timer.fired());
    assert!(!timer.is_alive());
}

#[test]
fn max_interval_until_cancel() {
    let timer = Timer::new(Duration::MAX, || panic!("must not run"));
    timer.start().unwrap();
    thread::sleep(Duration::from_millis(10));
    assert!(timer.is_alive());
    timer.cancel();
    timer.join().unwrap();
    assert!(!timer.fired());
}

#[test]
fn start_twice_is_an_error() {
    let timer = Timer::new(Duration::ZERO, || {});
    timer.start().unwrap();
    let err = timer.start().unwrap_err();
    assert_eq!(err, TimerError::AlreadyStarted);
    assert_eq!(err.to_string(), "threads can only be started once");
    timer.join().unwrap();
    assert_eq!(timer.start(), Err(TimerError::AlreadyStarted));
}

#[test]
fn zero_interval_fires_immediately() {
    let (tx, rx) = mpsc::channel();
    let timer = Timer::new(Duration::ZERO, move || tx.send(()).unwrap());
    timer.start().unwrap();
    rx.recv_timeout(LONG).unwrap();
    timer.join().unwrap();
    assert!(timer.fired());
}

#[test]
fn join_from_many_threads_many_times() {
    let timer = Timer::new(Duration::from_millis(20), || {});
    timer.start().unwrap();
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                timer.join().unwrap();
                timer.join().unwrap();
                assert!(timer.join_timeout(Duration::ZERO).unwrap());
            });
        }
    });
    assert!(timer.fired());
}

#[test]
fn join_sees_function_effects() {
    let value = Arc::new(AtomicUsize::new(0));
    let v = Arc::clone(&value);
    let timer = Timer::new(Duration::ZERO, move || v.store(42, SeqCst));
    timer.start().unwrap();
    timer.join().unwrap();
    assert_eq!(value.load(SeqCst), 42);
}

#[test]
fn join_before_start_is_an_error() {
    let timer = Timer::new(Duration::ZERO, || {});
    let err = timer.join().unwrap_err();
    assert_eq!(err, JoinError::NotStarted);
    assert_eq!(err.to_string(), "cannot join thread before it is started");
    assert_eq!(
        timer.join_timeout(Duration::ZERO),
        Err(JoinError::NotStarted)
    );
}

#[test]
fn panic_in_function_is_reported_and_thread_ends() {
    let timer = Timer::new(Duration::ZERO, || panic!("timer function failed"));
    timer.start().unwrap();
    assert!(timer.join_timeout(LONG).unwrap());
    assert!(timer.fired());
    assert!(!timer.is_alive());
    // As CPython: the exception escapes `run` before `finished.set()`.
    assert!(!timer.finished().is_set());
}

/// A panic payload that panics again when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the payload's drop panicked");
    }
}

/// Regression: the payload was dropped outside the catch, so its second panic unwound out of
/// the timer thread before `done` was set, and every `join` waited forever.
#[test]
fn a_panic_payload_whose_drop_panics_still_ends_the_timer() {
    let timer = Timer::new(Duration::ZERO, || std::panic::panic_any(Bomb));
    timer.start().unwrap();
    assert!(timer.join_timeout(LONG).unwrap(), "join hung");
    assert!(timer.fired());
    assert!(!timer.is_alive());
}

#[test]
fn join_from_inside_function_is_an_error() {
    let slot: Arc<std::sync::OnceLock<Arc<Timer>>> = Arc::default();
    let s2 = Arc::clone(&slot);
    let (tx, rx) = mpsc::channel();
    let timer = Arc::new(Timer::new(Duration::ZERO, move || {
        let me = s2.get().unwrap();
        tx.send(me.join_timeout(Duration::MAX)).unwrap();
    }));
    slot.set(Arc::clone(&timer)).unwrap();
    timer.start().unwrap();
    let err = rx.recv_timeout(LONG).unwrap().unwrap_err();
    assert_eq!(err.to_string(), "cannot join current thread");
    assert!(timer.join_timeout(LONG).unwrap());
}

#[test]
fn debug_mimics_thread_repr() {
    let timer = Timer::new(Duration::MAX, || {});
    let name = timer.name().to_owned();
    assert!(name.starts_with("Thread-"));
    assert_eq!(format!("{timer:?}"), format!("<Timer({name}, initial)>"));
    timer.start().unwrap();
    assert_eq!(format!("{timer:?}"), format!("<Timer({name}, started)>"));
    timer.cancel();
    timer.join().unwrap();
    assert_eq!(format!("{timer:?}"), format!("<Timer({name}, stopped)>"));
}

#[test]
fn join_releases_the_gil() {
    let gil = gil_core::Gil::new();
    let (tx, rx) = mpsc::channel::<()>();
    let timer = Timer::new(Duration::MAX, move || drop(tx));
    timer.start().unwrap();
    thread::scope(|s| {
        let joiner = s.spawn(|| {
            let _g = gil.acquire();
            timer.join().unwrap();
        });
        // The joiner blocks holding its GIL; this thread can still take the GIL.
        thread::sleep(Duration::from_millis(20));
        let g = gil.acquire();
        timer.cancel();
        drop(g);
        joiner.join().unwrap();
    });
    drop(rx);
}
