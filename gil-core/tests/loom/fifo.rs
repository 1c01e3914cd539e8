//! Three threads: waiters get the GIL in FIFO order, and a yielding holder goes to the back.

#![allow(
    clippy::disallowed_types,
    reason = "the log is a std Mutex on purpose: written only under the GIL, so never \
              contended, and it adds no loom branches"
)]

use std::sync::{Arc, Mutex};

use gil_core::Policy;

use crate::support::{gil, wait_for_waiters};

#[test]
fn three_threads_fifo_order() {
    loom::model(|| {
        let gil = gil(Policy::Fair);
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut guard = gil.acquire();
        let spawn = |name: &'static str| {
            let (gil, log) = (gil.clone(), Arc::clone(&log));
            loom::thread::spawn(move || {
                let g = gil.acquire();
                log.lock().unwrap().push(name);
                drop(g);
            })
        };
        let b = spawn("b");
        wait_for_waiters(&gil, 1);
        let c = spawn("c");
        wait_for_waiters(&gil, 2);
        // The holder yields: b, then c, then the holder (queued at the back) again.
        gil.request_drop();
        assert!(guard.check().unwrap().switched());
        log.lock().unwrap().push("main");
        drop(guard);
        b.join().unwrap();
        c.join().unwrap();
        assert_eq!(*log.lock().unwrap(), ["b", "c", "main"]);
    });
}
