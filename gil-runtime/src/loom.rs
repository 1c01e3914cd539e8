//! The one place gil-runtime names its synchronization primitives.
//!
//! The registry and thread records are plain mutex-protected data, so the shim swaps
//! `Mutex` and `Arc` (and `thread_local!`, whose loom form has no `const` initializer) onto
//! loom's versions under `--cfg loom`; `started` is waited for with `gil_sync::Event`, which
//! has its own shim and models. `done` (`done.rs`) parks by itself, so that a join can wake
//! on an interrupt: the shim also gives it an atomic flag and `park`/`unpark`.
//!
//! Divergences, bridged in [`thread::park_until`] (gil-sync's own, re-exported): loom and shuttle
//! have no clock and loom no `park_timeout`. Under loom a timed park yields once and reports
//! the deadline passed (so a timed join in a model is "register, let the others run, give
//! up"); under shuttle it yields and then, on a coin shuttle records, reports the deadline
//! passed or returns early as a spurious wake-up would. Under `--cfg shuttle` (the
//! randomized-schedule tests, `tests/shuttle/`) the std half takes shuttle's `Mutex`,
//! atomics, thread `Builder`, `park` and `thread_local!` instead, unchanged otherwise.

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
    #[cfg(shuttle)]
    use ::shuttle as base;
    /// Where the primitives come from: std, or shuttle's look-alikes under `--cfg shuttle`.
    #[cfg(not(shuttle))]
    use ::std as base;

    pub(crate) mod sync {
        use super::base;
        pub(crate) use std::sync::{Arc, Weak};

        /// The atomics under the shim's path.
        pub(crate) mod atomic {
            pub(crate) use super::base::sync::atomic::{AtomicBool, Ordering};
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

            /// Locks, ignoring poison: no critical section here runs user code.
            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use super::base::thread::{Builder, JoinHandle, Thread, current};
        /// gil-sync's `park_until`, one copy for both crates (its loom, shuttle and std forms).
        pub(crate) use gil_sync::__park::park_until;
    }

    pub(crate) use base::thread_local;
}

#[cfg(loom)]
mod mocked {
    pub(crate) mod sync {
        // std's `Arc`/`Weak` in both builds: loom 0.7 has no `Weak`, and reference counts
        // are not part of any protocol here (they only keep records alive).
        pub(crate) use std::sync::{Arc, Weak};

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::AtomicBool;
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
    }

    pub(crate) mod thread {
        /// gil-sync's `park_until`, one copy for both crates (its loom, shuttle and std forms).
        pub(crate) use gil_sync::__park::park_until;
        pub(crate) use loom::thread::{Builder, JoinHandle, Thread, current};
    }

    pub(crate) use loom::thread_local;
}
