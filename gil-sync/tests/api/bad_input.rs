//! The bad-input table of gil-sync (issue #6): one test per case, each checking the exact
//! typed error (or documented outcome), its message, and that the primitive is still usable
//! afterwards. Timeouts of `Duration::ZERO` and 1 ns must return within [`PROMPT`];
//! `Duration::MAX` must neither panic nor overflow, both when the primitive is available at
//! once and when another thread makes it available shortly after; a deadline in the past is
//! a single try.
//!
//! | case | result | message | Python |
//! |---|---|---|---|
//! | `Lock::release` on an unlocked lock (never acquired, or released twice) | `Err(ReleaseError::Unlocked)` | `release unlocked lock` | `RuntimeError: release unlocked lock` |
//! | `Lock::release` while a live `LockGuard` holds it, then the guard drops | `Ok`; the guard's drop does nothing | — | — |
//! | `Lock::release` from a thread that did not acquire it | `Ok` (a `Lock` has no owner) | — | allowed |
//! | `Lock::try_acquire` on a held lock | `Err(TryAcquireError::WouldBlock)` | `acquire would block` | `acquire(False)` returns `False` |
//! | `Lock::acquire_timeout(ZERO / 1 ns)` on a held lock | `Err(AcquireError::TimedOut)` at once (free lock: `Ok`) | `timed out waiting to acquire` | `acquire(timeout=0)` returns `False` |
//! | `Lock::acquire_timeout(Duration::MAX)` | `Ok` at once when free; waits for a release otherwise | — | `acquire()` (`TIMEOUT_MAX` accepted) |
//! | `Lock::acquire_deadline(past)` | one try: `Ok` when free, `Err(AcquireError::TimedOut)` at once when held | `timed out waiting to acquire` | — |
//! | `RLock::release` by a thread that does not own it (unowned, or owned by another thread) | `Err(ReleaseError::NotOwner)`, owner and count unchanged | `cannot release un-acquired lock` | `RuntimeError: cannot release un-acquired lock` |
//! | `RLock::release_save` by a non-owner | `Err(ReleaseError::NotOwner)` | `cannot release un-acquired lock` | `_release_save()`: `RuntimeError` (same text) |
//! | `RLock::try_acquire` / `acquire_timeout(ZERO)` / `acquire_deadline(past)` by the owner | `Ok`: one more level | — | `acquire(False)` / `acquire(timeout=0)` return `True` |
//! | `RLock::try_acquire` / `acquire_timeout(ZERO / 1 ns)` / `acquire_deadline(past)` while another thread owns it | `Err(WouldBlock)` / `Err(TimedOut)` at once | `acquire would block` / `timed out waiting to acquire` | `False` |
//! | `RLock::acquire_timeout(Duration::MAX)` | `Ok` at once when free; waits for the owner's release otherwise | — | `acquire()` |
//! | `Semaphore::release_n(0)` / `BoundedSemaphore::release_n(0)` | `Err(ReleaseError::InvalidCount)`, value unchanged | `n must be one or more` | `ValueError: n must be one or more` |
//! | `Semaphore::release` / `release_n` past `Semaphore::MAX_VALUE` (2⁶³ − 1), incl. `release_n(u64::MAX)` | `Err(ReleaseError::Overflow)`, value unchanged | `internal count overflowed` | — (Python ints are unbounded) |
//! | `Semaphore::try_new` / `BoundedSemaphore::try_new` above `MAX_VALUE` | `Err(ValueError::ValueTooLarge)` | `semaphore initial value too large` | — (a binding raises `OverflowError`) |
//! | `BoundedSemaphore::release` / `release_n(n)` past the initial value | `Err(ReleaseError::OverRelease)`, no partial increment | `semaphore released too many times` | `ValueError: Semaphore released too many times` |
//! | `BoundedSemaphore::release_n` past both the initial value and `MAX_VALUE` | `Err(ReleaseError::OverRelease)` (as Python) | `semaphore released too many times` | `ValueError: Semaphore released too many times` |
//! | `SemaphoreGuard::release` of a `BoundedSemaphore` released behind the guard's back | `Err(ReleaseError::OverRelease)` | `semaphore released too many times` | `with sem: sem.release()`: `__exit__` raises `ValueError` |
//! | `Semaphore::try_acquire` at value 0 | `Err(TryAcquireError::WouldBlock)` | `acquire would block` | `acquire(False)` returns `False` |
//! | `Semaphore::acquire_timeout(ZERO / 1 ns)` / `acquire_deadline(past)` at value 0 | `Err(AcquireError::TimedOut)` at once (value > 0: `Ok`) | `timed out waiting to acquire` | `acquire(timeout=0)` returns `False` |
//! | `Semaphore::acquire_timeout(Duration::MAX)` | `Ok` at once when value > 0; waits for a release otherwise | — | `acquire()` |
//! | `Condition::wait` / `wait_timeout` / `wait_deadline` / `wait_for*` (false predicate) without the lock (over `Lock` or `RLock`; lock free or held by another thread) | `Err(WaitError::NotOwner)`; nothing released | `cannot wait on un-acquired lock` | `RuntimeError: cannot wait on un-acquired lock` (over a `Lock` held by another thread CPython does not raise, gh-69702) |
//! | `Condition::wait_for*` with a true predicate without the lock | `Ok(true)` without checking ownership | — | returns the predicate's value |
//! | `Condition::notify(n)` (any `n`, incl. 0 and `usize::MAX`) / `notify_all` without the lock | `Err(NotifyError::NotOwner)` | `cannot notify on un-acquired lock` | `RuntimeError: cannot notify on un-acquired lock` (same gh-69702 caveat) |
//! | `Condition::release` without the lock | over `Lock`: `Err(ReleaseError::Unlocked)`; over `RLock`: `Err(ReleaseError::NotOwner)` | `release unlocked lock` / `cannot release un-acquired lock` | `RuntimeError` (same texts) |
//! | `Condition::try_acquire` while held (by another thread; over a `Lock` also by this one) | `Err(TryAcquireError::WouldBlock)` | `acquire would block` | `acquire(False)` returns `False` |
//! | `Condition::wait_timeout(ZERO / 1 ns)` / `wait_deadline(past)` | `Ok(WaitResult::TimedOut)` at once, lock (every `RLock` level) held again | — | `wait(0)` returns `False` |
//! | `Condition::wait_timeout(Duration::MAX)` / `wait_for_timeout(_, MAX)` | wait until notified: `Ok(Notified)` / `Ok(true)` | — | `wait()` / `wait_for(pred)` |
//! | `Condition::wait_for_timeout(false, ZERO / 1 ns)` / `wait_for_deadline(false, past)` | `Ok(false)`, predicate called twice | — | `wait_for(pred, 0)` returns the falsy value |
//! | `Condition::acquire_timeout(ZERO / 1 ns / MAX)` / `acquire_deadline(past)` | as the underlying lock | `timed out waiting to acquire` | as the lock |
//! | `Event::wait_timeout(ZERO / 1 ns)` / `wait_deadline(past)` | the flag, at once | — | `wait(0)` returns the flag |
//! | `Event::wait_timeout(Duration::MAX)` | `true` at once when set; waits for `set` otherwise | — | `wait()` |
//! | `Barrier::new(0)` / `Barrier::with_action(0, _)` | `Err(ValueError::ZeroParties)` | `parties must be > 0` | `ValueError: parties must be > 0` (3.13; 3.11 accepts and hangs) |
//! | `Barrier::wait` after `abort` (or waiting while `abort` is called) | `Err(BarrierError::Broken)` until `reset` | `barrier is broken` | `BrokenBarrierError` (`str(e) == ''`) |
//! | `Barrier::wait_timeout` expiring | `Err(BarrierError::Broken)` for it and every other waiter; broken until `reset` | `barrier is broken` | `BrokenBarrierError` |
//! | `Barrier` action returning `Err` | its runner: `Err(BarrierError::ActionFailed(e))`; the others: `Err(Broken)`; broken until `reset` | `barrier action failed: <e>` | the action's exception / `BrokenBarrierError` |
//! | `Barrier` action panicking | panic resumed in its runner; the others: `Err(Broken)`; broken until `reset` | — | the action's exception / `BrokenBarrierError` |
//! | `Barrier::reset` while a thread waits | that waiter: `Err(BarrierError::Broken)`; the barrier refills (not broken) | `barrier is broken` | `BrokenBarrierError` |
//! | `Barrier::wait_timeout(ZERO / 1 ns)` / `wait_deadline(past)` / `with_timeout(ZERO)` | not last: `Err(Broken)` at once (breaks it); last: `Ok(index)` | `barrier is broken` | `wait(0)`: `BrokenBarrierError` unless last |
//! | `Barrier::wait_timeout(Duration::MAX)` / `with_timeout(MAX)` | `Ok` at once when last; waits for the cycle otherwise | — | `wait()` |
//! | `Timer::join` / `join_timeout` / `join_deadline` before `start` | `Err(JoinError::NotStarted)` | `cannot join thread before it is started` | `RuntimeError: cannot join thread before it is started` |
//! | `Timer::join*` from the timer's own function | `Err(JoinError::CurrentThread)` | `cannot join current thread` | `RuntimeError: cannot join current thread` |
//! | `Timer::start` twice (waiting, cancelled, or fired) | `Err(TimerError::AlreadyStarted)` | `threads can only be started once` | `RuntimeError: threads can only be started once` |
//! | `Timer::cancel` before `start` / while waiting / after firing / twice | no-op error-wise: never calls (before, waiting), ends promptly (waiting), changes nothing (after firing), idempotent | — | same |
//! | `Timer` interval `ZERO` / 1 ns / `Duration::MAX` | fires at once / fires at once / waits until `cancel` | — | `interval <= 0` fires at once |
//! | `Timer::join_timeout(ZERO / 1 ns)` / `join_deadline(past)` on a waiting timer; `join_timeout(MAX)` | `Ok(false)` at once; `Ok(true)` once it ends | — | `join(0)` then `is_alive()` |
//! | `timeout::lock_timeout(false, t)`, `t != -1` (incl. `0`, `-0.0`, `-0.5`) | `Err(TimeoutArgError::NonBlockingWithTimeout)` | `can't specify a timeout for a non-blocking call` | `ValueError` (same text) |
//! | `timeout::lock_timeout(false, NaN)` | `Err(TimeoutArgError::NaN)` (as CPython, which converts first) | `Invalid value NaN (not a number)` | `ValueError: Invalid value NaN (not a number)` |
//! | `timeout::lock_timeout(false, ±inf / ±1e100)` | `Err(TimeoutArgError::Overflow)` (as CPython) | `timestamp out of range for platform time_t` | `OverflowError` |
//! | `timeout::lock_timeout(true, t)`, `t < 0`, `t != -1` | `Err(TimeoutArgError::Negative)` | `timeout value must be a non-negative number` | `ValueError` (same text; 3.11: `timeout value must be positive`) |
//! | `timeout::lock_timeout(true, -inf / -1e100)` | `Err(TimeoutArgError::Overflow)` (as CPython) | `timestamp out of range for platform time_t` | `OverflowError` |
//! | `timeout::lock_timeout(true, -0.9999999999)` (rounds to −1 s in CPython's ns) | `Ok(LockTimeout::Forever)` (as CPython) | — | blocks (treated as `-1`) |
//! | `timeout::lock_timeout(true, NaN)` | `Err(TimeoutArgError::NaN)` | `Invalid value NaN (not a number)` | `ValueError` (same text) |
//! | `timeout::lock_timeout(true, t)`, `t > TIMEOUT_MAX` (incl. `inf`, `1e100`) | `Err(TimeoutArgError::Overflow)`; `TIMEOUT_MAX` itself accepted | `timestamp out of range for platform time_t` | `OverflowError` (same text) |
//! | `timeout::wait_timeout(Some(NaN))` | `Err(TimeoutArgError::NaN)` | `Invalid value NaN (not a number)` | CPython's `Condition.wait(nan)` / `Event.wait(nan)` return `False` without blocking |
//! | `timeout::wait_timeout(Some(t))`, `t > TIMEOUT_MAX` or `inf` | `Err(TimeoutArgError::Overflow)` | `timestamp out of range for platform time_t` | `OverflowError` |
//! | `timeout::wait_timeout(Some(t))`, `t < 0` (incl. `-inf`) | `Ok(Some(ZERO))` | — | does not block |
//! | `timeout::semaphore_timeout(false, Some(_))` (incl. `0`, `-1`, NaN, `inf`) | `Err(TimeoutArgError::SemaphoreNonBlockingWithTimeout)` | `can't specify timeout for non-blocking acquire` | `ValueError` (same text) |
//! | `timeout::semaphore_timeout(true, Some(NaN / inf))` | `Err(NaN)` / `Err(Overflow)`; negative → `Timeout(ZERO)` | as above | `inf`: `OverflowError` once it must wait |

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock, Weak, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_sync::timeout::{LockTimeout, TIMEOUT_MAX, lock_timeout, semaphore_timeout, wait_timeout};
use gil_sync::{
    AcquireError, Barrier, BarrierError, BarrierWaitResult, BoundedSemaphore, Condition, Event,
    JoinError, Lock, NotifyError, RLock, ReleaseError, Semaphore, TimeoutArgError, Timer,
    TimerError, TryAcquireError, ValueError, WaitError, WaitResult,
};
use gil_test_support::{PATIENCE, SHORT, join, spawn, wait_until};

/// "Returns promptly": a zero, 1 ns or past-deadline call must be back within this, however
/// loaded the machine (it never sleeps for real).
const PROMPT: Duration = Duration::from_secs(2);

/// The timeouts that must act as a single try.
const EDGE: [Duration; 2] = [Duration::ZERO, Duration::from_nanos(1)];

/// Runs `f` on its own thread and returns its result, failing the test (instead of hanging)
/// after [`PATIENCE`].
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    join(spawn(what, f))
}

/// As [`bounded`], and asserts that `f` returned within [`PROMPT`].
fn prompt<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let start = Instant::now();
    let result = bounded(what, f);
    let elapsed = start.elapsed();
    assert!(elapsed < PROMPT, "{what} took {elapsed:?}");
    result
}

/// Runs `f` on another thread after [`SHORT`].
fn later(what: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    spawn(what, move || {
        thread::sleep(SHORT);
        f();
    })
}

/// A deadline that has passed.
fn past() -> Instant {
    let now = Instant::now();
    now.checked_sub(Duration::from_secs(1)).unwrap_or(now)
}

// ---------------------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------------------

/// Free: taken at once, excludes, released; nobody left holding it.
fn assert_lock_usable(lock: &Lock) {
    assert!(!lock.locked());
    let guard = lock.try_acquire().expect("a free lock is taken at once");
    assert!(lock.locked());
    assert_eq!(
        lock.try_acquire().map(drop),
        Err(TryAcquireError::WouldBlock)
    );
    drop(guard);
    assert!(!lock.locked());
    lock.acquire().leak();
    lock.release().expect("release what was acquired");
    assert!(!lock.locked());
}

#[test]
fn lock_release_unlocked_is_release_error_unlocked() {
    let lock = Lock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err, ReleaseError::Unlocked);
    assert_eq!(err.to_string(), "release unlocked lock");
    assert_lock_usable(&lock);
    // Released twice.
    lock.acquire().leak();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    assert_lock_usable(&lock);
}

#[test]
fn lock_release_under_a_live_guard_makes_the_guard_drop_a_no_op() {
    let lock = Lock::new();
    let guard = lock.acquire();
    lock.release()
        .expect("a held lock may be released by anyone");
    assert!(!lock.locked());
    drop(guard);
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    assert_lock_usable(&lock);
}

#[test]
fn lock_release_from_another_thread_is_allowed() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    assert_eq!(bounded("releaser", move || l.release()), Ok(()));
    assert_lock_usable(&lock);
}

#[test]
fn lock_try_acquire_held_is_try_acquire_error_would_block() {
    let lock = Lock::new();
    let guard = lock.acquire();
    let err = lock.try_acquire().map(drop).unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "acquire would block");
    assert!(lock.locked());
    drop(guard);
    assert_lock_usable(&lock);
}

#[test]
fn lock_acquire_timeout_zero_and_1ns_held_is_acquire_error_timed_out() {
    let lock = Arc::new(Lock::new());
    lock.acquire().leak();
    for timeout in EDGE {
        let l = Arc::clone(&lock);
        let err = prompt("acquire_timeout", move || {
            l.acquire_timeout(timeout).map(drop).unwrap_err()
        });
        assert_eq!(err, AcquireError::TimedOut, "{timeout:?}");
        assert_eq!(err.to_string(), "timed out waiting to acquire");
        assert!(lock.locked());
    }
    lock.release().unwrap();
    // Free: a single try succeeds.
    for timeout in EDGE {
        let l = Arc::clone(&lock);
        let got = prompt("acquire_timeout", move || {
            l.acquire_timeout(timeout).map(drop)
        });
        assert_eq!(got, Ok(()), "{timeout:?}");
    }
    assert_lock_usable(&lock);
}

#[test]
fn lock_acquire_timeout_max_waits_without_overflow() {
    let lock = Arc::new(Lock::new());
    let l = Arc::clone(&lock);
    let got = prompt("acquire_timeout(MAX) on a free lock", move || {
        l.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let releaser = later("releaser", move || l.release().unwrap());
    let l = Arc::clone(&lock);
    let got = bounded("acquire_timeout(MAX) on a held lock", move || {
        l.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    join(releaser);
    assert_lock_usable(&lock);
}

#[test]
fn lock_acquire_deadline_in_the_past_is_a_single_try() {
    let lock = Arc::new(Lock::new());
    let l = Arc::clone(&lock);
    assert_eq!(
        prompt("free", move || l.acquire_deadline(past()).map(drop)),
        Ok(())
    );
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let err = prompt("held", move || l.acquire_deadline(past()).map(drop)).unwrap_err();
    assert_eq!(err, AcquireError::TimedOut);
    assert_eq!(err.to_string(), "timed out waiting to acquire");
    lock.release().unwrap();
    assert_lock_usable(&lock);
}

// ---------------------------------------------------------------------------------------
// RLock
// ---------------------------------------------------------------------------------------

/// Unowned; taken, re-entered and released level by level.
fn assert_rlock_usable(lock: &RLock) {
    assert!(!lock.locked());
    let outer = lock.try_acquire().expect("a free rlock is taken at once");
    let inner = lock.acquire();
    assert_eq!(lock.recursion_count(), 2);
    drop(inner);
    assert!(lock.is_owned());
    drop(outer);
    assert!(!lock.locked());
    assert_eq!(lock.recursion_count(), 0);
}

/// Holds `lock` on another thread until the returned sender is used (or dropped).
fn hold_rlock_elsewhere(lock: &Arc<RLock>) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let l = Arc::clone(lock);
    let holder = spawn("holder", move || {
        let _guard = l.acquire();
        held_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(PATIENCE);
    });
    held_rx.recv_timeout(PATIENCE).expect("the holder holds");
    (release_tx, holder)
}

#[test]
fn rlock_release_unowned_is_release_error_not_owner() {
    let lock = RLock::new();
    let err = lock.release().unwrap_err();
    assert_eq!(err, ReleaseError::NotOwner);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    assert_rlock_usable(&lock);
    // One release too many.
    lock.acquire().leak();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_release_by_a_non_owner_thread_is_release_error_not_owner() {
    let lock = Arc::new(RLock::new());
    lock.acquire().leak();
    lock.acquire().leak();
    let l = Arc::clone(&lock);
    let (release, save) = bounded("non-owner", move || (l.release(), l.release_save()));
    assert_eq!(release, Err(ReleaseError::NotOwner));
    assert_eq!(save.map(|s| s.count()), Err(ReleaseError::NotOwner));
    assert!(lock.is_owned(), "a refused release changes nothing");
    assert_eq!(lock.recursion_count(), 2);
    lock.release().unwrap();
    lock.release().unwrap();
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_release_save_unowned_is_release_error_not_owner() {
    let lock = RLock::new();
    let err = lock.release_save().unwrap_err();
    assert_eq!(err, ReleaseError::NotOwner);
    assert_eq!(err.to_string(), "cannot release un-acquired lock");
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_owner_reentry_with_zero_timeout_or_past_deadline_succeeds() {
    let lock = RLock::new();
    let outer = lock.acquire();
    let levels = vec![
        lock.try_acquire().expect("re-entry never fails"),
        lock.acquire_timeout(Duration::ZERO).expect("re-entry"),
        lock.acquire_timeout(Duration::from_nanos(1))
            .expect("re-entry"),
        lock.acquire_deadline(past()).expect("re-entry"),
        lock.acquire_timeout(Duration::MAX).expect("re-entry"),
    ];
    assert_eq!(lock.recursion_count(), 6);
    drop(levels);
    assert_eq!(lock.recursion_count(), 1);
    drop(outer);
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_try_acquire_zero_1ns_and_past_deadline_owned_elsewhere_fail_at_once() {
    let lock = Arc::new(RLock::new());
    let (release, holder) = hold_rlock_elsewhere(&lock);
    let l = Arc::clone(&lock);
    let (tried, timed, deadline) = prompt("contender", move || {
        let tried = l.try_acquire().map(drop);
        let timed: Vec<_> = EDGE
            .iter()
            .map(|&t| l.acquire_timeout(t).map(drop))
            .collect();
        (tried, timed, l.acquire_deadline(past()).map(drop))
    });
    let err = tried.unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "acquire would block");
    for result in timed {
        let err = result.unwrap_err();
        assert_eq!(err, AcquireError::TimedOut);
        assert_eq!(err.to_string(), "timed out waiting to acquire");
    }
    assert_eq!(deadline, Err(AcquireError::TimedOut));
    release.send(()).unwrap();
    join(holder);
    assert_rlock_usable(&lock);
}

#[test]
fn rlock_acquire_timeout_max_waits_without_overflow() {
    let lock = Arc::new(RLock::new());
    let l = Arc::clone(&lock);
    let got = prompt("free", move || l.acquire_timeout(Duration::MAX).map(drop));
    assert_eq!(got, Ok(()));
    let (release, holder) = hold_rlock_elsewhere(&lock);
    let l = Arc::clone(&lock);
    let waiter = spawn("waiter", move || l.acquire_timeout(Duration::MAX).map(drop));
    thread::sleep(SHORT);
    release.send(()).unwrap();
    assert_eq!(join(waiter), Ok(()));
    join(holder);
    assert_rlock_usable(&lock);
}

// ---------------------------------------------------------------------------------------
// Semaphore and BoundedSemaphore
// ---------------------------------------------------------------------------------------

/// Takes a permit and gives it back; the value ends where it started.
fn assert_semaphore_usable(sem: &Semaphore) {
    let before = sem.value();
    let permit = sem.try_acquire().expect("a permit is available");
    assert_eq!(sem.value(), before - 1);
    permit.release().expect("give the permit back");
    assert_eq!(sem.value(), before);
}

#[test]
fn semaphore_release_n_zero_is_release_error_invalid_count() {
    let sem = Semaphore::new(1);
    let err = sem.release_n(0).unwrap_err();
    assert_eq!(err, ReleaseError::InvalidCount);
    assert_eq!(err.to_string(), "n must be one or more");
    assert_eq!(sem.value(), 1, "nothing changed");
    assert_semaphore_usable(&sem);
    sem.release_n(2).unwrap();
    assert_eq!(sem.value(), 3);

    let bsem = BoundedSemaphore::new(1);
    assert_eq!(bsem.release_n(0), Err(ReleaseError::InvalidCount));
    assert_eq!(bsem.value(), 1);
    assert_semaphore_usable(&bsem);
}

#[test]
fn semaphore_release_past_max_value_is_release_error_overflow() {
    let sem = Semaphore::try_new(Semaphore::MAX_VALUE).expect("MAX_VALUE is valid");
    let err = sem.release().unwrap_err();
    assert_eq!(err, ReleaseError::Overflow);
    assert_eq!(err.to_string(), "internal count overflowed");
    assert_eq!(sem.value(), Semaphore::MAX_VALUE, "nothing changed");
    assert_semaphore_usable(&sem);
    // One below the maximum: one more fits, two do not.
    sem.acquire().leak();
    assert_eq!(sem.release_n(2), Err(ReleaseError::Overflow));
    assert_eq!(sem.value(), Semaphore::MAX_VALUE - 1);
    sem.release().unwrap();
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
}

#[test]
fn semaphore_release_n_u64_max_is_release_error_overflow() {
    for start in [0, 1, u32::MAX] {
        let sem = Semaphore::new(start);
        assert_eq!(sem.release_n(u64::MAX), Err(ReleaseError::Overflow));
        assert_eq!(
            sem.release_n(Semaphore::MAX_VALUE + 1),
            Err(ReleaseError::Overflow)
        );
        assert_eq!(sem.value(), u64::from(start), "nothing changed");
        sem.release().unwrap();
        assert_semaphore_usable(&sem);
    }
    // Filling up to exactly MAX_VALUE is fine.
    let sem = Semaphore::new(0);
    sem.release_n(Semaphore::MAX_VALUE).unwrap();
    assert_eq!(sem.value(), Semaphore::MAX_VALUE);
    assert_eq!(sem.release(), Err(ReleaseError::Overflow));
    assert_semaphore_usable(&sem);
}

#[test]
fn semaphore_try_new_above_max_value_is_value_error_value_too_large() {
    for value in [Semaphore::MAX_VALUE + 1, u64::MAX] {
        let err = Semaphore::try_new(value).unwrap_err();
        assert_eq!(err, ValueError::ValueTooLarge);
        assert_eq!(err.to_string(), "semaphore initial value too large");
        assert_eq!(
            BoundedSemaphore::try_new(value).map(|s| s.value()),
            Err(ValueError::ValueTooLarge)
        );
    }
    let sem = Semaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    assert_semaphore_usable(&sem);
    let bsem = BoundedSemaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    assert_eq!(bsem.initial_value(), Semaphore::MAX_VALUE);
    assert_semaphore_usable(&bsem);
    // The u32 constructors accept every value.
    assert_semaphore_usable(&Semaphore::new(u32::MAX));
    assert_semaphore_usable(&BoundedSemaphore::new(u32::MAX));
}

#[test]
fn bounded_semaphore_release_at_initial_value_is_release_error_over_release() {
    for initial in [0, 1, 3, u32::MAX] {
        let sem = BoundedSemaphore::new(initial);
        let err = sem.release().unwrap_err();
        assert_eq!(err, ReleaseError::OverRelease);
        assert_eq!(err.to_string(), "semaphore released too many times");
        assert_eq!(sem.value(), u64::from(initial), "nothing changed");
        if initial > 0 {
            assert_semaphore_usable(&sem);
        } else {
            assert_eq!(
                sem.try_acquire().map(drop),
                Err(TryAcquireError::WouldBlock)
            );
        }
    }
}

#[test]
fn bounded_semaphore_release_n_past_initial_value_is_over_release_without_partial_increment() {
    let sem = BoundedSemaphore::new(3);
    sem.acquire().leak();
    sem.acquire().leak();
    assert_eq!(sem.value(), 1);
    let err = sem.release_n(3).unwrap_err();
    assert_eq!(err, ReleaseError::OverRelease);
    assert_eq!(err.to_string(), "semaphore released too many times");
    assert_eq!(sem.value(), 1, "no partial increment");
    sem.release_n(2).expect("back to the initial value");
    assert_eq!(sem.value(), 3);
    assert_semaphore_usable(&sem);
}

#[test]
fn bounded_semaphore_release_past_bound_and_max_value_is_release_error_over_release() {
    let sem = BoundedSemaphore::new(1);
    sem.acquire().leak();
    assert_eq!(sem.release_n(u64::MAX), Err(ReleaseError::OverRelease));
    assert_eq!(sem.value(), 0, "nothing changed");
    sem.release().unwrap();
    let full = BoundedSemaphore::try_new(Semaphore::MAX_VALUE).unwrap();
    assert_eq!(full.release(), Err(ReleaseError::OverRelease));
    assert_eq!(full.value(), Semaphore::MAX_VALUE);
    assert_semaphore_usable(&full);
}

#[test]
fn bounded_semaphore_guard_release_after_an_over_release_is_over_release() {
    let sem = BoundedSemaphore::new(1);
    let permit = sem.acquire();
    sem.release().expect("the permit's slot is free");
    let err = permit.release().unwrap_err();
    assert_eq!(err, ReleaseError::OverRelease);
    assert_eq!(err.to_string(), "semaphore released too many times");
    assert_eq!(sem.value(), 1);
    // A guard dropped in the same situation ignores the error.
    let permit = sem.acquire();
    sem.release().unwrap();
    drop(permit);
    assert_eq!(sem.value(), 1);
    assert_semaphore_usable(&sem);
}

#[test]
fn semaphore_try_acquire_at_zero_is_try_acquire_error_would_block() {
    let sem = Semaphore::new(0);
    let err = sem.try_acquire().map(drop).unwrap_err();
    assert_eq!(err, TryAcquireError::WouldBlock);
    assert_eq!(err.to_string(), "acquire would block");
    assert_eq!(sem.value(), 0);
    sem.release().unwrap();
    assert_semaphore_usable(&sem);
}

/// `acquire_timeout(ZERO)`, `acquire_timeout(1 ns)` and `acquire_deadline(past)`; a permit
/// taken is given back at once.
fn single_tries(sem: &Semaphore) -> Vec<Result<(), AcquireError>> {
    let mut results: Vec<_> = EDGE
        .iter()
        .map(|&t| sem.acquire_timeout(t).map(drop))
        .collect();
    results.push(sem.acquire_deadline(past()).map(drop));
    results
}

#[test]
fn semaphore_acquire_timeout_zero_1ns_and_past_deadline_at_zero_are_timed_out() {
    let sem = Arc::new(Semaphore::new(0));
    let s = Arc::clone(&sem);
    for result in prompt("value 0", move || single_tries(&s)) {
        let err = result.unwrap_err();
        assert_eq!(err, AcquireError::TimedOut);
        assert_eq!(err.to_string(), "timed out waiting to acquire");
    }
    assert_eq!(sem.value(), 0);
    sem.release().unwrap();
    let s = Arc::clone(&sem);
    assert_eq!(prompt("value 1", move || single_tries(&s)), [Ok(()); 3]);
    assert_semaphore_usable(&sem);

    // A bounded one, drained.
    let bsem = Arc::new(BoundedSemaphore::new(1));
    bsem.acquire().leak();
    let s = Arc::clone(&bsem);
    assert_eq!(
        prompt("bounded, value 0", move || single_tries(&s)),
        [Err(AcquireError::TimedOut); 3]
    );
    assert_eq!(bsem.value(), 0);
    bsem.release().unwrap();
    let s = Arc::clone(&bsem);
    assert_eq!(
        prompt("bounded, value 1", move || single_tries(&s)),
        [Ok(()); 3]
    );
    assert_semaphore_usable(&bsem);
}

#[test]
fn semaphore_acquire_timeout_max_waits_without_overflow() {
    let sem = Arc::new(Semaphore::new(1));
    let s = Arc::clone(&sem);
    let got = prompt("value 1", move || {
        s.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    assert_eq!(sem.value(), 1);
    sem.acquire().leak();
    let s = Arc::clone(&sem);
    let releaser = later("releaser", move || s.release().unwrap());
    let s = Arc::clone(&sem);
    let got = bounded("value 0", move || {
        s.acquire_timeout(Duration::MAX).map(drop)
    });
    assert_eq!(got, Ok(()));
    join(releaser);
    assert_eq!(sem.value(), 1);
    assert_semaphore_usable(&sem);
}

// ---------------------------------------------------------------------------------------
// Condition
// ---------------------------------------------------------------------------------------

/// A condition over a `Lock`, over an `RLock`, and the default (an `RLock`).
fn conditions() -> Vec<(&'static str, Arc<Condition>)> {
    vec![
        (
            "lock",
            Arc::new(Condition::with_lock(Arc::new(Lock::new()))),
        ),
        (
            "rlock",
            Arc::new(Condition::with_rlock(Arc::new(RLock::new()))),
        ),
        ("default", Arc::new(Condition::new())),
    ]
}

/// Every wait flavour, from a thread that does not hold the lock.
fn every_wait(cond: &Condition) -> Vec<Result<(), WaitError>> {
    vec![
        cond.wait(),
        cond.wait_timeout(Duration::ZERO).map(drop),
        cond.wait_timeout(Duration::from_nanos(1)).map(drop),
        cond.wait_timeout(Duration::MAX).map(drop),
        cond.wait_deadline(past()).map(drop),
        cond.wait_for(|| false).map(drop),
        cond.wait_for_timeout(|| false, Duration::ZERO).map(drop),
        cond.wait_for_timeout(|| false, Duration::MAX).map(drop),
        cond.wait_for_deadline(|| false, past()).map(drop),
    ]
}

/// Every notify flavour.
fn every_notify(cond: &Condition) -> Vec<Result<(), NotifyError>> {
    vec![
        cond.notify(0),
        cond.notify(1),
        cond.notify(usize::MAX),
        cond.notify_all(),
    ]
}

/// A full wait/notify round trip with another thread, then the lock is free.
fn assert_condition_usable(cond: &Arc<Condition>) {
    assert!(!cond.is_owned());
    let c = Arc::clone(cond);
    let waiter = spawn("waiter", move || {
        let _guard = c.acquire();
        c.wait_timeout(PATIENCE)
    });
    wait_until("the waiter waits", || cond.waiting() == 1);
    {
        let _guard = cond.acquire();
        cond.notify(1).expect("notify with the lock held");
    }
    assert_eq!(join(waiter), Ok(WaitResult::Notified));
    let guard = cond.try_acquire().expect("the lock is free again");
    assert!(cond.is_owned());
    drop(guard);
    assert!(!cond.is_owned());
}

/// Whether some thread holds `cond`'s lock.
fn lock_is_held(cond: &Condition) -> bool {
    match cond.lock() {
        gil_sync::ConditionLock::Lock(lock) => lock.locked(),
        gil_sync::ConditionLock::RLock(lock) => lock.locked(),
    }
}

#[test]
fn condition_wait_without_the_lock_is_wait_error_not_owner() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let results = prompt("unowned wait", move || every_wait(&c));
        for result in results {
            let err = result.unwrap_err();
            assert_eq!(err, WaitError::NotOwner, "{kind}");
            assert_eq!(err.to_string(), "cannot wait on un-acquired lock");
        }
        assert!(!lock_is_held(&cond), "{kind}: nothing was acquired");
        assert_eq!(cond.waiting(), 0, "{kind}: nobody was queued");
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_while_another_thread_holds_the_lock_is_wait_error_not_owner() {
    for (kind, cond) in conditions() {
        let guard = cond.acquire();
        let c = Arc::clone(&cond);
        let results = prompt("non-owner wait", move || every_wait(&c));
        for result in results {
            assert_eq!(result, Err(WaitError::NotOwner), "{kind}");
        }
        assert!(cond.is_owned(), "{kind}: the owner's hold is untouched");
        assert!(lock_is_held(&cond));
        drop(guard);
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_for_a_true_predicate_without_the_lock_returns_true() {
    for (kind, cond) in conditions() {
        assert_eq!(cond.wait_for(|| true), Ok(true), "{kind}");
        assert_eq!(cond.wait_for_timeout(|| true, Duration::ZERO), Ok(true));
        assert_eq!(cond.wait_for_timeout(|| true, Duration::MAX), Ok(true));
        assert_eq!(cond.wait_for_deadline(|| true, past()), Ok(true));
        assert!(!lock_is_held(&cond));
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_notify_without_the_lock_is_notify_error_not_owner() {
    for (kind, cond) in conditions() {
        for result in every_notify(&cond) {
            let err = result.unwrap_err();
            assert_eq!(err, NotifyError::NotOwner, "{kind}");
            assert_eq!(err.to_string(), "cannot notify on un-acquired lock");
        }
        // From a thread that does not hold it while another does.
        let guard = cond.acquire();
        let c = Arc::clone(&cond);
        for result in bounded("non-owner notify", move || every_notify(&c)) {
            assert_eq!(result, Err(NotifyError::NotOwner), "{kind}");
        }
        assert!(cond.is_owned());
        drop(guard);
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_release_without_the_lock_is_unlocked_or_not_owner() {
    for (kind, cond) in conditions() {
        let err = cond.release().unwrap_err();
        let expected = if kind == "lock" {
            (ReleaseError::Unlocked, "release unlocked lock")
        } else {
            (ReleaseError::NotOwner, "cannot release un-acquired lock")
        };
        assert_eq!((err, err.to_string().as_str()), expected, "{kind}");
        // Once too many.
        cond.acquire().leak();
        cond.release().unwrap();
        assert_eq!(cond.release(), Err(expected.0));
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_try_acquire_held_is_try_acquire_error_would_block() {
    for (kind, cond) in conditions() {
        let guard = cond.acquire();
        let again = cond.try_acquire().map(drop);
        if kind == "lock" {
            let err = again.unwrap_err();
            assert_eq!(err, TryAcquireError::WouldBlock);
            assert_eq!(err.to_string(), "acquire would block");
        } else {
            assert_eq!(again, Ok(()), "an rlock re-enters");
        }
        let c = Arc::clone(&cond);
        assert_eq!(
            bounded("contender", move || c.try_acquire().map(drop)),
            Err(TryAcquireError::WouldBlock),
            "{kind}"
        );
        drop(guard);
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_timeout_zero_1ns_and_past_deadline_time_out_with_the_lock_held() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let (results, levels) = prompt("timed waits", move || {
            let outer = c.acquire();
            // Two levels of an rlock: both must come back.
            let inner = (kind != "lock").then(|| c.acquire());
            let mut results: Vec<_> = EDGE.iter().map(|&t| c.wait_timeout(t)).collect();
            results.push(c.wait_deadline(past()));
            let owned = c.is_owned();
            let levels = match c.lock() {
                gil_sync::ConditionLock::RLock(lock) => lock.recursion_count(),
                gil_sync::ConditionLock::Lock(_) => u64::from(owned),
            };
            drop(inner);
            drop(outer);
            (results, levels)
        });
        assert_eq!(results, [Ok(WaitResult::TimedOut); 3], "{kind}");
        assert_eq!(levels, if kind == "lock" { 1 } else { 2 }, "{kind}");
        assert_eq!(
            cond.waiting(),
            0,
            "{kind}: timed-out waiters left the queue"
        );
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_for_timeout_zero_1ns_and_past_deadline_return_false() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let outcomes = prompt("timed wait_for", move || {
            let _guard = c.acquire();
            let mut outcomes = Vec::new();
            for timeout in EDGE {
                let mut calls = 0;
                let r = c.wait_for_timeout(
                    || {
                        calls += 1;
                        false
                    },
                    timeout,
                );
                outcomes.push((r, calls));
            }
            let mut calls = 0;
            let r = c.wait_for_deadline(
                || {
                    calls += 1;
                    false
                },
                past(),
            );
            outcomes.push((r, calls));
            assert!(c.is_owned());
            outcomes
        });
        // Before the wait and after it, as CPython.
        assert_eq!(outcomes, [(Ok(false), 2); 3], "{kind}");
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_wait_timeout_max_is_woken_by_notify() {
    for (kind, cond) in conditions() {
        let c = Arc::clone(&cond);
        let waiter = spawn("waiter", move || {
            let _guard = c.acquire();
            c.wait_timeout(Duration::MAX)
        });
        wait_until("the waiter waits", || cond.waiting() == 1);
        {
            let _guard = cond.acquire();
            cond.notify(1).unwrap();
        }
        assert_eq!(join(waiter), Ok(WaitResult::Notified), "{kind}");

        let flag = Arc::new(AtomicBool::new(false));
        let (c, f) = (Arc::clone(&cond), Arc::clone(&flag));
        let waiter = spawn("wait_for", move || {
            let _guard = c.acquire();
            c.wait_for_timeout(|| f.load(SeqCst), Duration::MAX)
        });
        wait_until("the waiter waits", || cond.waiting() == 1);
        {
            let _guard = cond.acquire();
            flag.store(true, SeqCst);
            cond.notify_all().unwrap();
        }
        assert_eq!(join(waiter), Ok(true), "{kind}");
        assert_condition_usable(&cond);
    }
}

#[test]
fn condition_acquire_timeout_zero_1ns_max_and_past_deadline() {
    for (kind, cond) in conditions() {
        // Free: every flavour takes it.
        let c = Arc::clone(&cond);
        let free = prompt("free", move || {
            let mut r: Vec<_> = [Duration::ZERO, Duration::from_nanos(1), Duration::MAX]
                .iter()
                .map(|&t| c.acquire_timeout(t).map(drop))
                .collect();
            r.push(c.acquire_deadline(past()).map(drop));
            r
        });
        assert_eq!(free, [Ok(()); 4], "{kind}");
        // Held by this thread: the contender fails at once, then waits with MAX.
        cond.acquire().leak();
        let c = Arc::clone(&cond);
        let held = prompt("held", move || {
            let mut r: Vec<_> = EDGE
                .iter()
                .map(|&t| c.acquire_timeout(t).map(drop))
                .collect();
            r.push(c.acquire_deadline(past()).map(drop));
            r
        });
        assert_eq!(held, [Err(AcquireError::TimedOut); 3], "{kind}");
        let c = Arc::clone(&cond);
        let waiter = spawn("waiter", move || c.acquire_timeout(Duration::MAX).map(drop));
        thread::sleep(SHORT);
        cond.release().unwrap();
        assert_eq!(join(waiter), Ok(()), "{kind}");
        assert_condition_usable(&cond);
    }
}

// ---------------------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------------------

#[test]
fn event_wait_timeout_zero_1ns_and_past_deadline_return_the_flag() {
    let event = Arc::new(Event::new());
    for flag in [false, true, false] {
        if flag {
            event.set();
        } else {
            event.clear();
        }
        let e = Arc::clone(&event);
        let results = prompt("event waits", move || {
            let mut r: Vec<bool> = EDGE.iter().map(|&t| e.wait_timeout(t)).collect();
            r.push(e.wait_deadline(past()));
            r
        });
        assert_eq!(results, [flag; 3]);
    }
    // Still usable: a waiter is woken by `set`.
    let e = Arc::clone(&event);
    let waiter = spawn("waiter", move || e.wait_timeout(PATIENCE));
    thread::sleep(SHORT);
    event.set();
    assert!(join(waiter));
}

#[test]
fn event_wait_timeout_max_waits_without_overflow() {
    let event = Arc::new(Event::new());
    event.set();
    let e = Arc::clone(&event);
    assert!(prompt("set", move || e.wait_timeout(Duration::MAX)));
    event.clear();
    let e = Arc::clone(&event);
    let setter = later("setter", move || e.set());
    let e = Arc::clone(&event);
    assert!(bounded("unset", move || e.wait_timeout(Duration::MAX)));
    join(setter);
    assert!(event.is_set());
}

// ---------------------------------------------------------------------------------------
// Barrier
// ---------------------------------------------------------------------------------------

/// One full cycle: `parties - 1` other threads and this one; indices `0..parties`.
fn assert_barrier_cycles(barrier: &Arc<Barrier>) {
    assert!(!barrier.broken());
    let others: Vec<_> = (1..barrier.parties())
        .map(|i| {
            let b = Arc::clone(barrier);
            spawn(format!("party-{i}"), move || {
                b.wait_timeout(PATIENCE).map(BarrierWaitResult::index)
            })
        })
        .collect();
    let mut indices = vec![barrier.wait_timeout(PATIENCE).expect("cycle").index()];
    for other in others {
        indices.push(join(other).expect("cycle"));
    }
    indices.sort_unstable();
    assert_eq!(indices, (0..barrier.parties()).collect::<Vec<_>>());
    assert!(!barrier.broken());
}

/// Waits until `n` threads wait in the barrier's current cycle.
fn wait_for_n_waiting(barrier: &Barrier, n: usize) {
    wait_until(&format!("{n} threads wait at the barrier"), || {
        barrier.n_waiting() == n
    });
}

/// Spawns a party that waits with [`PATIENCE`] and reports whether it got `Broken`.
fn spawn_party(barrier: &Arc<Barrier>) -> JoinHandle<Result<usize, String>> {
    let b = Arc::clone(barrier);
    spawn("party", move || {
        b.wait_timeout(PATIENCE)
            .map(BarrierWaitResult::index)
            .map_err(|e| e.to_string())
    })
}

#[test]
fn barrier_zero_parties_is_value_error_zero_parties() {
    let err = Barrier::new(0).unwrap_err();
    assert_eq!(err, ValueError::ZeroParties);
    assert_eq!(err.to_string(), "parties must be > 0");
    let err = Barrier::with_action(0, || Ok(())).map(drop).unwrap_err();
    assert_eq!(err, ValueError::ZeroParties);
    assert_barrier_cycles(&Arc::new(Barrier::new(1).unwrap()));
    assert_barrier_cycles(&Arc::new(Barrier::new(2).unwrap()));
}

#[test]
fn barrier_wait_after_abort_is_barrier_error_broken() {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let waiter = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    barrier.abort();
    assert_eq!(join(waiter), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    let b = Arc::clone(&barrier);
    let later_waits = prompt("waits on a broken barrier", move || {
        [
            b.wait(),
            b.wait_timeout(Duration::ZERO),
            b.wait_timeout(Duration::MAX),
            b.wait_deadline(past()),
        ]
        .map(|r| {
            r.map(BarrierWaitResult::index)
                .map_err(|e| (e.is_broken(), e.to_string()))
        })
    });
    for result in later_waits {
        assert_eq!(result, Err((true, "barrier is broken".to_owned())));
    }
    assert_eq!(barrier.n_waiting(), 0);
    barrier.reset();
    assert_barrier_cycles(&barrier);
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_wait_timeout_expiring_is_broken_for_every_waiter() {
    let barrier = Arc::new(Barrier::new(3).unwrap());
    let other = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    let err = barrier.wait_timeout(SHORT).unwrap_err();
    assert!(matches!(err, BarrierError::Broken), "{err:?}");
    assert_eq!(err.to_string(), "barrier is broken");
    assert_eq!(join(other), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    assert!(barrier.wait_timeout(PATIENCE).unwrap_err().is_broken());
    barrier.reset();
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_action_error_is_action_failed_for_its_runner_and_broken_for_the_others() {
    let fail = Arc::new(AtomicBool::new(true));
    let f = Arc::clone(&fail);
    let barrier = Arc::new(
        Barrier::with_action(2, move || {
            if f.swap(false, SeqCst) {
                Err("boom".into())
            } else {
                Ok(())
            }
        })
        .unwrap(),
    );
    let other = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    // This thread arrives last, so it runs the action.
    let err = barrier.wait_timeout(PATIENCE).unwrap_err();
    assert!(!err.is_broken());
    assert_eq!(err.to_string(), "barrier action failed: boom");
    let BarrierError::ActionFailed(source) = &err else {
        panic!("expected ActionFailed, got {err:?}");
    };
    assert_eq!(source.to_string(), "boom");
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some("boom".to_owned())
    );
    assert_eq!(join(other), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    assert!(barrier.wait_timeout(PATIENCE).unwrap_err().is_broken());
    barrier.reset();
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_action_panic_resumes_in_its_runner_and_breaks_the_barrier() {
    let fail = Arc::new(AtomicBool::new(true));
    let f = Arc::clone(&fail);
    let barrier = Arc::new(
        Barrier::with_action(2, move || {
            if f.swap(false, SeqCst) {
                panic::resume_unwind(Box::new("action panicked"));
            }
            Ok(())
        })
        .unwrap(),
    );
    let other = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| barrier.wait_timeout(PATIENCE)))
        .expect_err("the action's panic is resumed in the thread that ran it");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"action panicked"));
    assert_eq!(join(other), Err("barrier is broken".to_owned()));
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    barrier.reset();
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_reset_while_a_thread_waits_is_broken_for_that_waiter() {
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let waiter = spawn_party(&barrier);
    wait_for_n_waiting(&barrier, 1);
    barrier.reset();
    assert_eq!(join(waiter), Err("barrier is broken".to_owned()));
    assert!(
        !barrier.broken(),
        "reset leaves the barrier filling, not broken"
    );
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_wait_timeout_zero_1ns_and_past_deadline_break_unless_last() {
    for timeout in EDGE {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let b = Arc::clone(&barrier);
        let err = prompt("not last", move || {
            b.wait_timeout(timeout).map(BarrierWaitResult::index)
        })
        .unwrap_err();
        assert!(err.is_broken(), "{timeout:?}: {err:?}");
        assert_eq!(err.to_string(), "barrier is broken");
        assert!(barrier.broken());
        barrier.reset();
        assert_barrier_cycles(&barrier);
        // The last arriver never waits, so its timeout does not matter.
        let last = Arc::new(Barrier::new(1).unwrap());
        let l = Arc::clone(&last);
        let got = prompt("last", move || {
            l.wait_timeout(timeout).map(BarrierWaitResult::index)
        });
        assert_eq!(got.ok(), Some(0));
        let other = spawn_party(&barrier);
        wait_for_n_waiting(&barrier, 1);
        assert_eq!(
            barrier
                .wait_timeout(timeout)
                .map(BarrierWaitResult::is_last)
                .ok(),
            Some(true)
        );
        assert_eq!(join(other), Ok(0));
    }
    let barrier = Arc::new(Barrier::new(2).unwrap());
    let b = Arc::clone(&barrier);
    let err = prompt("past", move || {
        b.wait_deadline(past()).map(BarrierWaitResult::index)
    })
    .unwrap_err();
    assert!(err.is_broken());
    barrier.reset();
    assert_eq!(
        Barrier::new(1)
            .unwrap()
            .wait_deadline(past())
            .map(BarrierWaitResult::index)
            .ok(),
        Some(0)
    );
    // The default timeout, ZERO.
    let zero = Arc::new(Barrier::new(2).unwrap().with_timeout(Duration::ZERO));
    let z = Arc::clone(&zero);
    assert!(prompt("default zero", move || z.wait().map(drop)).is_err());
    assert!(zero.broken());
    zero.reset();
    assert!(!zero.broken());
    assert_barrier_cycles(&barrier);
}

#[test]
fn barrier_wait_timeout_max_waits_without_overflow() {
    let one = Arc::new(Barrier::new(1).unwrap());
    let o = Arc::clone(&one);
    let got = prompt("last", move || {
        o.wait_timeout(Duration::MAX).map(BarrierWaitResult::index)
    });
    assert_eq!(got.ok(), Some(0));
    for default in [false, true] {
        let barrier = Arc::new(if default {
            Barrier::new(2).unwrap().with_timeout(Duration::MAX)
        } else {
            Barrier::new(2).unwrap()
        });
        let b = Arc::clone(&barrier);
        let arrives_later = later("second party", move || {
            b.wait_timeout(PATIENCE).expect("cycle");
        });
        let b = Arc::clone(&barrier);
        let got = bounded("first party", move || {
            if default {
                b.wait().map(BarrierWaitResult::index)
            } else {
                b.wait_timeout(Duration::MAX).map(BarrierWaitResult::index)
            }
        });
        assert_eq!(got.ok(), Some(0));
        join(arrives_later);
        assert_barrier_cycles(&barrier);
    }
}

// ---------------------------------------------------------------------------------------
// Timer
// ---------------------------------------------------------------------------------------

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
    let (timer, calls) = counting_timer(Duration::from_hours(1));
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
        bounded("join_timeout(MAX)", move || t.join_timeout(Duration::MAX)),
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

// ---------------------------------------------------------------------------------------
// Python timeout arguments (`gil_sync::timeout`)
// ---------------------------------------------------------------------------------------

#[test]
fn lock_timeout_non_blocking_with_a_timeout_is_non_blocking_with_timeout() {
    for timeout in [0.0, -0.0, 1.0, -0.5, -2.0, TIMEOUT_MAX] {
        let err = lock_timeout(false, timeout).unwrap_err();
        assert_eq!(err, TimeoutArgError::NonBlockingWithTimeout, "{timeout}");
        assert_eq!(
            err.to_string(),
            "can't specify a timeout for a non-blocking call"
        );
    }
    assert_eq!(lock_timeout(false, -1.0), Ok(LockTimeout::NonBlocking));
}

#[test]
fn lock_timeout_non_blocking_with_nan_is_timeout_arg_error_nan() {
    assert_eq!(lock_timeout(false, f64::NAN), Err(TimeoutArgError::NaN));
    assert_eq!(lock_timeout(false, -1.0), Ok(LockTimeout::NonBlocking));
}

#[test]
fn lock_timeout_non_blocking_out_of_range_is_timeout_arg_error_overflow() {
    for timeout in [f64::INFINITY, f64::NEG_INFINITY, 1e100, -1e100] {
        assert_eq!(
            lock_timeout(false, timeout),
            Err(TimeoutArgError::Overflow),
            "{timeout}"
        );
    }
}

#[test]
fn lock_timeout_negative_is_timeout_arg_error_negative() {
    for timeout in [-0.5, -1.5, -100.0, -1e-9, -1.000_000_1] {
        let err = lock_timeout(true, timeout).unwrap_err();
        assert_eq!(err, TimeoutArgError::Negative, "{timeout}");
        assert_eq!(
            err.to_string(),
            "timeout value must be a non-negative number"
        );
    }
    assert_eq!(lock_timeout(true, -1.0), Ok(LockTimeout::Forever));
    assert_eq!(
        lock_timeout(true, 0.0),
        Ok(LockTimeout::Timeout(Duration::ZERO))
    );
    assert_eq!(
        lock_timeout(true, -0.0),
        Ok(LockTimeout::Timeout(Duration::ZERO))
    );
}

#[test]
fn lock_timeout_negative_out_of_range_is_timeout_arg_error_overflow() {
    for timeout in [f64::NEG_INFINITY, -1e100] {
        assert_eq!(
            lock_timeout(true, timeout),
            Err(TimeoutArgError::Overflow),
            "{timeout}"
        );
    }
}

#[test]
fn lock_timeout_rounding_to_minus_one_is_forever() {
    assert_eq!(
        lock_timeout(true, -0.999_999_999_9),
        Ok(LockTimeout::Forever)
    );
    assert_eq!(
        lock_timeout(false, -0.999_999_999_9),
        Ok(LockTimeout::NonBlocking)
    );
}

#[test]
fn lock_timeout_nan_is_timeout_arg_error_nan() {
    let err = lock_timeout(true, f64::NAN).unwrap_err();
    assert_eq!(err, TimeoutArgError::NaN);
    assert_eq!(err.to_string(), "Invalid value NaN (not a number)");
    assert_eq!(
        lock_timeout(true, 0.25),
        Ok(LockTimeout::Timeout(Duration::from_millis(250)))
    );
}

#[test]
fn lock_timeout_above_timeout_max_is_timeout_arg_error_overflow() {
    for timeout in [f64::INFINITY, 1e100, TIMEOUT_MAX + 1.0, 1e19] {
        let err = lock_timeout(true, timeout).unwrap_err();
        assert_eq!(err, TimeoutArgError::Overflow, "{timeout}");
        assert_eq!(
            err.to_string(),
            "timestamp out of range for platform time_t"
        );
    }
    assert_eq!(
        lock_timeout(true, TIMEOUT_MAX),
        Ok(LockTimeout::Timeout(Duration::from_secs(9_223_372_036)))
    );
    // The largest accepted timeout works on a real lock (no deadline overflow).
    let lock = Lock::new();
    let Ok(LockTimeout::Timeout(max)) = lock_timeout(true, TIMEOUT_MAX) else {
        unreachable!("checked above");
    };
    assert!(lock.acquire_timeout(max).is_ok());
}

#[test]
fn wait_timeout_nan_is_timeout_arg_error_nan() {
    let err = wait_timeout(Some(f64::NAN)).unwrap_err();
    assert_eq!(err, TimeoutArgError::NaN);
    assert_eq!(err.to_string(), "Invalid value NaN (not a number)");
    assert_eq!(wait_timeout(None), Ok(None));
}

#[test]
fn wait_timeout_above_timeout_max_is_timeout_arg_error_overflow() {
    for timeout in [f64::INFINITY, 1e100, TIMEOUT_MAX + 1.0] {
        let err = wait_timeout(Some(timeout)).unwrap_err();
        assert_eq!(err, TimeoutArgError::Overflow, "{timeout}");
        assert_eq!(
            err.to_string(),
            "timestamp out of range for platform time_t"
        );
    }
    assert_eq!(
        wait_timeout(Some(TIMEOUT_MAX)),
        Ok(Some(Duration::from_secs(9_223_372_036)))
    );
}

#[test]
fn wait_timeout_negative_is_zero() {
    for timeout in [-0.0, -1.0, -1e-9, -1e100, f64::NEG_INFINITY] {
        assert_eq!(
            wait_timeout(Some(timeout)),
            Ok(Some(Duration::ZERO)),
            "{timeout}"
        );
    }
}

#[test]
fn semaphore_timeout_non_blocking_with_a_timeout_is_semaphore_non_blocking_with_timeout() {
    for timeout in [0.0, -1.0, 1.0, f64::NAN, f64::INFINITY] {
        let err = semaphore_timeout(false, Some(timeout)).unwrap_err();
        assert_eq!(
            err,
            TimeoutArgError::SemaphoreNonBlockingWithTimeout,
            "{timeout}"
        );
        assert_eq!(
            err.to_string(),
            "can't specify timeout for non-blocking acquire"
        );
    }
    assert_eq!(semaphore_timeout(false, None), Ok(LockTimeout::NonBlocking));
}

#[test]
fn semaphore_timeout_blocking_nan_and_overflow_are_errors() {
    assert_eq!(
        semaphore_timeout(true, Some(f64::NAN)),
        Err(TimeoutArgError::NaN)
    );
    assert_eq!(
        semaphore_timeout(true, Some(f64::INFINITY)),
        Err(TimeoutArgError::Overflow)
    );
    assert_eq!(
        semaphore_timeout(true, Some(-5.0)),
        Ok(LockTimeout::Timeout(Duration::ZERO))
    );
    assert_eq!(semaphore_timeout(true, None), Ok(LockTimeout::Forever));
}
