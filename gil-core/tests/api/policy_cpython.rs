//! The CPython policy: forced switching between CPU-bound threads (every thread progresses,
//! none takes the GIL straight back after a drop request), and no priority requests.

use std::time::Duration;

use gil_core::Policy;
use gil_test_support::serial;

use crate::support::{cpu_bound_turns, gil, turns_per_thread};

fn cpython_cpu_bound_threads_all_progress(threads: usize) {
    let _serial = serial();
    let gil = gil(Policy::CPython, Duration::from_millis(1));
    let log = cpu_bound_turns(&gil, threads, 20 * threads);
    let counts = turns_per_thread(&log, threads);
    assert!(
        counts.iter().all(|&n| n >= 2),
        "starved thread: {counts:?}; log {log:?}"
    );
    // Forced switching: a holder that yields never takes the GIL straight back, unless its
    // one wait on `switch_cond` wakes spuriously (CPython waits once, not in a loop), which
    // `--cfg gil_spurious_wakeups` makes happen on purpose.
    if !cfg!(gil_spurious_wakeups) {
        for pair in log.windows(2) {
            assert_ne!(
                pair[0], pair[1],
                "a yielding holder took the gil back: {log:?}"
            );
        }
    }
    let stats = gil.stats();
    assert!(stats.switches > 0, "{stats:?}");
    assert!(stats.forced_switches > 0, "{stats:?}");
    assert!(stats.drop_requests > 0, "{stats:?}");
    assert_eq!(stats.priority_requests, 0, "{stats:?}");
}

#[test]
fn cpython_two_cpu_bound_threads_alternate() {
    cpython_cpu_bound_threads_all_progress(2);
}

#[test]
fn cpython_three_cpu_bound_threads_all_progress() {
    cpython_cpu_bound_threads_all_progress(3);
}
