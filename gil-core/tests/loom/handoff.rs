//! Two threads handing the GIL back and forth through `check()`.

use std::sync::Arc;

use gil_test_support::loom::model_with_bound;

use crate::support::{Exclusive, POLICIES, gil};

#[test]
fn check_hands_over_and_back() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy);
            let ex = Arc::new(Exclusive::new());
            let t = {
                let (gil, ex) = (gil.clone(), Arc::clone(&ex));
                loom::thread::spawn(move || {
                    let mut guard = gil.acquire();
                    ex.section(|| ());
                    // Ask back for the GIL, as B's own time-keeper would after an interval.
                    gil.request_drop();
                    guard.check().unwrap();
                    ex.section(|| ());
                })
            };
            let mut guard = gil.acquire();
            ex.section(|| ());
            gil.request_drop();
            guard.check().unwrap();
            ex.section(|| ());
            drop(guard);
            t.join().unwrap();
            assert!(!gil.is_held_by_current_thread());
        });
    }
}

/// The shape of a deadlock found while building the fair policy: the holder yields to a
/// waiter that releases at once through the fast path, racing with the yielder queuing
/// itself again. The yielder must get the GIL back. The bug needed 3 preemptions to show.
#[test]
fn yield_to_waiter_that_releases_at_once() {
    for policy in POLICIES {
        model_with_bound(3, move || {
            let gil = gil(policy);
            let t = {
                let gil = gil.clone();
                loom::thread::spawn(move || drop(gil.acquire()))
            };
            let mut guard = gil.acquire();
            gil.request_drop();
            guard.check().unwrap();
            drop(guard);
            t.join().unwrap();
        });
    }
}
