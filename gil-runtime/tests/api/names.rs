//! Names and `Debug` reprs: the `Thread-N` / `Dummy-N` counter (per runtime, advanced only
//! for default names), `set_name`, `MainThread`, and Python's `repr` strings.

use std::sync::mpsc;

use gil_runtime::{Runtime, get_ident};
use gil_test_support::{join, recv};

use crate::support::{Gate, spawn_dummy, start_held};

#[test]
fn default_names_count_from_one_in_each_runtime() {
    let rt = Runtime::new();
    let names: Vec<_> = (0..3).map(|_| rt.thread(|_| {}).name()).collect();
    assert_eq!(names, ["Thread-1", "Thread-2", "Thread-3"]);
    let other = Runtime::new();
    assert_eq!(other.thread(|_| {}).name(), "Thread-1");
    assert_eq!(rt.thread(|_| {}).name(), "Thread-4");
}

#[test]
fn named_threads_do_not_take_a_number() {
    let rt = Runtime::new();
    assert_eq!(rt.thread(|_| {}).name(), "Thread-1");
    assert_eq!(
        rt.thread_builder().name("worker").target(|_| {}).name(),
        "worker"
    );
    assert_eq!(
        rt.thread_builder().daemon(true).target(|_| {}).name(),
        "Thread-2"
    );
    assert_eq!(rt.thread(|_| {}).name(), "Thread-3");
}

#[test]
fn the_number_is_taken_at_construction_not_at_start() {
    let rt = Runtime::new();
    let first = rt.thread(|_| {});
    let second = rt.thread(|_| {});
    second.start().unwrap();
    first.start().unwrap();
    assert_eq!(
        (first.name(), second.name()),
        ("Thread-1".into(), "Thread-2".into())
    );
    first.join().unwrap();
    second.join().unwrap();
}

#[test]
fn threads_built_inside_targets_share_the_counter() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| {
        tx.send(h.thread(|_| {}).name()).unwrap();
    });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(recv(&rx), "Thread-2");
    assert_eq!(rt.thread(|_| {}).name(), "Thread-3");
}

#[test]
fn dummy_threads_take_the_next_number_of_the_shared_counter() {
    let rt = Runtime::new();
    assert_eq!(rt.thread(|_| {}).name(), "Thread-1");
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert_eq!(dummy.name(), "Dummy-2");
    assert_eq!(rt.thread(|_| {}).name(), "Thread-3");
    let (second, os2) = spawn_dummy(&rt, &gate);
    assert_eq!(second.name(), "Dummy-4");
    gate.open();
    join(os);
    join(os2);
}

#[test]
fn current_thread_twice_on_a_foreign_thread_is_one_dummy() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (a, b) = join(gil_test_support::spawn("foreign", move || {
        (h.current_thread(), h.current_thread())
    }));
    assert!(a.ptr_eq(&b));
    assert_eq!(a.name(), "Dummy-1");
    assert_eq!(rt.thread(|_| {}).name(), "Thread-2");
}

#[test]
fn main_thread_is_named_main_thread_and_takes_no_number() {
    let rt = Runtime::new();
    assert_eq!(rt.main_thread().name(), "MainThread");
    assert_eq!(rt.current_thread().name(), "MainThread");
    assert_eq!(rt.thread(|_| {}).name(), "Thread-1");
}

#[test]
fn set_name_renames_before_during_and_after_the_run() {
    let rt = Runtime::new();
    let h = rt.handle();
    let gate = Gate::new();
    let waiter = gate.waiter();
    let (tx, rx) = mpsc::channel();
    let t = rt.thread(move |_| {
        tx.send(h.current_thread().name()).unwrap();
        waiter.wait();
        tx.send(h.current_thread().name()).unwrap();
    });
    t.set_name("before");
    assert_eq!(t.name(), "before");
    t.start().unwrap();
    assert_eq!(recv(&rx), "before");
    t.set_name("during");
    gate.open();
    assert_eq!(recv(&rx), "during");
    t.join().unwrap();
    t.set_name("after");
    assert_eq!(t.name(), "after");
    assert!(format!("{t:?}").starts_with("<Thread(after, stopped "));
}

#[test]
fn renaming_the_main_thread_is_seen_through_every_handle() {
    let rt = Runtime::new();
    rt.main_thread().set_name("Boss");
    assert_eq!(rt.current_thread().name(), "Boss");
    assert_eq!(rt.handle().enumerate()[0].name(), "Boss");
}

#[test]
fn clones_of_a_thread_share_the_name() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    let clone = t.clone();
    clone.set_name("shared");
    assert_eq!(t.name(), "shared");
}

#[test]
fn repr_of_an_unstarted_thread_is_initial() {
    let rt = Runtime::new();
    assert_eq!(
        format!("{:?}", rt.thread(|_| {})),
        "<Thread(Thread-1, initial)>"
    );
    let d = rt.thread_builder().daemon(true).target(|_| {});
    assert_eq!(format!("{d:?}"), "<Thread(Thread-2, initial daemon)>");
    let named = rt.thread_builder().name("io").target(|_| {});
    assert_eq!(format!("{named:?}"), "<Thread(io, initial)>");
}

#[test]
fn repr_of_a_running_thread_shows_started_and_the_ident() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let ident = t.ident().unwrap();
    assert_eq!(
        format!("{t:?}"),
        format!("<Thread(Thread-1, started {ident})>")
    );
    let d = rt.thread_builder().daemon(true).target({
        let w = gate.waiter();
        move |_| w.wait()
    });
    d.start().unwrap();
    let dident = d.ident().unwrap();
    assert_eq!(
        format!("{d:?}"),
        format!("<Thread(Thread-2, started daemon {dident})>")
    );
    gate.open();
    t.join().unwrap();
    d.join().unwrap();
}

#[test]
fn repr_of_a_finished_thread_is_stopped_with_the_ident() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    t.start().unwrap();
    t.join().unwrap();
    let ident = t.ident().unwrap();
    assert_eq!(
        format!("{t:?}"),
        format!("<Thread(Thread-1, stopped {ident})>")
    );
}

#[test]
fn repr_of_the_main_thread() {
    let rt = Runtime::new();
    let ident = get_ident();
    assert_eq!(
        format!("{:?}", rt.main_thread()),
        format!("<_MainThread(MainThread, started {ident})>")
    );
    rt.shutdown();
    assert_eq!(
        format!("{:?}", rt.main_thread()),
        format!("<_MainThread(MainThread, stopped {ident})>")
    );
}

#[test]
fn repr_of_a_dummy_thread_is_started_daemon_then_stopped() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    let ident = dummy.ident().unwrap();
    assert_eq!(
        format!("{dummy:?}"),
        format!("<_DummyThread(Dummy-1, started daemon {ident})>")
    );
    gate.open();
    join(os);
    assert_eq!(
        format!("{dummy:?}"),
        format!("<_DummyThread(Dummy-1, stopped daemon {ident})>")
    );
}

/// Python turns a falsy `name` (`None`, `""`) into a default name, which takes a number.
#[test]
fn an_empty_name_is_a_default_name() {
    let rt = Runtime::new();
    assert_eq!(
        rt.thread_builder().name("").target(|_| {}).name(),
        "Thread-1"
    );
    assert_eq!(rt.thread_builder().name("x").target(|_| {}).name(), "x");
    assert_eq!(rt.thread(|_| {}).name(), "Thread-2");
}
