//! A drop request (the interval expiring) racing with a voluntary release.

use std::sync::Arc;

use crate::support::{Exclusive, POLICIES, gil, wait_for_waiters};

#[test]
fn drop_request_races_voluntary_release() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy);
            let ex = Arc::new(Exclusive::new());
            let mut guard = gil.acquire();
            let waiter = {
                let (gil, ex) = (gil.clone(), Arc::clone(&ex));
                loom::thread::spawn(move || {
                    let g = gil.acquire();
                    ex.section(|| ());
                    drop(g);
                })
            };
            wait_for_waiters(&gil, 1);
            // The "timer": fires while the holder releases on its own.
            let timer = {
                let gil = gil.clone();
                loom::thread::spawn(move || gil.request_drop())
            };
            ex.section(|| ());
            guard.allow_threads(|| ());
            ex.section(|| ());
            guard.check().unwrap();
            ex.section(|| ());
            drop(guard);
            timer.join().unwrap();
            waiter.join().unwrap();
        });
    }
}

#[test]
fn drop_request_races_guard_drop() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy);
            let ex = Arc::new(Exclusive::new());
            let guard = gil.acquire();
            let waiter = {
                let (gil, ex) = (gil.clone(), Arc::clone(&ex));
                loom::thread::spawn(move || {
                    let mut g = gil.acquire();
                    ex.section(|| ());
                    g.check().unwrap();
                    drop(g);
                })
            };
            wait_for_waiters(&gil, 1);
            let timer = {
                let gil = gil.clone();
                loom::thread::spawn(move || gil.request_drop())
            };
            ex.section(|| ());
            drop(guard);
            timer.join().unwrap();
            waiter.join().unwrap();
            // The GIL is free again: a stale request must not wedge the next holder.
            let mut g = gil.acquire();
            g.check().unwrap();
        });
    }
}
