//! `Event` with six waiters (blocking and timed) against a setter and a clearer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::Event;
use gil_test_support::shuttle::{TIMEOUT, check, join_all, spawn_all};
use shuttle::thread;

/// Three untimed and three timed waiters, a thread that clears the event twice and one that
/// sets it twice: the untimed waiters all return (`true`), a timed one returns `true` only
/// if a `set` happened, and the event ends set (the last `set` follows every `clear`).
#[test]
fn waiters_against_set_and_clear() {
    check(|| {
        let event = Arc::new(Event::new());
        let sets = Arc::new(AtomicUsize::new(0));
        let waiters = spawn_all(6, {
            let (event, sets) = (event.clone(), sets.clone());
            move |i| {
                if i < 3 {
                    assert!(event.wait(), "an untimed wait returns true");
                } else if event.wait_timeout(TIMEOUT) {
                    assert!(sets.load(SeqCst) > 0, "woken with no set");
                }
            }
        });
        let clearer = {
            let event = event.clone();
            thread::spawn(move || {
                for _ in 0..2 {
                    event.clear();
                    thread::yield_now();
                }
            })
        };
        for _ in 0..2 {
            sets.fetch_add(1, SeqCst);
            event.set();
            thread::yield_now();
        }
        clearer.join().unwrap();
        // Waiters woken by a set that a clear then undid must still return.
        event.set();
        join_all(waiters);
        assert!(event.is_set());
    });
}
