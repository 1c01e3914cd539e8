//! `Gil::stats`: per-thread records (names, acquisitions, hold and wait times) and the
//! GIL-wide counters.

use std::time::Duration;

use gil_core::{Gil, GilStats, Policy};
use gil_test_support::{join, spawn};

use crate::support::{HOUR, gil, wait_for_waiters};

/// A GIL that times every hold.
fn timed() -> Gil {
    Gil::builder().time_holds(true).build().unwrap()
}

/// By default an uncontended hold reads no clock, so it is not timed; one that others
/// queued for is timed from the moment they did (Fair policy).
#[test]
fn untimed_by_default_until_contended() {
    let gil = gil(Policy::Fair, HOUR);
    let guard = gil.acquire();
    std::thread::sleep(Duration::from_millis(2));
    drop(guard);
    assert_eq!(gil.stats().threads[0].hold, Duration::ZERO);
    let guard = gil.acquire();
    std::thread::sleep(Duration::from_millis(5));
    let before_waiter = std::time::Instant::now();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || drop(gil.acquire()))
    };
    wait_for_waiters(&gil, 1);
    std::thread::sleep(Duration::from_millis(3));
    drop(guard);
    let contended = before_waiter.elapsed();
    join(waiter);
    let hold = gil.stats().threads[0].hold;
    assert!(
        hold >= Duration::from_millis(3) && hold <= contended,
        "charged from the waiter's arrival, not the acquisition: {hold:?}"
    );
}

#[test]
fn fresh_gil_has_empty_stats() {
    assert_eq!(Gil::new().stats(), GilStats::default());
}

#[test]
fn stats_list_named_threads_in_order_of_first_acquisition() {
    let gil = timed();
    for name in ["first", "second", "third"] {
        let gil = gil.clone();
        join(spawn(name, move || {
            let _guard = gil.acquire();
            std::thread::sleep(Duration::from_millis(1));
        }));
    }
    let unnamed = {
        let gil = gil.clone();
        std::thread::spawn(move || drop(gil.acquire()))
    };
    join(unnamed);
    let stats = gil.stats();
    let names: Vec<_> = stats.threads.iter().map(|t| t.name.as_deref()).collect();
    assert_eq!(names, [Some("first"), Some("second"), Some("third"), None]);
    for t in &stats.threads[..3] {
        assert_eq!(t.acquisitions, 1, "{t:?}");
        assert!(t.hold >= Duration::from_millis(1), "{t:?}");
        assert_eq!(t.waits, 0, "{t:?}");
        assert_eq!(t.wait, Duration::ZERO, "{t:?}");
    }
}

#[test]
fn stats_count_outermost_acquisitions_only() {
    let gil = Gil::new();
    {
        let _outer = gil.acquire();
        let _inner = gil.acquire();
        let _innermost = gil.try_acquire().unwrap();
    }
    drop(gil.try_acquire().unwrap());
    let stats = gil.stats();
    assert_eq!(stats.threads.len(), 1);
    assert_eq!(stats.threads[0].acquisitions, 2);
}

#[test]
fn allow_threads_counts_a_reacquisition_and_ends_a_hold() {
    let gil = timed();
    let mut guard = gil.acquire();
    std::thread::sleep(Duration::from_millis(2));
    guard.allow_threads(|| {
        // The hold before allow_threads is complete, so it is counted already.
        let t = &gil.stats().threads[0];
        assert!(t.hold >= Duration::from_millis(2), "{t:?}");
    });
    gil_core::allow_threads(|| ());
    drop(guard);
    assert_eq!(gil.stats().threads[0].acquisitions, 3);
}

fn stats_record_the_wait_of_a_blocked_thread(policy: Policy) {
    let held_after_waiter_queued = Duration::from_millis(10);
    let gil = Gil::builder()
        .policy(policy)
        .switch_interval(HOUR)
        .time_holds(true)
        .build()
        .unwrap();
    let guard = gil.acquire();
    let waiter = {
        let gil = gil.clone();
        spawn("waiter", move || drop(gil.acquire()))
    };
    wait_for_waiters(&gil, 1);
    std::thread::sleep(held_after_waiter_queued);
    drop(guard);
    join(waiter);
    let stats = gil.stats();
    let w = stats
        .threads
        .iter()
        .find(|t| t.name.as_deref() == Some("waiter"))
        .expect("the waiter has a record");
    assert_eq!(w.acquisitions, 1, "{w:?}");
    assert_eq!(w.waits, 1, "{w:?}");
    assert!(w.wait >= held_after_waiter_queued, "{w:?}");
    assert_eq!(w.max_wait, w.wait, "{w:?}");
    let holder = &stats.threads[0];
    assert_eq!(holder.waits, 0, "{holder:?}");
    assert!(holder.hold >= held_after_waiter_queued, "{holder:?}");
    assert!(stats.switches >= 1, "{stats:?}");
}

#[test]
fn stats_record_the_wait_of_a_blocked_thread_fair() {
    stats_record_the_wait_of_a_blocked_thread(Policy::Fair);
}

#[test]
fn stats_record_the_wait_of_a_blocked_thread_cpython() {
    stats_record_the_wait_of_a_blocked_thread(Policy::CPython);
}

fn uncontended_acquire_is_not_a_switch(policy: Policy) {
    let gil = gil(policy, HOUR);
    drop(gil.acquire());
    drop(gil.acquire());
    assert_eq!(gil.stats().switches, 0);
}

#[test]
fn uncontended_acquire_is_not_a_switch_fair() {
    uncontended_acquire_is_not_a_switch(Policy::Fair);
}

#[test]
fn uncontended_acquire_is_not_a_switch_cpython() {
    uncontended_acquire_is_not_a_switch(Policy::CPython);
}

/// A program that starts threads without end keeps bounded statistics: live threads stay,
/// and of the exited ones at least the last 256 (older ones are pruned as new ones arrive).
#[test]
fn stats_of_exited_threads_are_bounded() {
    let gil = Gil::new();
    let live = gil.acquire(); // this thread stays live throughout
    drop(live);
    let started = 1200;
    for i in 0..started {
        let gil = gil.clone();
        std::thread::Builder::new()
            .name(format!("t{i}"))
            .spawn(move || drop(gil.acquire()))
            .unwrap()
            .join()
            .unwrap();
    }
    let stats = gil.stats();
    let names: Vec<_> = stats.threads.iter().map(|t| t.name.as_deref()).collect();
    assert!(
        stats.threads.len() <= 2 * (256 + 1) + 1,
        "{} records kept for {started} exited threads",
        stats.threads.len()
    );
    assert!(
        stats.threads.len() > 256,
        "the last 256 exited threads are kept"
    );
    let main = std::thread::current();
    assert_eq!(names[0], main.name(), "a live thread is never pruned");
    let last: Vec<String> = (started - 256..started).map(|i| format!("t{i}")).collect();
    let kept_tail: Vec<_> = names[names.len() - 256..]
        .iter()
        .map(|n| n.unwrap())
        .collect();
    assert_eq!(
        kept_tail, last,
        "the most recent exited threads are kept, in order"
    );
}

/// Uncontended acquisitions are counted by the GIL's fast counter, which belongs to one
/// thread at a time and changes hands when another thread acquires: every acquisition lands
/// in its own thread's record, however the threads alternate, and a snapshot taken while a
/// thread owns the counter includes what it counted.
#[test]
fn uncontended_acquisitions_are_counted_per_thread_when_threads_alternate() {
    let gil = Gil::new();
    let run = |name: &str, n: u64| {
        let gil = gil.clone();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for _ in 0..n {
                    drop(gil.acquire());
                }
            })
            .unwrap()
            .join()
            .unwrap();
    };
    // Each `run` is a new thread; threads of one name are summed.
    let count = |name: &str| -> u64 {
        gil.stats()
            .threads
            .iter()
            .filter(|t| t.name.as_deref() == Some(name))
            .map(|t| t.acquisitions)
            .sum()
    };
    run("a", 1_000);
    assert_eq!(count("a"), 1_000);
    run("b", 500);
    run("a", 0);
    for _ in 0..200 {
        drop(gil.acquire());
    }
    run("b", 7);
    assert_eq!(count("a"), 1_000);
    assert_eq!(count("b"), 507);
    let main = std::thread::current().name().map(str::to_owned);
    let main_count = gil
        .stats()
        .threads
        .iter()
        .find(|t| t.name == main)
        .map(|t| t.acquisitions);
    assert_eq!(main_count, Some(200));
    let total: u64 = gil.stats().threads.iter().map(|t| t.acquisitions).sum();
    assert_eq!(total, 1_707);
}
