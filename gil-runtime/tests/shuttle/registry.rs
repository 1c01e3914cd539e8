//! The registry under churn: threads starting threads, joins from several threads, foreign
//! threads, `enumerate` throughout, and shutdown racing it all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_runtime::{Handle, Runtime, Thread};
use gil_test_support::shuttle::{TIMEOUT, check, join_all, spawn_all};
use shuttle::thread;

/// No thread is listed twice, and the calling thread is listed.
fn assert_listing(h: &Handle) {
    let listed = h.enumerate();
    for (i, a) in listed.iter().enumerate() {
        assert!(
            !listed[i + 1..].iter().any(|b| b.ptr_eq(a)),
            "{} listed twice",
            a.name()
        );
    }
    let me = h.current_thread();
    assert!(listed.iter().any(|t| t.ptr_eq(&me)), "the caller is listed");
}

/// A thread of `h` that counts its run in `ran` and checks the listing.
fn counting(h: &Handle, ran: &Arc<AtomicUsize>) -> Thread {
    let (h2, ran) = (h.clone(), ran.clone());
    h.thread(move |g| {
        ran.fetch_add(1, SeqCst);
        g.check().unwrap();
        assert_listing(&h2);
    })
}

/// Four threads (two daemon) each start a child (daemon like its parent, as in Python) and
/// one joins it; main lists and joins while they run, then shuts down while children may
/// still be starting. Every non-daemon thread has ended when shutdown returns, nothing
/// starts after it, and nothing is listed twice at any point.
#[test]
fn threads_starting_threads_then_shutdown() {
    check(|| {
        let rt = Runtime::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let children = Arc::new(AtomicUsize::new(0));
        let parents: Vec<Thread> = (0..4)
            .map(|i| {
                let (h, ran, children) = (rt.handle(), ran.clone(), children.clone());
                let t = rt.thread_builder().daemon(i % 2 == 1).target(move |g| {
                    ran.fetch_add(1, SeqCst);
                    let child = counting(&h, &ran);
                    assert_eq!(child.daemon(), i % 2 == 1, "inherits the daemon flag");
                    if child.start().is_ok() {
                        children.fetch_add(1, SeqCst);
                        if i == 0 {
                            g.allow_threads(|| child.join().unwrap());
                        }
                    }
                    assert_listing(&h);
                });
                t.start().unwrap();
                t
            })
            .collect();
        assert_listing(&rt);
        parents[0].join().unwrap();
        assert!(!parents[0].is_alive());
        assert_listing(&rt);
        rt.shutdown();
        for t in parents.iter().step_by(2) {
            assert!(
                !t.is_alive(),
                "shutdown returned before a non-daemon thread ended"
            );
        }
        for t in rt.enumerate() {
            assert!(
                t.daemon(),
                "only daemon threads outlive shutdown: {}",
                t.name()
            );
        }
        assert!(
            rt.thread(|_| {}).start().is_err(),
            "no start after shutdown"
        );
        for t in &parents {
            t.join().unwrap();
        }
        // Parents and the children that started; a daemon's child may still be running.
        let at_least = 4 + children.load(SeqCst) / 2;
        assert!(ran.load(SeqCst) >= at_least);
    });
}

/// Five threads joined by two joiners each (one the OS-handle joiner, the other waiting
/// for `done`; timed or not): every join returns, after the target ran, and the joined
/// thread is neither alive nor listed.
#[test]
fn every_thread_joined_from_two_threads() {
    check(|| {
        let rt = Runtime::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let threads: Vec<Thread> = (0..5).map(|_| counting(&rt, &ran)).collect();
        for t in &threads {
            t.start().unwrap();
        }
        let helper = {
            let (threads, h) = (threads.clone(), rt.handle());
            thread::spawn(move || {
                for (i, t) in threads.iter().enumerate() {
                    if i % 2 == 0 {
                        t.join().unwrap();
                    } else {
                        while !t.join_timeout(TIMEOUT).unwrap() {}
                    }
                    assert!(!t.is_alive());
                    assert!(!h.enumerate().iter().any(|x| x.ptr_eq(t)));
                }
            })
        };
        for t in threads.iter().rev() {
            t.join().unwrap();
            assert!(!t.is_alive());
        }
        helper.join().unwrap();
        assert_eq!(ran.load(SeqCst), 5);
        assert_eq!(rt.active_count(), 1, "only main is left");
    });
}

/// Foreign threads (not started by the runtime) asking for their `current_thread` get a
/// daemon dummy each, listed while they run, while runtime threads start and end around
/// them; shutdown does not wait for the dummies.
#[test]
fn foreign_threads_beside_runtime_threads() {
    check(|| {
        let rt = Runtime::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let foreign = spawn_all(3, {
            let h = rt.handle();
            move |_| {
                let me = h.current_thread();
                assert!(me.daemon() && me.is_alive());
                assert!(me.ptr_eq(&h.current_thread()), "one dummy per thread");
                assert_listing(&h);
            }
        });
        let threads: Vec<Thread> = (0..3).map(|_| counting(&rt, &ran)).collect();
        for t in &threads {
            t.start().unwrap();
        }
        join_all(foreign);
        rt.shutdown();
        assert_eq!(ran.load(SeqCst), 3);
        for t in &threads {
            assert!(!t.is_alive());
        }
    });
}
