//! `Event`: rounds of waiters released by one `set`; every operation mixed against a setter
//! that announces its phases.

use std::sync::Barrier;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::Event;
use gil_test_support::Rng;

use crate::{Interp, MaxWait, Report, per_thread, test_gil, threads, timed, total_ops, work};

stress_test! {
    /// `Event` rounds: `threads × GIL_SYNC_STRESS_OPS / 400` rounds (20 000 by default) of
    /// `threads − 1` waiters blocking on a cleared event and 1 setter; the setter announces the
    /// round's set, sets the event after a varying delay, everyone meets at a barrier, the
    /// setter clears it. Waiters use `wait()`, a long `wait_timeout` (must return `true`) or a
    /// short one (may time out, then `wait()`). No waiter hangs (the watchdog), every wait of
    /// every round returns `true`, and none returns before its round's set was announced.
    fn event_set_clear_rounds() {
        let threads = threads();
        let rounds = (total_ops() / 400).max(1);
        let event = Event::new();
        let start = Barrier::new(threads);
        let end = Barrier::new(threads);
        // The round whose set has begun (1-based; 0: none yet).
        let announced = AtomicU64::new(0);
        let passed = AtomicU64::new(0);
        let short_timeouts = AtomicU64::new(0);
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for w in 0..threads as u64 - 1 {
                let (event, start, end, announced, passed, short_timeouts, max_wait) =
                    (&event, &start, &end, &announced, &passed, &short_timeouts, &max_wait);
                s.spawn(move || {
                    let mut max = Duration::ZERO;
                    for r in 0..rounds {
                        start.wait();
                        match (r + w) % 3 {
                            0 => assert!(timed(&mut max, || event.wait())),
                            1 => assert!(
                                timed(&mut max, || event.wait_timeout(Duration::from_secs(30))),
                                "a 30 s wait_timeout missed a set"
                            ),
                            _ => {
                                if !event.wait_timeout(Duration::from_micros(20)) {
                                    short_timeouts.fetch_add(1, Relaxed);
                                    assert!(timed(&mut max, || event.wait()));
                                }
                            }
                        }
                        assert_eq!(
                            announced.load(SeqCst),
                            r + 1,
                            "a wait of round {r} returned before that round's set"
                        );
                        passed.fetch_add(1, Relaxed);
                        end.wait();
                    }
                    max_wait.merge(max);
                });
            }
            for r in 0..rounds {
                start.wait();
                match r % 4 {
                    0 => {}
                    1 => thread::yield_now(),
                    2 => work(r),
                    _ => thread::sleep(Duration::from_micros(50)),
                }
                announced.store(r + 1, SeqCst);
                event.set();
                end.wait();
                event.clear();
            }
        });
        let waits = rounds * (threads as u64 - 1);
        assert_eq!(passed.load(SeqCst), waits);
        Report::new(threads, waits + 2 * rounds, max_wait.get()).note(format!(
            "{rounds} rounds, {waits} waits, {} short waits timed out first",
            short_timeouts.load(Relaxed)
        ))
    }
}

/// Phases the setter of [`event_mixed_ops_follow_the_flag`] announces, in a counter that
/// only grows: `4k + 1` before `set`, `+ 2` once `set` returned, `+ 3` before `clear`,
/// `4(k + 1)` once `clear` returned.
fn flag_known(phase: u64) -> Option<bool> {
    match phase % 4 {
        0 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

/// The longest the setter of [`event_mixed_ops_follow_the_flag`] waits for the workers.
const HOLD_LIMIT: Duration = Duration::from_millis(1);

/// Counts of [`event_mixed_ops_follow_the_flag`].
#[derive(Default)]
struct Counts {
    trues: AtomicU64,
    falses: AtomicU64,
    checked: AtomicU64,
    blocking: AtomicU64,
}

stress_test! {
    /// `Event`, mixed: one setter cycles the flag (set, up 0–20 µs and until the workers made
    /// as many operations as they are, clear, down 0–50 µs and until one of them blocks;
    /// 1 ms at most each), announcing each step in a phase counter; `threads − 1` workers,
    /// paced to 8 operations per step, make `GIL_SYNC_STRESS_OPS / 8` operations each, at
    /// random: `wait()`, `wait_timeout(10 s)`
    /// (both must return `true`: the setter sets again), `wait_timeout` of 0–100 µs,
    /// `wait_deadline` 0–100 µs ahead, `wait_timeout(0)` and `is_set`. Each reads the phase
    /// before and after: if it did not move and says the flag was down the whole time (`clear`
    /// had returned, no `set` begun), the call must return `false` — no wake-up without a set;
    /// if it says up the whole time, `true` — no set missed. Odd workers hold a GIL.
    fn event_mixed_ops_follow_the_flag() {
        let threads = threads();
        let n = (per_thread() / 8).max(1);
        let gil = test_gil();
        let event = Event::new();
        let phase = AtomicU64::new(0);
        let left = AtomicUsize::new(threads - 1);
        // Worker operations begun, and workers inside a blocking call: the setter keeps each
        // state until the workers have had a go at it.
        let (ops_done, in_wait) = (AtomicU64::new(0), AtomicU64::new(0));
        let counts = Counts::default();
        let max_wait = MaxWait::default();
        let cycles = thread::scope(|s| {
            for t in 1..threads {
                let (gil, event, phase, left, counts, max_wait, ops_done, in_wait) =
                    (&gil, &event, &phase, &left, &counts, &max_wait, &ops_done, &in_wait);
                s.spawn(move || {
                    let mut interp = Interp::new(gil, t);
                    let mut rng = Rng::new(600 + t as u64);
                    let mut max = Duration::ZERO;
                    let (mut trues, mut falses, mut checked, mut blocking) = (0, 0, 0, 0);
                    let (mut step, mut in_step) = (u64::MAX, 0);
                    for _ in 0..n {
                        interp.tick();
                        // At most 8 operations per step of the setter: unpaced, the workers
                        // outrun a setter the scheduler keeps waiting (2 cores, 8 threads),
                        // and the flag hardly ever moves during the run.
                        loop {
                            let p = phase.load(Relaxed);
                            if p != step {
                                (step, in_step) = (p, 0);
                                break;
                            }
                            if in_step < 8 {
                                break;
                            }
                            interp.tick();
                            thread::yield_now();
                        }
                        in_step += 1;
                        ops_done.fetch_add(1, Relaxed);
                        let op = rng.below(16);
                        let p0 = phase.load(SeqCst);
                        let t0 = Instant::now();
                        if op < 5 {
                            in_wait.fetch_add(1, SeqCst);
                        }
                        let result = match op {
                            0 => event.wait(),
                            1 => event.wait_timeout(Duration::from_secs(10)),
                            2 | 3 => event.wait_timeout(rng.micros(100)),
                            4 => event.wait_deadline(t0 + rng.micros(100)),
                            5..8 => event.wait_timeout(Duration::ZERO),
                            _ => event.is_set(),
                        };
                        if op < 5 {
                            in_wait.fetch_sub(1, SeqCst);
                            max = max.max(t0.elapsed());
                            blocking += 1;
                        }
                        let p1 = phase.load(SeqCst);
                        if op < 2 {
                            assert!(result, "an untimed or 10 s wait returned false");
                        }
                        if p0 == p1
                            && let Some(flag) = flag_known(p0)
                        {
                            checked += 1;
                            assert_eq!(
                                result, flag,
                                "op {op} returned {result} while the flag was {} throughout \
                                 (phase {p0})",
                                if flag { "up" } else { "down" }
                            );
                        }
                        if result {
                            trues += 1;
                        } else {
                            falses += 1;
                        }
                    }
                    counts.trues.fetch_add(trues, Relaxed);
                    counts.falses.fetch_add(falses, Relaxed);
                    counts.checked.fetch_add(checked, Relaxed);
                    counts.blocking.fetch_add(blocking, Relaxed);
                    max_wait.merge(max);
                    left.fetch_sub(1, SeqCst);
                });
            }
            let mut rng = Rng::new(600);
            let workers = threads as u64 - 1;
            // Keeps the current state for 0 to `max_us` µs and until `enough` (1 ms at most).
            let hold = |rng: &mut Rng, max_us: u64, enough: &dyn Fn() -> bool| {
                let t0 = Instant::now();
                let until = t0 + rng.micros(max_us);
                while Instant::now() < until || (!enough() && t0.elapsed() < HOLD_LIMIT) {
                    thread::yield_now();
                }
            };
            let mut cycles = 0u64;
            while left.load(SeqCst) > 0 {
                phase.fetch_add(1, SeqCst);
                event.set();
                phase.fetch_add(1, SeqCst);
                let base = ops_done.load(Relaxed);
                hold(&mut rng, 20, &|| ops_done.load(Relaxed) >= base + workers);
                phase.fetch_add(1, SeqCst);
                event.clear();
                phase.fetch_add(1, SeqCst);
                hold(&mut rng, 50, &|| in_wait.load(SeqCst) > 0);
                cycles += 1;
            }
            cycles
        });
        let ops = n * (threads as u64 - 1);
        assert_eq!(counts.trues.load(SeqCst) + counts.falses.load(SeqCst), ops);
        Report::new(threads, ops + 2 * cycles, max_wait.get()).note(format!(
            "{cycles} set/clear cycles; {} true, {} false; {} blocking calls; {} results \
             checked against a known flag; odd workers held a GIL",
            counts.trues.load(SeqCst),
            counts.falses.load(SeqCst),
            counts.blocking.load(SeqCst),
            counts.checked.load(SeqCst)
        ))
    }
}
