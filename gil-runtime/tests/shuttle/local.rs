//! `Local` shared by runtime threads and foreign threads: each sees only its own value, every
//! value is dropped exactly once (at its thread's end, on replacement, or with the `Local`),
//! and none is dropped while its thread can still reach it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_runtime::{Local, Runtime};
use gil_sync::Event;
use gil_test_support::shuttle::{TIMEOUT, check, join_all, spawn_all};
use shuttle::thread;

use crate::{join_threads, start_all};

/// A value that counts its drops, tagged with the thread that made it.
#[derive(Debug)]
struct Tracked {
    owner: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// One thread's use of the shared `Local`: set, replace, read, modify, maybe take.
fn use_local(local: &Local<Tracked>, me: usize, drops: &Arc<AtomicUsize>) {
    let value = |owner| Tracked {
        owner,
        drops: drops.clone(),
    };
    assert!(local.with(|v| v.is_none()), "a new thread sees no value");
    assert!(local.set(value(me)).is_none());
    thread::yield_now();
    // Replacing hands the old value back (dropped here, by us).
    let old = local.set(value(me)).expect("our first value");
    assert_eq!(old.owner, me);
    drop(old);
    thread::yield_now();
    local.with(|v| assert_eq!(v.expect("set above").owner, me, "another thread's value"));
    if me.is_multiple_of(3) {
        assert_eq!(local.take().map(|v| v.owner), Some(me));
        assert!(local.with(|v| v.is_none()));
    }
}

/// Four runtime threads and two foreign ones share a `Local`: values never cross threads,
/// and once everyone has ended every value made has been dropped exactly once.
#[test]
fn values_stay_with_their_thread_and_drop_once() {
    check(|| {
        let rt = Runtime::new();
        let local = Arc::new(Local::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let threads = start_all(&rt, 4, {
            let (local, drops) = (local.clone(), drops.clone());
            move |me, _| use_local(&local, me, &drops)
        });
        let foreign = spawn_all(2, {
            let (local, drops) = (local.clone(), drops.clone());
            move |i| use_local(&local, 4 + i, &drops)
        });
        use_local(&local, 7, &drops);
        join_threads(&threads);
        join_all(foreign);
        // Seven threads made two values each; main's second one is still set.
        assert_eq!(drops.load(SeqCst), 7 * 2 - 1);
        drop(local);
        assert_eq!(drops.load(SeqCst), 7 * 2);
    });
}

/// The last handle to a `Local` dropped by whichever thread lets go last, while others may
/// still be running: the values go with it or with their thread, once each.
#[test]
fn local_dropped_while_threads_run() {
    check(|| {
        let rt = Runtime::new();
        let local = Arc::new(Local::new());
        let drops = Arc::new(AtomicUsize::new(0));
        // Each target owns a handle and drops it when done; main lets go of its own while
        // they run, so the last handle goes on whichever thread ends last.
        let threads: Vec<_> = (0..5)
            .map(|me| {
                let (local, drops) = (local.clone(), drops.clone());
                rt.thread(move |g| {
                    use_local(&local, me, &drops);
                    g.check().unwrap();
                    drop(local);
                })
            })
            .collect();
        for t in &threads {
            t.start().unwrap();
        }
        drop(local);
        join_threads(&threads);
        assert_eq!(drops.load(SeqCst), 5 * 2);
    });
}

/// Issue 13, bug 1: `Local::with` used to run its closure under the `Local`'s own mutex. A
/// closure that releases the GIL (here a gil-sync wait) let another GIL thread block on that
/// mutex *holding the GIL*, and the first could never take the GIL back: shuttle reported the
/// deadlock in the first few schedules (before the fix; it passes since).
#[test]
fn with_releasing_the_gil_blocks_nobody() {
    check(|| {
        let rt = Runtime::new();
        let local = Arc::new(Local::<usize>::with_init(|| 0));
        let event = Arc::new(Event::new());
        let waiter = {
            let (local, event) = (local.clone(), event.clone());
            rt.thread(move |_| {
                local.with(|_| event.wait_timeout(TIMEOUT));
            })
        };
        let reader = {
            let local = local.clone();
            rt.thread(move |g| {
                g.check().unwrap();
                assert_eq!(local.get(), Some(0));
            })
        };
        waiter.start().unwrap();
        reader.start().unwrap();
        reader.join().unwrap();
        event.set();
        waiter.join().unwrap();
    });
}
