//! `Barrier` with four parties over three generations, and an `abort` racing five waiters.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_sync::Barrier;
use gil_test_support::shuttle::{check, join_all, spawn_all};

/// Four parties pass three generations: each generation's indices are 0..4 once each, the
/// action runs once per generation, and the barrier ends empty and unbroken.
#[test]
fn four_parties_three_generations() {
    check(|| {
        let actions = Arc::new(AtomicUsize::new(0));
        let barrier = {
            let actions = actions.clone();
            Arc::new(
                Barrier::with_action(4, move || {
                    actions.fetch_add(1, SeqCst);
                    Ok(())
                })
                .unwrap(),
            )
        };
        // Bit `index` of slot `generation`: which indices each generation handed out.
        let seen: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
        join_all(spawn_all(4, {
            let (barrier, seen) = (barrier.clone(), seen.clone());
            move |_| {
                for generation in seen.iter() {
                    let index = barrier.wait().unwrap().index();
                    let before = generation.fetch_or(1 << index, SeqCst);
                    assert_eq!(before & (1 << index), 0, "index {index} given twice");
                }
            }
        }));
        for generation in seen.iter() {
            assert_eq!(generation.load(SeqCst), 0b1111);
        }
        assert_eq!(actions.load(SeqCst), 3);
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
    });
}

/// Six parties, five waiters and an `abort`: every wait returns (none hangs), each either
/// passed or saw the barrier broken, and a broken barrier stays broken until `reset`.
#[test]
fn abort_releases_every_waiter() {
    check(|| {
        let barrier = Arc::new(Barrier::new(6).unwrap());
        let broken = Arc::new(AtomicUsize::new(0));
        let threads = spawn_all(5, {
            let (barrier, broken) = (barrier.clone(), broken.clone());
            move |_| {
                if let Err(error) = barrier.wait() {
                    assert!(error.is_broken());
                    broken.fetch_add(1, SeqCst);
                }
            }
        });
        barrier.abort();
        join_all(threads);
        assert_eq!(broken.load(SeqCst), 5, "six parties never all arrived");
        assert!(barrier.broken());
        barrier.reset();
        assert!(!barrier.broken());
        assert_eq!(barrier.n_waiting(), 0);
    });
}
