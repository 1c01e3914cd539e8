//! Thread exit (issue 13, "thread-local access during teardown"): every primitive works in
//! a thread-local destructor that runs after the thread's other thread-locals — gil-core's
//! record of held GILs among them — were destroyed. This crate's one thread-local (the
//! thread's identity) is a `const`, drop-free `Cell`, which std never destroys; the waits go
//! through `gil_core::allow_threads`, which runs the closure as is once the record is gone.
//!
//! The probe's thread-local is touched first on a fresh thread, so its destructor runs last
//! (thread-local destructors run in reverse order of registration on Linux); the checks run
//! inside a catch (a panic in a thread-local destructor aborts) and report through a channel.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use gil_core::Gil;
use gil_sync::{Barrier, Condition, Event, Lock, RLock, Semaphore, Timer, WaitResult};

use crate::support::{SHORT, join, spawn};

/// Runs its closure when the thread's storage is destroyed.
struct AtExit(RefCell<Option<Box<dyn FnOnce()>>>);

impl Drop for AtExit {
    fn drop(&mut self) {
        if let Some(f) = self.0.borrow_mut().take() {
            f();
        }
    }
}

thread_local! {
    static AT_EXIT: AtExit = const { AtExit(RefCell::new(None)) };
}

/// Every primitive's acquire, release, timed wait and notify from a destructor that runs
/// after the thread's GIL record was destroyed.
#[test]
fn primitives_work_after_the_threads_storage_is_gone() {
    let (tx, rx) = mpsc::channel::<bool>();
    let os = spawn("teardown", move || {
        AT_EXIT.with(|at_exit| {
            *at_exit.0.borrow_mut() = Some(Box::new(move || {
                let checks = catch_unwind(AssertUnwindSafe(|| {
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
                }));
                let _ = tx.send(checks.is_ok());
            }));
        });
        // Registered after the probe, so destroyed before its destructor runs.
        let gil = Gil::new();
        let mut guard = gil.acquire();
        guard.allow_threads(|| Lock::new().acquire().leak());
    });
    join(os);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(true));
}
