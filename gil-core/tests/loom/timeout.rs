//! The timed-wait path expressed as cancellation: the head waiter's "interval expired" (here
//! `request_drop`, from another thread) races with the holder's `check()` and release.

use std::sync::Arc;

use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;

use crate::support::{POLICIES, gil, wait_for_waiters};

#[test]
fn expiry_races_check() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy);
            let waiter_ran = Arc::new(AtomicBool::new(false));
            let mut guard = gil.acquire();
            let waiter = {
                let (gil, ran) = (gil.clone(), Arc::clone(&waiter_ran));
                loom::thread::spawn(move || {
                    let g = gil.acquire();
                    ran.store(true, SeqCst);
                    drop(g);
                })
            };
            wait_for_waiters(&gil, 1);
            let timer = {
                let gil = gil.clone();
                loom::thread::spawn(move || gil.request_drop())
            };
            // Either the expiry is seen (check hands over and the waiter has run when it
            // returns) or it comes too late (nothing happens until the release below).
            if guard.check().unwrap().switched() {
                assert!(
                    waiter_ran.load(SeqCst),
                    "check() switched but the waiter never ran"
                );
            }
            drop(guard);
            timer.join().unwrap();
            waiter.join().unwrap();
            assert!(waiter_ran.load(SeqCst));
        });
    }
}
