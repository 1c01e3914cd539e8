//! The interrupt rows (issue #16 part 3; see [`super`]): interrupts that come at the edges of
//! a wait — before it, with nothing to wait for, with a timeout that is already over, inside
//! a `wait_for` predicate — and interrupts racing the wake-up that ends a wait.
//!
//! | case | result | Python |
//! |---|---|---|
//! | interrupt pending; `Lock` / `RLock` / `Semaphore` / `Condition` free, or an `RLock` re-entered | acquired at once; the interrupt stays pending | a free lock's `acquire` checks no signal |
//! | interrupt pending; `Event` set | `Ok(true)` at once; pending | `wait` on a set event returns at once |
//! | interrupt pending; `ZERO`, 1 ns or past-deadline acquire of a held lock, empty semaphore, unset event, condition wait | `TimedOut` / `false` / `WaitResult::TimedOut` at once; pending | `acquire(timeout=0)`, `wait(0)` are non-blocking |
//! | two interrupts before a wait | one `Interrupted`; the next wait is not interrupted | signals merge |
//! | `wait_for` predicate interrupts its own thread | the next wait returns `Interrupted` before sleeping; the predicate is not evaluated again | `KeyboardInterrupt` from the wait |
//! | interrupt racing `notify(1)` with a second waiter queued behind | `Ok` with the interrupt pending and the second still queued, or `Interrupted` with the notification given to the second | — (CPython: notification lost on a timed-out or interrupted waiter, §3.3) |
//! | interrupt racing a `Lock` release, a second waiter queued | `Ok` (pending) or `Interrupted` (nothing acquired); the second waiter always gets in | — |
//! | interrupt racing a `Semaphore` release, a second waiter queued | `Ok` (pending) or `Interrupted` (no permit taken); the permit always reaches a waiter | — |
//! | interrupt racing `Event::set`, a second waiter | `Ok(true)` (pending) or `Interrupted`; the second waiter always wakes | — |
//! | interrupt racing a `Barrier`'s last arrival | every party passes (pending), or `Interrupted` and the cycle, not broken, waits for one more arrival | `KeyboardInterrupt` out of `wait` |

use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gil_core::{Gil, Interrupt, Interrupter, Turn};
use gil_sync::{
    AcquireError, Barrier, BarrierError, Condition, Event, Lock, RLock, Semaphore, WaitError,
    WaitResult,
};
use gil_test_support::{PATIENCE, join, recv, spawn, wait_until};

use super::{EDGE, PROMPT, past};
use crate::support::second_waiter;

/// Rounds of each race: enough for both outcomes on most runs, a few seconds in all.
const ROUNDS: u32 = 100;

/// Whether the calling thread's interrupt is pending (taking it, through `guard`).
fn pending(guard: &mut gil_core::GilGuard<'_>) -> bool {
    match guard.check() {
        Err(Interrupt::Requested) => true,
        Ok(Turn::Kept) => false,
        other => panic!("unexpected check(): {other:?}"),
    }
}

#[test]
fn interrupt_pending_with_nothing_to_wait_for_acquires_and_stays_pending() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let interrupter = gil.interrupter();

    let lock = Lock::new();
    interrupter.interrupt().unwrap();
    drop(lock.acquire_interruptible().expect("a free lock"));
    drop(lock.acquire_timeout(PATIENCE).expect("a free lock"));
    assert!(pending(&mut guard));

    let rlock = RLock::new();
    let outer = rlock.acquire();
    interrupter.interrupt().unwrap();
    drop(rlock.acquire_interruptible().expect("re-entry"));
    drop(outer);
    drop(rlock.acquire_interruptible().expect("a free lock"));
    assert!(pending(&mut guard));

    let sem = Semaphore::new(1);
    interrupter.interrupt().unwrap();
    drop(sem.acquire_interruptible().expect("a permit"));
    assert!(pending(&mut guard));

    let cond = Condition::new();
    interrupter.interrupt().unwrap();
    drop(cond.acquire_interruptible().expect("a free lock"));
    assert!(pending(&mut guard));

    let event = Event::new();
    event.set();
    interrupter.interrupt().unwrap();
    assert_eq!(event.wait_interruptible(None), Ok(true));
    assert!(pending(&mut guard));
}

#[test]
fn interrupt_pending_with_a_timeout_already_over_times_out() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let interrupter = gil.interrupter();
    let lock = Lock::new();
    let _held = lock.acquire();
    let sem = Semaphore::new(0);
    let event = Event::new();
    let cond = Condition::new();
    let start = Instant::now();
    for timeout in EDGE {
        interrupter.interrupt().unwrap();
        assert_eq!(
            lock.acquire_timeout(timeout).map(drop),
            Err(AcquireError::TimedOut)
        );
        assert_eq!(
            sem.acquire_timeout(timeout).map(drop),
            Err(AcquireError::TimedOut)
        );
        assert_eq!(event.wait_interruptible(Some(timeout)), Ok(false));
        {
            let _g = cond.acquire();
            assert_eq!(cond.wait_timeout(timeout), Ok(WaitResult::TimedOut));
        }
        assert!(pending(&mut guard));
    }
    interrupter.interrupt().unwrap();
    assert_eq!(
        lock.acquire_deadline(past()).map(drop),
        Err(AcquireError::TimedOut)
    );
    {
        let _g = cond.acquire();
        assert_eq!(cond.wait_deadline(past()), Ok(WaitResult::TimedOut));
    }
    assert!(pending(&mut guard));
    assert!(start.elapsed() < PROMPT, "took {:?}", start.elapsed());
}

#[test]
fn two_interrupts_before_a_wait_end_one_wait() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let interrupter = gil.interrupter();
    let lock = Lock::new();
    let _held = lock.acquire();
    interrupter.interrupt().unwrap();
    interrupter.interrupt().unwrap();
    assert_eq!(
        lock.acquire_timeout(PATIENCE).map(drop),
        Err(AcquireError::Interrupted(Interrupt::Requested))
    );
    assert_eq!(
        lock.acquire_timeout(Duration::from_millis(20)).map(drop),
        Err(AcquireError::TimedOut)
    );
    assert!(!pending(&mut guard));
}

#[test]
fn wait_for_predicate_interrupting_its_thread_ends_the_next_wait_before_it_sleeps() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let interrupter = gil.interrupter();
    for cond in [
        Condition::new(),
        Condition::with_lock(Arc::new(Lock::new())),
    ] {
        let _g = cond.acquire();
        let mut calls = 0;
        let start = Instant::now();
        let result = cond.wait_for_timeout(
            || {
                calls += 1;
                interrupter.interrupt().unwrap();
                false
            },
            PATIENCE,
        );
        assert_eq!(result, Err(WaitError::Interrupted(Interrupt::Requested)));
        assert!(start.elapsed() < PROMPT, "slept: {:?}", start.elapsed());
        assert_eq!(calls, 1, "the predicate ran again after the interrupt");
        assert!(cond.is_owned());
        assert_eq!(cond.waiting(), 0);
        assert!(!pending(&mut guard));
    }
}

/// After a delay that varies with `round` (0 to 2 ms, so that the waiter is sometimes
/// parked already, sometimes not), interrupts through `interrupter` and runs `wake` at the
/// same moment, on two threads; joining the handle joins both.
fn race(
    round: u32,
    interrupter: Interrupter,
    wake: impl FnOnce() + Send + 'static,
) -> JoinHandle<()> {
    spawn("racers", move || {
        thread::sleep(Duration::from_micros(u64::from(round % 20) * 100));
        let go = Arc::new(std::sync::Barrier::new(2));
        let g = Arc::clone(&go);
        let a = spawn("interrupter", move || {
            g.wait();
            interrupter.interrupt().unwrap();
        });
        let b = spawn("waker", move || {
            go.wait();
            wake();
        });
        join(a);
        join(b);
    })
}

/// Counts the rounds of each outcome, and prints them (both should show up over a run).
#[derive(Default)]
struct Outcomes {
    woken: u32,
    interrupted: u32,
}

impl Outcomes {
    /// Counts one round (`interrupted` or woken) and checks that its interrupt was
    /// delivered exactly once: taken by an interrupted wait, still pending after a wake-up.
    fn delivered_once(&mut self, interrupted: bool, guard: &mut gil_core::GilGuard<'_>) {
        if interrupted {
            self.interrupted += 1;
            assert!(!pending(guard), "the interrupt was reported twice");
        } else {
            self.woken += 1;
            assert!(pending(guard), "the interrupt was lost");
        }
    }

    fn report(&self, what: &str) {
        println!(
            "{what}: {} woken, {} interrupted of {ROUNDS}",
            self.woken, self.interrupted
        );
        assert_eq!(self.woken + self.interrupted, ROUNDS);
    }
}

#[test]
fn interrupt_racing_notify_never_consumes_the_notification() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let mut outcomes = Outcomes::default();
    for round in 0..ROUNDS {
        let cond = Arc::new(Condition::with_lock(Arc::new(Lock::new())));
        // Queued behind the test's thread, which `notify(1)` reaches first.
        let second = second_waiter(&cond);
        let racers = {
            let (cond, interrupter) = (Arc::clone(&cond), gil.interrupter());
            spawn("racers", move || {
                wait_until("both are queued", || cond.waiting() == 2);
                let c = Arc::clone(&cond);
                join(race(round, interrupter, move || {
                    let _g = c.acquire();
                    c.notify(1).unwrap();
                }));
            })
        };
        let g = cond.acquire();
        match cond.wait_timeout(PATIENCE) {
            Ok(WaitResult::Notified) => {
                join(racers);
                assert_eq!(cond.waiting(), 1, "notify(1) woke both");
                outcomes.delivered_once(false, &mut guard);
                cond.notify(1).unwrap();
                drop(g);
            }
            Err(WaitError::Interrupted(Interrupt::Requested)) => {
                drop(g);
                join(racers);
                outcomes.delivered_once(true, &mut guard);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            join(second),
            WaitResult::Notified,
            "the notification was lost"
        );
    }
    outcomes.report("interrupt vs notify");
}

#[test]
fn interrupt_racing_a_lock_release_acquires_nothing_when_interrupted() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let mut outcomes = Outcomes::default();
    for round in 0..ROUNDS {
        let lock = Arc::new(Lock::new());
        let l = Arc::clone(&lock);
        // Held by another thread, so that `is_owned` tells whether this one took it.
        join(spawn("holder", move || l.acquire().leak()));
        let second = {
            let lock = Arc::clone(&lock);
            spawn("second", move || {
                drop(lock.acquire_timeout(PATIENCE).expect("a lost wake-up"));
            })
        };
        let l = Arc::clone(&lock);
        let racers = race(round, gil.interrupter(), move || l.release().unwrap());
        match lock.acquire_interruptible() {
            Ok(g) => {
                assert!(lock.is_owned());
                drop(g);
                join(racers);
                outcomes.delivered_once(false, &mut guard);
            }
            Err(Interrupt::Requested) => {
                assert!(!lock.is_owned(), "an interrupted acquire took the lock");
                join(racers);
                outcomes.delivered_once(true, &mut guard);
            }
            Err(other) => panic!("{other:?}"),
        }
        join(second);
        assert!(!lock.locked());
    }
    outcomes.report("interrupt vs Lock release");
}

#[test]
fn interrupt_racing_a_semaphore_release_takes_no_permit_when_interrupted() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let mut outcomes = Outcomes::default();
    for round in 0..ROUNDS {
        let sem = Arc::new(Semaphore::new(0));
        let second = {
            let sem = Arc::clone(&sem);
            spawn("second", move || {
                drop(sem.acquire_timeout(PATIENCE).expect("a lost wake-up"));
            })
        };
        let s = Arc::clone(&sem);
        let racers = race(round, gil.interrupter(), move || s.release().unwrap());
        match sem.acquire_interruptible() {
            Ok(permit) => {
                drop(permit);
                join(racers);
                outcomes.delivered_once(false, &mut guard);
            }
            Err(Interrupt::Requested) => {
                join(racers);
                outcomes.delivered_once(true, &mut guard);
            }
            Err(other) => panic!("{other:?}"),
        }
        join(second);
        assert_eq!(sem.value(), 1, "a permit was lost or made up");
    }
    outcomes.report("interrupt vs Semaphore release");
}

#[test]
fn interrupt_racing_event_set_wakes_every_waiter() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let mut outcomes = Outcomes::default();
    for round in 0..ROUNDS {
        let event = Arc::new(Event::new());
        let second = {
            let event = Arc::clone(&event);
            spawn("second", move || event.wait_timeout(PATIENCE))
        };
        let e = Arc::clone(&event);
        let racers = race(round, gil.interrupter(), move || e.set());
        match event.wait_interruptible(Some(PATIENCE)) {
            Ok(true) => {
                join(racers);
                outcomes.delivered_once(false, &mut guard);
            }
            Err(Interrupt::Requested) => {
                join(racers);
                outcomes.delivered_once(true, &mut guard);
            }
            other => panic!("{other:?}"),
        }
        assert!(join(second), "a lost wake-up");
    }
    outcomes.report("interrupt vs Event::set");
}

#[test]
fn interrupt_racing_the_last_arrival_passes_or_leaves_the_cycle() {
    let gil = Gil::new();
    let mut guard = gil.acquire();
    let mut outcomes = Outcomes::default();
    for round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(3).unwrap());
        let second = {
            let barrier = Arc::clone(&barrier);
            spawn("second", move || barrier.wait_timeout(PATIENCE).map(drop))
        };
        let (tx, rx) = mpsc::channel();
        let b = Arc::clone(&barrier);
        let racers = race(round, gil.interrupter(), move || {
            tx.send(b.wait_timeout(PATIENCE).map(drop)).unwrap();
        });
        let mine = barrier.wait_timeout(PATIENCE).map(drop);
        // Interrupted, this thread left the cycle: it arrives again to complete it.
        let again = matches!(mine, Err(BarrierError::Interrupted(_)))
            .then(|| barrier.wait_timeout(PATIENCE).map(drop));
        join(racers);
        let second = join(second);
        let last = recv(&rx);
        match mine {
            Ok(()) => {
                assert!(second.is_ok() && last.is_ok(), "{second:?} {last:?}");
                outcomes.delivered_once(false, &mut guard);
                assert!(!barrier.broken());
            }
            Err(BarrierError::Interrupted(Interrupt::Requested)) => {
                assert!(matches!(again, Some(Ok(()))), "{again:?}");
                assert!(second.is_ok() && last.is_ok(), "{second:?} {last:?}");
                outcomes.delivered_once(true, &mut guard);
                assert!(!barrier.broken());
            }
            other => panic!("{other:?}"),
        }
    }
    outcomes.report("interrupt vs the last arrival");
}
