//! Six threads holding one GIL while they block on gil-sync primitives, beside CPU-bound
//! threads calling `check()` and I/O through `allow_threads`. Every blocking wait must
//! release the GIL (or the others, and the main thread, could never get it: shuttle reports
//! the deadlock) and take it back before returning.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_core::{Gil, Policy};
use gil_sync::{Condition, Event, Lock, Semaphore};
use gil_test_support::shuttle::{Exclusive, TIMEOUT, check, join_all, spawn_all};
use shuttle::thread;

/// Items the producer hands the consumer.
const ITEMS: usize = 4;

/// What the threads share.
#[derive(Debug)]
struct World {
    gil: Gil,
    /// Sections run with the GIL held: one at a time.
    ex: Exclusive,
    go: Event,
    lock: Lock,
    sem: Semaphore,
    cond: Condition,
    /// Items in `cond`'s buffer; touched only with `cond`'s lock (and the GIL) held.
    items: AtomicUsize,
}

/// One thread's part, holding the GIL throughout except where it blocks.
fn part(w: &World, role: usize) {
    let mut guard = w.gil.acquire();
    assert!(w.go.wait(), "an untimed wait returns true");
    match role {
        // CPU-bound: `check()` between sections.
        0 | 1 => {
            for _ in 0..4 {
                w.ex.section();
                guard.check().unwrap();
            }
        }
        // A lock and a semaphore, blocking and timed.
        2 | 3 => {
            for step in 0..3 {
                let held = if step % 2 == 0 {
                    Some(w.lock.acquire())
                } else {
                    w.lock.acquire_timeout(TIMEOUT).ok()
                };
                w.ex.section();
                drop(held);
                if let Ok(permit) = w.sem.acquire_timeout(TIMEOUT) {
                    guard.allow_threads(thread::yield_now);
                    drop(permit);
                }
                guard.check().unwrap();
            }
        }
        // The producer: a section per item, "I/O" between items.
        4 => {
            for _ in 0..ITEMS {
                let held = w.cond.acquire();
                w.ex.section();
                w.items.fetch_add(1, SeqCst);
                w.cond.notify(1).unwrap();
                drop(held);
                guard.allow_threads(thread::yield_now);
            }
        }
        // The consumer: waits on the condition (untimed, then timed).
        _ => {
            for item in 0..ITEMS {
                let _c = w.cond.acquire();
                let ready = || w.items.load(SeqCst) > 0;
                if item % 2 == 0 {
                    assert!(w.cond.wait_for(ready).unwrap());
                } else {
                    while !w.cond.wait_for_timeout(ready, TIMEOUT).unwrap() {}
                }
                w.ex.section();
                w.items.fetch_sub(1, SeqCst);
            }
        }
    }
    drop(guard);
}

fn mixed_waits(policy: Policy) {
    check(move || {
        let w = Arc::new(World {
            gil: Gil::builder().policy(policy).build().unwrap(),
            ex: Exclusive::new(),
            go: Event::new(),
            lock: Lock::new(),
            sem: Semaphore::new(1),
            cond: Condition::new(),
            items: AtomicUsize::new(0),
        });
        let threads = spawn_all(6, {
            let w = w.clone();
            move |role| part(&w, role)
        });
        {
            // Every thread is parked on `go` (or about to be): if any kept the GIL while it
            // waits, this acquire never returns.
            let _g = w.gil.acquire();
            w.go.set();
        }
        join_all(threads);
        assert_eq!(w.ex.entered(), 2 * 4 + 2 * 3 + 2 * ITEMS);
        assert_eq!(w.items.load(SeqCst), 0);
        assert_eq!(w.sem.value(), 1);
        assert!(!w.lock.locked());
        assert!(w.gil.try_acquire().is_ok(), "the GIL ends free");
    });
}

#[test]
fn fair_gil_across_lock_semaphore_condition_and_event_waits() {
    mixed_waits(Policy::Fair);
}

#[test]
fn cpython_gil_across_lock_semaphore_condition_and_event_waits() {
    mixed_waits(Policy::CPython);
}
