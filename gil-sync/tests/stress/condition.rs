//! `Condition`: producers and consumers over a `Lock`; a bounded buffer over a re-entered
//! `RLock` with every wait flavour; timed waits against rare notifies.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{Condition, Lock, RLock};
use gil_test_support::Rng;

use crate::{Interp, MaxWait, Report, test_gil, threads, timed, total_ops};

/// A FIFO ring of `u64` items touched only under a condition's lock: `Relaxed` slots and
/// indices, ordered by the lock alone.
struct LockedQueue {
    slots: Vec<AtomicU64>,
    head: AtomicUsize,
    tail: AtomicUsize,
}

impl LockedQueue {
    fn with_capacity(n: usize) -> Self {
        Self {
            slots: (0..n).map(|_| AtomicU64::new(u64::MAX)).collect(),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        }
    }

    fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn push(&self, item: u64) {
        let tail = self.tail.load(Relaxed);
        assert!(self.len() < self.capacity(), "push into a full queue");
        self.slots[tail % self.capacity()].store(item, Relaxed);
        self.tail.store(tail + 1, Relaxed);
    }

    fn pop(&self) -> Option<u64> {
        let head = self.head.load(Relaxed);
        if head == self.tail.load(Relaxed) {
            return None;
        }
        self.head.store(head + 1, Relaxed);
        Some(self.slots[head % self.capacity()].load(Relaxed))
    }

    fn len(&self) -> usize {
        self.tail.load(Relaxed) - self.head.load(Relaxed)
    }
}

stress_test! {
    /// `Condition` over a `Lock`: half the threads produce `threads × GIL_SYNC_STRESS_OPS`
    /// items in total and `notify(1)` (every 16th item `notify_all`); the other half consume,
    /// sleeping in `wait()` (even consumers) or `wait_timeout(2 ms)` (odd ones). Every item is
    /// consumed exactly once. Before they stop, producers check the queue drains without their
    /// help (a lost wake-up with every consumer asleep would leave items behind).
    fn condition_producer_consumer_exactly_once() {
        let threads = threads();
        let total = usize::try_from(total_ops()).unwrap();
        let producers = threads / 2;
        let per_producer = total / producers;
        let total = per_producer * producers;
        let cond = Condition::with_lock(Arc::new(Lock::new()));
        let queue = LockedQueue::with_capacity(total);
        let seen: Vec<AtomicU8> = (0..total).map(|_| AtomicU8::new(0)).collect();
        let consumed = AtomicUsize::new(0);
        let done = AtomicBool::new(false);
        let (waits, timeouts) = (AtomicU64::new(0), AtomicU64::new(0));
        let max_wait = MaxWait::default();
        let producers_done = Barrier::new(producers);
        thread::scope(|s| {
            for p in 0..producers {
                let (cond, queue, producers_done, done) = (&cond, &queue, &producers_done, &done);
                s.spawn(move || {
                    for k in 0..per_producer {
                        let item = (p * per_producer + k) as u64;
                        let guard = cond.acquire();
                        queue.push(item);
                        if k % 16 == 15 {
                            cond.notify_all().unwrap();
                        } else {
                            cond.notify(1).unwrap();
                        }
                        drop(guard);
                    }
                    if producers_done.wait().is_leader() {
                        // All items pushed: the consumers must drain them on their own.
                        let deadline = Instant::now() + Duration::from_secs(20);
                        loop {
                            let guard = cond.acquire();
                            let left = queue.len();
                            if left == 0 {
                                done.store(true, Relaxed);
                                cond.notify_all().unwrap();
                                drop(guard);
                                break;
                            }
                            drop(guard);
                            assert!(
                                Instant::now() < deadline,
                                "{left} items left in the queue 20 s after the last push: \
                                 lost wake-up"
                            );
                            thread::sleep(Duration::from_millis(1));
                        }
                    }
                });
            }
            for c in 0..threads - producers {
                let (cond, queue, seen, consumed, done, waits, timeouts, max_wait) =
                    (&cond, &queue, &seen, &consumed, &done, &waits, &timeouts, &max_wait);
                s.spawn(move || {
                    let mut max = Duration::ZERO;
                    let (mut waited, mut timed_out) = (0, 0);
                    loop {
                        let guard = cond.acquire();
                        let item = loop {
                            if let Some(item) = queue.pop() {
                                break Some(item);
                            }
                            if done.load(Relaxed) {
                                break None;
                            }
                            waited += 1;
                            if c % 2 == 0 {
                                timed(&mut max, || cond.wait()).unwrap();
                            } else if timed(&mut max, || cond.wait_timeout(Duration::from_millis(2)))
                                .unwrap()
                                .timed_out()
                            {
                                timed_out += 1;
                            }
                        };
                        drop(guard);
                        let Some(item) = item else { break };
                        let i = usize::try_from(item).unwrap();
                        assert_eq!(seen[i].fetch_add(1, Relaxed), 0, "item {item} consumed twice");
                        consumed.fetch_add(1, Relaxed);
                    }
                    waits.fetch_add(waited, Relaxed);
                    timeouts.fetch_add(timed_out, Relaxed);
                    max_wait.merge(max);
                });
            }
        });
        assert_eq!(consumed.load(SeqCst), total);
        assert!(seen.iter().all(|x| x.load(Relaxed) == 1), "an item was never consumed");
        assert_eq!(cond.waiting(), 0);
        Report::new(threads, total as u64, max_wait.get()).note(format!(
            "{total} items, {} consumer waits ({} timed out)",
            waits.load(SeqCst),
            timeouts.load(SeqCst)
        ))
    }
}

/// Capacity of the bounded buffer.
const BUFFER: usize = 8;

/// How a bounded-buffer thread waits for its predicate, drawn at random.
fn wait_until(
    cond: &Condition,
    rng: &mut Rng,
    max: &mut Duration,
    notified: &mut u64,
    mut ready: impl FnMut() -> bool,
) -> u64 {
    let mut timeouts = 0;
    match rng.below(4) {
        0 => assert!(timed(max, || cond.wait_for(&mut ready)).unwrap()),
        1 => {
            let timeout = rng.micros(2000);
            while !timed(max, || cond.wait_for_timeout(&mut ready, timeout)).unwrap() {
                timeouts += 1;
            }
        }
        2 => {
            while !ready() {
                timed(max, || cond.wait()).unwrap();
                *notified += 1;
            }
        }
        _ => {
            let timeout = rng.micros(2000);
            while !ready() {
                let t0 = Instant::now();
                let result = cond.wait_timeout(timeout).unwrap();
                let waited = t0.elapsed();
                *max = (*max).max(waited);
                if result.timed_out() {
                    assert!(
                        waited >= timeout,
                        "a {timeout:?} wait timed out after {waited:?}"
                    );
                    timeouts += 1;
                } else {
                    *notified += 1;
                }
            }
        }
    }
    timeouts
}

/// `notify(1)`, `notify(2)` or `notify_all` on `cond`, counting the waiters it can wake:
/// waiters queue only with the lock held, so until the notify the queue can only shrink.
fn notify_some(cond: &Condition, rng: &mut Rng) -> u64 {
    let n = match rng.below(8) {
        0 => usize::MAX,
        1 => 2,
        _ => 1,
    };
    let can_wake = cond.waiting().min(n) as u64;
    if n == usize::MAX {
        cond.notify_all().unwrap();
    } else {
        cond.notify(n).unwrap();
    }
    can_wake
}

/// Counts of [`condition_rlock_bounded_buffer_every_wait`].
#[derive(Default)]
struct Counts {
    timeouts: AtomicU64,
    notified: AtomicU64,
    wakeable: AtomicU64,
    nested: AtomicU64,
}

stress_test! {
    /// A bounded buffer of 8 over one `RLock` with two `Condition`s (`not_full`,
    /// `not_empty`), as Python's `queue.Queue`: half the threads put
    /// `threads × GIL_SYNC_STRESS_OPS / 16` items in total, the others get them. Each holds
    /// the lock at depth 1 or 2 (re-entered), waits with `wait_for`, `wait_for_timeout`
    /// (0–2 ms, retried), a `wait` loop or a `wait_timeout` loop (a timeout never comes
    /// early), and notifies the other side with `notify(1)`, `notify(2)` or `notify_all`.
    /// Waits get every level back. Every item is taken exactly once; the wake-ups counted
    /// (those of `wait` and `wait_timeout`) never exceed the waiters the notifies could wake,
    /// as counted at each notify. Odd workers hold a GIL.
    fn condition_rlock_bounded_buffer_every_wait() {
        let threads = threads();
        let producers = threads / 2;
        let consumers = threads - producers;
        let per_producer = (total_ops() / 16 / producers as u64).max(1);
        let total = per_producer * producers as u64;
        let gil = test_gil();
        let lock = Arc::new(RLock::new());
        let not_full = Condition::with_rlock(Arc::clone(&lock));
        let not_empty = Condition::with_rlock(Arc::clone(&lock));
        let queue = LockedQueue::with_capacity(BUFFER);
        let seen: Vec<AtomicU8> = (0..total).map(|_| AtomicU8::new(0)).collect();
        // Touched only with the lock held.
        let taken = AtomicU64::new(0);
        let counts = Counts::default();
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for t in 0..threads {
                let (gil, lock, not_full, not_empty, queue, seen, taken, counts, max_wait) = (
                    &gil, &lock, &not_full, &not_empty, &queue, &seen, &taken, &counts,
                    &max_wait,
                );
                s.spawn(move || {
                    let mut interp = Interp::new(gil, t);
                    let mut rng = Rng::new(500 + t as u64);
                    let mut max = Duration::ZERO;
                    let (mut timeouts, mut notified, mut wakeable, mut nested) = (0, 0, 0, 0);
                    let producer = t < producers;
                    let mut k = 0;
                    loop {
                        interp.tick();
                        if producer && k == per_producer {
                            break;
                        }
                        let depth = 1 + rng.below(2);
                        let guard = not_full.acquire();
                        let inner = (depth == 2).then(|| lock.acquire());
                        nested += u64::from(inner.is_some());
                        if producer {
                            timeouts += wait_until(not_full, &mut rng, &mut max, &mut notified, || {
                                queue.len() < BUFFER
                            });
                            assert_eq!(lock.recursion_count(), depth, "a wait lost a level");
                            queue.push(t as u64 * per_producer + k);
                            k += 1;
                            wakeable += notify_some(not_empty, &mut rng);
                        } else {
                            let all = || taken.load(Relaxed) == total;
                            timeouts += wait_until(not_empty, &mut rng, &mut max, &mut notified, || {
                                queue.len() > 0 || all()
                            });
                            assert_eq!(lock.recursion_count(), depth, "a wait lost a level");
                            let Some(item) = queue.pop() else {
                                // Everything was taken: let the other consumers see it too.
                                not_empty.notify_all().unwrap();
                                break;
                            };
                            taken.store(taken.load(Relaxed) + 1, Relaxed);
                            let i = usize::try_from(item).unwrap();
                            assert_eq!(seen[i].fetch_add(1, Relaxed), 0, "item {item} taken twice");
                            if all() {
                                not_empty.notify_all().unwrap();
                            }
                            wakeable += notify_some(not_full, &mut rng);
                        }
                        drop(inner);
                        drop(guard);
                    }
                    counts.timeouts.fetch_add(timeouts, Relaxed);
                    counts.notified.fetch_add(notified, Relaxed);
                    counts.wakeable.fetch_add(wakeable, Relaxed);
                    counts.nested.fetch_add(nested, Relaxed);
                    max_wait.merge(max);
                });
            }
        });
        assert_eq!(taken.load(SeqCst), total);
        assert!(seen.iter().all(|x| x.load(Relaxed) == 1), "an item was never taken");
        assert_eq!(queue.len(), 0);
        assert_eq!(not_full.waiting() + not_empty.waiting(), 0);
        assert!(!lock.locked());
        let (notified, wakeable) = (counts.notified.load(SeqCst), counts.wakeable.load(SeqCst));
        assert!(
            notified <= wakeable,
            "{notified} wake-ups counted, but the notifies could wake only {wakeable}"
        );
        Report::new(threads, total, max_wait.get()).note(format!(
            "{total} items through a buffer of {BUFFER} ({producers} producers, {consumers} \
             consumers), {} at depth 2; {notified} counted wake-ups of {wakeable} notifiable, \
             {} timed out; odd workers held a GIL",
            counts.nested.load(SeqCst),
            counts.timeouts.load(SeqCst)
        ))
    }
}

stress_test! {
    /// Timed waits under load: `threads − 2` waiters make `GIL_SYNC_STRESS_OPS / 16`
    /// `wait_timeout` calls each (0 to 1 ms) on a `Condition` that 2 notifiers rarely notify
    /// (every ~500 µs, `notify(1)` with a token per notify). Every wait returns within its
    /// timeout + 2 s and no earlier than its timeout when it reports a timeout; no waiter is
    /// woken without a notify; a notify that found a waiter queued wakes one unless that
    /// waiter timed out at the same moment (`notified >= effective notifies - timeouts`);
    /// every token is taken.
    fn condition_timed_waits_under_load() {
        let threads = threads();
        let waits = (crate::per_thread() / 16).max(1);
        let waiters = threads - 2;
        let cond = Condition::with_lock(Arc::new(Lock::new()));
        // All below only touched with the condition's lock held.
        let tokens = AtomicU64::new(0);
        let effective_notifies = AtomicU64::new(0);
        let notify_calls = AtomicU64::new(0);
        let taken = AtomicU64::new(0);
        // Counted by the waiters.
        let notified = AtomicU64::new(0);
        let timed_out = AtomicU64::new(0);
        let worst_overshoot_us = AtomicU64::new(0);
        let waiters_left = AtomicUsize::new(waiters);
        let max_wait = MaxWait::default();
        thread::scope(|s| {
            for w in 0..waiters as u64 {
                let (cond, tokens, taken, notified, timed_out, worst, left, max_wait) = (
                    &cond, &tokens, &taken, &notified, &timed_out, &worst_overshoot_us,
                    &waiters_left, &max_wait,
                );
                s.spawn(move || {
                    const TIMEOUTS_US: [u64; 6] = [0, 1, 10, 50, 200, 1000];
                    let mut max = Duration::ZERO;
                    for i in 0..waits {
                        let timeout = Duration::from_micros(
                            TIMEOUTS_US[usize::try_from((i + w) % 6).unwrap()],
                        );
                        let guard = cond.acquire();
                        let t0 = Instant::now();
                        let result = cond.wait_timeout(timeout).unwrap();
                        let elapsed = t0.elapsed();
                        max = max.max(elapsed);
                        assert!(
                            elapsed < timeout + Duration::from_secs(2),
                            "wait_timeout({timeout:?}) took {elapsed:?}"
                        );
                        if result.timed_out() {
                            assert!(
                                elapsed >= timeout,
                                "wait_timeout({timeout:?}) timed out after {elapsed:?}"
                            );
                            timed_out.fetch_add(1, Relaxed);
                            let over = elapsed.saturating_sub(timeout).as_micros();
                            worst.fetch_max(u64::try_from(over).unwrap(), Relaxed);
                        } else {
                            notified.fetch_add(1, Relaxed);
                        }
                        let t = tokens.load(Relaxed);
                        if t > 0 {
                            tokens.store(t - 1, Relaxed);
                            taken.fetch_add(1, Relaxed);
                        }
                        drop(guard);
                    }
                    max_wait.merge(max);
                    left.fetch_sub(1, SeqCst);
                });
            }
            for _ in 0..2 {
                let (cond, tokens, nw, calls, left) =
                    (&cond, &tokens, &effective_notifies, &notify_calls, &waiters_left);
                s.spawn(move || {
                    while left.load(SeqCst) > 0 {
                        thread::sleep(Duration::from_micros(500));
                        let guard = cond.acquire();
                        // Waiters join the queue only with the lock held, so between this
                        // read and the notify the queue can only shrink (by timeouts).
                        if cond.waiting() > 0 {
                            nw.fetch_add(1, Relaxed);
                        }
                        tokens.store(tokens.load(Relaxed) + 1, Relaxed);
                        calls.fetch_add(1, Relaxed);
                        cond.notify(1).unwrap();
                        drop(guard);
                    }
                });
            }
        });
        let (notified, timed_out) = (notified.load(SeqCst), timed_out.load(SeqCst));
        let (effective, calls) = (effective_notifies.load(SeqCst), notify_calls.load(SeqCst));
        assert_eq!(notified + timed_out, waits * waiters as u64);
        assert!(notified <= effective, "{notified} wake-ups from {effective} notifies");
        assert!(
            notified + timed_out >= effective,
            "lost notifications: {effective} notifies found a waiter, {notified} woke one"
        );
        // Every token is taken or still there; none appears twice.
        assert_eq!(taken.load(SeqCst) + tokens.load(SeqCst), calls);
        assert_eq!(cond.waiting(), 0);
        Report::new(threads, waits * waiters as u64 + calls, max_wait.get()).note(format!(
            "{} waits: {notified} notified, {timed_out} timed out (worst overshoot {} µs); \
             {calls} notifies ({effective} with a waiter queued)",
            waits * waiters as u64,
            worst_overshoot_us.load(Relaxed)
        ))
    }
}
