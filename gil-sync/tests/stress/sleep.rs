//! Blocked waiters really sleep: their own CPU time while blocked.

use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{Condition, Event, Lock, Semaphore};

use crate::Report;

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
fn cpu_while_blocked(name: &str, block: &(dyn Fn() + Sync), unblock: &(dyn Fn() + Sync)) -> String {
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
        return format!("{name}: no per-thread CPU time here, not checked");
    }
    let cpu = Duration::from_nanos(cpu.load(SeqCst));
    assert!(
        cpu.as_secs_f64() < 0.5 * wall.as_secs_f64(),
        "{name}: blocked waiters used {cpu:?} CPU in {wall:?} (>= 50% of a core)"
    );
    format!("{name}: 4 blocked threads used {cpu:.1?} CPU in {wall:.1?}")
}

stress_test! {
    /// Waiters really sleep: 4 threads blocked for ~250 ms on a `Lock`, a `Semaphore(0)`, an
    /// `Event` and a `Condition` use less than 50% of one core in total (their own CPU time
    /// from `/proc/thread-self`; skipped where there is none).
    fn blocked_waiters_sleep() {
        let mut notes = Vec::new();
        let lock = Lock::new();
        lock.acquire().leak();
        let t0 = Instant::now();
        notes.push(cpu_while_blocked("Lock", &|| drop(lock.acquire()), &|| lock.release().unwrap()));
        assert!(!lock.locked());

        let sem = Semaphore::new(0);
        notes.push(cpu_while_blocked("Semaphore", &|| sem.acquire().leak(), &|| {
            sem.release_n(4).unwrap();
        }));

        let event = Event::new();
        notes.push(cpu_while_blocked("Event", &|| assert!(event.wait()), &|| event.set()));

        let cond = Condition::with_lock(Arc::new(Lock::new()));
        let go = AtomicBool::new(false);
        notes.push(cpu_while_blocked(
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
        ));
        // Each of the 4 round trips blocks 4 threads for ~250 ms.
        notes
            .into_iter()
            .fold(Report::new(4, 16, t0.elapsed() / 4), Report::note)
    }
}
