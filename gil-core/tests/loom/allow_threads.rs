//! `allow_threads` re-acquire (an urgent request with the fair policy) racing with a waiter.

use std::sync::Arc;

use crate::support::{Exclusive, POLICIES, gil};

#[test]
fn reacquire_races_waiter() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy);
            let ex = Arc::new(Exclusive::new());
            let waiter = {
                let (gil, ex) = (gil.clone(), Arc::clone(&ex));
                loom::thread::spawn(move || {
                    let mut g = gil.acquire();
                    ex.section(|| ());
                    // A holder that checks once: an urgent request may preempt it here.
                    g.check().unwrap();
                    ex.section(|| ());
                    drop(g);
                })
            };
            let mut guard = gil.acquire();
            ex.section(|| ());
            guard.allow_threads(|| ());
            assert!(gil.is_held_by_current_thread());
            ex.section(|| ());
            drop(guard);
            waiter.join().unwrap();
        });
    }
}

#[test]
fn free_fn_allow_threads_with_waiter() {
    loom::model(|| {
        let gil = gil(gil_core::Policy::Fair);
        let ex = Arc::new(Exclusive::new());
        let waiter = {
            let (gil, ex) = (gil.clone(), Arc::clone(&ex));
            loom::thread::spawn(move || {
                let g = gil.acquire();
                ex.section(|| ());
                drop(g);
            })
        };
        let guard = gil.acquire();
        ex.section(|| ());
        gil_core::allow_threads(|| assert!(!gil.is_held_by_current_thread()));
        ex.section(|| ());
        drop(guard);
        waiter.join().unwrap();
    });
}
