//! `Thread::start` and what it sets: start-once, start refused at shutdown, `ident` /
//! `native_id`, `is_alive`, `current_thread` inside the target, and `ThreadBuilder`.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;

use gil_runtime::{Runtime, StartError, get_ident, get_native_id};
use gil_test_support::{PATIENCE, join, recv};

use crate::support::{Gate, listed, spawn_dummy, start_held};

#[test]
fn second_start_is_an_error_while_running() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let err = t.start().unwrap_err();
    assert_eq!(err, StartError::AlreadyStarted);
    assert_eq!(err.to_string(), "threads can only be started once");
    gate.open();
    t.join().unwrap();
}

#[test]
fn second_start_is_an_error_even_after_finish() {
    let rt = Runtime::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let t = rt.thread(move |_| {
        r.fetch_add(1, SeqCst);
    });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(t.start(), Err(StartError::AlreadyStarted));
    assert_eq!(t.clone().start(), Err(StartError::AlreadyStarted));
    assert_eq!(runs.load(SeqCst), 1);
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn starting_the_main_or_a_dummy_thread_is_already_started() {
    let rt = Runtime::new();
    assert_eq!(rt.main_thread().start(), Err(StartError::AlreadyStarted));
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert_eq!(dummy.start(), Err(StartError::AlreadyStarted));
    gate.open();
    join(os);
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn start_after_shutdown_is_refused() {
    let rt = Runtime::new();
    let built_before = rt.thread(|_| panic!("must not run"));
    rt.shutdown();
    let err = built_before.start().unwrap_err();
    assert_eq!(err, StartError::Shutdown);
    assert_eq!(
        err.to_string(),
        "can't create new thread at interpreter shutdown"
    );
    assert!(!built_before.is_alive());
    assert_eq!(built_before.ident(), None);
    let built_after = rt.thread(|_| panic!("must not run"));
    assert_eq!(built_after.start(), Err(StartError::Shutdown));
    assert!(!listed(&rt.enumerate(), &built_after));
}

#[test]
fn start_after_the_runtime_and_every_handle_are_gone_is_refused() {
    let rt = Runtime::new();
    let t = rt.thread(|_| panic!("must not run"));
    drop(rt);
    assert_eq!(t.start(), Err(StartError::Shutdown));
    assert!(!t.is_alive());
}

#[test]
fn a_refused_start_can_be_tried_again_and_is_refused_again() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    rt.shutdown();
    assert_eq!(t.start(), Err(StartError::Shutdown));
    assert_eq!(t.start(), Err(StartError::Shutdown));
}

#[test]
fn ident_and_native_id_are_none_before_start() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    assert_eq!((t.ident(), t.native_id()), (None, None));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "native_id reads /proc/thread-self, which Miri's isolation refuses (it is None)"
)]
fn ident_and_native_id_are_set_when_start_returns_and_differ_from_main() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let main = rt.main_thread();
    let (ident, native) = (t.ident().unwrap(), t.native_id().unwrap());
    assert_ne!(ident, 0);
    assert_ne!(Some(ident), main.ident());
    assert_ne!(Some(native), main.native_id());
    assert_eq!(main.ident(), Some(get_ident()));
    assert_eq!(main.native_id(), get_native_id());
    gate.open();
    t.join().unwrap();
    assert_eq!((t.ident(), t.native_id()), (Some(ident), Some(native)));
}

#[test]
fn ident_and_native_id_inside_the_target_match_the_thread() {
    let rt = Runtime::new();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| {
        tx.send((get_ident(), get_native_id())).unwrap();
    });
    t.start().unwrap();
    let (ident, native) = recv(&rx);
    t.join().unwrap();
    assert_eq!(t.ident(), Some(ident));
    assert_eq!(t.native_id(), native);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "native_id reads /proc/thread-self, which Miri's isolation refuses (it is None)"
)]
fn idents_and_native_ids_are_distinct_across_live_threads() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let threads: Vec<_> = (0..6).map(|_| start_held(&rt, &gate)).collect();
    let mut idents: HashSet<_> = threads.iter().map(|t| t.ident().unwrap()).collect();
    let mut natives: HashSet<_> = threads.iter().map(|t| t.native_id().unwrap()).collect();
    idents.insert(get_ident());
    natives.insert(get_native_id().unwrap());
    assert_eq!((idents.len(), natives.len()), (7, 7));
    gate.open();
    for t in &threads {
        t.join().unwrap();
    }
}

#[test]
fn idents_are_not_reused_after_a_thread_ends() {
    let rt = Runtime::new();
    let mut seen = HashSet::new();
    for _ in 0..5 {
        let t = rt.thread(|_| {});
        t.start().unwrap();
        t.join().unwrap();
        assert!(seen.insert(t.ident().unwrap()));
    }
}

#[test]
fn is_alive_is_false_before_start_true_while_running_false_after_join() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let waiter = gate.waiter();
    let t = rt.thread(move |_| waiter.wait());
    assert!(!t.is_alive());
    t.start().unwrap();
    assert!(t.is_alive());
    assert!(t.clone().is_alive());
    gate.open();
    t.join().unwrap();
    assert!(!t.is_alive());
}

#[test]
fn is_alive_inside_the_target_is_true() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| tx.send(h.current_thread().is_alive()).unwrap());
    t.start().unwrap();
    assert!(recv(&rx));
    t.join().unwrap();
}

#[test]
fn current_thread_inside_the_target_is_the_thread() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| {
        tx.send((h.current_thread(), h.main_thread())).unwrap();
    });
    t.start().unwrap();
    let (current, main) = recv(&rx);
    t.join().unwrap();
    assert!(current.ptr_eq(&t));
    assert!(main.ptr_eq(&rt.main_thread()));
    assert!(!current.ptr_eq(&main));
    assert!(rt.current_thread().ptr_eq(&main));
}

#[test]
fn the_target_runs_once_and_its_captures_are_dropped_after_it_ends() {
    let rt = Runtime::new();
    let captured = Arc::new(AtomicUsize::new(0));
    let c = captured.clone();
    let t = rt.thread(move |_| {
        c.fetch_add(1, SeqCst);
    });
    assert_eq!(Arc::strong_count(&captured), 2);
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(captured.load(SeqCst), 1);
    assert_eq!(
        Arc::strong_count(&captured),
        1,
        "the target outlived its run"
    );
}

#[test]
fn an_unstarted_thread_drops_its_target_with_the_last_handle() {
    let rt = Runtime::new();
    let captured = Arc::new(());
    let c = captured.clone();
    let t = rt.thread(move |_| drop(c));
    let clone = t.clone();
    drop(t);
    assert_eq!(Arc::strong_count(&captured), 2);
    drop(clone);
    assert_eq!(Arc::strong_count(&captured), 1);
}

#[test]
fn threads_started_from_a_target_run_and_join() {
    let rt = Runtime::new();
    let h = rt.handle();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    // Daemon (and so are the inner threads, by inheritance), joined with a deadline: a join
    // that blocks with the GIL held fails the test instead of hanging the shutdown.
    let t = rt.thread_builder().daemon(true).target(move |_| {
        let inner: Vec<_> = (0..3)
            .map(|_| {
                let c = c.clone();
                h.thread(move |_| {
                    c.fetch_add(1, SeqCst);
                })
            })
            .collect();
        for t in &inner {
            t.start().unwrap();
        }
        for t in &inner {
            t.join().unwrap();
        }
    });
    t.start().unwrap();
    assert_eq!(t.join_timeout(PATIENCE), Ok(true));
    assert_eq!(count.load(SeqCst), 3);
}

#[test]
fn builder_sets_name_and_daemon() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let t = rt
        .thread_builder()
        .name("io")
        .daemon(true)
        .target(move |_| {
            let me = h.current_thread();
            tx.send((me.name(), me.daemon())).unwrap();
        });
    assert_eq!((t.name().as_str(), t.daemon()), ("io", true));
    t.start().unwrap();
    assert_eq!(recv(&rx), ("io".to_owned(), true));
    t.join().unwrap();
}

#[test]
fn builder_last_setting_wins() {
    let rt = Runtime::new();
    let t = rt
        .thread_builder()
        .name("a")
        .name("b")
        .daemon(true)
        .daemon(false)
        .target(|_| {});
    assert_eq!((t.name().as_str(), t.daemon()), ("b", false));
}

/// Recurses `depth` frames, each with a small buffer on the stack.
fn recurse(depth: u32) -> u64 {
    let buf = black_box([u8::try_from(depth % 251).unwrap(); 256]);
    if depth == 0 {
        return u64::from(buf[0]);
    }
    u64::from(buf[usize::try_from(depth).unwrap() % 256]) + recurse(black_box(depth - 1))
}

#[test]
fn builder_stack_size_of_256_kib_runs_a_recursive_target() {
    let rt = Runtime::new();
    let (tx, rx) = mpsc::channel();
    let t = rt
        .thread_builder()
        .stack_size(256 * 1024)
        .unwrap()
        .target(move |guard| {
            guard.check().unwrap();
            tx.send(recurse(200)).unwrap();
        });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(recv(&rx), recurse(200));
}
