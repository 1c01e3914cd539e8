//! The one place gil-core names its synchronization primitives.
//!
//! Everything else imports `crate::loom::…`; `--cfg loom` swaps the whole crate onto loom's
//! model-checked versions at once (tokio `src/loom/mod.rs`). Both halves expose std's shape
//! with loom's conveniences: a poison-free `Mutex::lock` and a `Condvar::wait_timeout` that
//! returns a plain `bool`.
//!
//! Divergences under loom, each bridged here and nowhere else:
//! - **No clock.** loom has no time (`Condvar::wait_timeout` never times out, there is no
//!   `park_timeout`; loom `src/sync/condvar.rs`). [`time::now`] returns one fixed instant, so
//!   no deadline ever passes inside a model, timed waits degrade to untimed ones, and every
//!   "the interval expired" path is driven from another thread through `Gil::request_drop`,
//!   which runs the very code the expiry runs.
//! - **No spinning.** [`SPIN_LIMIT`] is 0: a spin loop only polls the flag the park loop
//!   re-checks anyway, and would multiply loom's state space for nothing.
//! - **Statistics are not modelled.** [`StatCounter`] is a std atomic in both builds: counters are
//!   written with `Relaxed`, never read for control flow, so they need no exploration.
//!
//! A third build, `--cfg shuttle`, puts the same shapes on shuttle's randomly scheduled
//! primitives for the randomized-schedule tests (`tests/shuttle/`); its divergences are listed
//! in [`shuttle`](self::shuttle).

#[cfg(all(loom, shuttle))]
compile_error!("`--cfg loom` and `--cfg shuttle` select different shims: pass only one");

#[cfg(not(any(loom, shuttle)))]
pub(crate) use self::std_impl::*;

#[cfg(loom)]
pub(crate) use self::mocked::*;

#[cfg(all(shuttle, not(loom)))]
pub(crate) use self::shuttle::*;

#[cfg(all(shuttle, not(loom)))]
mod shuttle;

#[cfg(not(any(loom, shuttle)))]
#[expect(
    clippy::disallowed_types,
    reason = "the loom shim is the one place std's Mutex and Condvar are named"
)]
mod std_impl {
    pub(crate) mod sync {
        pub(crate) use std::sync::Arc;
        pub(crate) use std::sync::Weak;

        /// std's atomics under the shim's path.
        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::Ordering;
            pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, fence};
        }

        /// A poison-free `std::sync::Mutex` (loom's shape).
        #[derive(Debug, Default)]
        pub(crate) struct Mutex<T>(
            #[expect(clippy::disallowed_types, reason = "the loom shim wraps std's Mutex")]
            std::sync::Mutex<T>,
        );

        pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

        impl<T> Mutex<T> {
            pub(crate) const fn new(value: T) -> Self {
                Self(std::sync::Mutex::new(value))
            }

            /// Locks, ignoring poison: every critical section in this crate leaves its data
            /// consistent before anything that can panic runs.
            pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }
        }

        /// A poison-free `std::sync::Condvar`.
        #[derive(Debug, Default)]
        pub(crate) struct Condvar(
            #[expect(clippy::disallowed_types, reason = "the loom shim wraps std's Condvar")]
            std::sync::Condvar,
        );

        impl Condvar {
            pub(crate) fn new() -> Self {
                Self(std::sync::Condvar::new())
            }

            pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
                if super::super::spurious::inject() {
                    return guard;
                }
                self.0
                    .wait(guard)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }

            /// Waits at most `dur`; the `bool` is `true` when the wait timed out.
            pub(crate) fn wait_timeout<'a, T>(
                &self,
                guard: MutexGuard<'a, T>,
                dur: std::time::Duration,
            ) -> (MutexGuard<'a, T>, bool) {
                if super::super::spurious::inject() {
                    return (guard, false);
                }
                let (g, r) = self
                    .0
                    .wait_timeout(guard, dur)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                (g, r.timed_out())
            }

            pub(crate) fn notify_one(&self) {
                self.0.notify_one();
            }

            pub(crate) fn notify_all(&self) {
                self.0.notify_all();
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use std::thread::{Thread, current};

        /// std's `park`, which may return spuriously (and does, often, with the
        /// `--cfg gil_spurious_wakeups`).
        pub(crate) fn park() {
            if !super::spurious::inject() {
                std::thread::park();
            }
        }

        /// std's `park_timeout`, which may return early (and does, often, with the
        /// `--cfg gil_spurious_wakeups`).
        pub(crate) fn park_timeout(dur: std::time::Duration) {
            if !super::spurious::inject() {
                std::thread::park_timeout(dur);
            }
        }
    }

    /// Spurious wake-ups on demand. std's parks and condition variables may return without a
    /// wake-up; loom never makes them do so, and real machines rarely do. Built with the test-only
    /// `--cfg gil_spurious_wakeups`, one park or condition-variable wait in four (per
    /// thread, pseudo-random) returns at once, so every wait loop's re-check runs all the
    /// time; `cargo xtask verify` runs the API suites that way. Without it
    /// [`inject`] is a constant `false`.
    pub(crate) mod spurious {
        #[cfg(gil_spurious_wakeups)]
        mod on {
            use std::cell::Cell;
            use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

            /// Spurious wake-ups injected so far, all threads.
            pub(super) static INJECTED: AtomicU64 = AtomicU64::new(0);

            std::thread_local! {
                /// This thread's xorshift state (0 until first use).
                static STATE: Cell<u64> = const { Cell::new(0) };
            }

            pub(super) fn inject() -> bool {
                let spurious = STATE.with(|state| {
                    let mut x = state.get();
                    if x == 0 {
                        // Seeded from the address of this thread's state: distinct per thread.
                        x = (std::ptr::from_ref(state) as u64) | 1;
                    }
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    state.set(x);
                    x % 4 == 0
                });
                if spurious {
                    // Relaxed: a statistic, read only to show the injection happened.
                    INJECTED.fetch_add(1, Relaxed);
                }
                spurious
            }
        }

        /// Whether the park or wait about to happen should return at once instead.
        #[inline]
        pub fn inject() -> bool {
            #[cfg(gil_spurious_wakeups)]
            return on::inject();
            #[cfg(not(gil_spurious_wakeups))]
            false
        }

        /// How many spurious wake-ups have been injected (always 0 without the cfg).
        pub fn injected() -> u64 {
            #[cfg(gil_spurious_wakeups)]
            return on::INJECTED.load(std::sync::atomic::Ordering::Relaxed);
            #[cfg(not(gil_spurious_wakeups))]
            0
        }
    }

    pub(crate) mod hint {
        pub(crate) use std::hint::spin_loop;
    }

    pub(crate) mod time {
        pub(crate) use std::time::Instant;

        /// The monotonic clock.
        #[inline]
        pub(crate) fn now() -> Instant {
            Instant::now()
        }
    }

    pub(crate) use std::thread_local;

    /// How many times a waiter that expects the GIL soon polls before it parks (about 2–10 µs
    /// of `PAUSE`; measured in `gil-bench`'s `core_gil` bench and the convoy harness).
    pub(crate) const SPIN_LIMIT: u32 = 256;
}

#[cfg(loom)]
mod mocked {
    pub(crate) mod sync {
        // std's `Arc`/`Weak` in both builds: loom 0.7 has no `Weak`, and reference counts are
        // not part of any protocol here (they only keep memory alive).
        pub(crate) use std::sync::{Arc, Weak};

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, fence};
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

        #[derive(Debug)]
        pub(crate) struct Condvar(::loom::sync::Condvar);

        impl Condvar {
            pub(crate) fn new() -> Self {
                Self(::loom::sync::Condvar::new())
            }

            pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
                self.0
                    .wait(guard)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            }

            /// loom has no clock: the wait is untimed and never reports a timeout. Models end
            /// it with a notify, and drive "the interval expired" through `Gil::request_drop`.
            pub(crate) fn wait_timeout<'a, T>(
                &self,
                guard: MutexGuard<'a, T>,
                _dur: std::time::Duration,
            ) -> (MutexGuard<'a, T>, bool) {
                (self.wait(guard), false)
            }

            pub(crate) fn notify_one(&self) {
                self.0.notify_one();
            }

            pub(crate) fn notify_all(&self) {
                self.0.notify_all();
            }
        }
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{Thread, current, park};

        /// loom has no `park_timeout`: parks until unparked.
        pub(crate) fn park_timeout(_dur: std::time::Duration) {
            park();
        }
    }

    pub(crate) mod hint {
        pub(crate) use loom::hint::spin_loop;
    }

    pub(crate) mod time {
        use std::sync::OnceLock;
        pub(crate) use std::time::Instant;

        /// loom has no clock: one fixed instant, so no deadline passes inside a model.
        pub(crate) fn now() -> Instant {
            static BASE: OnceLock<Instant> = OnceLock::new();
            *BASE.get_or_init(Instant::now)
        }
    }

    pub(crate) use loom::thread_local;

    /// No spinning under loom: see the module docs.
    pub(crate) const SPIN_LIMIT: u32 = 0;
}

/// A statistics counter or setting: a std `AtomicU64` in both builds (not modelled by loom,
/// see above; never read for control flow inside a model, where no deadline passes).
#[derive(Debug, Default)]
pub(crate) struct StatCounter(std::sync::atomic::AtomicU64);

impl StatCounter {
    /// Adds `n`. `Relaxed`: a counter orders nothing, readers take a best-effort snapshot.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Adds `n` when only the calling thread ever writes this counter: a load and a store,
    /// no locked instruction. `Relaxed`, as `add`.
    #[inline]
    pub(crate) fn add_own(&self, n: u64) {
        let v = self.0.load(std::sync::atomic::Ordering::Relaxed);
        self.0
            .store(v.wrapping_add(n), std::sync::atomic::Ordering::Relaxed);
    }

    /// Raises the counter to `n` if it is lower (a running maximum); single writer, as
    /// `add_own`. `Relaxed`, as `add`.
    #[inline]
    pub(crate) fn max_own(&self, n: u64) {
        if self.0.load(std::sync::atomic::Ordering::Relaxed) < n {
            self.0.store(n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Reads the counter. `Relaxed`, as `add`.
    #[inline]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Overwrites the value (used for settings such as the switch interval). `Relaxed`: a new
    /// setting only has to be seen eventually, it publishes no other data.
    #[inline]
    pub(crate) fn set(&self, n: u64) {
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// A counter starting at `n`.
    pub(crate) const fn new(n: u64) -> Self {
        Self(std::sync::atomic::AtomicU64::new(n))
    }
}
