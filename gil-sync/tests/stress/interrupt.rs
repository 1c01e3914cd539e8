//! Interrupts racing the wake-up of a blocked wait, for every primitive (`Timer::join` waits
//! on an `Event`, so the `Event` test covers it): round after round, a waiter blocks in an
//! interruptible wait, a second thread blocks in an uninterruptible one, a third wakes them
//! (a release, a notify, a set, the last arrival) and a fourth interrupts the waiter — or, one
//! round in four, queues a pending call for it instead — each after a random spin of 0–10 µs.
//!
//! Every round checks: the interrupt is delivered exactly once (the wait's `Interrupted`, or
//! still pending for the waiter's next `check()`); a pending call never ends the wait, and
//! runs; an interrupted wait took nothing (`Lock`/`RLock` not owned, no permit, no
//! notification: the second waiter, left to be woken by the one wake-up of the round, always
//! is); the second waiter always gets through (a lost wake-up hangs the round: the watchdog
//! aborts).
//!
//! Rounds per test: `GIL_SYNC_STRESS_INTERRUPTS` (default 10 000, a few seconds per test on
//! a 2-core VM). The 10⁶ run: `GIL_SYNC_STRESS_INTERRUPTS=1000000`.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, Barrier as StdBarrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, Interrupt, Turn};
use gil_sync::{
    Barrier, BarrierError, Condition, Event, Lock, RLock, Semaphore, WaitError, WaitResult,
};
use gil_test_support::{PATIENCE, Rng, env_size, exclusive, per_second};

use crate::{MaxWait, Report, bump, timed};

/// Rounds of each test (`GIL_SYNC_STRESS_INTERRUPTS`, default 10 000).
fn rounds() -> u64 {
    env_size("GIL_SYNC_STRESS_INTERRUPTS", 10_000)
}

/// How long a test may run before the watchdog aborts it: two minutes per 100 000 rounds
/// (a round takes 0.2–0.3 ms on a loaded 2-core VM; a lost wake-up hangs for good).
fn hang_limit() -> Duration {
    let units = u32::try_from(rounds().div_ceil(100_000)).unwrap_or(u32::MAX);
    Duration::from_secs(120).saturating_mul(units)
}

/// A random spin of 0–10 µs, so that the wake-up and the interrupt land anywhere in the wait.
fn jitter(rng: &mut Rng) {
    for _ in 0..rng.below(3_000) {
        std::hint::spin_loop();
    }
}

/// One round's roles. `wait` runs on the waiter (holding its GIL, of which it is the main
/// thread); `second` on another thread; `wake` on the waker, which also runs `reset` before
/// the first round (`reset(true)`) and between rounds (`reset(false)`); `check` runs on the
/// waiter once every role is done, with whether the wait was interrupted. A failed assertion
/// leaves the other threads waiting for it at a `std::sync::Barrier`: the test then ends by
/// the watchdog, after the panic message.
struct Roles<W, S, K, C, R> {
    wait: W,
    second: S,
    wake: K,
    check: C,
    reset: R,
    /// Whether one round in four queues a pending call instead of interrupting (not for a
    /// `Condition`, whose wait only a notify or an interrupt ends).
    pending_calls: bool,
}

/// What the four threads of [`race_rounds`] share.
struct Shared {
    rounds: u64,
    /// Round start.
    start: StdBarrier,
    /// Every role done.
    end: StdBarrier,
    /// The waiter's check done: reset may go.
    checked: StdBarrier,
    interrupted: AtomicU64,
    passed_pending: AtomicU64,
    calls_queued: AtomicU64,
    calls_run: Arc<AtomicU64>,
    max_wait: MaxWait,
}

impl Shared {
    /// Whether round `round` queues a pending call instead of interrupting.
    fn pending_call_round<W, S, K, C, R>(roles: &Roles<W, S, K, C, R>, round: u64) -> bool {
        roles.pending_calls && round % 4 == 3
    }
}

/// Runs [`rounds`] rounds of `roles` (see the module docs) and reports the outcomes.
fn race_rounds<W, S, K, C, R>(roles: &Roles<W, S, K, C, R>) -> Report
where
    W: Fn() -> Result<(), Interrupt> + Sync,
    S: Fn() + Sync,
    K: Fn() + Sync,
    C: Fn(bool) + Sync,
    R: Fn(bool) + Sync,
{
    let shared = Shared {
        rounds: rounds(),
        start: StdBarrier::new(4),
        end: StdBarrier::new(4),
        checked: StdBarrier::new(4),
        interrupted: AtomicU64::new(0),
        passed_pending: AtomicU64::new(0),
        calls_queued: AtomicU64::new(0),
        calls_run: Arc::new(AtomicU64::new(0)),
        max_wait: MaxWait::default(),
    };
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    thread::scope(|s| {
        let sh = &shared;
        s.spawn(move || waiter(roles, sh, &tx));
        let (gil, handle) = rx.recv().unwrap();
        s.spawn(move || {
            let mut rng = Rng::new(1);
            for round in 0..sh.rounds {
                sh.start.wait();
                jitter(&mut rng);
                if Shared::pending_call_round(roles, round) {
                    let ran = Arc::clone(&sh.calls_run);
                    gil.add_pending_call(move || {
                        ran.fetch_add(1, SeqCst);
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                    sh.calls_queued.fetch_add(1, SeqCst);
                } else {
                    handle.interrupt().unwrap();
                }
                sh.end.wait();
                sh.checked.wait();
            }
        });
        s.spawn(move || {
            for _ in 0..sh.rounds {
                sh.start.wait();
                (roles.second)();
                sh.end.wait();
                sh.checked.wait();
            }
        });
        s.spawn(move || {
            let mut rng = Rng::new(2);
            (roles.reset)(true);
            for _ in 0..sh.rounds {
                sh.start.wait();
                jitter(&mut rng);
                (roles.wake)();
                sh.end.wait();
                sh.checked.wait();
                (roles.reset)(false);
            }
        });
    });
    let elapsed = t0.elapsed();
    let interrupted = shared.interrupted.into_inner();
    let report = Report::new(4, shared.rounds, shared.max_wait.get()).note(format!(
        "{interrupted} interrupted, {} got through with the interrupt pending, {} pending calls \
         run ({:.0} rounds/s)",
        shared.passed_pending.into_inner(),
        shared.calls_run.load(SeqCst),
        per_second(shared.rounds, elapsed)
    ));
    if interrupted == 0 {
        report.note("warning: no round was interrupted")
    } else {
        report
    }
}

/// The waiter of [`race_rounds`]: builds its GIL (so it runs its pending calls), sends the
/// other threads a clone and its interrupter, then waits round after round, holding the GIL,
/// and checks each round's outcome.
fn waiter<W, S, K, C, R>(
    roles: &Roles<W, S, K, C, R>,
    sh: &Shared,
    tx: &mpsc::Sender<(Gil, gil_core::Interrupter)>,
) where
    W: Fn() -> Result<(), Interrupt>,
    C: Fn(bool),
{
    let gil = Gil::new();
    let mut guard = gil.acquire();
    tx.send((gil.clone(), gil.interrupter())).unwrap();
    let mut max = Duration::ZERO;
    for round in 0..sh.rounds {
        sh.start.wait();
        let result = timed(&mut max, || (roles.wait)());
        sh.end.wait();
        let pending = match guard.check() {
            Err(Interrupt::Requested) => true,
            Ok(Turn::Kept | Turn::Switched) => false,
            other => panic!("round {round}: check() said {other:?}"),
        };
        let was_interrupted = match result {
            Ok(()) => false,
            Err(Interrupt::Requested) => true,
            Err(other) => panic!("round {round}: interrupted by {other:?}"),
        };
        if Shared::pending_call_round(roles, round) {
            assert!(
                !was_interrupted && !pending,
                "round {round}: a pending call"
            );
        } else {
            assert!(
                was_interrupted != pending,
                "round {round}: interrupted: {was_interrupted}, still pending: {pending} \
                 (lost or reported twice)"
            );
            let count = if was_interrupted {
                &sh.interrupted
            } else {
                &sh.passed_pending
            };
            count.fetch_add(1, Relaxed);
        }
        (roles.check)(was_interrupted);
        sh.checked.wait();
    }
    sh.max_wait.merge(max);
    assert_eq!(
        sh.calls_run.load(SeqCst),
        sh.calls_queued.load(SeqCst),
        "pending calls lost"
    );
}

/// The interrupt of a `BarrierError` (any other error fails the round).
fn barrier_interrupt(err: BarrierError) -> Interrupt {
    match err {
        BarrierError::Interrupted(kind) => kind,
        other => panic!("the waiter got {other:?}"),
    }
}

stress_test! {
    limit = hang_limit();
    /// `Lock`: the waker holds the lock and releases it; the waiter's
    /// `acquire_interruptible` and the second waiter's `acquire` race for it.
    fn interrupt_races_lock_release() {
        let lock = Lock::new();
        let inside = AtomicBool::new(false);
        let counter = AtomicU64::new(0);
        let sections = AtomicU64::new(0);
        let section = || {
            exclusive(&inside, || bump(&counter));
            sections.fetch_add(1, Relaxed);
        };
        let report = race_rounds(&Roles {
            wait: || match lock.acquire_interruptible() {
                Ok(g) => {
                    section();
                    drop(g);
                    Ok(())
                }
                Err(kind) => {
                    assert!(!lock.is_owned(), "an interrupted acquire took the lock");
                    Err(kind)
                }
            },
            second: || {
                let _g = lock.acquire();
                section();
            },
            wake: || lock.release().unwrap(),
            check: |_| assert!(!lock.locked(), "left locked"),
            reset: |_| lock.acquire().leak(),
            pending_calls: true,
        });
        lock.release().unwrap();
        assert_eq!(counter.load(Relaxed), sections.load(Relaxed));
        report
    }
}

stress_test! {
    limit = hang_limit();
    /// `RLock`: as the `Lock` test, the waker being the owner.
    fn interrupt_races_rlock_release() {
        let lock = RLock::new();
        let inside = AtomicBool::new(false);
        let counter = AtomicU64::new(0);
        race_rounds(&Roles {
            wait: || match lock.acquire_interruptible() {
                Ok(g) => {
                    exclusive(&inside, || bump(&counter));
                    drop(g);
                    Ok(())
                }
                Err(kind) => {
                    assert_eq!(lock.recursion_count(), 0, "an interrupted acquire took a level");
                    Err(kind)
                }
            },
            second: || {
                let _g = lock.acquire();
                exclusive(&inside, || bump(&counter));
            },
            wake: || lock.release().unwrap(),
            check: |_| assert!(!lock.locked(), "left locked"),
            reset: |_| lock.acquire().leak(),
            pending_calls: true,
        })
    }
}

stress_test! {
    limit = hang_limit();
    /// `Semaphore` at 0: the waker releases two permits at once (`release(2)`, waking up to
    /// two waiters): the waiter's `acquire_interruptible` takes one and gives it back, the
    /// second waiter's `acquire` keeps one, so one is left whether the waiter got through or
    /// not (an interrupted acquire that kept a permit leaves none).
    fn interrupt_races_semaphore_release() {
        let sem = Semaphore::new(0);
        race_rounds(&Roles {
            wait: || sem.acquire_interruptible().map(drop),
            second: || sem.acquire().leak(),
            wake: || sem.release_n(2).unwrap(),
            check: |_| assert_eq!(sem.value(), 1, "a permit was lost or made up"),
            reset: |first: bool| {
                if !first {
                    sem.try_acquire().expect("the permit left over").leak();
                }
            },
            pending_calls: true,
        })
    }
}

stress_test! {
    limit = hang_limit();
    /// `Event`: the waker sets it; the waiter's `wait_interruptible` and the second waiter's
    /// `wait` must both end.
    fn interrupt_races_event_set() {
        let event = Event::new();
        race_rounds(&Roles {
            wait: || {
                let set = event.wait_interruptible(Some(PATIENCE))?;
                assert!(set, "timed out: a lost wake-up");
                Ok(())
            },
            second: || assert!(event.wait_timeout(PATIENCE), "a lost wake-up"),
            wake: || event.set(),
            check: |_| assert!(event.is_set()),
            reset: |_| event.clear(),
            pending_calls: true,
        })
    }
}

stress_test! {
    limit = hang_limit();
    /// `Condition` over a `Lock`: the waker adds a ticket and `notify(1)`s; the second waiter
    /// waits for the ticket (`wait_for`); a waiter notified passes the notification on. An
    /// interrupted wait that consumed the notification would leave the second waiter asleep
    /// with a ticket waiting (it fails after `PATIENCE`).
    fn interrupt_races_condition_notify() {
        let cond = Condition::with_lock(Arc::new(Lock::new()));
        let tickets = AtomicU64::new(0);
        race_rounds(&Roles {
            wait: || {
                let _g = cond.acquire();
                match cond.wait_timeout(PATIENCE) {
                    Ok(WaitResult::Notified) => {
                        cond.notify(1).unwrap();
                        Ok(())
                    }
                    Ok(WaitResult::TimedOut) => panic!("never notified nor interrupted"),
                    Err(WaitError::Interrupted(kind)) => {
                        assert!(cond.is_owned());
                        Err(kind)
                    }
                    Err(other) => panic!("{other:?}"),
                }
            },
            second: || {
                let _g = cond.acquire();
                let got = cond.wait_for_timeout(|| tickets.load(Relaxed) > 0, PATIENCE);
                assert_eq!(got, Ok(true), "the notification was lost");
                tickets.fetch_sub(1, Relaxed);
            },
            wake: || {
                let _g = cond.acquire();
                tickets.fetch_add(1, Relaxed);
                cond.notify(1).unwrap();
            },
            check: |_| {
                assert_eq!(tickets.load(Relaxed), 0);
                assert_eq!(cond.waiting(), 0);
            },
            reset: |_| {},
            pending_calls: false,
        })
    }
}

stress_test! {
    limit = hang_limit();
    /// `Barrier` of three: the waiter and the second party wait, the waker arrives last. Every
    /// party passes (the interrupt stays pending), or the waiter gets `Interrupted`, having
    /// left the cycle (not broken), arrives again, and every party passes.
    fn interrupt_races_barrier_last_arrival() {
        let barrier = Barrier::new(3).unwrap();
        // 1: passed, 2: broken.
        let (second_got, last_got) = (AtomicU64::new(0), AtomicU64::new(0));
        let record = |slot: &AtomicU64, result: Result<_, BarrierError>| {
            slot.store(
                match result {
                    Ok(_) => 1,
                    Err(BarrierError::Broken) => 2,
                    Err(other) => panic!("{other:?}"),
                },
                SeqCst,
            );
        };
        race_rounds(&Roles {
            wait: || {
                let r = barrier.wait().map(drop).map_err(barrier_interrupt);
                if r.is_err() {
                    // Counted out: arrive again to complete the cycle.
                    barrier.wait().expect("the second arrival passes");
                }
                r
            },
            second: || record(&second_got, barrier.wait()),
            wake: || record(&last_got, barrier.wait()),
            check: |_interrupted| {
                assert_eq!(second_got.load(SeqCst), 1, "the second party");
                assert_eq!(last_got.load(SeqCst), 1, "the last arrival");
                assert!(!barrier.broken());
            },
            reset: |_| barrier.reset(),
            pending_calls: true,
        })
    }
}
