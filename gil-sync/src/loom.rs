//! The one place gil-sync names its synchronization primitives.
//!
//! Everything else imports `crate::loom::…`; `--cfg loom` swaps the whole crate onto loom's
//! model-checked versions at once (tokio `src/loom/mod.rs`). Both halves expose std's shape
//! with loom's conveniences (a poison-free `Mutex::lock`).
//!
//! Divergences under loom, each bridged here and nowhere else:
//! - **No clock.** loom has no time and no `park_timeout` (loom `src/sync/condvar.rs`). A
//!   *timed* park ([`thread::park_until`] with a deadline) yields once and then reports that
//!   the deadline passed, so every timed wait in a model is "register, let the others run in
//!   every order, cancel": exactly the timeout path racing a notify or release, which is what
//!   the models must check. Untimed parks are loom's `park`.
//! - **Fair hand-off.** `Lock` hands the lock directly to a waiter that has waited 1 ms
//!   ([`fair_due`]). Under loom no time passes, so the rule becomes "a waiter that already lost
//!   one race", which keeps both the barging and the hand-off path inside the models.
//!
//! Under `--cfg shuttle` (the randomized-schedule tests, `tests/shuttle/`) the std half runs on
//! shuttle's primitives instead, with two divergences of its own: shuttle has no clock, so a
//! timed park never blocks — it yields and then, on a coin shuttle records in the schedule,
//! either reports the deadline passed or returns early as a spurious wake-up would (callers
//! loop) — and [`fair_due`] takes loom's rule, since the wall clock would make a schedule
//! unrepeatable.
//!
//! Nothing in this crate spins before parking: on the 2-core VMs this project is measured on, a
//! 100-iteration spin (std's mutex default) made the `Condition`, `Event` and `Lock` ping-pongs
//! 2–4× slower (the spinner takes the core its partner needs), and without it they match or
//! beat std's `Mutex` + `Condvar` (`gil-bench` bench `sync_primitives`).

#[cfg(all(loom, shuttle))]
compile_error!("`--cfg loom` and `--cfg shuttle` select different shims: pass only one");

#[cfg(not(loom))]
pub(crate) use self::std_impl::*;

#[cfg(loom)]
pub(crate) use self::mocked::*;

#[cfg(not(loom))]
#[cfg_attr(
    not(shuttle),
    expect(
        clippy::disallowed_types,
        reason = "the loom shim is the one place std's Mutex is named"
    )
)]
mod std_impl {
    use std::time::{Duration, Instant};

    #[cfg(shuttle)]
    use ::shuttle as base;
    /// Where the primitives come from: std, or shuttle's look-alikes under `--cfg shuttle`.
    #[cfg(not(shuttle))]
    use ::std as base;

    pub(crate) mod sync {
        use super::base;
        pub(crate) use std::sync::Arc;

        /// The atomics under the shim's path.
        pub(crate) mod atomic {
            pub(crate) use super::base::sync::atomic::{AtomicU32, AtomicU64, Ordering};
        }

        /// A poison-free `std::sync::Mutex` (loom's shape).
        #[derive(Debug, Default)]
        pub(crate) struct Mutex<T>(
            #[cfg_attr(
                not(shuttle),
                expect(clippy::disallowed_types, reason = "the loom shim wraps std's Mutex")
            )]
            base::sync::Mutex<T>,
        );

        pub(crate) type MutexGuard<'a, T> = base::sync::MutexGuard<'a, T>;

        impl<T> Mutex<T> {
            pub(crate) fn new(value: T) -> Self {
                Self(base::sync::Mutex::new(value))
            }

            /// Locks, ignoring poison: no critical section in this crate runs user code or
            /// anything else that can panic half-way through an update.
            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use super::base::thread::{Builder, Thread, current, park};
        use std::time::Instant;

        /// Parks until unparked (`None`) or until `deadline`; returns `false` without parking
        /// once the deadline has passed. May return early (spurious wake-up): callers loop.
        #[cfg(not(shuttle))]
        pub fn park_until(deadline: Option<Instant>) -> bool {
            if gil_core::__test::inject_spurious_wakeup() {
                // A spurious wake-up (only with `--cfg gil_spurious_wakeups`): report
                // "woken", as a real one would, unless the deadline has passed.
                return deadline.is_none_or(|d| Instant::now() < d);
            }
            match deadline {
                None => park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            }
            true
        }

        /// shuttle has no clock: an untimed park is shuttle's `park`; a timed one yields, then
        /// reports the deadline passed or returns early (a spurious wake-up), on a coin
        /// shuttle records (see the module docs).
        #[cfg(shuttle)]
        pub fn park_until(deadline: Option<Instant>) -> bool {
            use shuttle::rand::RngCore;
            if deadline.is_none() {
                park();
                return true;
            }
            shuttle::thread::yield_now();
            shuttle::rand::thread_rng().next_u64() & 1 == 0
        }
    }

    /// How long a `Lock` waiter waits before the releaser hands the lock to it directly
    /// instead of letting a newcomer barge (CPython 3.13 `TIME_TO_BE_FAIR_NS`, Python/lock.c).
    pub(crate) const FAIR_AFTER: Duration = Duration::from_millis(1);

    /// Whether a `Lock` waiter queued at `since` is owed a direct hand-off.
    #[cfg(not(shuttle))]
    #[inline]
    pub(crate) fn fair_due(since: Instant, _requeues: u32) -> bool {
        since.elapsed() >= FAIR_AFTER
    }

    /// shuttle has no clock: loom's rule, a waiter is owed the hand-off once it has lost one
    /// race.
    #[cfg(shuttle)]
    pub(crate) fn fair_due(_since: Instant, requeues: u32) -> bool {
        requeues > 0
    }
}

#[cfg(loom)]
mod mocked {
    use std::time::Instant;

    pub(crate) mod sync {
        pub(crate) use loom::sync::Arc;

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64};
            pub(crate) use std::sync::atomic::Ordering;
        }

        /// loom's `Mutex` with the poison-free `lock` the std half has.
        #[derive(Debug)]
        pub(crate) struct Mutex<T>(::loom::sync::Mutex<T>);

        pub(crate) type MutexGuard<'a, T> = ::loom::sync::MutexGuard<'a, T>;

        impl<T> Mutex<T> {
            pub(crate) fn new(value: T) -> Self {
                Self(::loom::sync::Mutex::new(value))
            }

            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }

        impl<T: Default> Default for Mutex<T> {
            fn default() -> Self {
                Self::new(T::default())
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{Builder, Thread, current, park};
        use std::time::Instant;

        /// loom has no clock: an untimed park is loom's `park`; a timed one yields once (so
        /// every other thread may run first, in every order) and reports the deadline passed.
        pub fn park_until(deadline: Option<Instant>) -> bool {
            if deadline.is_none() {
                park();
                true
            } else {
                loom::thread::yield_now();
                false
            }
        }
    }

    /// loom has no clock: a waiter is owed the hand-off once it has lost one race.
    pub(crate) fn fair_due(_since: Instant, requeues: u32) -> bool {
        requeues > 0
    }
}
