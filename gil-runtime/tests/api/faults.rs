//! Faults in gil-runtime (issue #6): panicking targets (with other threads queued for the
//! GIL, joined by a thread that holds the GIL, inside `allow_threads`), a panicking
//! excepthook, panicking `Local` destructors, fifty panicking threads at once before a
//! shutdown, and threads that end while holding a `gil_sync` lock.
//!
//! `tests/api/excepthook.rs` covers one panic at a time (hook arguments, `JoinError::Panicked`,
//! a hook that panics once, a payload whose drop panics); this file covers the combinations.
//! Every hook here is per runtime (nothing touches the process-wide panic hook), every wait is
//! bounded, and the deliberate panics go through `resume_unwind`, which skips the panic hook.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gil_core::{Gil, Mode, Policy};
use gil_runtime::{JoinError, Local, Runtime, Thread};
use gil_sync::{AcquireError, Event, Lock, RLock, ReleaseError};
use gil_test_support::{PATIENCE, SHORT, gil_free, quiet_panic_with, recv, spawn, within};

use crate::support::{Counted, Gate, listed, recording_hook, silence};

/// Joins `t` on a helper thread, failing the test after [`PATIENCE`] instead of hanging.
fn join_within(t: &Thread) -> Result<(), JoinError> {
    let t = t.clone();
    within("join", move || t.join())
}

/// Drops `rt` (Python's shutdown) on a helper thread, failing the test if it does not finish.
fn shutdown_within(rt: Runtime) {
    within("shutdown", move || drop(rt));
}

/// Panics (quietly) when dropped; records first whether its thread held `gil` then.
struct PanicsOnDrop {
    gil: Option<Gil>,
    held: Arc<AtomicUsize>,
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if self
            .gil
            .as_ref()
            .is_some_and(Gil::is_held_by_current_thread)
        {
            self.held.fetch_add(1, SeqCst);
        }
        quiet_panic_with("the value's drop panicked");
    }
}

/// A panic payload whose own `Drop` panics, `depth` times over.
struct Bomb(u32);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 > 0 {
            resume_unwind(Box::new(Bomb(self.0 - 1)));
        }
    }
}

// ---- panicking targets ---------------------------------------------------------------------

/// One target panics while four others are queued for the GIL behind the main thread: the
/// hook reports that one thread once, `join` gives its message, the other targets all run,
/// and the panicked thread leaves `enumerate`.
fn panic_with_targets_queued(policy: Policy) {
    let rt = Runtime::builder().policy(policy).build().unwrap();
    let rx = recording_hook(&rt);
    let ran = Arc::new(AtomicUsize::new(0));
    let held = rt.gil().acquire();
    let panicker = rt.thread(|_| quiet_panic_with("boom"));
    let others: Vec<_> = (0..3)
        .map(|_| {
            let ran = Arc::clone(&ran);
            rt.thread(move |guard| {
                guard.check().unwrap();
                ran.fetch_add(1, SeqCst);
            })
        })
        .collect();
    panicker.start().unwrap();
    for t in &others {
        t.start().unwrap();
    }
    let deadline = Instant::now() + PATIENCE;
    while rt.gil().waiters() < 4 {
        assert!(Instant::now() < deadline, "the targets never queued");
        std::thread::sleep(Duration::from_micros(200));
    }
    drop(held);
    assert_eq!(
        join_within(&panicker),
        Err(JoinError::Panicked("boom".to_owned()))
    );
    for t in &others {
        assert_eq!(join_within(t), Ok(()));
    }
    assert_eq!(ran.load(SeqCst), 3);
    let calls: Vec<_> = rx.try_iter().collect();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].0.ptr_eq(&panicker));
    assert_eq!(calls[0].1, "boom");
    assert!(!listed(&rt.enumerate(), &panicker));
    assert_eq!(rt.active_count(), 1);
    assert!(gil_free(rt.gil()));
    shutdown_within(rt);
}

#[test]
fn panic_with_targets_queued_fair() {
    panic_with_targets_queued(Policy::Fair);
}

#[test]
fn panic_with_targets_queued_cpython() {
    panic_with_targets_queued(Policy::CPython);
}

/// A thread that holds the runtime's GIL joins a target that needs that GIL and panics: the
/// join releases the GIL while it waits, returns `Panicked`, and the joiner holds the GIL
/// again. A timed join from a runtime thread sees the same result.
#[test]
fn join_holding_the_gil_returns_the_panic() {
    let rt = Runtime::new();
    silence(&rt);
    let gil = rt.gil().clone();
    let target = rt.thread(|guard| {
        assert!(guard.gil().is_held_by_current_thread());
        quiet_panic_with("boom");
    });
    let (t, g) = (target.clone(), gil.clone());
    let (joined, held) = within("joiner", move || {
        let _gil = g.acquire();
        t.start().unwrap();
        let joined = t.join();
        (joined, g.is_held_by_current_thread())
    });
    assert_eq!(joined, Err(JoinError::Panicked("boom".to_owned())));
    assert!(held, "join returned without the GIL");
    let (tx, rx) = mpsc::channel();
    let t = target.clone();
    let timed = rt.thread(move |_| tx.send(t.join_timeout(PATIENCE)).unwrap());
    timed.start().unwrap();
    assert_eq!(recv(&rx), Err(JoinError::Panicked("boom".to_owned())));
    assert_eq!(join_within(&timed), Ok(()));
    assert!(gil_free(&gil));
    shutdown_within(rt);
}

/// A target's `allow_threads` closure panics while another target holds the GIL: the
/// unwinding re-acquires the GIL first (waiting for the other to let go), so the excepthook
/// runs holding the GIL, alone, as the docs say it does.
#[test]
fn panic_inside_allow_threads_reports_holding_the_gil() {
    let rt = Runtime::new();
    let h = rt.handle();
    let other_holds = Arc::new(AtomicBool::new(false));
    let (hook_tx, hook_rx) = mpsc::channel();
    {
        let other_holds = Arc::clone(&other_holds);
        rt.set_excepthook(move |args| {
            hook_tx
                .send((
                    args.message.clone(),
                    h.gil().is_held_by_current_thread(),
                    other_holds.load(SeqCst),
                ))
                .unwrap();
        });
    }
    let released = Arc::new(Event::new());
    let go = Arc::new(Event::new());
    let panicker = {
        let (released, go) = (Arc::clone(&released), Arc::clone(&go));
        rt.thread(move |guard| {
            guard.allow_threads(|| {
                released.set();
                assert!(go.wait_timeout(PATIENCE), "go never came");
                quiet_panic_with("inside allow_threads");
            });
        })
    };
    panicker.start().unwrap();
    assert!(released.wait_timeout(PATIENCE));
    let holding = Arc::new(Event::new());
    let other = {
        let (holding, other_holds, go) = (
            Arc::clone(&holding),
            Arc::clone(&other_holds),
            Arc::clone(&go),
        );
        rt.thread(move |_| {
            other_holds.store(true, SeqCst);
            holding.set();
            go.set();
            // Keep the GIL (no `allow_threads`) while the panicker's closure unwinds.
            std::thread::sleep(Duration::from_millis(20));
            other_holds.store(false, SeqCst);
        })
    };
    other.start().unwrap();
    assert!(holding.wait_timeout(PATIENCE));
    assert_eq!(
        join_within(&panicker),
        Err(JoinError::Panicked("inside allow_threads".to_owned()))
    );
    assert_eq!(join_within(&other), Ok(()));
    assert_eq!(
        recv(&hook_rx),
        ("inside allow_threads".to_owned(), true, false)
    );
    assert!(gil_free(rt.gil()));
    shutdown_within(rt);
}

/// A target that starts a child thread and then panics: the child runs to its end, and the
/// shutdown joins it (Python: an exception in one thread does not touch the others).
#[test]
fn a_panicking_parent_does_not_stop_its_child() {
    let rt = Runtime::new();
    silence(&rt);
    let h = rt.handle();
    let gate = Gate::new();
    let waiter = gate.waiter();
    let done = Arc::new(AtomicBool::new(false));
    let d = Arc::clone(&done);
    let (child_tx, child_rx) = mpsc::channel();
    let parent = rt.thread(move |_| {
        let child = h.thread(move |_| {
            waiter.wait();
            d.store(true, SeqCst);
        });
        child.start().unwrap();
        child_tx.send(child).unwrap();
        quiet_panic_with("parent");
    });
    parent.start().unwrap();
    let child = recv(&child_rx);
    assert!(matches!(join_within(&parent), Err(JoinError::Panicked(_))));
    assert!(child.is_alive());
    gate.open();
    shutdown_within(rt);
    assert!(done.load(SeqCst));
    assert!(!child.is_alive());
}

// ---- a panicking excepthook ---------------------------------------------------------------

/// The hook panics in three ways — with a payload whose drop panics twice over, inside
/// `allow_threads` (the unwinding re-acquires the GIL), and plainly — for three threads:
/// each thread still ends with its own message, the GIL is free, and the runtime runs the
/// next thread. (Python prints "Exception in threading.excepthook" and goes on.)
#[test]
fn hooks_that_panic_in_every_way_kill_nothing() {
    let rt = Runtime::new();
    let calls = Arc::new(AtomicUsize::new(0));
    {
        let calls = Arc::clone(&calls);
        rt.set_excepthook(move |args| {
            calls.fetch_add(1, SeqCst);
            match args.message.as_str() {
                "bomb" => resume_unwind(Box::new(Bomb(2))),
                "released" => gil_core::allow_threads(|| quiet_panic_with("hook, released")),
                _ => quiet_panic_with("hook"),
            }
        });
    }
    for message in ["bomb", "released", "plain"] {
        let t = rt.thread(move |_| quiet_panic_with(message));
        t.start().unwrap();
        assert_eq!(
            join_within(&t),
            Err(JoinError::Panicked(message.to_owned()))
        );
        assert!(!t.is_alive());
        assert!(gil_free(rt.gil()), "after a hook panicking with {message}");
    }
    assert_eq!(calls.load(SeqCst), 3);
    let ok = rt.thread(|_| {});
    ok.start().unwrap();
    assert_eq!(join_within(&ok), Ok(()));
    assert_eq!(rt.active_count(), 1);
    shutdown_within(rt);
}

/// A hook that joins the dying thread gets `CurrentThread` instead of deadlocking (the
/// thread is still alive while its hook runs), and a hook may start a new thread, which runs.
#[test]
fn a_hook_that_joins_its_thread_or_starts_another() {
    let rt = Runtime::new();
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let ran = Arc::new(Event::new());
    {
        let ran = Arc::clone(&ran);
        rt.set_excepthook(move |args| {
            let joined = args.thread.join_timeout(SHORT);
            let ran = Arc::clone(&ran);
            let helper = h.thread(move |_| ran.set());
            tx.send((joined, helper.start())).unwrap();
        });
    }
    let t = rt.thread(|_| quiet_panic_with("boom"));
    t.start().unwrap();
    assert_eq!(recv(&rx), (Err(JoinError::CurrentThread), Ok(())));
    assert!(matches!(join_within(&t), Err(JoinError::Panicked(_))));
    assert!(
        ran.wait_timeout(PATIENCE),
        "the thread started by the hook never ran"
    );
    shutdown_within(rt);
}

// ---- panicking Local destructors -----------------------------------------------------------

/// The target panics and one of its `Local` values panics when dropped: the hook gets the
/// target's panic once (the value's is printed as "Exception ignored ..."), `join` reports
/// the target's message, the thread's other values are dropped before `join` returns, all
/// of that holding the GIL (Python clears a thread's locals holding the GIL), and the GIL
/// ends free.
#[test]
fn a_panicking_local_drop_on_a_panicking_thread() {
    let rt = Runtime::new();
    let rx = recording_hook(&rt);
    let drops = Arc::new(AtomicUsize::new(0));
    let held = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(Local::new());
    let good = Arc::new(Local::new());
    let bomb = Arc::new(Local::new());
    let t = {
        let (bad, good, bomb) = (Arc::clone(&bad), Arc::clone(&good), Arc::clone(&bomb));
        let (drops, held, gil) = (Arc::clone(&drops), Arc::clone(&held), rt.gil().clone());
        rt.thread(move |_| {
            bad.set(PanicsOnDrop {
                gil: Some(gil),
                held,
            });
            good.set(Counted(drops));
            bomb.set(BombOnDrop);
            quiet_panic_with("target");
        })
    };
    t.start().unwrap();
    assert_eq!(
        join_within(&t),
        Err(JoinError::Panicked("target".to_owned()))
    );
    assert_eq!(
        drops.load(SeqCst),
        1,
        "a value after the panicking one was not dropped"
    );
    assert_eq!(
        held.load(SeqCst),
        1,
        "the value was dropped without the GIL"
    );
    let calls: Vec<_> = rx.try_iter().collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, "target");
    assert!(!t.is_alive());
    assert_eq!(rt.active_count(), 1);
    assert!(gil_free(rt.gil()));
    assert_eq!(format!("{bad:?}"), "Local { threads: 0, .. }");
    shutdown_within(rt);
}

/// A `Local` value whose drop panics with a payload that panics again when dropped.
struct BombOnDrop;

impl Drop for BombOnDrop {
    fn drop(&mut self) {
        resume_unwind(Box::new(Bomb(3)));
    }
}

/// A thread the runtime did not start panics with a `Local` value whose drop panics: the
/// value is dropped by the thread-local destructors after the unwinding (where a panic would
/// abort the process); the clean-up catches it, the thread's other value is dropped, and the
/// process lives on.
#[test]
fn a_panicking_local_drop_at_the_end_of_a_foreign_panicking_thread() {
    let drops = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(Local::new());
    let good = Arc::new(Local::new());
    let handle = {
        let (bad, good, drops) = (Arc::clone(&bad), Arc::clone(&good), Arc::clone(&drops));
        spawn("foreign", move || {
            bad.set(PanicsOnDrop {
                gil: None,
                held: Arc::new(AtomicUsize::new(0)),
            });
            good.set(Counted(drops));
            quiet_panic_with("foreign");
        })
    };
    let deadline = Instant::now() + PATIENCE;
    while !handle.is_finished() {
        assert!(Instant::now() < deadline, "the foreign thread never ended");
        std::thread::sleep(Duration::from_millis(1));
    }
    let payload = handle.join().expect_err("the thread panicked");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("foreign")
    );
    assert_eq!(drops.load(SeqCst), 1);
    assert_eq!(format!("{good:?}"), "Local { threads: 0, .. }");
}

/// Dropping the `Local` itself while the values of several live threads are in it, one of
/// them (the main thread's) panicking when dropped. The docs promise "all values are dropped
/// when the `Local` is"; at thread end a panicking value is reported ("Exception ignored
/// ...", as Python does for `__del__`) and the rest are still dropped. Regression: the panic
/// used to unwind out of the map's drop, leaking the values after it in hash order (with
/// fifteen other values, some are after it in almost every run). Every other value must be
/// dropped, once.
#[test]
fn dropping_a_local_whose_value_panics_on_drop() {
    const OTHERS: usize = 15;
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    local.set(Err::<Counted, _>(PanicsOnDrop {
        gil: None,
        held: Arc::new(AtomicUsize::new(0)),
    }));
    let (set_tx, set_rx) = mpsc::channel();
    let (ends, holders): (Vec<_>, Vec<_>) = (0..OTHERS)
        .map(|_| {
            let (l, d, set_tx) = (Arc::clone(&local), Arc::clone(&drops), set_tx.clone());
            let (end_tx, end_rx) = mpsc::channel::<()>();
            let holder = spawn("holder", move || {
                l.set(Ok(Counted(d)));
                drop(l);
                set_tx.send(()).unwrap();
                // Alive until the `Local` is gone (the disconnect ends the wait).
                let _ = end_rx.recv_timeout(PATIENCE);
            });
            (end_tx, holder)
        })
        .unzip();
    for _ in &holders {
        recv(&set_rx);
    }
    let local = Arc::try_unwrap(local).expect("the only handle left");
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(local))) {
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("the value's drop panicked")
        );
    }
    assert_eq!(
        drops.load(SeqCst),
        OTHERS,
        "values of other threads were never dropped"
    );
    drop(ends);
    for h in holders {
        gil_test_support::join(h);
    }
    assert_eq!(drops.load(SeqCst), OTHERS, "dropped once");
}

/// A panic inside `Local::with`'s closure (which runs under the local's internal lock)
/// leaves the local usable, with whatever the closure changed before panicking.
#[test]
fn a_panic_inside_local_with_leaves_the_local_usable() {
    let local = Local::with_init(|| 0_u32);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        local.with(|v| {
            *v.expect("initialized") += 1;
            quiet_panic_with("inside with");
        })
    }));
    assert!(caught.is_err());
    assert_eq!(local.get(), Some(1));
    local.set(5);
    assert_eq!(local.take(), Some(5));
    let other = within("other thread", {
        let local = Arc::new(local);
        move || local.get()
    });
    assert_eq!(other, Some(0));
}

// ---- many panics at once -------------------------------------------------------------------

/// Fifty threads held at a gate, then let go together: each panics (after `check()`, inside
/// `allow_threads`, or holding a nested guard with a `Local` value set; some are daemons),
/// and the hook itself panics for one of them. Every panic is reported once with its own
/// message, every `join` says so, the registry ends with only the main thread, a new thread
/// still runs, and the shutdown completes.
fn fifty_panicking_threads_then_shutdown(rt: Runtime) {
    const N: usize = 50;
    let (tx, rx) = mpsc::channel();
    rt.set_excepthook(move |args| {
        tx.send(args.message.clone()).unwrap();
        if args.message == "boom 7" {
            quiet_panic_with("the hook failed too");
        }
    });
    let gate = Gate::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    let threads: Vec<_> = (0..N)
        .map(|i| {
            let (waiter, local, drops) = (gate.waiter(), Arc::clone(&local), Arc::clone(&drops));
            let t = rt.thread(move |guard| {
                waiter.wait();
                let message = format!("boom {i}");
                match i % 3 {
                    0 => {
                        guard.check().unwrap();
                        quiet_panic_with(message);
                    }
                    1 => guard.allow_threads(|| quiet_panic_with(message)),
                    _ => {
                        let _nested = guard.gil().acquire();
                        local.set(Counted(drops));
                        quiet_panic_with(message);
                    }
                }
            });
            t.set_daemon(i % 5 == 0).unwrap();
            t
        })
        .collect();
    for t in &threads {
        t.start().unwrap();
    }
    gate.open();
    for (i, t) in threads.iter().enumerate() {
        assert_eq!(
            join_within(t),
            Err(JoinError::Panicked(format!("boom {i}")))
        );
        assert!(!t.is_alive());
    }
    let mut reported: Vec<String> = rx.try_iter().collect();
    reported.sort();
    let mut expected: Vec<String> = (0..N).map(|i| format!("boom {i}")).collect();
    expected.sort();
    assert_eq!(reported, expected, "each panic reported exactly once");
    assert_eq!(
        drops.load(SeqCst),
        N / 3,
        "every thread's local value dropped"
    );
    assert_eq!(rt.active_count(), 1);
    assert!(rt.enumerate()[0].ptr_eq(&rt.main_thread()));
    assert!(gil_free(rt.gil()));
    let ok = rt.thread(|_| {});
    ok.start().unwrap();
    assert_eq!(join_within(&ok), Ok(()));
    shutdown_within(rt);
}

#[test]
fn fifty_panicking_threads_then_shutdown_fair() {
    fifty_panicking_threads_then_shutdown(Runtime::new());
}

#[test]
fn fifty_panicking_threads_then_shutdown_cpython() {
    fifty_panicking_threads_then_shutdown(
        Runtime::builder()
            .policy(Policy::CPython)
            .switch_interval(Duration::from_millis(1))
            .build()
            .unwrap(),
    );
}

#[test]
fn fifty_panicking_threads_then_shutdown_free_threaded() {
    fifty_panicking_threads_then_shutdown(
        Runtime::builder().mode(Mode::FreeThreaded).build().unwrap(),
    );
}

// ---- threads that end holding a gil_sync lock ---------------------------------------------

/// A target takes a `Lock` without a guard and ends (returning, or panicking) — and takes a
/// second `Lock` with a guard, which its unwinding or return releases before the excepthook
/// runs. As in Python, the first stays locked: the main thread, holding the GIL, times out
/// acquiring it (each timed-out wait released the GIL: a target that needs it runs
/// meanwhile), then releases it — allowed, a `Lock` has no owner — and acquires it.
#[test]
fn a_thread_that_exits_holding_a_lock() {
    for panics in [false, true] {
        let rt = Runtime::new();
        let leaked = Arc::new(Lock::new());
        let guarded = Arc::new(Lock::new());
        let (tx, rx) = mpsc::channel();
        {
            let (leaked, guarded) = (Arc::clone(&leaked), Arc::clone(&guarded));
            rt.set_excepthook(move |_| tx.send((leaked.locked(), guarded.locked())).unwrap());
        }
        let owner = {
            let (leaked, guarded) = (Arc::clone(&leaked), Arc::clone(&guarded));
            rt.thread(move |_| {
                leaked.acquire().leak();
                let _g = guarded.acquire();
                if panics {
                    quiet_panic_with("owner");
                }
            })
        };
        owner.start().unwrap();
        let result = join_within(&owner);
        if panics {
            assert_eq!(result, Err(JoinError::Panicked("owner".to_owned())));
            assert_eq!(
                recv(&rx),
                (true, false),
                "(leaked, guarded) locked in the hook"
            );
        } else {
            assert_eq!(result, Ok(()));
        }
        assert!(leaked.locked());
        assert!(!guarded.locked());

        let gil = rt.gil().acquire();
        let ran = Arc::new(Event::new());
        let witness = {
            let ran = Arc::clone(&ran);
            rt.thread(move |_| ran.set())
        };
        witness.start().unwrap();
        let deadline = Instant::now() + PATIENCE;
        while !ran.is_set() {
            assert_eq!(
                leaked.acquire_timeout(SHORT).err(),
                Some(AcquireError::TimedOut)
            );
            assert!(rt.gil().is_held_by_current_thread());
            assert!(Instant::now() < deadline, "the GIL was never released");
        }
        leaked.release().expect("any thread may release a Lock");
        let again = leaked.acquire_timeout(PATIENCE).expect("free again");
        drop(again);
        drop(gil);
        assert_eq!(join_within(&witness), Ok(()));
        shutdown_within(rt);
    }
}

/// A target takes an `RLock` twice without guards and ends (returning, or panicking): as in
/// Python it stays owned by the dead thread — the main thread's timed acquire times out and
/// its `release` is `NotOwner` — and the runtime still shuts down.
#[test]
fn a_thread_that_exits_holding_an_rlock() {
    for panics in [false, true] {
        let rt = Runtime::new();
        silence(&rt);
        let lock = Arc::new(RLock::new());
        let owner = {
            let lock = Arc::clone(&lock);
            rt.thread(move |_| {
                lock.acquire().leak();
                lock.acquire().leak();
                if panics {
                    quiet_panic_with("owner");
                }
            })
        };
        owner.start().unwrap();
        assert_eq!(join_within(&owner).is_err(), panics);
        let gil = rt.gil().acquire();
        assert_eq!(
            lock.acquire_timeout(SHORT).err(),
            Some(AcquireError::TimedOut)
        );
        assert!(rt.gil().is_held_by_current_thread());
        assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
        assert!(lock.locked());
        assert!(!lock.is_owned());
        drop(gil);
        // Another runtime thread sees the same.
        let (tx, rx) = mpsc::channel();
        let l = Arc::clone(&lock);
        let other = rt.thread(move |_| {
            tx.send((l.acquire_timeout(SHORT).err(), l.release()))
                .unwrap();
        });
        other.start().unwrap();
        assert_eq!(
            recv(&rx),
            (Some(AcquireError::TimedOut), Err(ReleaseError::NotOwner))
        );
        assert_eq!(join_within(&other), Ok(()));
        shutdown_within(rt);
    }
}
