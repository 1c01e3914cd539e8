//! Stress tests (ignored by default; `cargo xtask verify --stress`): many threads, real time,
//! counters checked at the end.
//!
//! Run with `cargo test -p gil-sync --release --test stress -- --ignored`.
//!
//! # Sizing
//!
//! `GIL_SYNC_STRESS_OPS` (default 8 000 000) is the number of operations of each test in
//! total, split over its threads ([`THREADS`] = 8, so 10⁶ per thread by default). Tests whose
//! operations sleep or need every thread to meet (timed waits, `Event` rounds, `Barrier`
//! generations, `Timer`s) do fewer, as their docs say.
//!
//! # What is checked
//!
//! Shared data is kept in `Relaxed` atomics updated with a separate load and store, so it is
//! only correct if the primitive really excludes and really orders (a lost update shows up as
//! a wrong final count). Every test runs under a [`Watchdog`] that aborts the process with a
//! message if it hangs (a lost wake-up), instead of hanging `cargo test`.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{
    Barrier as PyBarrier, BoundedSemaphore, Condition, Event, Lock, RLock, ReleaseError, Semaphore,
    Timer,
};

/// Threads per test.
const THREADS: usize = 8;

/// How long any single test may run before the watchdog aborts.
const HANG_LIMIT: Duration = Duration::from_mins(1);

/// The ignore reason every test carries.
macro_rules! stress_test {
    ($(#[doc = $doc:literal])* fn $name:ident() $body:block) => {
        $(#[doc = $doc])*
        #[test]
        #[ignore = "stress: cargo xtask verify --stress"]
        fn $name() {
            let _dog = Watchdog::start(stringify!($name));
            let t0 = Instant::now();
            $body
            eprintln!("{}: {:.2?}", stringify!($name), t0.elapsed());
        }
    };
}

/// Total operations per test (`GIL_SYNC_STRESS_OPS`, default 8 × 10⁶).
fn total_ops() -> u64 {
    std::env::var("GIL_SYNC_STRESS_OPS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(8_000_000)
}

/// Operations per thread.
fn per_thread() -> u64 {
    (total_ops() / THREADS as u64).max(1)
}

/// Aborts the process if the test it guards runs past [`HANG_LIMIT`].
struct Watchdog {
    done: Arc<AtomicBool>,
}

impl Watchdog {
    fn start(name: &'static str) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        thread::Builder::new()
            .name(format!("watchdog-{name}"))
            .spawn(move || {
                let start = Instant::now();
                while !flag.load(Relaxed) {
                    if start.elapsed() > HANG_LIMIT {
                        eprintln!("stress test {name} hung for {HANG_LIMIT:?}: aborting");
                        std::process::abort();
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            })
            .expect("spawn the watchdog");
        Self { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Relaxed);
    }
}

/// Sets a flag when dropped (also while unwinding).
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Relaxed);
    }
}

/// A non-atomic increment of a `Relaxed` counter: correct only under mutual exclusion.
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed) + 1, Relaxed);
}

/// A few dozen nanoseconds of work inside a critical section, to widen races.
fn work(i: u64) {
    let mut x = std::hint::black_box(i);
    for k in 0..8 {
        x = x.wrapping_mul(31).wrapping_add(k);
    }
    std::hint::black_box(x);
}

stress_test! {
    /// `Lock`: 8 threads increment a counter under the lock; every 7th acquire is an
    /// `acquire_timeout` with a small timeout (retried until it succeeds), and every 100th is
    /// released by another thread (a releaser fed through a channel). The count is exact.
    fn lock_counter_exact() {
        let n = per_thread();
        let lock = Lock::new();
        let counter = AtomicU64::new(0);
        let timeouts = AtomicU64::new(0);
        let failed_releases = AtomicU64::new(0);
        let (tx, rx) = mpsc::channel::<()>();
        thread::scope(|s| {
            let (lock, failed) = (&lock, &failed_releases);
            s.spawn(move || {
                let mut released = 0u64;
                for () in rx {
                    release_or_recover(lock, failed, || {
                        lock.release().expect("held by the worker that sent the message");
                    });
                    released += 1;
                }
                eprintln!("  cross-thread releases: {released}");
            });
            for t in 0..THREADS as u64 {
                let (counter, timeouts, tx) = (&counter, &timeouts, tx.clone());
                s.spawn(move || {
                    for i in 0..n {
                        if i % 100 == 99 {
                            lock.acquire().leak();
                            bump(counter);
                            tx.send(()).unwrap();
                        } else if i % 7 == 3 {
                            let timeout = Duration::from_micros((i + t) % 50);
                            let guard = loop {
                                match lock.acquire_timeout(timeout) {
                                    Ok(g) => break g,
                                    Err(_) => {
                                        timeouts.fetch_add(1, Relaxed);
                                    }
                                }
                            };
                            bump(counter);
                            release_or_recover(lock, failed, || drop(guard));
                        } else {
                            let guard = lock.acquire();
                            work(i);
                            bump(counter);
                            release_or_recover(lock, failed, || drop(guard));
                        }
                    }
                });
            }
            drop(tx);
        });
        eprintln!("  timed-out acquires (retried): {}", timeouts.load(Relaxed));
        assert_eq!(
            failed_releases.load(SeqCst),
            0,
            "releases panicked (see the panic messages above)"
        );
        assert_eq!(counter.load(SeqCst), n * THREADS as u64);
        assert!(!lock.locked());
    }
}

/// Runs `release`; if it panics, counts it in `failed` and releases `lock` again, so that one
/// failed release fails the test instead of leaving the lock held and every other thread hung.
fn release_or_recover(lock: &Lock, failed: &AtomicU64, release: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(release)).is_err() {
        failed.fetch_add(1, Relaxed);
        lock.release()
            .expect("the lock is still held after a release that panicked");
    }
}

stress_test! {
    /// `Lock` release racing the last timed waiter's cancellation: one thread takes and
    /// releases the lock in a loop, holding it ~5 µs (guard drop, then a leaked acquire
    /// released with `Lock::release`), 2 others `acquire_timeout` with 0-15 µs timeouts, so
    /// the only queued waiter often times out just as the holder releases. Every release must
    /// succeed: the holder sees `PARKED_BIT` set, the waiter cancels (removing itself and
    /// clearing the bit), and the holder's slow path must cope with the now-empty queue.
    fn lock_release_races_timed_out_waiter() {
        let n = per_thread();
        let lock = Lock::new();
        let stop = AtomicBool::new(false);
        let (acquired, timed_out) = (AtomicU64::new(0), AtomicU64::new(0));
        thread::scope(|s| {
            for t in 0..2u64 {
                let (lock, stop, acquired, timed_out) = (&lock, &stop, &acquired, &timed_out);
                s.spawn(move || {
                    let mut i = t;
                    while !stop.load(Relaxed) {
                        i += 1;
                        match lock.acquire_timeout(Duration::from_micros(i % 16)) {
                            Ok(g) => {
                                acquired.fetch_add(1, Relaxed);
                                drop(g);
                                // Let the holder have it: the race needs it holding.
                                thread::yield_now();
                            }
                            Err(_) => {
                                timed_out.fetch_add(1, Relaxed);
                            }
                        }
                    }
                });
            }
            let hold = |i: u64| {
                let until = Instant::now() + Duration::from_micros(1 + i % 8);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            };
            // Stops the waiters even if a release below panics.
            let _stop = SetOnDrop(&stop);
            for i in 0..n * 2 {
                if i % 2 == 0 {
                    let guard = lock.acquire();
                    hold(i);
                    drop(guard);
                } else {
                    lock.acquire().leak();
                    hold(i);
                    lock.release().expect("the holder's release");
                }
            }
        });
        assert!(!lock.locked());
        eprintln!(
            "  waiter acquires: {}, timeouts: {}",
            acquired.load(Relaxed),
            timed_out.load(Relaxed)
        );
    }
}

stress_test! {
    /// `RLock`: 8 threads increment a counter at nesting depth 1 to 3 (some levels taken with
    /// `acquire_timeout`); the recursion count matches at every level and the count is exact.
    fn rlock_nested_counter_exact() {
        let n = per_thread();
        let lock = RLock::new();
        let counter = AtomicU64::new(0);
        thread::scope(|s| {
            for _ in 0..THREADS {
                let (lock, counter) = (&lock, &counter);
                s.spawn(move || {
                    for i in 0..n {
                        let depth = 1 + i % 3;
                        let mut guards = Vec::with_capacity(3);
                        for level in 1..=depth {
                            let guard = if level == 2 && i % 2 == 0 {
                                lock.acquire_timeout(Duration::ZERO).expect("re-entry never blocks")
                            } else if level == 1 && i % 5 == 0 {
                                loop {
                                    if let Ok(g) = lock.acquire_timeout(Duration::from_micros(20)) {
                                        break g;
                                    }
                                }
                            } else {
                                lock.acquire()
                            };
                            guards.push(guard);
                            assert_eq!(lock.recursion_count(), level);
                        }
                        work(i);
                        bump(counter);
                        while let Some(g) = guards.pop() {
                            drop(g);
                        }
                        assert_eq!(lock.recursion_count(), 0);
                    }
                });
            }
        });
        assert_eq!(counter.load(SeqCst), n * THREADS as u64);
        assert!(!lock.locked());
    }
}

/// 8 threads pass through `sem` (holding `permits`); a gauge checks that at most `permits`
/// are inside at once. Returns the highest gauge value seen.
fn semaphore_gauge(sem: &Semaphore, permits: u32) -> u32 {
    let n = per_thread();
    let inside = AtomicU32::new(0);
    let max_inside = AtomicU32::new(0);
    let passes = AtomicU64::new(0);
    thread::scope(|s| {
        for t in 0..THREADS as u64 {
            let (inside, max_inside, passes) = (&inside, &max_inside, &passes);
            s.spawn(move || {
                for i in 0..n {
                    let guard = if i % 5 == 2 {
                        loop {
                            if let Ok(g) = sem.acquire_timeout(Duration::from_micros((i + t) % 40))
                            {
                                break g;
                            }
                        }
                    } else {
                        sem.acquire()
                    };
                    let now = inside.fetch_add(1, SeqCst) + 1;
                    assert!(
                        now <= permits,
                        "{now} threads inside a semaphore of {permits}"
                    );
                    max_inside.fetch_max(now, Relaxed);
                    work(i);
                    passes.fetch_add(1, Relaxed);
                    inside.fetch_sub(1, SeqCst);
                    drop(guard);
                }
            });
        }
    });
    assert_eq!(passes.load(SeqCst), n * THREADS as u64);
    assert_eq!(sem.value(), u64::from(permits));
    max_inside.load(SeqCst)
}

stress_test! {
    /// `Semaphore(3)`: never more than 3 inside; the value is 3 again at the end.
    fn semaphore_at_most_three_inside() {
        let sem = Semaphore::new(3);
        let max = semaphore_gauge(&sem, 3);
        eprintln!("  most inside at once: {max}");
    }
}

stress_test! {
    /// `BoundedSemaphore(2)`: never more than 2 inside; at the end the value is 2 and one more
    /// release is refused.
    fn bounded_semaphore_at_most_two_inside() {
        let sem = BoundedSemaphore::new(2);
        let max = semaphore_gauge(&sem, 2);
        eprintln!("  most inside at once: {max}");
        assert_eq!(sem.release(), Err(ReleaseError::OverRelease));
        assert_eq!(sem.value(), 2);
    }
}

/// A FIFO of `u64` items touched only under a condition's lock: `Relaxed` slots and indices,
/// ordered by the lock alone.
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
    fn push(&self, item: u64) {
        let tail = self.tail.load(Relaxed);
        self.slots[tail].store(item, Relaxed);
        self.tail.store(tail + 1, Relaxed);
    }
    fn pop(&self) -> Option<u64> {
        let head = self.head.load(Relaxed);
        if head == self.tail.load(Relaxed) {
            return None;
        }
        self.head.store(head + 1, Relaxed);
        Some(self.slots[head].load(Relaxed))
    }
    fn len(&self) -> usize {
        self.tail.load(Relaxed) - self.head.load(Relaxed)
    }
}

stress_test! {
    /// `Condition` over a `Lock`: 4 producers push items and `notify(1)` (every 16th item
    /// `notify_all`); 4 consumers pop, sleeping in `wait()` (even consumers) or
    /// `wait_timeout(2 ms)` (odd ones). Every item is consumed exactly once. Before they stop,
    /// producers check the queue drains without their help (a lost wake-up with every consumer
    /// asleep would leave items behind).
    fn condition_producer_consumer_exactly_once() {
        let total = usize::try_from(total_ops()).unwrap();
        let producers = THREADS / 2;
        let per_producer = total / producers;
        let total = per_producer * producers;
        let cond = Condition::with_lock(Arc::new(Lock::new()));
        let queue = LockedQueue::with_capacity(total);
        let seen: Vec<AtomicU8> = (0..total).map(|_| AtomicU8::new(0)).collect();
        let consumed = AtomicUsize::new(0);
        let done = AtomicBool::new(false);
        let timeouts = AtomicU64::new(0);
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
            for c in 0..THREADS - producers {
                let (cond, queue, seen, consumed, done, timeouts) =
                    (&cond, &queue, &seen, &consumed, &done, &timeouts);
                s.spawn(move || {
                    loop {
                        let guard = cond.acquire();
                        let item = loop {
                            if let Some(item) = queue.pop() {
                                break Some(item);
                            }
                            if done.load(Relaxed) {
                                break None;
                            }
                            if c % 2 == 0 {
                                cond.wait().unwrap();
                            } else if cond
                                .wait_timeout(Duration::from_millis(2))
                                .unwrap()
                                .timed_out()
                            {
                                timeouts.fetch_add(1, Relaxed);
                            }
                        };
                        drop(guard);
                        let Some(item) = item else { break };
                        let i = usize::try_from(item).unwrap();
                        assert_eq!(seen[i].fetch_add(1, Relaxed), 0, "item {item} consumed twice");
                        consumed.fetch_add(1, Relaxed);
                    }
                });
            }
        });
        assert_eq!(consumed.load(SeqCst), total);
        assert!(seen.iter().all(|x| x.load(Relaxed) == 1), "an item was never consumed");
        assert_eq!(cond.waiting(), 0);
        eprintln!("  consumer wait timeouts: {}", timeouts.load(Relaxed));
    }
}

stress_test! {
    /// `Event`: `GIL_SYNC_STRESS_OPS / 100` rounds (10 000 by default) of 7 waiters blocking
    /// on a cleared event and 1 setter; the setter sets it after a varying delay, everyone
    /// meets at a barrier, the setter clears it. Waiters use `wait()`, a long `wait_timeout`
    /// (must return `true`) or a short one (may time out, then `wait()`). No waiter hangs
    /// (the watchdog) and every wait of every round returns `true`.
    fn event_set_clear_rounds() {
        let rounds = (total_ops() / 100).max(1);
        let event = Event::new();
        let start = Barrier::new(THREADS);
        let end = Barrier::new(THREADS);
        let passed = AtomicU64::new(0);
        let short_timeouts = AtomicU64::new(0);
        thread::scope(|s| {
            for w in 0..THREADS as u64 - 1 {
                let (event, start, end, passed, short_timeouts) =
                    (&event, &start, &end, &passed, &short_timeouts);
                s.spawn(move || {
                    for r in 0..rounds {
                        start.wait();
                        match (r + w) % 3 {
                            0 => assert!(event.wait()),
                            1 => assert!(
                                event.wait_timeout(Duration::from_secs(30)),
                                "a 30 s wait_timeout missed a set"
                            ),
                            _ => {
                                if !event.wait_timeout(Duration::from_micros(20)) {
                                    short_timeouts.fetch_add(1, Relaxed);
                                    assert!(event.wait());
                                }
                            }
                        }
                        passed.fetch_add(1, Relaxed);
                        end.wait();
                    }
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
                event.set();
                end.wait();
                event.clear();
            }
        });
        assert_eq!(passed.load(SeqCst), rounds * (THREADS as u64 - 1));
        eprintln!(
            "  rounds: {rounds}, short waits that timed out: {}",
            short_timeouts.load(Relaxed)
        );
    }
}

stress_test! {
    /// Timed waits under load: 6 waiters make `GIL_SYNC_STRESS_OPS / 100` `wait_timeout`
    /// calls each (0 to 1 ms) on a `Condition` that 2 notifiers rarely notify (every ~500 µs,
    /// `notify(1)` with a token per notify). Every wait returns within its timeout + 2 s and
    /// no earlier than its timeout when it reports a timeout; no waiter is woken without a
    /// notify; a notify that found a waiter queued wakes one unless that waiter timed out at
    /// the same moment (`notified >= effective notifies - timeouts`); every token is taken.
    fn condition_timed_waits_under_load() {
        let waits = (total_ops() / 100).max(1);
        let waiters = THREADS - 2;
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
        thread::scope(|s| {
            for w in 0..waiters as u64 {
                let (cond, tokens, taken, notified, timed_out, worst, left) = (
                    &cond, &tokens, &taken, &notified, &timed_out, &worst_overshoot_us,
                    &waiters_left,
                );
                s.spawn(move || {
                    const TIMEOUTS_US: [u64; 6] = [0, 1, 10, 50, 200, 1000];
                    for i in 0..waits {
                        let timeout = Duration::from_micros(
                            TIMEOUTS_US[usize::try_from((i + w) % 6).unwrap()],
                        );
                        let guard = cond.acquire();
                        let t0 = Instant::now();
                        let result = cond.wait_timeout(timeout).unwrap();
                        let elapsed = t0.elapsed();
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
        eprintln!(
            "  waits: {}, notified: {notified}, timed out: {timed_out}, notifies: {calls} \
             ({effective} with a waiter queued), worst timeout overshoot: {} µs",
            waits * waiters as u64,
            worst_overshoot_us.load(Relaxed)
        );
        assert_eq!(notified + timed_out, waits * waiters as u64);
        assert!(notified <= effective, "{notified} wake-ups from {effective} notifies");
        assert!(
            notified + timed_out >= effective,
            "lost notifications: {effective} notifies found a waiter, {notified} woke one"
        );
        // Every token is taken or still there; none appears twice.
        assert_eq!(taken.load(SeqCst) + tokens.load(SeqCst), calls);
        assert_eq!(cond.waiting(), 0);
    }
}

/// CPU time the calling thread has used so far: the run time in nanoseconds from
/// `/proc/thread-self/schedstat`, else user + system time from `/proc/thread-self/stat` (clock
/// ticks of 10 ms: Linux's `USER_HZ` is 100). `None` where there is no procfs.
///
/// Per thread rather than per process, so tests running in parallel do not count.
fn thread_cpu_time() -> Option<Duration> {
    if let Ok(schedstat) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = schedstat
            .split_whitespace()
            .next()
            .and_then(|f| f.parse().ok())
    {
        return Some(Duration::from_nanos(ns));
    }
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name (which may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Blocks 4 threads in `block` until `unblock` runs 250 ms later, and checks that together
/// they used less than 50% of one core meanwhile (each measures its own CPU time around
/// `block`, spinning before parking and waking up included). Skipped without procfs.
fn cpu_while_blocked(name: &str, block: &(dyn Fn() + Sync), unblock: &(dyn Fn() + Sync)) {
    let cpu = AtomicU64::new(0);
    let measured = AtomicU32::new(0);
    let t0 = Instant::now();
    thread::scope(|s| {
        for _ in 0..4 {
            let (cpu, measured) = (&cpu, &measured);
            s.spawn(move || {
                let before = thread_cpu_time();
                block();
                if let (Some(a), Some(b)) = (before, thread_cpu_time()) {
                    let used = u64::try_from(b.saturating_sub(a).as_nanos()).unwrap();
                    cpu.fetch_add(used, Relaxed);
                    measured.fetch_add(1, Relaxed);
                }
            });
        }
        thread::sleep(Duration::from_millis(250));
        unblock();
    });
    let wall = t0.elapsed();
    if measured.load(SeqCst) < 4 {
        eprintln!("  {name}: no per-thread CPU time here, not checked");
        return;
    }
    let cpu = Duration::from_nanos(cpu.load(SeqCst));
    eprintln!("  {name}: 4 blocked threads used {cpu:?} CPU in {wall:.1?}");
    assert!(
        cpu.as_secs_f64() < 0.5 * wall.as_secs_f64(),
        "{name}: blocked waiters used {cpu:?} CPU in {wall:?} (>= 50% of a core)"
    );
}

stress_test! {
    /// Waiters really sleep: 4 threads blocked for ~250 ms on a `Lock`, a `Semaphore(0)`, an
    /// `Event` and a `Condition` use less than 50% of one core in total (their own CPU time
    /// from `/proc/thread-self`; skipped where there is none).
    fn blocked_waiters_sleep() {
        let lock = Lock::new();
        lock.acquire().leak();
        cpu_while_blocked("Lock", &|| drop(lock.acquire()), &|| lock.release().unwrap());
        assert!(!lock.locked());

        let sem = Semaphore::new(0);
        cpu_while_blocked("Semaphore", &|| sem.acquire().leak(), &|| sem.release_n(4).unwrap());

        let event = Event::new();
        cpu_while_blocked("Event", &|| assert!(event.wait()), &|| event.set());

        let cond = Condition::with_lock(Arc::new(Lock::new()));
        let go = AtomicBool::new(false);
        cpu_while_blocked(
            "Condition",
            &|| {
                let guard = cond.acquire();
                while !go.load(Relaxed) {
                    cond.wait().unwrap();
                }
                drop(guard);
            },
            &|| {
                let guard = cond.acquire();
                go.store(true, Relaxed);
                cond.notify_all().unwrap();
                drop(guard);
            },
        );
    }
}

stress_test! {
    /// `Barrier(8)` passed by 8 threads for `ops / 1000` generations: every generation's
    /// indices are a permutation of 0..8 (their sum is checked per thread total), the action
    /// runs exactly once per generation, and nobody sees the barrier broken.
    fn barrier_generations_exact() {
        let generations = (total_ops() / 1000).max(1);
        let actions = Arc::new(AtomicU64::new(0));
        let barrier = {
            let actions = actions.clone();
            Arc::new(
                PyBarrier::with_action(THREADS, move || {
                    actions.fetch_add(1, Relaxed);
                    Ok(())
                })
                .expect("8 parties"),
            )
        };
        let index_sum = Arc::new(AtomicU64::new(0));
        let last_count = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (barrier, index_sum, last_count) =
                    (barrier.clone(), index_sum.clone(), last_count.clone());
                thread::Builder::new()
                    .spawn(move || {
                        for _ in 0..generations {
                            let r = barrier.wait().expect("barrier never breaks here");
                            index_sum.fetch_add(r.index() as u64, Relaxed);
                            if r.is_last() {
                                last_count.fetch_add(1, Relaxed);
                            }
                        }
                    })
                    .expect("spawn")
            })
            .collect();
        for h in handles {
            h.join().expect("barrier thread");
        }
        let per_generation: u64 = (0..THREADS as u64).sum();
        assert_eq!(index_sum.load(Relaxed), generations * per_generation);
        assert_eq!(actions.load(Relaxed), generations);
        assert_eq!(last_count.load(Relaxed), generations);
        assert!(!barrier.broken());
    }
}

stress_test! {
    /// `ops / 8000` timers of 0–2 ms, each cancelled at a random-ish moment around its expiry:
    /// every callback runs at most once, exactly the timers reporting `fired()` ran it, and
    /// every timer thread ends (`join_timeout` within 10 s).
    fn timer_cancel_races_expiry() {
        let timers = (total_ops() / 8000).max(1);
        let ran = Arc::new(AtomicU64::new(0));
        let mut fired = 0;
        for i in 0..timers {
            let ran2 = ran.clone();
            let timer = Timer::new(Duration::from_micros(i % 2000), move || {
                ran2.fetch_add(1, Relaxed);
            });
            timer.start().expect("start");
            thread::sleep(Duration::from_micros((i * 7919) % 2000));
            timer.cancel();
            assert!(timer.join_timeout(Duration::from_secs(10)).unwrap(), "timer {i} never ended");
            if timer.fired() {
                fired += 1;
            }
            assert_eq!(ran.load(Relaxed), fired, "timer {i}: fired() disagrees with the run");
        }
        eprintln!("  {fired} of {timers} timers fired before their cancel");
    }
}
