//! Panicking targets: the excepthook (arguments, once per panic, on the dying thread with the
//! GIL), `JoinError::Panicked`, a runtime still usable afterwards, a hook that panics, and
//! `set_excepthook` / `reset_excepthook`.

use std::panic::panic_any;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;

use gil_runtime::{Handle, JoinError, Runtime, Thread};
use gil_test_support::recv;

use crate::support::{Gate, listed, recording_hook, silence};

/// Starts a thread running `target`, joins it, and returns it with the join result.
fn run_to_end(rt: &Runtime, target: impl FnOnce() + Send + 'static) -> (Thread, JoinError) {
    let t = rt.thread(move |_| target());
    t.start().unwrap();
    let err = t.join().expect_err("the target panicked");
    (t, err)
}

/// Checks the hook was called exactly once, for `t`, with `message`.
fn assert_reported_once(rx: &mpsc::Receiver<(Thread, String)>, t: &Thread, message: &str) {
    let calls: Vec<_> = rx.try_iter().collect();
    assert_eq!(calls.len(), 1, "the hook ran {} times", calls.len());
    assert!(calls[0].0.ptr_eq(t), "the hook got another thread");
    assert_eq!(calls[0].1, message);
}

#[test]
fn a_str_panic_is_reported_once_with_the_thread_and_message() {
    let rt = Runtime::new();
    let rx = recording_hook(&rt);
    let (t, err) = run_to_end(&rt, || panic!("boom"));
    assert_reported_once(&rx, &t, "boom");
    assert_eq!(err, JoinError::Panicked("boom".to_owned()));
    assert_eq!(err.to_string(), "thread panicked: boom");
}

#[test]
fn a_string_panic_is_reported_with_the_formatted_message() {
    let rt = Runtime::new();
    let rx = recording_hook(&rt);
    let n = 7;
    let (t, err) = run_to_end(&rt, move || panic!("boom {n}"));
    assert_reported_once(&rx, &t, "boom 7");
    assert_eq!(err, JoinError::Panicked("boom 7".to_owned()));
    let (t, err) = run_to_end(&rt, || panic_any(String::from("owned")));
    assert_reported_once(&rx, &t, "owned");
    assert_eq!(err.to_string(), "thread panicked: owned");
}

#[test]
fn a_non_string_payload_is_reported_as_box_dyn_any() {
    let rt = Runtime::new();
    let rx = recording_hook(&rt);
    let (t, err) = run_to_end(&rt, || panic_any(42_i32));
    assert_reported_once(&rx, &t, "Box<dyn Any>");
    assert_eq!(err, JoinError::Panicked("Box<dyn Any>".to_owned()));
}

#[test]
fn every_join_of_a_panicked_thread_reports_the_panic() {
    let rt = Runtime::new();
    silence(&rt);
    let (t, _) = run_to_end(&rt, || panic!("boom"));
    let panicked = Err(JoinError::Panicked("boom".to_owned()));
    assert_eq!(t.join(), panicked);
    assert_eq!(
        t.join_timeout(std::time::Duration::ZERO),
        panicked.clone().map(|()| true)
    );
    let (tx, rx) = mpsc::channel();
    let t2 = t.clone();
    let joiner = rt.thread(move |_| tx.send(t2.join()).unwrap());
    joiner.start().unwrap();
    assert_eq!(recv(&rx), panicked);
    joiner.join().unwrap();
}

#[test]
fn the_hook_runs_on_the_dying_thread_holding_the_gil() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    rt.set_excepthook(move |args| {
        let me = h.current_thread();
        tx.send((
            me.ptr_eq(&args.thread),
            args.thread.is_alive(),
            h.gil().is_held_by_current_thread(),
        ))
        .unwrap();
    });
    run_to_end(&rt, || panic!("boom"));
    assert_eq!(recv(&rx), (true, true, true));
}

#[test]
fn the_gil_is_released_after_a_panic() {
    let rt = Runtime::new();
    silence(&rt);
    // Panics with a nested guard and inside `allow_threads`, too.
    let t = rt.thread(|guard| {
        let _nested = guard.gil().acquire();
        panic!("nested");
    });
    t.start().unwrap();
    assert!(t.join().is_err());
    let u = rt.thread(|guard| guard.allow_threads(|| panic!("released")));
    u.start().unwrap();
    assert!(u.join().is_err());
    let guard = rt.gil().try_acquire().expect("the GIL was left held");
    drop(guard);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let next = rt.thread(move |guard| {
        assert!(guard.gil().is_held_by_current_thread());
        r.fetch_add(1, SeqCst);
    });
    next.start().unwrap();
    next.join().unwrap();
    assert_eq!(ran.load(SeqCst), 1);
    drop(rt.gil().acquire());
}

#[test]
fn a_panicked_thread_is_stopped_and_leaves_enumerate() {
    let rt = Runtime::new();
    silence(&rt);
    let (t, _) = run_to_end(&rt, || panic!("boom"));
    assert!(!t.is_alive());
    assert!(!listed(&rt.enumerate(), &t));
    assert_eq!(rt.active_count(), 1);
    let ident = t.ident().unwrap();
    assert_eq!(
        format!("{t:?}"),
        format!("<Thread(Thread-1, stopped {ident})>")
    );
}

#[test]
fn a_panicking_hook_kills_nothing() {
    let rt = Runtime::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    rt.set_excepthook(move |_| {
        c.fetch_add(1, SeqCst);
        panic!("the hook itself failed");
    });
    let (t, err) = run_to_end(&rt, || panic!("boom"));
    assert_eq!(err, JoinError::Panicked("boom".to_owned()));
    assert!(!t.is_alive());
    assert!(rt.gil().try_acquire().is_ok());
    // The runtime still runs threads, and the hook still gets the next panic.
    let ok = rt.thread(|_| {});
    ok.start().unwrap();
    ok.join().unwrap();
    let (_, err) = run_to_end(&rt, || panic!("again"));
    assert_eq!(err.to_string(), "thread panicked: again");
    assert_eq!(calls.load(SeqCst), 2);
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn reset_excepthook_restores_the_default() {
    let rt = Runtime::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    rt.set_excepthook(move |_| {
        c.fetch_add(1, SeqCst);
    });
    run_to_end(&rt, || panic!("counted"));
    assert_eq!(calls.load(SeqCst), 1);
    rt.reset_excepthook();
    // The default hook writes `Exception in thread Thread-2:` to stderr.
    let (_, err) = run_to_end(&rt, || {
        panic!("expected panic: printed by the default hook")
    });
    assert!(matches!(err, JoinError::Panicked(_)));
    assert_eq!(calls.load(SeqCst), 1, "the replaced hook still ran");
}

#[test]
fn set_excepthook_replaces_the_previous_hook() {
    let rt = Runtime::new();
    let first = Arc::new(AtomicUsize::new(0));
    let f = first.clone();
    rt.set_excepthook(move |_| {
        f.fetch_add(1, SeqCst);
    });
    let rx = recording_hook(&rt);
    let (t, _) = run_to_end(&rt, || panic!("boom"));
    assert_reported_once(&rx, &t, "boom");
    assert_eq!(first.load(SeqCst), 0);
}

#[test]
fn the_hook_in_place_when_the_target_panics_is_the_one_called() {
    let rt = Runtime::new();
    silence(&rt);
    let gate = Gate::new();
    let waiter = gate.waiter();
    let t = rt.thread(move |_| {
        waiter.wait();
        panic!("late");
    });
    t.start().unwrap();
    let rx = recording_hook(&rt);
    gate.open();
    assert!(t.join().is_err());
    assert_reported_once(&rx, &t, "late");
}

#[test]
fn hooks_belong_to_their_runtime() {
    let rt = Runtime::new();
    let other = Runtime::new();
    let rx_other = recording_hook(&other);
    let rx = recording_hook(&rt);
    let (t, _) = run_to_end(&rt, || panic!("mine"));
    assert_reported_once(&rx, &t, "mine");
    assert!(rx_other.try_recv().is_err());
}

#[test]
fn a_hook_set_through_a_handle_inside_a_target_applies_to_the_runtime() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let setter = rt.thread(move |_| {
        h.set_excepthook(move |args| tx.send(args.message.clone()).unwrap());
    });
    setter.start().unwrap();
    setter.join().unwrap();
    run_to_end(&rt, || panic!("boom"));
    assert_eq!(recv(&rx), "boom");
}

/// A panic payload that panics again when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the payload's drop panicked");
    }
}

/// Regression (review): the payload used to be dropped outside the catch, so its second
/// panic unwound out of the thread's body: the thread stayed "alive" and listed forever, and
/// a second join or the runtime's shutdown hung.
#[test]
fn a_panic_payload_whose_drop_panics_still_ends_the_thread() {
    let rt = Runtime::new();
    silence(&rt);
    let t = rt.thread(|_| panic_any(Bomb));
    t.start().unwrap();
    assert_eq!(
        t.join(),
        Err(JoinError::Panicked("Box<dyn Any>".to_owned()))
    );
    assert!(!t.is_alive());
    assert_eq!(rt.active_count(), 1);
    assert_eq!(
        t.join_timeout(gil_test_support::PATIENCE),
        Err(JoinError::Panicked("Box<dyn Any>".to_owned())),
        "a second join returns"
    );
    drop(rt.gil().acquire()); // the GIL was released
}

/// Regression (review): replacing the hook dropped the old one under the hook lock, so a
/// hook whose captures reset the hook when dropped deadlocked.
#[test]
fn replacing_a_hook_whose_drop_uses_the_hook_does_not_deadlock() {
    struct ResetsOnDrop(Handle);
    impl Drop for ResetsOnDrop {
        fn drop(&mut self) {
            self.0.reset_excepthook();
        }
    }
    let rt = Runtime::new();
    let h = rt.handle();
    gil_test_support::within("replace the hook", move || {
        let captured = ResetsOnDrop(h.clone());
        h.set_excepthook(move |_| {
            let _ = &captured;
        });
        h.set_excepthook(|_| {});
    });
}
