//! Shared model helpers.

use gil_core::{Gil, Policy};
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::SeqCst;

/// Both policies, for models that hold for each.
pub(crate) const POLICIES: [Policy; 2] = [Policy::Fair, Policy::CPython];

/// A GIL of `policy` (5 ms interval; no deadline passes inside a model).
pub(crate) fn gil(policy: Policy) -> Gil {
    Gil::builder()
        .policy(policy)
        .build()
        .expect("valid interval")
}

/// Counts the threads inside a GIL-protected section; entering while another thread is
/// inside is a mutual-exclusion failure.
#[derive(Debug, Default)]
pub(crate) struct Exclusive(AtomicUsize);

impl Exclusive {
    pub(crate) fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    /// Runs `f` as a critical section, asserting nobody else is inside.
    pub(crate) fn section<R>(&self, f: impl FnOnce() -> R) -> R {
        assert_eq!(
            self.0.fetch_add(1, SeqCst),
            0,
            "two threads inside the GIL at once"
        );
        let r = f();
        self.0.fetch_sub(1, SeqCst);
        r
    }
}

/// Spins (yielding to loom) until `gil` has `n` waiters.
pub(crate) fn wait_for_waiters(gil: &Gil, n: usize) {
    while gil.waiters() < n {
        loom::thread::yield_now();
    }
}
