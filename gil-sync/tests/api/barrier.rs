//! `Barrier`: CPython's `lock_tests.BarrierTests`, ported.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use gil_sync::{Barrier, BarrierError, Event, ValueError};

use crate::support::wait_for_n_waiting;

const N: usize = 5;

/// Runs `f` in `n` threads (scoped), returning their results.
fn run_threads<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                s.spawn({
                    let f = &f;
                    move || f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn zero_parties_is_a_value_error() {
    let err = Barrier::new(0).unwrap_err();
    assert_eq!(err, ValueError::ZeroParties);
    assert_eq!(err.to_string(), "parties must be > 0");
    assert!(Barrier::with_action(0, || Ok(())).is_err());
}

#[test]
fn indices_over_a_cycle_sum_to_range() {
    let barrier = Barrier::new(N).unwrap();
    let mut results = run_threads(N, |_| barrier.wait().unwrap());
    results.sort_by_key(|r| r.index());
    let indices: Vec<usize> = results.iter().map(|r| r.index()).collect();
    assert_eq!(indices, (0..N).collect::<Vec<_>>());
    assert_eq!(results.iter().filter(|r| r.is_last()).count(), 1);
    assert!(results[N - 1].is_last());
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
}

#[test]
fn cyclic_reuse_over_generations() {
    // CPython test_barrier: each thread passes the barrier several times; nobody runs ahead
    // by a generation.
    let barrier = Barrier::new(N).unwrap();
    let phase = AtomicUsize::new(0);
    let arrived = AtomicUsize::new(0);
    run_threads(N, |_| {
        for generation in 0..5 {
            assert_eq!(phase.load(SeqCst), generation);
            arrived.fetch_add(1, SeqCst);
            let r = barrier.wait().unwrap();
            assert_eq!(arrived.load(SeqCst), (generation + 1) * N);
            if r.is_last() {
                phase.fetch_add(1, SeqCst);
            }
            barrier.wait().unwrap();
        }
    });
    assert_eq!(phase.load(SeqCst), 5);
}

#[test]
fn action_runs_once_per_cycle_before_release() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&runs);
    let barrier = Barrier::with_action(N, move || {
        r.fetch_add(1, SeqCst);
        Ok(())
    })
    .unwrap();
    let results = run_threads(N, |_| {
        let mut seen = Vec::new();
        for generation in 1..=3 {
            barrier.wait().unwrap();
            // The action of this cycle ran before anyone was released.
            seen.push(runs.load(SeqCst) >= generation);
            barrier.wait().unwrap();
        }
        seen
    });
    assert!(results.iter().flatten().all(|&ok| ok));
    assert_eq!(runs.load(SeqCst), 6);
}

#[test]
fn action_runs_in_last_arriver() {
    let ran_in = Arc::new(std::sync::OnceLock::new());
    let r = Arc::clone(&ran_in);
    let barrier = Barrier::with_action(3, move || {
        r.set(thread::current().id()).unwrap();
        Ok(())
    })
    .unwrap();
    let results = run_threads(3, |_| (barrier.wait().unwrap(), thread::current().id()));
    let last = results.iter().find(|(r, _)| r.is_last()).unwrap().1;
    assert_eq!(ran_in.get(), Some(&last));
}

#[test]
fn action_error_breaks_the_barrier() {
    let barrier = Barrier::with_action(3, || Err("boom".into())).unwrap();
    let results = run_threads(3, |_| barrier.wait());
    let failed: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            Err(BarrierError::ActionFailed(e)) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(failed, ["boom"]);
    let broken = results
        .iter()
        .filter(|r| matches!(r, Err(BarrierError::Broken)))
        .count();
    assert_eq!(broken, 2);
    assert!(barrier.broken());
    assert!(barrier.wait().unwrap_err().is_broken());
    barrier.reset();
    assert!(!barrier.broken());
}

#[test]
fn action_panic_breaks_the_barrier_and_resumes() {
    let barrier = Barrier::with_action(2, || panic!("action panicked")).unwrap();
    thread::scope(|s| {
        let other = s.spawn(|| barrier.wait());
        wait_for_n_waiting(&barrier, 1);
        let panic =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| barrier.wait())).unwrap_err();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"action panicked"));
        assert!(other.join().unwrap().unwrap_err().is_broken());
    });
    assert!(barrier.broken());
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn abort_breaks_current_and_future_waiters() {
    let barrier = Barrier::new(N).unwrap();
    thread::scope(|s| {
        let handles: Vec<_> = (0..N - 1).map(|_| s.spawn(|| barrier.wait())).collect();
        wait_for_n_waiting(&barrier, N - 1);
        barrier.abort();
        for h in handles {
            assert!(h.join().unwrap().unwrap_err().is_broken());
        }
    });
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    assert!(barrier.wait().unwrap_err().is_broken());
    assert!(
        barrier
            .wait_timeout(Duration::ZERO)
            .unwrap_err()
            .is_broken()
    );
}

#[test]
fn abort_then_reset_and_reuse() {
    // CPython test_abort_and_reset.
    let barrier = Barrier::new(N).unwrap();
    let barrier2 = Barrier::new(N).unwrap();
    let (broken, passed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    run_threads(N, |i| {
        let r = if i == N - 1 {
            // The last thread aborts instead of arriving.
            wait_for_n_waiting(&barrier, N - 1);
            barrier.abort();
            Err(BarrierError::Broken)
        } else {
            barrier.wait()
        };
        if r.is_err() {
            broken.fetch_add(1, SeqCst);
        }
        // Everyone reaches here; one thread resets.
        if barrier2.wait().unwrap().is_last() {
            barrier.reset();
        }
        barrier2.wait().unwrap();
        barrier.wait().unwrap();
        passed.fetch_add(1, SeqCst);
    });
    assert_eq!(broken.load(SeqCst), N);
    assert_eq!(passed.load(SeqCst), N);
}

#[test]
fn reset_with_waiters_breaks_them_and_barrier_is_reusable() {
    let barrier = Barrier::new(3).unwrap();
    thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
        wait_for_n_waiting(&barrier, 2);
        barrier.reset();
        for h in handles {
            assert!(h.join().unwrap().unwrap_err().is_broken());
        }
    });
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    let results = run_threads(3, |_| barrier.wait().unwrap().index());
    assert_eq!(results.iter().sum::<usize>(), 3);
}

#[test]
fn reset_without_waiters_and_of_broken_barrier() {
    let barrier = Barrier::new(2).unwrap();
    barrier.reset();
    assert!(!barrier.broken());
    barrier.abort();
    assert!(barrier.broken());
    barrier.reset();
    assert!(!barrier.broken());
    let results = run_threads(2, |_| barrier.wait().unwrap().index());
    assert_eq!(results.iter().sum::<usize>(), 1);
}

#[test]
fn timeout_breaks_the_barrier() {
    let barrier = Barrier::new(3).unwrap();
    thread::scope(|s| {
        let long = s.spawn(|| barrier.wait());
        wait_for_n_waiting(&barrier, 1);
        let start = Instant::now();
        let short = barrier.wait_timeout(Duration::from_millis(50));
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert!(short.unwrap_err().is_broken());
        assert!(long.join().unwrap().unwrap_err().is_broken());
    });
    assert!(barrier.broken());
    assert!(barrier.wait().unwrap_err().is_broken());
}

#[test]
fn default_timeout_breaks_the_barrier() {
    let barrier = Barrier::new(2)
        .unwrap()
        .with_timeout(Duration::from_millis(20));
    let start = Instant::now();
    assert!(barrier.wait().unwrap_err().is_broken());
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert!(barrier.broken());
}

#[test]
fn zero_timeout_breaks_unless_last() {
    assert_eq!(
        Barrier::new(1)
            .unwrap()
            .wait_timeout(Duration::ZERO)
            .unwrap()
            .index(),
        0
    );
    let barrier = Barrier::new(2).unwrap();
    assert!(
        barrier
            .wait_timeout(Duration::ZERO)
            .unwrap_err()
            .is_broken()
    );
    assert!(barrier.broken());
    // The last arriver's timeout is irrelevant.
    let barrier = Barrier::new(2).unwrap();
    thread::scope(|s| {
        let t = s.spawn(|| barrier.wait());
        wait_for_n_waiting(&barrier, 1);
        assert!(barrier.wait_timeout(Duration::ZERO).unwrap().is_last());
        assert_eq!(t.join().unwrap().unwrap().index(), 0);
    });
}

#[test]
fn max_duration_waits_forever() {
    let barrier = Barrier::new(2).unwrap().with_timeout(Duration::MAX);
    thread::scope(|s| {
        let t = s.spawn(|| barrier.wait_timeout(Duration::MAX));
        wait_for_n_waiting(&barrier, 1);
        thread::sleep(Duration::from_millis(20));
        assert!(barrier.wait().is_ok());
        assert!(t.join().unwrap().is_ok());
    });
}

#[test]
fn n_waiting_and_broken() {
    let barrier = Barrier::new(3).unwrap();
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
    assert_eq!(barrier.parties(), 3);
    thread::scope(|s| {
        let a = s.spawn(|| barrier.wait());
        wait_for_n_waiting(&barrier, 1);
        let b = s.spawn(|| barrier.wait());
        wait_for_n_waiting(&barrier, 2);
        assert_eq!(format!("{barrier:?}"), "<threading.Barrier: waiters=2/3>");
        barrier.wait().unwrap();
        a.join().unwrap().unwrap();
        b.join().unwrap().unwrap();
    });
    assert_eq!(barrier.n_waiting(), 0);
    barrier.abort();
    assert_eq!(format!("{barrier:?}"), "<threading.Barrier: broken>");
}

#[test]
fn abort_during_action_breaks_everyone() {
    let slot: Arc<std::sync::OnceLock<std::sync::Weak<Barrier>>> = Arc::default();
    let s2 = Arc::clone(&slot);
    let barrier = Arc::new(
        Barrier::with_action(2, move || {
            s2.get().unwrap().upgrade().unwrap().abort();
            Ok(())
        })
        .unwrap(),
    );
    slot.set(Arc::downgrade(&barrier)).unwrap();
    let results = run_threads(2, |_| barrier.wait());
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(BarrierError::Broken)))
    );
    assert!(barrier.broken());
    barrier.reset();
    assert!(!barrier.broken());
}

#[test]
fn arrivals_during_action_wait_for_next_cycle() {
    let (entered, go) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (entered2, go2) = (Arc::clone(&entered), Arc::clone(&go));
    let first = AtomicBool::new(true);
    let barrier = Barrier::with_action(2, move || {
        if first.swap(false, SeqCst) {
            entered2.set();
            go2.wait();
        }
        Ok(())
    })
    .unwrap();
    thread::scope(|s| {
        let a = s.spawn(|| barrier.wait());
        let b = s.spawn(|| barrier.wait());
        assert!(entered.wait_timeout(Duration::from_secs(10)));
        // Cycle 1's action is running: these two belong to cycle 2.
        let c = s.spawn(|| barrier.wait());
        let d = s.spawn(|| barrier.wait());
        assert_eq!(barrier.n_waiting(), 0);
        thread::sleep(Duration::from_millis(20));
        go.set();
        let mut first: Vec<usize> = [a, b].map(|h| h.join().unwrap().unwrap().index()).into();
        let mut second: Vec<usize> = [c, d].map(|h| h.join().unwrap().unwrap().index()).into();
        first.sort_unstable();
        second.sort_unstable();
        assert_eq!((first, second), (vec![0, 1], vec![0, 1]));
    });
}

#[test]
fn reset_during_action_is_ignored() {
    let slot: Arc<std::sync::OnceLock<std::sync::Weak<Barrier>>> = Arc::default();
    let s2 = Arc::clone(&slot);
    let barrier = Arc::new(
        Barrier::with_action(2, move || {
            s2.get().unwrap().upgrade().unwrap().reset();
            Ok(())
        })
        .unwrap(),
    );
    slot.set(Arc::downgrade(&barrier)).unwrap();
    let results = run_threads(2, |_| barrier.wait().unwrap().index());
    assert_eq!(results.iter().sum::<usize>(), 1);
    assert!(!barrier.broken());
}

#[test]
fn blocked_wait_releases_the_gil() {
    let gil = gil_core::Gil::new();
    let barrier = Barrier::new(2).unwrap();
    thread::scope(|s| {
        let a = s.spawn(|| {
            let _g = gil.acquire();
            barrier.wait().unwrap().index()
        });
        wait_for_n_waiting(&barrier, 1);
        let g = gil.acquire();
        let mine = barrier.wait().unwrap().index();
        drop(g);
        assert_eq!(mine + a.join().unwrap(), 1);
    });
}
