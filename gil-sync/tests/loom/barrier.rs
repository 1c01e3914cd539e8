//! `Barrier`: a cycle passing, a generation change, `abort` racing `wait`, and a timed wait
//! (which, under loom, cancels itself after one yield) racing the last arrival.

use std::sync::Arc;

use gil_sync::{Barrier, BarrierError};

#[test]
fn two_parties_pass_with_indices_0_and_1() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let other = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || barrier.wait().unwrap())
        };
        let mine = barrier.wait().unwrap();
        let theirs = other.join().unwrap();
        let mut indices = [mine.index(), theirs.index()];
        indices.sort_unstable();
        assert_eq!(indices, [0, 1]);
        assert!(mine.is_last() != theirs.is_last());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
    });
}

#[test]
fn generation_change_with_reuse() {
    // The fast thread re-arrives while the previous cycle may still be draining; it must
    // wait for the drain and pass the second cycle with the slow thread.
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let other = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || {
                let a = barrier.wait().unwrap().index();
                let b = barrier.wait().unwrap().index();
                (a, b)
            })
        };
        let a = barrier.wait().unwrap().index();
        let b = barrier.wait().unwrap().index();
        let (c, d) = other.join().unwrap();
        assert_eq!(a + c, 1);
        assert_eq!(b + d, 1);
        assert!(!barrier.broken());
    });
}

#[test]
fn abort_races_wait() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let waiter = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || barrier.wait())
        };
        barrier.abort();
        // Whether it arrived before or after the abort, it fails and does not hang.
        assert!(matches!(waiter.join().unwrap(), Err(BarrierError::Broken)));
        assert!(barrier.broken());
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn timed_wait_races_last_arrival() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2).unwrap());
        let timed = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || {
                barrier
                    .wait_timeout(std::time::Duration::from_secs(3600))
                    .map(gil_sync::BarrierWaitResult::index)
            })
        };
        let last = barrier.wait().map(gil_sync::BarrierWaitResult::index);
        let timed = timed.join().unwrap();
        match (&timed, &last) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a + b, 1);
                assert!(!barrier.broken());
            }
            (Err(BarrierError::Broken), Err(BarrierError::Broken)) => assert!(barrier.broken()),
            other => panic!("one passed, one broke: {other:?}"),
        }
    });
}

#[test]
fn action_with_abort_racing() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::with_action(2, || Ok(())).unwrap());
        let waiter = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || barrier.wait().map(gil_sync::BarrierWaitResult::index))
        };
        let aborter = {
            let barrier = Arc::clone(&barrier);
            loom::thread::spawn(move || barrier.abort())
        };
        let mine = barrier.wait().map(gil_sync::BarrierWaitResult::index);
        let theirs = waiter.join().unwrap();
        aborter.join().unwrap();
        assert!(barrier.broken());
        // At most the cycle passed before the abort; never half of a cycle hangs.
        if let (Ok(a), Ok(b)) = (&mine, &theirs) {
            assert_eq!(a + b, 1);
        }
    });
}
