//! `Timer`: cancels racing expiry one at a time; ten thousand timers started and cancelled
//! concurrently.
//!
//! What `cancel` guarantees: the timer thread waits on `finished` for the interval, then calls
//! the function unless `finished` is set (CPython's `Timer.run`). So a `cancel` that returned
//! before the interval could have expired — before `start` was called + the interval, since
//! the thread's deadline is later than that — always wins; one that comes later may lose the
//! race (the function runs anyway). Either way the function runs at most once, not before
//! its interval, and exactly when `fired()` says so.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::Timer;
use gil_test_support::{PATIENCE, Rng, env_size};

use crate::{MaxWait, Report, threads, total_ops};

stress_test! {
    /// `threads × GIL_SYNC_STRESS_OPS / 8000` timers (1 000 by default) of 0–2 ms, one at a
    /// time, each cancelled at a random-ish moment around its expiry: every callback runs at
    /// most once, exactly the timers reporting `fired()` ran it, and every timer thread ends
    /// (`join_timeout` within 10 s).
    fn timer_cancel_races_expiry() {
        let timers = (total_ops() / 8000).max(1);
        let ran = Arc::new(AtomicU64::new(0));
        let mut fired = 0;
        let mut max_join = Duration::ZERO;
        for i in 0..timers {
            let ran2 = ran.clone();
            let timer = Timer::new(Duration::from_micros(i % 2000), move || {
                ran2.fetch_add(1, Relaxed);
            });
            timer.start().expect("start");
            thread::sleep(Duration::from_micros((i * 7919) % 2000));
            timer.cancel();
            let t0 = Instant::now();
            assert!(timer.join_timeout(PATIENCE).unwrap(), "timer {i} never ended");
            max_join = max_join.max(t0.elapsed());
            if timer.fired() {
                fired += 1;
            }
            assert_eq!(ran.load(Relaxed), fired, "timer {i}: fired() disagrees with the run");
        }
        Report::new(1, timers, max_join)
            .note(format!("{fired} of {timers} timers fired before their cancel"))
    }
}

/// Timers of the concurrent test (`GIL_SYNC_STRESS_TIMERS`, default 10 000).
fn concurrent_timers() -> u64 {
    env_size("GIL_SYNC_STRESS_TIMERS", 10_000)
}

/// Live timers per worker in the concurrent test: 8 workers keep 64 timer threads alive.
const LIVE_PER_WORKER: usize = 8;

/// What happens to a timer of the concurrent test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Cancelled before `start`: never fires.
    Before,
    /// Never cancelled: fires exactly once.
    Never,
    /// Cancelled by its worker right after `start`.
    AtOnce,
    /// Cancelled by its worker when retired, a few timers later.
    Later,
    /// Cancelled by a canceller thread.
    Elsewhere,
}

/// One timer of the concurrent test and what it did.
struct Shot {
    timer: Timer,
    plan: Plan,
    /// Taken just before `start`.
    started: OnceLock<Instant>,
    /// Taken just after `cancel` returned.
    cancelled: OnceLock<Instant>,
    /// Calls of the function, and the time of the first.
    ran: Arc<AtomicU32>,
    ran_at: Arc<OnceLock<Instant>>,
}

impl Shot {
    fn new(interval: Duration, plan: Plan) -> Arc<Self> {
        let (ran, ran_at) = (Arc::new(AtomicU32::new(0)), Arc::new(OnceLock::new()));
        let (r, at) = (Arc::clone(&ran), Arc::clone(&ran_at));
        let timer = Timer::new(interval, move || {
            let _ = at.set(Instant::now());
            r.fetch_add(1, SeqCst);
        });
        Arc::new(Self {
            timer,
            plan,
            started: OnceLock::new(),
            cancelled: OnceLock::new(),
            ran,
            ran_at,
        })
    }

    fn cancel(&self) {
        self.timer.cancel();
        self.cancelled
            .set(Instant::now())
            .expect("each timer is cancelled once");
    }

    /// The earliest moment the timer could expire.
    fn earliest_expiry(&self) -> Instant {
        *self.started.get().expect("started") + self.timer.interval()
    }
}

/// Outcomes of the concurrent test.
#[derive(Default)]
struct Tally {
    fired: AtomicU64,
    cancelled_in_time: AtomicU64,
    cancelled_late_no_call: AtomicU64,
    cancel_lost: AtomicU64,
    before_start: AtomicU64,
    /// Longest delay from the earliest expiry to the call, in nanoseconds.
    max_delay: MaxWait,
    /// Longest `join` after the cancel (or the call).
    max_join: MaxWait,
}

/// Checks a timer whose fate is sealed (cancelled, or left to fire), after joining it.
fn retire(shot: &Shot, tally: &Tally) {
    match shot.plan {
        Plan::Later => shot.cancel(),
        Plan::Elsewhere => {
            // The canceller takes it soon; its cancel must come before the join's verdict.
            let deadline = Instant::now() + PATIENCE;
            while shot.cancelled.get().is_none() {
                assert!(Instant::now() < deadline, "the canceller never cancelled");
                thread::yield_now();
            }
        }
        Plan::Before | Plan::Never | Plan::AtOnce => {}
    }
    let t0 = Instant::now();
    assert!(
        shot.timer.join_timeout(PATIENCE).expect("started"),
        "{:?} timer of {:?} never ended ({:?})",
        shot.plan,
        shot.timer.interval(),
        shot.timer
    );
    tally.max_join.merge(t0.elapsed());
    let ran = shot.ran.load(SeqCst);
    assert!(ran <= 1, "a timer function ran {ran} times");
    assert_eq!(
        shot.timer.fired(),
        ran == 1,
        "fired() disagrees with the call"
    );
    assert!(
        shot.timer.finished().is_set(),
        "finished unset after the thread ended"
    );
    let earliest = shot.earliest_expiry();
    if ran == 1 {
        let at = *shot.ran_at.get().expect("the call recorded its time");
        assert!(
            at >= earliest,
            "a {:?} timer fired {:?} early",
            shot.timer.interval(),
            earliest - at
        );
        tally.max_delay.merge(at - earliest);
        tally.fired.fetch_add(1, Relaxed);
    }
    match (shot.plan, shot.cancelled.get()) {
        (Plan::Never, _) => assert_eq!(ran, 1, "an uncancelled timer never fired"),
        (Plan::Before, _) => {
            assert_eq!(ran, 0, "a timer cancelled before start fired");
            tally.before_start.fetch_add(1, Relaxed);
        }
        (_, Some(&cancelled)) if cancelled < earliest => {
            assert_eq!(
                ran,
                0,
                "a {:?} timer fired although cancel() returned {:?} before it could expire",
                shot.timer.interval(),
                earliest - cancelled
            );
            tally.cancelled_in_time.fetch_add(1, Relaxed);
        }
        (_, Some(_)) if ran == 1 => {
            tally.cancel_lost.fetch_add(1, Relaxed);
        }
        (_, Some(_)) => {
            tally.cancelled_late_no_call.fetch_add(1, Relaxed);
        }
        (plan, None) => unreachable!("a {plan:?} timer retired uncancelled"),
    }
}

/// An interval for a concurrent-test timer: mostly 0–2 ms (cancels race the expiry), one in
/// eight 10 s (only a cancel ends it in time).
fn interval(rng: &mut Rng) -> Duration {
    if rng.below(8) == 0 {
        Duration::from_secs(10)
    } else {
        rng.micros(2000)
    }
}

fn plan(rng: &mut Rng) -> Plan {
    match rng.below(16) {
        0 => Plan::Before,
        1 | 2 => Plan::Never,
        3..6 => Plan::AtOnce,
        6..11 => Plan::Later,
        _ => Plan::Elsewhere,
    }
}

stress_test! {
    /// `GIL_SYNC_STRESS_TIMERS` timers (10 000 by default) started and cancelled concurrently:
    /// `threads` workers each keep 8 alive (64 timer threads at a time by default), retiring
    /// the oldest before starting the next, and 2 canceller threads cancel the timers handed
    /// to them. Intervals are 0–2 ms (one in eight 10 s); a timer is cancelled before `start`,
    /// never, right after `start`, when retired, or by a canceller. After each is joined: the
    /// function ran at most once, exactly when `fired()` says, never before the interval
    /// passed; an uncancelled timer fired; a timer cancelled before `start`, or whose
    /// `cancel()` returned before `start` + interval, did not fire. A timer whose cancel came
    /// later may fire (the race CPython has too): such lost races are counted.
    fn timers_started_and_cancelled_concurrently() {
        let workers = threads();
        let total = concurrent_timers();
        let tally = Tally::default();
        thread::scope(|s| {
            let senders: Vec<mpsc::Sender<Arc<Shot>>> = (0..2)
                .map(|_| {
                    let (tx, rx) = mpsc::channel::<Arc<Shot>>();
                    s.spawn(move || {
                        for shot in rx {
                            shot.cancel();
                        }
                    });
                    tx
                })
                .collect();
            for w in 0..workers as u64 {
                let count = total / workers as u64 + u64::from(w < total % workers as u64);
                let (tally, tx) = (&tally, senders[usize::from(w % 2 == 1)].clone());
                s.spawn(move || {
                    let mut rng = Rng::new(800 + w);
                    let mut live: VecDeque<Arc<Shot>> = VecDeque::with_capacity(LIVE_PER_WORKER);
                    for _ in 0..count {
                        if live.len() == LIVE_PER_WORKER {
                            retire(&live.pop_front().expect("full"), tally);
                        }
                        let plan = plan(&mut rng);
                        // An uncancelled timer must fire within the join's patience.
                        let interval = if plan == Plan::Never {
                            rng.micros(2000)
                        } else {
                            interval(&mut rng)
                        };
                        let shot = Shot::new(interval, plan);
                        if plan == Plan::Before {
                            shot.cancel();
                        }
                        shot.started.set(Instant::now()).expect("started once");
                        shot.timer.start().expect("start a timer");
                        match plan {
                            Plan::AtOnce => shot.cancel(),
                            Plan::Elsewhere => tx.send(Arc::clone(&shot)).expect("cancellers"),
                            _ => {}
                        }
                        live.push_back(shot);
                        if rng.below(4) == 0 {
                            thread::sleep(rng.micros(300));
                        }
                    }
                    while let Some(shot) = live.pop_front() {
                        retire(&shot, tally);
                    }
                });
            }
            drop(senders);
        });
        let fired = tally.fired.load(SeqCst);
        let in_time = tally.cancelled_in_time.load(SeqCst);
        let late_no_call = tally.cancelled_late_no_call.load(SeqCst);
        let lost = tally.cancel_lost.load(SeqCst);
        let before = tally.before_start.load(SeqCst);
        Report::new(workers + 2, total, tally.max_join.get()).note(format!(
            "{total} timers: {fired} fired ({lost} of them after a late cancel), {} not \
             called ({before} cancelled before start, {in_time} cancelled before they could \
             expire, {late_no_call} cancelled later but still waiting); latest call {:.3?} \
             after the earliest expiry (max wait above: longest join)",
            before + in_time + late_no_call,
            tally.max_delay.get()
        ))
    }
}
