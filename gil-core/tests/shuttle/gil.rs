//! Five to seven threads sharing one GIL: CPU-bound threads calling `check()`, I/O-bound ones
//! going through `allow_threads` (the lend path and the reserved GIL), a thread asking for
//! drops from outside, both policies and both modes.

use std::sync::Arc;
use std::time::Duration;

use gil_core::{Gil, GilCell, Mode, Policy};
use gil_test_support::shuttle::{Exclusive, check, join_all, spawn_all};
use shuttle::thread;

/// How many GIL-protected steps each thread takes.
const STEPS: usize = 12;

/// What one thread does with the GIL.
#[derive(Clone, Copy, Debug)]
enum Role {
    /// `check()` after every step: yields when the queue's head times out or I/O returns.
    Cpu,
    /// Releases the GIL around "I/O" (a yield) between steps, coming back urgent.
    Io,
    /// Both, alternating.
    Mixed,
    /// Acquires and releases the GIL for every step.
    Short,
    /// "I/O", then three steps of computing with `check()`: a borrower that keeps the GIL
    /// long enough for its lender to ask for it back.
    Burst,
}

/// Runs `role`'s `STEPS` sections on `gil`.
fn work(gil: &Gil, ex: &Exclusive, role: Role) {
    match role {
        Role::Short => {
            for _ in 0..STEPS {
                let guard = gil.acquire();
                ex.section();
                drop(guard);
            }
        }
        Role::Burst => {
            let mut guard = gil.acquire();
            for step in 0..STEPS {
                if step % 3 == 0 {
                    guard.allow_threads(thread::yield_now);
                }
                ex.section();
                guard.check().unwrap();
            }
        }
        Role::Cpu | Role::Io | Role::Mixed => {
            let mut guard = gil.acquire();
            for step in 0..STEPS {
                ex.section();
                let io = match role {
                    Role::Io => true,
                    Role::Mixed => step % 2 == 0,
                    _ => false,
                };
                if io {
                    guard.allow_threads(thread::yield_now);
                } else {
                    guard.check().unwrap();
                }
            }
        }
    }
}

/// `roles.len()` threads on one GIL while the main thread runs `meanwhile` on it; every
/// section ran, mutual exclusion held, and the GIL ends free with nobody queued.
fn share_while(policy: Policy, mode: Mode, roles: &'static [Role], meanwhile: fn(&Gil)) {
    check(move || {
        let gil = Gil::builder()
            .policy(policy)
            .mode(mode)
            .build()
            .expect("valid interval");
        // FreeThreaded never excludes: count the sections, admit everyone.
        let ex = Arc::new(match mode {
            Mode::Enabled => Exclusive::new(),
            _ => Exclusive::with_max(usize::MAX),
        });
        let threads = spawn_all(roles.len(), {
            let (gil, ex) = (gil.clone(), Arc::clone(&ex));
            move |i| work(&gil, &ex, roles[i])
        });
        meanwhile(&gil);
        join_all(threads);
        assert_eq!(ex.entered(), roles.len() * STEPS);
        assert_eq!(gil.waiters(), 0, "nobody is left queued");
        assert!(gil.try_acquire().is_ok(), "the GIL ends free");
    });
}

/// [`share_while`] with outside drop requests, as a waiter's expiry or an interpreter's
/// signal handler would send: they must never switch to nobody or wedge a waiter.
fn share(policy: Policy, mode: Mode, roles: &'static [Role]) {
    share_while(policy, mode, roles, |gil| {
        for _ in 0..3 {
            gil.request_drop();
            thread::yield_now();
        }
    });
}

const MIX: &[Role] = &[Role::Cpu, Role::Cpu, Role::Io, Role::Mixed, Role::Short];
const CPU_BOUND: &[Role] = &[Role::Cpu; 6];
const IO_BOUND: &[Role] = &[Role::Io, Role::Io, Role::Io, Role::Cpu, Role::Io];
const BURSTS: &[Role] = &[Role::Cpu, Role::Cpu, Role::Burst, Role::Burst, Role::Burst];

#[test]
fn fair_cpu_and_io_threads_share_the_gil() {
    share(Policy::Fair, Mode::Enabled, MIX);
}

#[test]
fn fair_six_cpu_bound_threads() {
    share(Policy::Fair, Mode::Enabled, CPU_BOUND);
}

/// Mostly I/O-bound threads against one CPU-bound holder: the lend path, reborrowing a
/// reserved GIL and the lender's own time-keeping, with several borrowers at once.
#[test]
fn fair_io_threads_borrow_from_one_cpu_thread() {
    share(Policy::Fair, Mode::Enabled, IO_BOUND);
}

/// Threads back from I/O that then compute: a borrower holds the GIL past its lender's
/// interval, the lender (parked, registered) asks for it back, and the borrower's return must
/// wake it.
#[test]
fn fair_borrowers_that_compute_are_asked_back() {
    share(Policy::Fair, Mode::Enabled, BURSTS);
}

#[test]
fn cpython_policy_cpu_and_io_threads() {
    share(Policy::CPython, Mode::Enabled, MIX);
}

/// `FreeThreaded`: acquire never excludes, and nothing may block or stay queued either.
#[test]
fn free_threaded_never_blocks() {
    share(Policy::Fair, Mode::FreeThreaded, MIX);
}

/// The switch interval changed while threads wait on it (the head's deadline, the holder's
/// published deadline and the lender's all read it).
#[test]
fn switch_interval_changes_under_contention() {
    share_while(
        Policy::Fair,
        Mode::Enabled,
        &[Role::Cpu, Role::Cpu, Role::Io, Role::Mixed],
        |gil| {
            for micros in [1, 5_000, 50] {
                gil.set_switch_interval(Duration::from_micros(micros))
                    .unwrap();
                thread::yield_now();
            }
        },
    );
}

/// `Gil::set_mode` back and forth while the roles run, each section a `GilCell` increment:
/// threads stop at `check()` or detach in `allow_threads`, queued ones convert, and the cell's
/// protection switches with the mode without losing an update.
#[test]
fn mode_switches_under_contention() {
    for (policy, start) in [
        (Policy::Fair, Mode::FreeThreaded),
        (Policy::Fair, Mode::Enabled),
        (Policy::CPython, Mode::FreeThreaded),
    ] {
        check(move || {
            let gil = Gil::builder()
                .policy(policy)
                .mode(start)
                .build()
                .expect("valid interval");
            let cell = Arc::new(GilCell::new(&gil, 0usize));
            let threads = spawn_all(MIX.len(), {
                let (gil, cell) = (gil.clone(), Arc::clone(&cell));
                move |i| bump_steps(&gil, &cell, MIX[i])
            });
            for mode in [Mode::Enabled, Mode::FreeThreaded, Mode::Enabled, start] {
                gil.set_mode(mode);
                thread::yield_now();
            }
            join_all(threads);
            assert_eq!(gil.mode(), start);
            assert_eq!(*cell.borrow(&gil.acquire()), MIX.len() * STEPS);
            assert!(gil.try_acquire().is_ok(), "the GIL ends free");
        });
    }
}

/// `role`'s `STEPS` sections as `GilCell` increments (one borrow each).
fn bump_steps(gil: &Gil, cell: &GilCell<usize>, role: Role) {
    if let Role::Short = role {
        for _ in 0..STEPS {
            let guard = gil.acquire();
            *cell.borrow_mut(&guard) += 1;
        }
        return;
    }
    let mut guard = gil.acquire();
    for step in 0..STEPS {
        *cell.borrow_mut(&guard) += 1;
        if matches!(role, Role::Io) || (matches!(role, Role::Mixed) && step % 2 == 0) {
            guard.allow_threads(thread::yield_now);
        } else {
            guard.check().unwrap();
        }
    }
}
