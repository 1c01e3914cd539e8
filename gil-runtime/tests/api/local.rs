//! `Local`: per-thread isolation, `with_init` per thread, drop at thread end and with the
//! local.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use gil_core::Gil;
use gil_runtime::__probe::local_registrations;
use gil_runtime::{Local, Runtime};
use gil_sync::Event;
use gil_test_support::{PATIENCE, join, spawn, within};

use crate::support::Counted;

#[test]
fn values_do_not_leak_across_threads() {
    let local = Arc::new(Local::new());
    local.set(1u32);
    let l = local.clone();
    thread::scope(|s| {
        s.spawn(move || {
            assert_eq!(l.get(), None);
            l.set(2);
            assert_eq!(l.get(), Some(2));
        });
    });
    assert_eq!(local.get(), Some(1));
}

#[test]
fn init_runs_once_per_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let local = Arc::new(Local::with_init(move || c.fetch_add(1, SeqCst)));
    assert_eq!(local.get(), Some(0));
    assert_eq!(local.get(), Some(0));
    let l = local.clone();
    thread::scope(|s| {
        s.spawn(move || assert_eq!(l.get(), Some(1)));
    });
    assert_eq!(calls.load(SeqCst), 2);
}

#[test]
fn value_dropped_when_its_thread_ends() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    let (l, d) = (local.clone(), drops.clone());
    thread::Builder::new()
        .spawn(move || {
            l.set(Counted(d));
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the thread's value outlived the thread"
    );
    assert_eq!(format!("{local:?}"), "Local { threads: 0, .. }");
}

#[test]
fn values_dropped_with_the_local() {
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Local::new();
    local.set(Counted(drops.clone()));
    drop(local);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn set_take_cycles_keep_one_cleanup() {
    let local = Local::new();
    for i in 0..10_000 {
        assert_eq!(local.set(i), None);
        assert_eq!(local.take(), Some(i));
    }
    assert_eq!(local.take(), None);
    assert_eq!(
        local_registrations(),
        1,
        "one registration, however many sets"
    );
}

#[test]
fn runtime_threads_have_their_own_values() {
    let rt = Runtime::new();
    let local = Arc::new(Local::new());
    local.set("main");
    let l = local.clone();
    let t = rt.thread(move |_| {
        assert_eq!(l.get(), None);
        l.set("worker");
    });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(local.get(), Some("main"));
}

#[test]
fn runtime_thread_values_are_dropped_before_join_returns() {
    let rt = Runtime::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let local = Arc::new(Local::new());
    for round in 1..=50 {
        let (l, d) = (local.clone(), drops.clone());
        let t = rt.thread(move |_| {
            l.set(Counted(d));
        });
        t.start().unwrap();
        t.join().unwrap();
        // Python clears a thread's locals before its join returns; the OS thread's own
        // destructors may run later, so this fails if only they drop the value.
        assert_eq!(
            drops.load(SeqCst),
            round,
            "join returned before the value dropped"
        );
    }
    assert_eq!(format!("{local:?}"), "Local { threads: 0, .. }");
}

/// Panics when dropped.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("drop failed");
    }
}

#[test]
fn a_value_whose_drop_panics_does_not_stop_the_others_or_the_thread() {
    let rt = Runtime::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(Local::new());
    let good = Arc::new(Local::new());
    let (b, g, d) = (bad.clone(), good.clone(), drops.clone());
    let t = rt.thread(move |_| {
        b.set(PanicsOnDrop);
        g.set(Counted(d));
    });
    t.start().unwrap();
    t.join().unwrap();
    assert_eq!(drops.load(SeqCst), 1);
    assert!(!t.is_alive());
    assert_eq!(rt.active_count(), 1);
    let _gil = rt.gil().acquire(); // not left held
}

/// Releases the calling thread's GIL for 100 ms (an event nobody sets): what any gil-sync
/// wait, `check()` or `allow_threads` inside user code does.
fn release_the_gil_for_a_while() {
    assert!(!Event::new().wait_timeout(Duration::from_millis(100)));
}

/// Thread A takes a GIL and runs `in_a` on a `Local`; `in_a` sets its event once it is
/// inside user code that is about to release the GIL. Thread B then waits 20 ms, takes the
/// GIL — while A's user code has it released — and runs `in_b` on the same `Local`: the
/// step that deadlocked when `Local` ran user code under its internal mutex (B blocked on
/// the mutex holding the GIL; A could never take the GIL back). Returns A's result.
fn gil_threads_share_a_local<T, R>(
    what: &str,
    in_a: impl FnOnce(&Local<T>, Arc<Event>) -> R + Send + 'static,
    in_b: impl FnOnce(&Local<T>) + Send + 'static,
) -> R
where
    T: Send + 'static,
    R: Send + 'static,
{
    within(what, move || {
        let gil = Gil::new();
        let local = Arc::new(Local::new());
        let inside = Arc::new(Event::new());
        let (g, l, i) = (gil.clone(), local.clone(), inside.clone());
        let thread_a = spawn("A", move || {
            let _guard = g.acquire();
            in_a(&l, i)
        });
        assert!(
            inside.wait_timeout(PATIENCE),
            "A never reached its user code"
        );
        thread::sleep(Duration::from_millis(20));
        {
            let _guard = gil.acquire();
            in_b(&local);
        }
        join(thread_a)
    })
}

/// Issue 13, bug 1, in its minimal form: thread A holds the GIL and, inside `with`, waits on
/// an event (releasing the GIL); thread B takes the GIL and uses the same `Local`.
#[test]
fn with_that_releases_the_gil_does_not_block_another_gil_thread() {
    let a_saw = gil_threads_share_a_local(
        "issue 13 bug 1 (with)",
        |l: &Local<u32>, inside| {
            l.set(1);
            l.with(|value| {
                inside.set();
                release_the_gil_for_a_while();
                *value.expect("set above") += 1;
            });
            l.get()
        },
        |l| {
            assert_eq!(l.get(), None, "B's own value");
            l.set(7);
            assert_eq!(l.get(), Some(7));
        },
    );
    assert_eq!(a_saw, Some(2));
}

/// A value whose `clone` releases the GIL (and says so through its event).
#[derive(Debug)]
struct CloneReleasesGil(Arc<Event>);

impl Clone for CloneReleasesGil {
    fn clone(&self) -> Self {
        self.0.set();
        release_the_gil_for_a_while();
        Self(self.0.clone())
    }
}

/// Issue 13, bug 1, through `get`: `T::clone` used to run under the `Local`'s mutex too.
#[test]
fn get_whose_clone_releases_the_gil_does_not_block_another_gil_thread() {
    let cloned = gil_threads_share_a_local(
        "issue 13 bug 1 (get)",
        |l, inside| {
            l.set(CloneReleasesGil(inside));
            l.get().is_some()
        },
        |l| assert!(l.take().is_none(), "B has no value"),
    );
    assert!(cloned);
}

/// One use of a `Local` from inside its own `with`.
type NestedUse = fn(&Local<u32>);

/// A closure that uses the same `Local` on the same thread gets a panic (the value is
/// mutably borrowed), never a deadlock, and the value survives the panic.
#[test]
fn nested_use_on_the_same_thread_panics_instead_of_deadlocking() {
    within("nested use", || {
        let local = Local::with_init(|| 1u32);
        let nested: [(&str, NestedUse); 4] = [
            ("with", |l| l.with(|_| ())),
            ("get", |l| {
                let _ = l.get();
            }),
            ("set", |l| {
                let _ = l.set(9);
            }),
            ("take", |l| {
                let _ = l.take();
            }),
        ];
        for (name, use_again) in nested {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                local.with(|value| {
                    *value.expect("with_init") += 1;
                    use_again(&local);
                });
            }));
            assert!(outcome.is_err(), "a nested `{name}` did not panic");
        }
        assert_eq!(local.get(), Some(5), "each outer closure's change was kept");
        // Nothing is left borrowed.
        local.set(0);
        assert_eq!(local.take(), Some(0));
    });
}

/// `try_with` from inside `with` of the same `Local` is an error (its closure does not run);
/// another `Local` and another thread are unaffected.
#[test]
fn try_with_inside_with_is_a_borrow_error() {
    let local = Arc::new(Local::with_init(|| 1u32));
    let other = Local::new();
    let ran = AtomicUsize::new(0);
    let nested = local.with(|_| {
        other.set(2u8);
        let l = local.clone();
        let elsewhere = join(spawn("other thread", move || l.get()));
        (local.try_with(|_| ran.fetch_add(1, SeqCst)), elsewhere)
    });
    let (err, elsewhere) = (nested.0.unwrap_err(), nested.1);
    assert_eq!(
        err.to_string(),
        "the Local's value is already in use by a `with` closure on this thread"
    );
    assert_eq!(ran.load(SeqCst), 0, "the nested closure did not run");
    assert_eq!(elsewhere, Some(1), "another thread gets its own value");
    assert_eq!(other.get(), Some(2));
    assert_eq!(local.try_with(|v| v.as_deref().copied()), Ok(Some(1)));
}

/// A `Local` whose `with_init` function sets the value itself.
type SelfSetting = Local<(u32, Counted)>;

/// A `with_init` function that sets the value itself: that value wins over the one it
/// returns (which is dropped), and `init` runs without any lock held.
#[test]
fn init_that_sets_the_value_itself_keeps_that_value() {
    let drops = Arc::new(AtomicUsize::new(0));
    let slot: Arc<OnceLock<Weak<SelfSetting>>> = Arc::default();
    let (s, d) = (slot.clone(), drops.clone());
    let local = Arc::new(Local::with_init(move || {
        let local = s
            .get()
            .and_then(std::sync::Weak::upgrade)
            .expect("set below");
        local.set((7, Counted(d.clone())));
        (1, Counted(d.clone()))
    }));
    assert!(slot.set(Arc::downgrade(&local)).is_ok(), "set once");
    assert_eq!(local.with(|v| v.map(|v| v.0)), Some(7));
    assert_eq!(drops.load(SeqCst), 1, "init's own value was dropped");
}

/// Panics when dropped if armed.
struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 {
            std::panic::resume_unwind(Box::new("bomb")); // no panic hook output
        }
    }
}

/// A `with_init` function that sets the value itself and returns a value whose `Drop`
/// panics: the panic reaches the caller, and the value it set is not left lent (a later
/// `with` gets it, rather than a `BorrowError` for good).
#[test]
fn a_panicking_drop_of_inits_own_value_leaves_nothing_lent() {
    let slot: Arc<OnceLock<Weak<Local<Bomb>>>> = Arc::default();
    let s = slot.clone();
    let local = Arc::new(Local::with_init(move || {
        let local = s.get().and_then(Weak::upgrade).expect("set below");
        local.set(Bomb(false));
        Bomb(true)
    }));
    assert!(slot.set(Arc::downgrade(&local)).is_ok(), "set once");
    assert!(catch_unwind(AssertUnwindSafe(|| local.with(|_| ()))).is_err());
    assert_eq!(local.try_with(|v| v.map(|b| b.0)), Ok(Some(false)));
}
