//! `enumerate` / `active_count` / `main_thread`: main first then start order, listed exactly
//! from `start` until the end, dummy threads while their OS thread lives, and consistency
//! under concurrent starts and joins.

use gil_runtime::{Runtime, Thread};
use gil_test_support::join;

use crate::support::{Gate, listed, spawn_dummy, start_held};

/// Asserts what must hold of every snapshot of `enumerate`: main first, each thread once.
fn assert_snapshot(rt: &Runtime, snapshot: &[Thread]) {
    assert!(snapshot[0].ptr_eq(&rt.main_thread()), "main is not first");
    for (i, t) in snapshot.iter().enumerate() {
        assert!(
            !snapshot[i + 1..].iter().any(|u| u.ptr_eq(t)),
            "{t:?} listed twice"
        );
    }
}

#[test]
fn a_new_runtime_lists_only_the_main_thread() {
    let rt = Runtime::new();
    let all = rt.enumerate();
    assert_eq!(all.len(), 1);
    assert!(all[0].ptr_eq(&rt.main_thread()));
    assert!(all[0].ptr_eq(&rt.current_thread()));
    assert_eq!(rt.active_count(), 1);
    assert!(rt.main_thread().is_alive());
}

#[test]
fn enumerate_is_main_first_then_start_order() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let built: Vec<_> = (0..3)
        .map(|_| {
            let w = gate.waiter();
            rt.thread(move |_| w.wait())
        })
        .collect();
    // Start in reverse construction order: the list follows starts, not names.
    for t in built.iter().rev() {
        t.start().unwrap();
    }
    let all = rt.enumerate();
    assert_eq!(all.len(), 4);
    assert_eq!(rt.active_count(), 4);
    assert!(all[0].ptr_eq(&rt.main_thread()));
    for (listed, started) in all[1..].iter().zip(built.iter().rev()) {
        assert!(listed.ptr_eq(started));
    }
    gate.open();
    for t in &built {
        t.join().unwrap();
    }
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn unstarted_threads_are_not_listed() {
    let rt = Runtime::new();
    let t = rt.thread(|_| {});
    assert!(!listed(&rt.enumerate(), &t));
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn a_thread_is_listed_from_start_until_it_ends() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    assert!(listed(&rt.enumerate(), &t));
    assert_eq!(rt.active_count(), 2);
    gate.open();
    t.join().unwrap();
    assert!(!listed(&rt.enumerate(), &t));
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn a_thread_lists_itself_inside_its_target() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = rt.thread(move |_| {
        let me = h.current_thread();
        tx.send(listed(&h.enumerate(), &me)).unwrap();
    });
    t.start().unwrap();
    assert!(gil_test_support::recv(&rx));
    t.join().unwrap();
}

#[test]
fn daemon_threads_are_listed() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let w = gate.waiter();
    let d = rt.thread_builder().daemon(true).target(move |_| w.wait());
    d.start().unwrap();
    assert!(listed(&rt.enumerate(), &d));
    gate.open();
    d.join().unwrap();
    assert!(!listed(&rt.enumerate(), &d));
}

#[test]
fn a_thread_in_the_middle_leaving_keeps_the_others_in_order() {
    let rt = Runtime::new();
    let (a_gate, b_gate, c_gate) = (Gate::new(), Gate::new(), Gate::new());
    let a = start_held(&rt, &a_gate);
    let b = start_held(&rt, &b_gate);
    let c = start_held(&rt, &c_gate);
    b_gate.open();
    b.join().unwrap();
    let all = rt.enumerate();
    assert_eq!(all.len(), 3);
    assert!(all[1].ptr_eq(&a) && all[2].ptr_eq(&c));
    a_gate.open();
    c_gate.open();
    a.join().unwrap();
    c.join().unwrap();
}

/// Regression (found in #4's review): `current_thread()` from a foreign thread's
/// thread-local destructor, after the runtime's records for that thread were destroyed,
/// listed a new dummy that nothing ever removed.
#[test]
fn a_dummy_made_in_a_late_thread_local_destructor_is_not_listed_forever() {
    struct Late(gil_runtime::Handle, std::sync::mpsc::Sender<String>);
    impl Drop for Late {
        fn drop(&mut self) {
            let _ = self.1.send(self.0.current_thread().name().clone());
        }
    }
    thread_local! {
        static LATE: std::cell::RefCell<Option<Late>> = const { std::cell::RefCell::new(None) };
    }
    let rt = Runtime::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let h = rt.handle();
    let os = std::thread::Builder::new()
        .spawn(move || {
            // Touched before the runtime's records exist, so destroyed after them.
            LATE.with(|late| *late.borrow_mut() = Some(Late(h.clone(), tx)));
            assert!(h.current_thread().name().starts_with("Dummy-"));
        })
        .unwrap();
    join(os);
    let late = gil_test_support::recv(&rx);
    assert!(late.starts_with("Dummy-"), "{late}");
    assert_eq!(rt.active_count(), 1, "{:?}", rt.enumerate());
}

#[test]
fn dummy_threads_are_listed_until_their_os_thread_ends() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let (dummy, os) = spawn_dummy(&rt, &gate);
    assert!(listed(&rt.enumerate(), &dummy));
    assert_eq!(rt.active_count(), 2);
    assert!(dummy.is_alive());
    gate.open();
    join(os);
    assert!(!listed(&rt.enumerate(), &dummy));
    assert_eq!(rt.active_count(), 1);
    assert!(!dummy.is_alive());
}

#[test]
fn dummy_threads_are_listed_in_registration_order_with_started_threads() {
    let rt = Runtime::new();
    let gate = Gate::new();
    let t = start_held(&rt, &gate);
    let (dummy, os) = spawn_dummy(&rt, &gate);
    let u = start_held(&rt, &gate);
    let all = rt.enumerate();
    assert_eq!(all.len(), 4);
    assert!(all[1].ptr_eq(&t) && all[2].ptr_eq(&dummy) && all[3].ptr_eq(&u));
    gate.open();
    join(os);
    t.join().unwrap();
    u.join().unwrap();
    assert_eq!(rt.active_count(), 1);
}

#[test]
fn enumerate_stays_consistent_while_threads_start_and_end_concurrently() {
    let rt = Runtime::new();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..25 {
                        let t = rt.thread(|guard| {
                            guard.check().unwrap();
                        });
                        t.start().unwrap();
                        assert!(t.ident().is_some());
                        t.join().unwrap();
                        assert!(!listed(&rt.enumerate(), &t));
                    }
                })
            })
            .collect();
        loop {
            let finished = workers
                .iter()
                .all(std::thread::ScopedJoinHandle::is_finished);
            let snapshot = rt.enumerate();
            // Main, each std worker (a dummy thread once it builds a `Thread`, as in
            // Python) and each worker's one runtime thread.
            assert!(
                snapshot.len() <= 1 + 4 + 4,
                "more threads listed than can be alive"
            );
            assert_snapshot(&rt, &snapshot);
            if finished {
                break;
            }
            std::thread::yield_now();
        }
        for w in workers {
            w.join().unwrap();
        }
    });
    assert_eq!(rt.active_count(), 1);
    assert_eq!(rt.enumerate().len(), 1);
}
