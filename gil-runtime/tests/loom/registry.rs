//! The registry under concurrent start and exit, and join racing exit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use gil_runtime::{Runtime, Thread};

/// An unstarted thread of `rt` whose target adds one to the returned counter.
fn counting_thread(rt: &Runtime) -> (Thread, Arc<AtomicUsize>) {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let t = rt.thread(move |_| {
        r.fetch_add(1, SeqCst);
    });
    (t, ran)
}

/// Start, then `enumerate` racing the thread's exit: the thread is listed exactly while it
/// is alive from the registry's point of view, and after `join` it is gone, not alive, and
/// its target's effect is visible. Catches: removing from the registry after `done` (a joined
/// thread still listed), `start` returning before the ident is recorded.
#[test]
fn start_enumerate_join() {
    loom::model(|| {
        let rt = Runtime::new();
        let (t, ran) = counting_thread(&rt);
        t.start().unwrap();
        assert!(t.ident().is_some(), "start returns once the ident is set");
        let listed = rt.enumerate().len();
        assert!(
            listed == 1 || listed == 2,
            "main, plus the thread while alive"
        );
        t.join().unwrap();
        assert_eq!(ran.load(SeqCst), 1);
        assert!(!t.is_alive());
        assert_eq!(rt.active_count(), 1, "a joined thread is never listed");
    });
}

/// Two joiners: one takes the OS thread and waits for its exit, the other waits for `done`
/// (which one gets which is part of the race). Whichever returns sees the thread stopped,
/// out of the registry and its target's effect. Catches: `done` set before the thread
/// leaves the registry or is marked stopped (the OS-thread joiner alone cannot see that).
#[test]
fn two_joiners_see_a_finished_thread() {
    loom::model(|| {
        let rt = Runtime::new();
        let (t, ran) = counting_thread(&rt);
        t.start().unwrap();
        let check = {
            let (rt, ran) = (rt.handle(), ran.clone());
            move |t: &Thread| {
                t.join().unwrap();
                assert_eq!(ran.load(SeqCst), 1);
                assert!(!t.is_alive(), "a joined thread is not alive");
                assert!(
                    !rt.enumerate().iter().any(|x| x.ptr_eq(t)),
                    "a joined thread is never listed"
                );
            }
        };
        let (t2, check2) = (t.clone(), check.clone());
        let other = loom::thread::spawn(move || check2(&t2));
        check(&t);
        other.join().unwrap();
    });
}

/// `native_id` right after `start` races the new thread recording it: it waits for the
/// thread (which has not necessarily run yet) and returns its id, never `None`. Catches:
/// `start` publishing `Starting` without clearing `started`, or `record_started` setting the
/// event before the id is stored.
#[test]
fn native_id_waits_for_a_starting_thread() {
    loom::model(|| {
        let rt = Runtime::new();
        let t = rt.thread(|_| {});
        t.start().unwrap();
        let id = t.native_id();
        assert!(id.is_some(), "native_id is set once start has returned");
        t.join().unwrap();
        assert_eq!(t.native_id(), id, "kept after the thread ends");
    });
}

/// Two threads started and exiting concurrently: both leave the registry, both joins return,
/// nothing is lost from the registry's vector under concurrent removal.
#[test]
fn two_threads_exit_concurrently() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        let rt = Runtime::new();
        let a = rt.thread(|_| {});
        let b = rt.thread(|_| {});
        a.start().unwrap();
        b.start().unwrap();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(rt.active_count(), 1);
        assert!(rt.enumerate()[0].ptr_eq(&rt.main_thread()));
    });
}

/// A timed join racing the exit (the timeout is a cancellation under loom): it reports
/// "ended" only if the thread really ended, and a later untimed join always returns.
#[test]
fn timed_join_races_exit() {
    loom::model(|| {
        let rt = Runtime::new();
        let t = rt.thread(|_| {});
        t.start().unwrap();
        let ended = t.join_timeout(Duration::from_secs(1)).unwrap();
        if ended {
            assert!(!t.is_alive());
        }
        t.join().unwrap();
        assert!(!t.is_alive());
    });
}

/// Shutdown racing a running non-daemon thread: drop waits for it, then new starts fail.
#[test]
fn shutdown_joins_running_thread() {
    loom::model(|| {
        let rt = Runtime::new();
        let (t, done) = counting_thread(&rt);
        t.start().unwrap();
        rt.shutdown();
        assert_eq!(
            done.load(SeqCst),
            1,
            "shutdown returned before a non-daemon thread ended"
        );
        assert!(rt.thread(|_| {}).start().is_err());
    });
}
