//! Thread exit (issue 13, "thread-local access during teardown"): every primitive works in
//! a thread-local destructor that runs after the thread's other thread-locals — gil-core's
//! record of held GILs among them — were destroyed. This crate's one thread-local (the
//! thread's identity) is a `const`, drop-free `Cell`, which std never destroys; the waits go
//! through `gil_core::allow_threads`, which runs the closure as is once the record is gone.
//!
//! The checks run in `gil_test_support`'s exit probe, touched first on a fresh thread so that
//! its destructor runs last.

use std::sync::mpsc;
use std::time::Duration;

use gil_core::Gil;
use gil_sync::{Barrier, Condition, Event, Lock, RLock, Semaphore, Timer, WaitResult};
use gil_test_support::{SHORT, check_at_thread_exit, join, recv, spawn};

/// Every primitive's acquire, release, timed wait and notify from a destructor that runs
/// after the thread's GIL record was destroyed.
#[test]
fn primitives_work_after_the_threads_storage_is_gone() {
    let (tx, rx) = mpsc::channel();
    let os = spawn("teardown", move || {
        check_at_thread_exit(tx, || {
            let lock = Lock::new();
            drop(lock.acquire());
            lock.acquire_timeout(SHORT).unwrap().leak();
            assert!(lock.try_acquire().is_err(), "held");
            lock.release().unwrap();

            let rlock = RLock::new();
            let (a, b) = (rlock.acquire(), rlock.acquire());
            assert_eq!(rlock.recursion_count(), 2);
            drop((b, a));

            let cond = Condition::new();
            let guard = cond.acquire();
            assert_eq!(cond.wait_timeout(SHORT), Ok(WaitResult::TimedOut));
            cond.notify_all().unwrap();
            drop(guard);

            let sem = Semaphore::new(0);
            assert!(sem.acquire_timeout(SHORT).is_err());
            sem.release().unwrap();
            drop(sem.acquire());

            let event = Event::new();
            assert!(!event.wait_timeout(SHORT));
            event.set();
            assert!(event.wait());

            assert_eq!(Barrier::new(1).unwrap().wait().unwrap().index(), 0);

            let timer = Timer::new(Duration::ZERO, || {});
            timer.start().unwrap();
            timer.join().unwrap();
            assert!(timer.fired());

            gil_core::allow_threads(|| ());
        });
        // Registered after the probe, so destroyed before its destructor runs.
        let gil = Gil::new();
        let mut guard = gil.acquire();
        guard.allow_threads(|| Lock::new().acquire().leak());
    });
    join(os);
    assert_eq!(recv(&rx), Ok(()));
}
