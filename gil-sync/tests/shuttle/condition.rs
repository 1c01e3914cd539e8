//! `Condition` as a bounded buffer: three producers and three consumers, `notify(1)` and
//! `notify_all`, timed and untimed waits, over a `Lock` and over a re-entered `RLock`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::{Condition, Lock, RLock};
use gil_test_support::shuttle::{TIMEOUT, check};
use shuttle::thread;

/// Items each producer puts in.
const ITEMS: usize = 4;
/// Slots in the buffer.
const CAPACITY: usize = 2;

/// The buffer's state. Only touched with the condition's lock held; std atomics so the
/// shared `Arc` is `Sync` without a lock of its own (they are no scheduling points).
#[derive(Debug, Default)]
struct Buffer {
    len: AtomicUsize,
    produced: AtomicUsize,
    consumed: AtomicUsize,
}

/// Three producers and three consumers through `cond`; `reentered`: each thread takes the
/// lock a second time (an `RLock`) before waiting, so every wait releases two levels.
fn bounded_buffer(cond: Condition, reentered: bool) {
    let cond = Arc::new(cond);
    let buf = Arc::new(Buffer::default());
    let total = 3 * ITEMS;
    let mut threads = Vec::new();
    for i in 0..3 {
        let (cond, buf) = (cond.clone(), buf.clone());
        threads.push(thread::spawn(move || {
            for item in 0..ITEMS {
                let _g = cond.acquire();
                let _again = reentered.then(|| cond.acquire());
                let room = || buf.len.load(SeqCst) < CAPACITY;
                // Timed waits that expire just retry: a producer must not lose its item.
                if (i + item) % 2 == 0 {
                    assert!(cond.wait_for(room).unwrap());
                } else {
                    while !cond.wait_for_timeout(room, TIMEOUT).unwrap() {}
                }
                buf.len.fetch_add(1, SeqCst);
                buf.produced.fetch_add(1, SeqCst);
                cond.notify(1).unwrap();
            }
        }));
    }
    for i in 0..3 {
        let (cond, buf) = (cond.clone(), buf.clone());
        threads.push(thread::spawn(move || {
            loop {
                let _g = cond.acquire();
                let _again = reentered.then(|| cond.acquire());
                let ready = || buf.len.load(SeqCst) > 0 || buf.consumed.load(SeqCst) == total;
                if i == 0 {
                    assert!(cond.wait_for(ready).unwrap());
                } else if !cond.wait_for_timeout(ready, TIMEOUT).unwrap() {
                    continue;
                }
                assert!(cond.is_owned(), "a wait returns with the lock held");
                if buf.consumed.load(SeqCst) == total {
                    return;
                }
                buf.len.fetch_sub(1, SeqCst);
                if buf.consumed.fetch_add(1, SeqCst) + 1 == total {
                    // The last item: wake every consumer so they all see the end.
                    cond.notify_all().unwrap();
                    return;
                }
                // Wake someone: a producer for the free slot, or a consumer.
                cond.notify_all().unwrap();
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(buf.produced.load(SeqCst), total);
    assert_eq!(buf.consumed.load(SeqCst), total);
    assert_eq!(buf.len.load(SeqCst), 0);
    assert_eq!(cond.waiting(), 0, "no waiter left queued");
}

#[test]
fn bounded_buffer_over_lock() {
    check(|| bounded_buffer(Condition::with_lock(Arc::new(Lock::new())), false));
}

#[test]
fn bounded_buffer_over_reentered_rlock() {
    check(|| bounded_buffer(Condition::with_rlock(Arc::new(RLock::new())), true));
}
