//! The shim under `--cfg shuttle`: std's shapes on shuttle's primitives, for the
//! randomized-schedule tests in `tests/shuttle/`.
//!
//! shuttle runs every thread of a test as a coroutine on the test's own OS thread and picks,
//! at each synchronization point (every atomic access, lock, park and unpark here), which one
//! goes on; its PCT scheduler finds bugs that need a few preemptions in runs far longer, and
//! with far more threads, than loom can explore. It models every atomic as `SeqCst`, so the
//! orderings stay loom's job (and Miri's). Divergences, each bridged here:
//!
//! - **No clock.** shuttle has none: its `park_timeout` and `Condvar::wait_timeout` never time
//!   out, so a waiter whose timer is what ends the holder's turn would wait forever. Here a
//!   timed wait takes one of three courses, on a coin from `shuttle::rand` (so a failing
//!   schedule replays exactly): it *fires* — it yields (the others run, in the order shuttle
//!   picks) and the virtual clock [`time::now`] reads jumps to the wait's deadline — or it
//!   *returns early*, as a spurious wake-up would, or it *sleeps through*: it blocks like an
//!   untimed wait until woken, as a wait whose timer lies far ahead. The last course is what
//!   turns a lost wake-up of a timed waiter into a deadlock shuttle reports; it is sound
//!   because no protocol of the GIL needs a timer to make progress, only to be fair (a
//!   test's threads do bounded work, so every holder releases in the end). Time passes only
//!   when some timed wait fires, as on a machine where the waiter's timer is what measures
//!   the interval; `check()`'s own clock reads see the same clock.
//! - **`Condvar::wait_timeout` releases the mutex** around that yield, so [`sync::MutexGuard`]
//!   keeps the mutex it came from (shuttle's guard cannot give it back).
//! - **One spin.** [`SPIN_LIMIT`] is 1 (256 in real builds): the spin paths run, but a
//!   spinner gives up after one poll. shuttle's `spin_loop` yields, so a longer spin only
//!   outlasts whatever it waits for (a borrower's whole turn, say) in scheduling steps, and
//!   the parking paths behind it — where the lost wake-ups hide — would hardly ever run.
//! - **Statistics and spurious wake-up injection are not modelled**, as under loom.

pub(crate) mod sync {
    use std::ops::{Deref, DerefMut};

    use super::time::Course;

    pub(crate) use std::sync::{Arc, Weak};

    /// shuttle's atomics under the shim's path.
    pub(crate) mod atomic {
        pub(crate) use shuttle::sync::atomic::{AtomicU32, AtomicU64, fence};
        pub(crate) use std::sync::atomic::Ordering;
    }

    /// shuttle's `Mutex` with the poison-free `lock` of the other builds.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(::shuttle::sync::Mutex<T>);

    /// shuttle's guard, plus the mutex it locks, so a timed condition-variable wait can
    /// release and retake it.
    #[derive(Debug)]
    pub(crate) struct MutexGuard<'a, T> {
        mutex: &'a Mutex<T>,
        inner: ::shuttle::sync::MutexGuard<'a, T>,
    }

    impl<T> Mutex<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(::shuttle::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard {
                mutex: self,
                inner: self
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            }
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            &self.inner
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.inner
        }
    }

    /// shuttle's `Condvar`; see the module docs for `wait_timeout`.
    #[derive(Debug)]
    pub(crate) struct Condvar(::shuttle::sync::Condvar);

    impl Condvar {
        pub(crate) const fn new() -> Self {
            Self(::shuttle::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            let MutexGuard { mutex, inner } = guard;
            let inner = self
                .0
                .wait(inner)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            MutexGuard { mutex, inner }
        }

        /// A timed wait (see the module docs): `true` when it fired (the virtual clock moved
        /// `dur` on), `false` when it returned early or slept through until notified. The
        /// mutex is released meanwhile in every course.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            dur: std::time::Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            match Course::draw() {
                Course::SleepThrough => (self.wait(guard), false),
                course => {
                    let mutex = guard.mutex;
                    drop(guard);
                    let fired = course.fire(dur);
                    (mutex.lock(), fired)
                }
            }
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
    pub(crate) use shuttle::thread::{Thread, current, park};

    use super::time::Course;

    /// A timed park (see the module docs). The caller loops on its own condition, as after
    /// any early return of std's `park_timeout`.
    pub(crate) fn park_timeout(dur: std::time::Duration) {
        match Course::draw() {
            Course::SleepThrough => park(),
            course => {
                course.fire(dur);
            }
        }
    }
}

pub(crate) mod hint {
    pub(crate) use shuttle::hint::spin_loop;
}

pub(crate) mod time {
    use std::cell::Cell;
    use std::sync::OnceLock;
    use std::time::Duration;
    pub(crate) use std::time::Instant;

    use shuttle::rand::RngCore;

    std::thread_local! {
        /// Nanoseconds the virtual clock has moved on. A std thread-local, not a shuttle
        /// one: shuttle runs a whole test (every thread of it) on one OS thread, so this is
        /// one clock per test, never shared with another test running in parallel.
        static ELAPSED: Cell<u64> = const { Cell::new(0) };
    }

    /// The virtual clock: one fixed instant plus the time that timed waits let pass.
    pub(crate) fn now() -> Instant {
        static BASE: OnceLock<Instant> = OnceLock::new();
        *BASE.get_or_init(Instant::now) + Duration::from_nanos(ELAPSED.with(Cell::get))
    }

    /// The course a timed wait takes (see the module docs).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Course {
        /// Yield, then the timeout fires.
        Fire,
        /// Yield, then return as a spurious wake-up.
        Early,
        /// Block until woken, as an untimed wait.
        SleepThrough,
    }

    impl Course {
        /// Draws the course of a timed wait, on a coin shuttle records in the schedule.
        pub(crate) fn draw() -> Self {
            match shuttle::rand::thread_rng().next_u64() % 3 {
                0 => Self::Fire,
                1 => Self::Early,
                _ => Self::SleepThrough,
            }
        }

        /// Runs a non-blocking course of a wait of `dur`: yields, and if it fires moves the
        /// clock to at least the wait's end. Returns whether it fired.
        pub(crate) fn fire(self, dur: Duration) -> bool {
            let start = ELAPSED.with(Cell::get);
            shuttle::thread::yield_now();
            if self != Self::Fire {
                return false;
            }
            let end = start.saturating_add(u64::try_from(dur.as_nanos()).unwrap_or(u64::MAX));
            ELAPSED.with(|elapsed| elapsed.set(elapsed.get().max(end)));
            true
        }
    }
}

pub(crate) use shuttle::thread_local;

/// One poll before parking: see the module docs.
pub(crate) const SPIN_LIMIT: u32 = 1;
