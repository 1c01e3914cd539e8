//! The lend path (`raw/lend.rs`): an urgent requester returning from `allow_threads` while
//! the holder computes and nobody is queued. Under loom both the requester and the lender
//! spin once, so every outcome of each race is explored: served while spinning, withdrawn
//! to the queue path, lender parked and woken through its node.

use std::sync::Arc;

use gil_core::Policy;

use crate::support::{Exclusive, gil, wait_for_waiters};

/// The requester comes back from I/O while the other thread holds the GIL and checks once.
#[test]
fn lend_round_trip() {
    loom::model(|| {
        let gil = gil(Policy::Fair);
        let ex = Arc::new(Exclusive::new());
        let first = gil.acquire();
        let requester = {
            let (gil, ex) = (gil.clone(), Arc::clone(&ex));
            loom::thread::spawn(move || {
                let mut g = gil.acquire();
                ex.section(|| ());
                g.allow_threads(|| ());
                ex.section(|| ());
                drop(g);
            })
        };
        wait_for_waiters(&gil, 1);
        drop(first);
        let holder = gil.acquire();
        ex.section(|| ());
        holder.check();
        ex.section(|| ());
        drop(holder);
        requester.join().unwrap();
        assert!(gil.try_acquire().is_ok(), "the gil must be free at the end");
    });
}

/// A third thread queues while the GIL may be lent: nobody is lost, exclusion holds.
#[test]
fn lend_with_a_queued_thread() {
    loom::model(|| {
        let gil = gil(Policy::Fair);
        let ex = Arc::new(Exclusive::new());
        let first = gil.acquire();
        let spawn_user = |io: bool| {
            let (gil, ex) = (gil.clone(), Arc::clone(&ex));
            loom::thread::spawn(move || {
                let mut g = gil.acquire();
                ex.section(|| ());
                if io {
                    g.allow_threads(|| ());
                    ex.section(|| ());
                }
                drop(g);
            })
        };
        let requester = spawn_user(true);
        wait_for_waiters(&gil, 1);
        drop(first);
        let holder = gil.acquire();
        let other = spawn_user(false);
        ex.section(|| ());
        holder.check();
        ex.section(|| ());
        drop(holder);
        requester.join().unwrap();
        other.join().unwrap();
        assert!(gil.try_acquire().is_ok(), "the gil must be free at the end");
    });
}

/// A borrower asked for the GIL back (a queue formed while it was lent) returns it to the
/// lender and queues; everyone finishes.
#[test]
fn borrower_asked_to_give_back() {
    loom::model(|| {
        let gil = gil(Policy::Fair);
        let ex = Arc::new(Exclusive::new());
        let first = gil.acquire();
        let requester = {
            let (gil, ex) = (gil.clone(), Arc::clone(&ex));
            loom::thread::spawn(move || {
                let mut g = gil.acquire();
                g.allow_threads(|| ());
                ex.section(|| ());
                // As the lender's time-keeping would once the borrower's slice is over.
                gil.request_drop();
                g.check();
                ex.section(|| ());
                drop(g);
            })
        };
        wait_for_waiters(&gil, 1);
        drop(first);
        let holder = gil.acquire();
        ex.section(|| ());
        holder.check();
        ex.section(|| ());
        drop(holder);
        requester.join().unwrap();
    });
}
