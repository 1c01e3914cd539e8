//! The bad-input rows of `Timer` (see [`super`]).
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Timer::join` / `join_timeout` / `join_deadline` before `start` | `Err(JoinError::NotStarted)` | `cannot join thread before it is started` | `RuntimeError: cannot join thread before it is started` |
//! | `Timer::join*` from the timer's own function | `Err(JoinError::CurrentThread)` | `cannot join current thread` | `RuntimeError: cannot join current thread` |
//! | `Timer::start` twice (waiting, cancelled, or fired) | `Err(TimerError::AlreadyStarted)` | `threads can only be started once` | `RuntimeError: threads can only be started once` |
//! | `Timer::cancel` before `start` / while waiting / after firing / twice | no-op error-wise: never calls (before, waiting), ends promptly (waiting), changes nothing (after firing), idempotent | — | same |
//! | `Timer` interval `ZERO` / 1 ns / `Duration::MAX` | fires at once / fires at once / waits until `cancel` | — | `interval <= 0` fires at once |
//! | `Timer::join_timeout(ZERO / 1 ns)` / `join_deadline(past)` on a waiting timer; `join_timeout(MAX)` | `Ok(false)` at once; `Ok(true)` once it ends | — | `join(0)` then `is_alive()` |

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock, Weak, mpsc};
use std::time::{Duration, Instant};

use gil_sync::{JoinError, Timer, TimerError};
use gil_test_support::{PATIENCE, SHORT, join, within};

use super::{EDGE, PROMPT, later, past, prompt};

/// A timer whose function counts its calls.
fn counting_timer(interval: Duration) -> (Timer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let timer = Timer::new(interval, move || {
        c.fetch_add(1, SeqCst);
    });
    (timer, calls)
}

#[test]
fn timer_join_before_start_is_join_error_not_started() {
    let timer = Arc::new(Timer::new(Duration::ZERO, || {}));
    let t = Arc::clone(&timer);
    let results = prompt("joins", move || {
        [
            t.join().map(|()| true),
            t.join_timeout(Duration::ZERO),
            t.join_timeout(Duration::from_nanos(1)),
            t.join_timeout(Duration::MAX),
            t.join_deadline(past()),
        ]
    });
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err, JoinError::NotStarted);
        assert_eq!(err.to_string(), "cannot join thread before it is started");
    }
    assert!(!timer.is_alive());
    timer.start().expect("still startable");
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    assert!(timer.fired());
}

#[test]
fn timer_join_from_its_own_function_is_join_error_current_thread() {
    let slot: Arc<OnceLock<Weak<Timer>>> = Arc::new(OnceLock::new());
    let (tx, rx) = mpsc::channel();
    let s = Arc::clone(&slot);
    let timer = Arc::new(Timer::new(Duration::ZERO, move || {
        let timer = s.get().and_then(Weak::upgrade).expect("the timer is set");
        tx.send([
            timer.join().map(|()| true),
            timer.join_timeout(Duration::ZERO),
            timer.join_timeout(Duration::MAX),
            timer.join_deadline(past()),
        ])
        .unwrap();
    }));
    slot.set(Arc::downgrade(&timer)).unwrap();
    timer.start().unwrap();
    let results = rx.recv_timeout(PATIENCE).expect("the function ran");
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err, JoinError::CurrentThread);
        assert_eq!(err.to_string(), "cannot join current thread");
    }
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    assert!(timer.fired());
    assert!(timer.finished().is_set());
}

#[test]
fn timer_start_twice_is_timer_error_already_started() {
    // While waiting.
    let (waiting, calls) = counting_timer(Duration::MAX);
    waiting.start().unwrap();
    let err = waiting.start().unwrap_err();
    assert_eq!(err, TimerError::AlreadyStarted);
    assert_eq!(err.to_string(), "threads can only be started once");
    assert!(waiting.is_alive());
    // After cancel.
    waiting.cancel();
    assert_eq!(waiting.start(), Err(TimerError::AlreadyStarted));
    assert_eq!(waiting.join_timeout(PATIENCE), Ok(true));
    assert_eq!(waiting.start(), Err(TimerError::AlreadyStarted));
    assert_eq!(calls.load(SeqCst), 0);
    // After firing.
    let (fired, calls) = counting_timer(Duration::ZERO);
    fired.start().unwrap();
    assert_eq!(fired.join_timeout(PATIENCE), Ok(true));
    assert_eq!(fired.start(), Err(TimerError::AlreadyStarted));
    assert_eq!(fired.join_timeout(PATIENCE), Ok(true), "still joinable");
    assert_eq!(calls.load(SeqCst), 1, "a refused start calls nothing");
}

#[test]
fn timer_cancel_before_start_never_calls_the_function() {
    let (timer, calls) = counting_timer(Duration::ZERO);
    timer.cancel();
    assert!(timer.finished().is_set());
    timer.start().expect("a cancelled timer still starts");
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    assert!(!timer.fired());
    assert_eq!(calls.load(SeqCst), 0);
    assert!(!timer.is_alive());
}

#[test]
fn timer_cancel_while_waiting_ends_it_promptly() {
    let (timer, calls) = counting_timer(Duration::from_secs(3600));
    timer.start().unwrap();
    assert!(timer.is_alive());
    let start = Instant::now();
    timer.cancel();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    assert!(start.elapsed() < PROMPT, "took {:?}", start.elapsed());
    assert!(!timer.fired());
    assert_eq!(calls.load(SeqCst), 0);
}

#[test]
fn timer_cancel_after_firing_is_a_no_op() {
    let (timer, calls) = counting_timer(Duration::ZERO);
    timer.start().unwrap();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    timer.cancel();
    assert!(timer.fired());
    assert!(timer.finished().is_set());
    assert_eq!(calls.load(SeqCst), 1);
    assert_eq!(timer.join(), Ok(()));
}

#[test]
fn timer_cancel_twice_is_a_no_op() {
    // Twice before start.
    let (before, calls) = counting_timer(Duration::ZERO);
    before.cancel();
    before.cancel();
    before.start().unwrap();
    assert_eq!(before.join_timeout(PATIENCE), Ok(true));
    assert_eq!(calls.load(SeqCst), 0);
    // Twice while waiting, and again after it ended.
    let (waiting, calls) = counting_timer(Duration::MAX);
    waiting.start().unwrap();
    waiting.cancel();
    waiting.cancel();
    assert_eq!(waiting.join_timeout(PATIENCE), Ok(true));
    waiting.cancel();
    assert_eq!(calls.load(SeqCst), 0);
    assert!(!waiting.is_alive());
}

#[test]
fn timer_interval_zero_and_1ns_fire_promptly() {
    for interval in EDGE {
        let (timer, calls) = counting_timer(interval);
        let start = Instant::now();
        timer.start().unwrap();
        assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
        assert!(start.elapsed() < PROMPT, "took {:?}", start.elapsed());
        assert_eq!(calls.load(SeqCst), 1, "{interval:?}");
        assert!(timer.fired());
    }
}

#[test]
fn timer_interval_max_waits_until_cancel() {
    let (timer, calls) = counting_timer(Duration::MAX);
    timer.start().unwrap();
    assert_eq!(timer.join_timeout(SHORT), Ok(false));
    assert!(timer.is_alive(), "no overflow made it fire or end");
    timer.cancel();
    assert_eq!(timer.join_timeout(PATIENCE), Ok(true));
    assert_eq!(calls.load(SeqCst), 0);
}

#[test]
fn timer_join_timeout_zero_1ns_past_deadline_and_max() {
    let (timer, calls) = counting_timer(Duration::MAX);
    let timer = Arc::new(timer);
    timer.start().unwrap();
    let t = Arc::clone(&timer);
    let results = prompt("joins of a waiting timer", move || {
        [
            t.join_timeout(Duration::ZERO),
            t.join_timeout(Duration::from_nanos(1)),
            t.join_deadline(past()),
        ]
    });
    assert_eq!(results, [Ok(false); 3]);
    assert!(timer.is_alive());
    let t = Arc::clone(&timer);
    let canceller = later("canceller", move || t.cancel());
    let t = Arc::clone(&timer);
    assert_eq!(
        within("join_timeout(MAX)", move || t.join_timeout(Duration::MAX)),
        Ok(true)
    );
    join(canceller);
    // Ended: every flavour reports it at once.
    let t = Arc::clone(&timer);
    let results = prompt("joins of an ended timer", move || {
        [
            t.join_timeout(Duration::ZERO),
            t.join_timeout(Duration::from_nanos(1)),
            t.join_deadline(past()),
            t.join_timeout(Duration::MAX),
        ]
    });
    assert_eq!(results, [Ok(true); 4]);
    assert_eq!(calls.load(SeqCst), 0);
}
