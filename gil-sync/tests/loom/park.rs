//! The park layer (`src/park.rs`, private) through a primitive that uses it: the parker's
//! "re-validate the word under the queue lock, set `QUEUED_BIT` by CAS, queue" racing a
//! fast-path release, and a timed park's cancel racing `unpark_n`, each in its smallest shape
//! (two threads, no preemption bound).
//!
//! The same steps are checked through every other primitive by the models of `lock`, `rlock`,
//! `semaphore`, `event` and `condition` (the last through the `Lock` it waits on); injected
//! park-layer bugs each fail several of them (ARCHITECTURE.md, "Verification").

use std::sync::Arc;
use std::time::Duration;

use gil_sync::Semaphore;

/// A thread blocks on an empty semaphore while main releases one permit: the release's CAS
/// may land before the parker takes the queue lock, between its validation and its CAS, or
/// after it queued.
///
/// Catches: a parker that queues without re-reading the word under the queue lock, or that
/// sets `QUEUED_BIT` with a blind `fetch_or` instead of a CAS from the value it validated
/// (the release then adds its permit without seeing the bit, and the parker sleeps with a
/// permit free: deadlock).
#[test]
fn park_revalidates_against_a_fast_path_release() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let t = {
            let sem = sem.clone();
            loom::thread::spawn(move || sem.acquire().leak())
        };
        sem.release().unwrap();
        t.join().unwrap();
        assert_eq!(sem.value(), 0);
    });
}

/// A timed acquire (loom: queue, yield once, cancel) races a release's `unpark_n`; then a
/// second, untimed acquirer must be woken by a second release whatever the first race left
/// in the word.
///
/// Catches: a cancel that loses a wake-up it was given (the permit is then taken by nobody
/// and the final value is off), a cancel that leaves the waiter queued (the second release
/// pops the ghost and the second acquirer sleeps: deadlock), a stale `QUEUED_BIT` that makes
/// the second round's wake-up go astray.
#[test]
fn timed_park_races_unpark_n() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let timed = {
            let sem = sem.clone();
            loom::thread::spawn(move || {
                sem.acquire_timeout(Duration::from_secs(1))
                    .map(gil_sync::SemaphoreGuard::leak)
                    .is_ok()
            })
        };
        sem.release().unwrap();
        let got = timed.join().unwrap();
        assert_eq!(
            sem.value(),
            u64::from(!got),
            "the permit is taken once or left"
        );
        let untimed = {
            let sem = sem.clone();
            loom::thread::spawn(move || sem.acquire().leak())
        };
        sem.release().unwrap();
        untimed.join().unwrap();
        assert_eq!(sem.value(), u64::from(!got));
    });
}
