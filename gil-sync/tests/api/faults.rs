//! Faults in gil-sync (issue #6): panics in user code that runs inside a primitive (a
//! `Condition::wait_for` predicate, a `Barrier` action, a `Timer` function), panics while
//! holding a guard or waiting on a condition, and threads that exit while holding a `Lock`
//! or an `RLock`. Several tests run their threads holding a `gil_core::Gil`, to show that
//! blocking waits released it and that nothing leaves it held after a panic.
//!
//! What Python does in each case is the reference (`Lib/threading.py`); where our docs are
//! silent the test says so. Every wait is bounded (timeouts, or [`gil_test_support::join`]'s
//! deadline); the deliberate panics go through `resume_unwind`, which skips the
//! process-wide panic hook, so the output stays readable without touching it.

use std::panic::{AssertUnwindSafe, catch_unwind, panic_any, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc;
use std::time::Duration;

use gil_core::Gil;
use gil_sync::{
    AcquireError, Barrier, BarrierError, BarrierWaitResult, Condition, Event, Lock, NotifyError,
    RLock, ReleaseError, Semaphore, Timer, TryAcquireError, WaitError, WaitResult,
};
use gil_test_support::{
    PATIENCE, SHORT, acquire_within, catch_deliberate, expect_deliberate, gil_free, join, panicked,
    quiet_panic, spawn, wait_until,
};

use crate::support::settle;

/// What another thread's `try_acquire` of `lock` says (it releases at once if it got it).
fn lock_elsewhere(lock: &Arc<Lock>) -> Result<(), TryAcquireError> {
    let lock = Arc::clone(lock);
    join(spawn("try-lock", move || lock.try_acquire().map(drop)))
}

/// What another thread's `try_acquire` of `lock` says.
fn rlock_elsewhere(lock: &Arc<RLock>) -> Result<(), TryAcquireError> {
    let lock = Arc::clone(lock);
    join(spawn("try-rlock", move || lock.try_acquire().map(drop)))
}

/// What another thread's `try_acquire` of `cond`'s lock says.
fn cond_elsewhere(cond: &Arc<Condition>) -> Result<(), TryAcquireError> {
    let cond = Arc::clone(cond);
    join(spawn("try-cond", move || cond.try_acquire().map(drop)))
}

/// A condition over a `Lock` and one over an `RLock`.
fn both() -> [(Arc<Condition>, bool); 2] {
    [
        (Arc::new(Condition::with_lock(Arc::new(Lock::new()))), false),
        (
            Arc::new(Condition::with_rlock(Arc::new(RLock::new()))),
            true,
        ),
    ]
}

// ---- Condition -----------------------------------------------------------------------------

/// A `wait_for` predicate that panics — before any wait, and after a notify — propagates out
/// of `wait_for` with the condition's lock held (every `RLock` level restored, the predicate
/// ran holding it) and the waiter gone from the queue, as CPython's `wait_for` (the
/// predicate runs under the lock; the `with` block releases on the way out). The docs only
/// say the predicate "is evaluated with the lock held".
#[test]
fn wait_for_predicate_panic_propagates_with_the_lock_held() {
    for (cond, reentrant) in both() {
        let outer = cond.acquire();
        let inner = reentrant.then(|| cond.acquire());
        let levels = if reentrant { 2 } else { 1 };

        // Before any wait.
        let mut owned_inside = false;
        catch_deliberate(|| {
            cond.wait_for(|| {
                owned_inside = cond.is_owned();
                quiet_panic()
            })
        });
        assert!(owned_inside);
        assert!(cond.is_owned());
        assert_eq!(cond.waiting(), 0);

        // After a wake-up.
        let notifier = {
            let cond = Arc::clone(&cond);
            spawn("notifier", move || {
                wait_until("the waiter is queued", || cond.waiting() == 1);
                let _g = cond.acquire();
                cond.notify(1).unwrap();
            })
        };
        let mut calls = 0;
        let mut owned_on_wake = false;
        catch_deliberate(|| {
            cond.wait_for(|| {
                calls += 1;
                if calls == 2 {
                    owned_on_wake = cond.is_owned();
                    quiet_panic();
                }
                false
            })
        });
        join(notifier);
        assert_eq!(calls, 2);
        assert!(owned_on_wake, "the predicate ran without the lock");
        assert!(cond.is_owned(), "the panic left the wait without the lock");
        if let gil_sync::ConditionLock::RLock(lock) = cond.lock() {
            assert_eq!(lock.recursion_count(), levels);
        }
        assert_eq!(cond.waiting(), 0, "the panicked waiter is still queued");
        assert_eq!(cond_elsewhere(&cond), Err(TryAcquireError::WouldBlock));
        drop(inner);
        drop(outer);
        assert_eq!(cond_elsewhere(&cond), Ok(()));
    }
}

/// Three threads holding one GIL wait in `wait_for`; the notifier takes the GIL (so the
/// waits released it), notifies them all, and one predicate panics. The panicking thread's
/// guard releases the lock during unwinding, the other two get it in turn and return
/// `Ok(true)` holding the GIL; the GIL ends free.
#[test]
fn predicate_panic_lets_the_other_waiters_through_with_a_gil() {
    for (cond, _) in both() {
        let gil = Gil::new();
        let ready = Arc::new(AtomicBool::new(false));
        let gil_in_predicate = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let (cond, gil, ready, in_pred) = (
                    Arc::clone(&cond),
                    gil.clone(),
                    Arc::clone(&ready),
                    Arc::clone(&gil_in_predicate),
                );
                spawn(format!("waiter-{i}"), move || {
                    let _gil = gil.acquire();
                    let _g = cond.acquire();
                    let ok = cond.wait_for(|| {
                        if gil.is_held_by_current_thread() {
                            in_pred.fetch_add(1, SeqCst);
                        }
                        let ready = ready.load(SeqCst);
                        if ready && i == 0 {
                            quiet_panic();
                        }
                        ready
                    });
                    (ok, gil.is_held_by_current_thread(), cond.is_owned())
                })
            })
            .collect();
        wait_until("three waiters", || cond.waiting() == 3);
        let gil_guard = acquire_within(&gil);
        {
            let _g = cond.acquire();
            ready.store(true, SeqCst);
            cond.notify_all().unwrap();
        }
        drop(gil_guard);
        let mut waiters = waiters.into_iter();
        assert!(panicked(waiters.next().unwrap()));
        for w in waiters {
            assert_eq!(join(w), (Ok(true), true, true));
        }
        // Each waiter evaluated the predicate once before waiting and once after.
        assert_eq!(
            gil_in_predicate.load(SeqCst),
            6,
            "a predicate ran without the gil"
        );
        assert_eq!(cond.waiting(), 0);
        assert_eq!(cond_elsewhere(&cond), Ok(()));
        assert!(gil_free(&gil));
    }
}

/// The notifier panics right after `notify_all`, holding the condition's lock: unwinding
/// drops its guard, and the notified waiters (one of them holding a GIL) re-acquire the lock
/// and return `Notified`.
#[test]
fn notifier_that_panics_after_notify_still_lets_the_waiters_return() {
    for (cond, _) in both() {
        let gil = Gil::new();
        let waiters: Vec<_> = (0..2)
            .map(|i| {
                let (cond, gil) = (Arc::clone(&cond), gil.clone());
                spawn(format!("waiter-{i}"), move || {
                    let _gil = (i == 0).then(|| gil.acquire());
                    let _g = cond.acquire();
                    let woken = cond.wait_timeout(PATIENCE);
                    (
                        woken,
                        cond.is_owned(),
                        i != 0 || gil.is_held_by_current_thread(),
                    )
                })
            })
            .collect();
        wait_until("two waiters", || cond.waiting() == 2);
        let notifier = {
            let cond = Arc::clone(&cond);
            spawn("notifier", move || {
                let _g = cond.acquire();
                cond.notify_all().unwrap();
                quiet_panic();
            })
        };
        assert!(panicked(notifier));
        for w in waiters {
            assert_eq!(join(w), (Ok(WaitResult::Notified), true, true));
        }
        assert_eq!(cond_elsewhere(&cond), Ok(()));
        assert!(gil_free(&gil));
    }
}

/// Three waiters are notified together and each panics as soon as its `wait` returns, while
/// the others still wait to re-acquire the lock: each panic's guard drop passes the lock on,
/// so all three end. Python's `with cond:` releases the same way.
#[test]
fn waiters_that_panic_after_wait_pass_the_lock_on() {
    for (cond, reentrant) in both() {
        let returned = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let (cond, returned) = (Arc::clone(&cond), Arc::clone(&returned));
                spawn(format!("waiter-{i}"), move || {
                    let _g = cond.acquire();
                    let _again = reentrant.then(|| cond.acquire());
                    cond.wait().unwrap();
                    if cond.is_owned() {
                        returned.fetch_add(1, SeqCst);
                    }
                    quiet_panic();
                })
            })
            .collect();
        wait_until("three waiters", || cond.waiting() == 3);
        {
            let _g = cond.acquire();
            cond.notify_all().unwrap();
        }
        for w in waiters {
            assert!(panicked(w));
        }
        assert_eq!(returned.load(SeqCst), 3);
        assert_eq!(cond.waiting(), 0);
        assert_eq!(cond_elsewhere(&cond), Ok(()));
    }
}

// ---- Barrier -------------------------------------------------------------------------------

/// How one party's `wait` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed(usize),
    Broken,
    Panicked,
}

/// Runs one `wait` on `barrier`, catching the deliberate panic.
fn party(barrier: &Barrier) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| barrier.wait())) {
        Ok(Ok(r)) => Outcome::Passed(r.index()),
        Ok(Err(BarrierError::Broken)) => Outcome::Broken,
        Ok(Err(err)) => panic!("unexpected barrier error: {err}"),
        Err(payload) => {
            expect_deliberate::<()>(Err(payload));
            Outcome::Panicked
        }
    }
}

/// Four parties, each holding one GIL; the action (run by the last arriver, holding its GIL)
/// panics in the first cycle. The three waiters leave with `Broken` instead of sleeping,
/// holding the GIL again; the panic resumes in the last arriver (as Python re-raises the
/// action's exception there after `_break()`). After `reset`, a second cycle passes.
#[test]
fn action_panic_breaks_the_barrier_for_waiters_holding_a_gil() {
    const PARTIES: usize = 4;
    let gil = Gil::new();
    let cycles = Arc::new(AtomicUsize::new(0));
    let action_held_gil = Arc::new(AtomicBool::new(false));
    let barrier = {
        let (cycles, held, gil) = (
            Arc::clone(&cycles),
            Arc::clone(&action_held_gil),
            gil.clone(),
        );
        Arc::new(
            Barrier::with_action(PARTIES, move || {
                held.store(gil.is_held_by_current_thread(), SeqCst);
                if cycles.fetch_add(1, SeqCst) == 0 {
                    quiet_panic();
                }
                Ok(())
            })
            .unwrap(),
        )
    };
    let run_cycle = || -> Vec<(Outcome, bool)> {
        let handles: Vec<_> = (0..PARTIES)
            .map(|i| {
                let (barrier, gil) = (Arc::clone(&barrier), gil.clone());
                spawn(format!("party-{i}"), move || {
                    let _gil = gil.acquire();
                    let outcome = party(&barrier);
                    (outcome, gil.is_held_by_current_thread())
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    };

    let first = run_cycle();
    let count = |o: Outcome| first.iter().filter(|(x, _)| *x == o).count();
    assert_eq!(count(Outcome::Panicked), 1, "{first:?}");
    assert_eq!(count(Outcome::Broken), PARTIES - 1, "{first:?}");
    assert!(first.iter().all(|&(_, held)| held), "{first:?}");
    assert!(
        action_held_gil.load(SeqCst),
        "the action ran without its thread's gil"
    );
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    assert!(barrier.wait().unwrap_err().is_broken());

    barrier.reset();
    assert!(!barrier.broken());
    let second = run_cycle();
    let mut indices: Vec<_> = second
        .iter()
        .map(|&(o, held)| match o {
            Outcome::Passed(i) if held => i,
            other => panic!("second cycle: {other:?}, gil held: {held}"),
        })
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..PARTIES).collect::<Vec<_>>());
    assert_eq!(cycles.load(SeqCst), 2);
    assert!(gil_free(&gil));
}

/// While the action runs (and then panics): a waiter whose timeout expired meanwhile waits
/// for the outcome and gets `Broken` (documented: "a waiter whose timeout expires while the
/// action runs waits for the action's outcome"), and a thread arriving for the next cycle —
/// waiting in `_enter` — gets `Broken` too instead of sleeping forever.
#[test]
fn waiters_and_arrivals_during_a_panicking_action_get_broken() {
    let running = Arc::new(Event::new());
    let go = Arc::new(Event::new());
    let barrier = {
        let (running, go) = (Arc::clone(&running), Arc::clone(&go));
        Arc::new(
            Barrier::with_action(2, move || {
                running.set();
                assert!(go.wait_timeout(PATIENCE), "go never came");
                quiet_panic();
            })
            .unwrap(),
        )
    };
    let went = Arc::new(AtomicBool::new(false));
    let timed = {
        let (barrier, went) = (Arc::clone(&barrier), Arc::clone(&went));
        spawn("timed", move || {
            let r = barrier.wait_timeout(SHORT);
            (
                r.map(BarrierWaitResult::index).map_err(|e| e.is_broken()),
                went.load(SeqCst),
            )
        })
    };
    wait_until("the timed waiter is queued", || barrier.n_waiting() == 1);
    let last = {
        let barrier = Arc::clone(&barrier);
        spawn("last", move || party(&barrier))
    };
    assert!(running.wait_timeout(PATIENCE), "the action never ran");
    let late = {
        let barrier = Arc::clone(&barrier);
        spawn("late", move || party(&barrier))
    };
    // Let the timed waiter's timeout pass and the late thread reach `wait` (too short a
    // pause only tests less).
    settle();
    went.store(true, SeqCst);
    go.set();
    assert_eq!(join(last), Outcome::Panicked);
    assert_eq!(
        join(timed),
        (Err(true), true),
        "the timed waiter left before the action ended"
    );
    assert_eq!(join(late), Outcome::Broken);
    assert!(barrier.broken());
    barrier.reset();
    assert!(!barrier.broken());
}

// ---- Timer ---------------------------------------------------------------------------------

/// Timers whose functions panic (quietly) and timers that do not, started together: the
/// panicking ones end (`join` returns, `is_alive` false, `fired` true, `finished` unset as
/// CPython leaves it when `run` raises), the others run and set `finished`. A `cancel` after
/// the panic sets `finished` (Python's `cancel` is `finished.set()`).
#[test]
fn panicking_timer_functions_do_not_stop_other_timers() {
    let (tx, rx) = mpsc::channel();
    let timers: Vec<_> = (0..6)
        .map(|i| {
            let tx = tx.clone();
            Timer::new(Duration::from_millis(1), move || {
                if i % 2 == 0 {
                    quiet_panic();
                }
                tx.send(i).unwrap();
            })
        })
        .collect();
    drop(tx);
    for t in &timers {
        t.start().unwrap();
    }
    for (i, t) in timers.iter().enumerate() {
        assert_eq!(t.join_timeout(PATIENCE), Ok(true), "timer {i} never ended");
        assert!(!t.is_alive());
        assert!(t.fired());
        assert_eq!(t.finished().is_set(), i % 2 == 1, "timer {i}");
        assert_eq!(t.join(), Ok(()));
    }
    let mut sent: Vec<_> = rx.try_iter().collect();
    sent.sort_unstable();
    assert_eq!(sent, [1, 3, 5]);
    timers[0].cancel();
    assert!(timers[0].finished().is_set());
}

/// The joiner holds a GIL; the timer function needs that GIL (so `join` must release it),
/// takes a `Lock` with a guard and one leaked, then panics. `join` returns holding the GIL
/// again; the guard's lock is released by the unwinding, the leaked one stays locked (a
/// `Lock` has no owner to die with, as in Python) and any thread may release it.
#[test]
fn timer_function_that_panics_holding_the_gil_and_locks() {
    let gil = Gil::new();
    let guarded = Arc::new(Lock::new());
    let leaked = Arc::new(Lock::new());
    let timer = {
        let (gil, guarded, leaked) = (gil.clone(), Arc::clone(&guarded), Arc::clone(&leaked));
        Timer::new(Duration::ZERO, move || {
            let _gil = gil.acquire();
            let _g = guarded.acquire();
            leaked.acquire().leak();
            quiet_panic();
        })
    };
    let joiner = {
        let gil = gil.clone();
        spawn("joiner", move || {
            let _gil = gil.acquire();
            timer.start().unwrap();
            let joined = timer.join_timeout(PATIENCE);
            (joined, gil.is_held_by_current_thread(), timer.fired())
        })
    };
    assert_eq!(join(joiner), (Ok(true), true, true));
    assert!(gil_free(&gil));
    assert!(!guarded.locked(), "unwinding released the guarded lock");
    assert!(leaked.locked(), "the leaked lock stays locked");
    assert_eq!(lock_elsewhere(&leaked), Err(TryAcquireError::WouldBlock));
    leaked.release().expect("any thread may release a Lock");
    assert_eq!(lock_elsewhere(&leaked), Ok(()));
}

/// A panic payload that panics again when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        resume_unwind(Box::new("the payload's drop panicked"));
    }
}

/// The timer function panics with a payload whose `Drop` panics too: the timer thread still
/// reports its end (`join` returns, `is_alive` is false). (Fixed in d127af7: the payload
/// used to be dropped outside the catch, so the second panic unwound out of the timer thread
/// before `done` was set and every `join` waited forever.)
#[test]
fn timer_function_panic_payload_whose_drop_panics_still_ends_the_thread() {
    let timer = Timer::new(Duration::ZERO, || panic_any(Bomb));
    timer.start().unwrap();
    assert_eq!(
        timer.join_timeout(PATIENCE),
        Ok(true),
        "the timer thread never reported its end"
    );
    assert!(!timer.is_alive());
    assert!(!timer.finished().is_set());
}

// ---- threads that exit holding a Lock ------------------------------------------------------

/// A thread acquires a `Lock` without a guard and ends (returning, or panicking): as in
/// Python the lock stays locked; a waiter with a timeout times out; `release` from another
/// thread is allowed (a `Lock` has no owner) and wakes a waiter that was blocked (untimed)
/// since before the thread ended.
#[test]
fn thread_that_exits_holding_a_lock_leaves_it_locked_and_releasable() {
    for panics in [false, true] {
        let lock = Arc::new(Lock::new());
        let owner = {
            let lock = Arc::clone(&lock);
            spawn("owner", move || {
                lock.acquire().leak();
                if panics {
                    quiet_panic();
                }
            })
        };
        if panics {
            assert!(panicked(owner));
        } else {
            join(owner);
        }
        let gil = Gil::new();
        let blocked = {
            let (lock, gil) = (Arc::clone(&lock), gil.clone());
            spawn("blocked", move || {
                let _gil = gil.acquire();
                let _g = lock.acquire();
                gil.is_held_by_current_thread()
            })
        };
        assert!(lock.locked());
        assert!(!lock.is_owned());
        assert_eq!(lock.try_acquire().err(), Some(TryAcquireError::WouldBlock));
        assert_eq!(
            lock.acquire_timeout(SHORT).err(),
            Some(AcquireError::TimedOut)
        );
        assert_eq!(format!("{lock:?}"), "<locked _thread.lock object>");
        // The blocked thread released its GIL while it waits.
        drop(acquire_within(&gil));
        lock.release().expect("any thread may release a Lock");
        assert!(join(blocked), "the woken waiter holds its gil again");
        assert!(!lock.locked());
        assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    }
}

/// A thread waits on a `Condition` over a `Lock`; another thread takes the lock without a
/// guard and dies. Nobody owns the lock now, so nobody may `notify` (our `Condition` checks
/// the owner, see its differences from Python) until some thread releases it — allowed for a
/// `Lock`, as in Python — and then acquires it: the waiter is notified and returns holding
/// the lock.
#[test]
fn condition_over_a_lock_left_locked_by_a_dead_thread() {
    let lock = Arc::new(Lock::new());
    let cond = Arc::new(Condition::with_lock(Arc::clone(&lock)));
    let waiter = {
        let cond = Arc::clone(&cond);
        spawn("waiter", move || {
            let _g = cond.acquire();
            let woken = cond.wait_timeout(PATIENCE);
            (woken, cond.is_owned())
        })
    };
    wait_until("the waiter is queued", || cond.waiting() == 1);
    let dead = {
        let lock = Arc::clone(&lock);
        spawn("dead", move || {
            lock.acquire().leak();
            quiet_panic();
        })
    };
    assert!(panicked(dead));
    assert_eq!(cond.notify_all(), Err(NotifyError::NotOwner));
    assert_eq!(cond.try_acquire().err(), Some(TryAcquireError::WouldBlock));
    lock.release().expect("any thread may release a Lock");
    {
        let _g = cond.acquire_timeout(PATIENCE).expect("free again");
        cond.notify_all().unwrap();
    }
    assert_eq!(join(waiter), (Ok(WaitResult::Notified), true));
    assert!(!lock.locked());
}

/// A panic while holding a `LockGuard` releases the lock during unwinding (Python: `with
/// lock:` releases on an exception), and a waiter blocked holding a GIL gets the lock and its
/// GIL back. A `Semaphore` permit held by a guard is given back the same way.
#[test]
fn panic_while_holding_a_lock_guard_releases_it() {
    let lock = Arc::new(Lock::new());
    let sem = Arc::new(Semaphore::new(1));
    let gil = Gil::new();
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let panicker = {
        let (lock, sem) = (Arc::clone(&lock), Arc::clone(&sem));
        spawn("panicker", move || {
            let _g = lock.acquire();
            let _permit = sem.acquire();
            holding_tx.send(()).unwrap();
            go_rx.recv_timeout(PATIENCE).expect("go signal");
            quiet_panic();
        })
    };
    holding_rx
        .recv_timeout(PATIENCE)
        .expect("the panicker holds");
    let waiter = {
        let (lock, sem, gil) = (Arc::clone(&lock), Arc::clone(&sem), gil.clone());
        spawn("waiter", move || {
            let _gil = gil.acquire();
            let lock_ok = lock.acquire_timeout(PATIENCE).is_ok();
            let sem_ok = sem.acquire_timeout(PATIENCE).is_ok();
            (lock_ok, sem_ok, gil.is_held_by_current_thread())
        })
    };
    settle();
    go_tx.send(()).unwrap();
    assert!(panicked(panicker));
    assert_eq!(join(waiter), (true, true, true));
    assert!(!lock.locked());
    assert_eq!(sem.value(), 1);
    assert!(gil_free(&gil));
}

// ---- threads that exit holding an RLock ----------------------------------------------------

/// A thread takes an `RLock` twice without guards and ends (returning, or panicking). As in
/// Python, the lock stays owned by the dead thread forever (our identities are never reused,
/// so unlike CPython no later thread can ever pass for its owner): other threads see it
/// locked and not theirs, `release`/`release_save` are `NotOwner`, timed acquires time out —
/// also one that was already waiting — and a `Condition` over it refuses `wait`/`notify`.
#[test]
fn thread_that_exits_holding_an_rlock_leaves_it_owned_by_the_dead_thread() {
    for panics in [false, true] {
        let lock = Arc::new(RLock::new());
        let (held_tx, held_rx) = mpsc::channel();
        let (exit_tx, exit_rx) = mpsc::channel::<()>();
        let owner = {
            let lock = Arc::clone(&lock);
            spawn("owner", move || {
                lock.acquire().leak();
                lock.acquire().leak();
                held_tx.send(()).unwrap();
                exit_rx.recv_timeout(PATIENCE).expect("exit signal");
                if panics {
                    quiet_panic();
                }
            })
        };
        held_rx.recv_timeout(PATIENCE).expect("the owner holds");
        let early = {
            let lock = Arc::clone(&lock);
            spawn("early", move || {
                lock.acquire_timeout(Duration::from_millis(200)).err()
            })
        };
        settle();
        exit_tx.send(()).unwrap();
        if panics {
            assert!(panicked(owner));
        } else {
            join(owner);
        }
        assert_eq!(join(early), Some(AcquireError::TimedOut));
        assert!(lock.locked());
        assert!(!lock.is_owned());
        assert_eq!(lock.recursion_count(), 0);
        assert_eq!(lock.try_acquire().err(), Some(TryAcquireError::WouldBlock));
        assert_eq!(
            lock.acquire_timeout(SHORT).err(),
            Some(AcquireError::TimedOut)
        );
        assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
        assert_eq!(lock.release_save(), Err(ReleaseError::NotOwner));
        assert_eq!(rlock_elsewhere(&lock), Err(TryAcquireError::WouldBlock));
        let repr = format!("{lock:?}");
        assert!(
            repr.starts_with("<locked _thread.RLock object owner=") && repr.ends_with(" count=0>"),
            "{repr}"
        );
        let cond = Condition::with_rlock(Arc::clone(&lock));
        assert_eq!(cond.wait_timeout(SHORT), Err(WaitError::NotOwner));
        assert_eq!(cond.notify_all(), Err(NotifyError::NotOwner));
        assert_eq!(cond.try_acquire().err(), Some(TryAcquireError::WouldBlock));
    }
}

/// A panic while holding `RLockGuard`s releases every level they hold; a level acquired
/// without a guard (`leak`) is not released and stays owned by the dead thread, exactly as in
/// Python with `with rlock:` blocks inside a bare `acquire()`.
#[test]
fn panic_while_holding_rlock_guards_releases_their_levels_only() {
    for leak_one in [false, true] {
        let lock = Arc::new(RLock::new());
        let gil = Gil::new();
        let panicker = {
            let (lock, gil) = (Arc::clone(&lock), gil.clone());
            spawn("panicker", move || {
                let _gil = gil.acquire();
                if leak_one {
                    lock.acquire().leak();
                }
                let _a = lock.acquire();
                let _b = lock.acquire();
                let _c = lock.try_acquire().expect("re-entry");
                quiet_panic();
            })
        };
        assert!(panicked(panicker));
        assert!(gil_free(&gil));
        if leak_one {
            assert!(lock.locked(), "the leaked level is still held");
            assert_eq!(rlock_elsewhere(&lock), Err(TryAcquireError::WouldBlock));
            assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
        } else {
            assert!(!lock.locked());
            assert_eq!(rlock_elsewhere(&lock), Ok(()));
        }
    }
}
