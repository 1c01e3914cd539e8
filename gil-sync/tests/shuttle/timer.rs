//! `Timer`: four timers, each cancelled from another thread while it waits out its interval.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::Timer;
use gil_test_support::shuttle::{TIMEOUT, check, join_all, spawn_all};

/// Four timers (the interval passes or not on shuttle's coin), cancelled by two threads:
/// each function runs at most once, exactly when `fired` says so, and every join returns.
#[test]
fn cancel_races_the_interval() {
    check(|| {
        let calls = Arc::new(AtomicUsize::new(0));
        let timers: Arc<Vec<Timer>> = Arc::new(
            (0..4)
                .map(|_| {
                    let calls = calls.clone();
                    Timer::new(TIMEOUT, move || {
                        calls.fetch_add(1, SeqCst);
                    })
                })
                .collect(),
        );
        for timer in timers.iter() {
            timer.start().unwrap();
        }
        join_all(spawn_all(2, {
            let timers = timers.clone();
            move |half| {
                for timer in timers.iter().skip(half).step_by(2) {
                    timer.cancel();
                }
            }
        }));
        let mut fired = 0;
        for timer in timers.iter() {
            timer.join().unwrap();
            assert!(!timer.is_alive());
            assert!(timer.finished().is_set());
            fired += usize::from(timer.fired());
        }
        assert_eq!(calls.load(SeqCst), fired);
    });
}
