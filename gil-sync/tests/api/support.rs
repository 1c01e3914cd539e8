//! gil-sync's own helpers for the api tests (the workspace's shared ones, from spawning to
//! bounded joins, are in `gil_test_support`).

use std::thread;
use std::time::{Duration, Instant};

use std::sync::Arc;

use gil_sync::{Barrier, Condition, WaitResult};
use gil_test_support::{PATIENCE, wait_until};

/// How long to let spawned threads run into a blocking call when nothing tells that they are
/// there (semaphores and events have no waiter count). Tests stay correct if it is too short;
/// they only test less.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);

/// Whether wall-clock upper bounds are checked: not under valgrind, which runs one thread at
/// a time (`cargo xtask verify`'s memcheck step sets `GIL_TESTS_UNDER_VALGRIND`). Lower
/// bounds always hold and are always checked.
pub(crate) fn timing_asserts() -> bool {
    std::env::var_os("GIL_TESTS_UNDER_VALGRIND").is_none()
}

/// Sleeps [`SETTLE`].
pub(crate) fn settle() {
    thread::sleep(SETTLE);
}

/// Asserts that at least `timeout` passed since `start`, and not absurdly more (a wide upper
/// bound: only a hang fails it).
pub(crate) fn assert_waited(start: Instant, timeout: Duration) {
    let elapsed = start.elapsed();
    assert!(
        elapsed >= timeout,
        "returned after {elapsed:?}, before {timeout:?}"
    );
    assert!(
        elapsed < timeout + PATIENCE,
        "returned only after {elapsed:?}"
    );
}

/// Waits until `n` threads wait in `barrier`'s current cycle.
pub(crate) fn wait_for_n_waiting(barrier: &Barrier, n: usize) {
    wait_until(&format!("{n} threads wait at the barrier"), || {
        barrier.n_waiting() == n
    });
}

/// A thread that waits on `cond` (timed: [`PATIENCE`]) once one other waiter is queued, so
/// that it queues second, behind that one; joins to its result.
pub(crate) fn second_waiter(cond: &Arc<Condition>) -> std::thread::JoinHandle<WaitResult> {
    let cond = Arc::clone(cond);
    gil_test_support::spawn("second", move || {
        wait_until("the first waiter is queued", || cond.waiting() == 1);
        let _g = cond.acquire();
        cond.wait_timeout(PATIENCE).unwrap()
    })
}
