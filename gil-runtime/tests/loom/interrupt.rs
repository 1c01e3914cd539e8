//! Interrupts racing a join (issue 16): `join` waits for `done` (`src/done.rs`) inside
//! gil-core's `signal::interruptible`, and an interrupt of the joining thread ends the
//! wait with `JoinError::Interrupted` unless the thread's end won the race.
//!
//! Three threads: the main thread joins a runtime thread while a third interrupts the main
//! thread (its runtime `interrupter`, made on it when the runtime was built).
//!
//! Both run in about a second at `LOOM_MAX_PREEMPTIONS=2`, 16 s at 3.
//!
//! Checked on 2026-12-03 against injected bugs (edit, run, see the failure, revert):
//!
//! - `wait_done` in `src/thread.rs` taking the interrupt before looking at `done` (`if let
//!   Some(i) = signal::take_interrupt() && !self.0.done.is_set()`): when the thread's end
//!   wins, the interrupt is taken and dropped. `an_interrupt_racing_the_end_of_a_joined_thread`
//!   fails: `join` returned `Ok` and no interrupt is pending.
//! - `Done::wait` in `src/done.rs` running its park loop outside `signal::interruptible`:
//!   the raiser never unparks the joiner. `an_interrupt_wakes_the_join_of_a_blocked_thread`
//!   fails: loom reports the deadlock (every thread blocked).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use gil_core::{Interrupt, signal};
use gil_runtime::{JoinError, Runtime};
use gil_sync::Event;
use gil_test_support::loom::model_bounded;

/// The main thread joins a thread that ends on its own while a third thread interrupts the
/// main thread. Whatever the order: `join` returns `Ok` (the end won) or `Interrupted`; the
/// interrupt is reported exactly once — by `join`, or left pending for the next `check()`;
/// and the thread is joinable afterwards. Catches: an interrupt lost when the thread's end
/// wins, a join that never wakes, an interrupted join that leaves the thread unjoinable.
#[test]
fn an_interrupt_racing_the_end_of_a_joined_thread() {
    model_bounded(2, || {
        let rt = Runtime::new();
        let interrupter = rt.main_thread().interrupter().unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let t = rt.thread({
            let ran = ran.clone();
            move |_| {
                ran.fetch_add(1, SeqCst);
            }
        });
        t.start().unwrap();
        let raiser = loom::thread::spawn(move || interrupter.interrupt().unwrap());
        let joined = t.join();
        raiser.join().unwrap();
        let pending = signal::take_interrupt();
        match joined {
            Ok(()) => {
                assert_eq!(ran.load(SeqCst), 1, "join returned before the run");
                assert_eq!(
                    pending,
                    Some(Interrupt::Requested),
                    "the interrupt was lost"
                );
            }
            Err(JoinError::Interrupted(Interrupt::Requested)) => {
                assert_eq!(pending, None, "the interrupt was reported twice");
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        t.join().unwrap();
        assert_eq!(ran.load(SeqCst), 1);
        assert!(!t.is_alive());
    });
}

/// The main thread joins a thread that only ends once the main thread has returned from
/// that join: the join can only end by the interrupt, which must wake it wherever it lands
/// (before the join, while it registers, while it parks). Catches: a park loop the raiser
/// cannot unpark, or that does not poll before parking (a lost wake-up: loom reports the
/// deadlock).
#[test]
fn an_interrupt_wakes_the_join_of_a_blocked_thread() {
    model_bounded(2, || {
        let rt = Runtime::new();
        let interrupter = rt.main_thread().interrupter().unwrap();
        let gate = Arc::new(Event::new());
        let t = rt.thread({
            let gate = gate.clone();
            move |_| {
                assert!(gate.wait());
            }
        });
        t.start().unwrap();
        let raiser = loom::thread::spawn(move || interrupter.interrupt().unwrap());
        assert_eq!(t.join(), Err(JoinError::Interrupted(Interrupt::Requested)));
        assert!(t.is_alive(), "an interrupted join changes nothing");
        gate.set();
        t.join().unwrap();
        raiser.join().unwrap();
        assert_eq!(signal::take_interrupt(), None, "taken by the join");
    });
}
