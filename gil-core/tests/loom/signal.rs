//! The signal hint (`signal/pending.rs`, "The hint"): a thread taking its own interrupt
//! settles the GIL's `SIGNAL_BIT` while another thread raises an interrupt on a third
//! thread through the same GIL; the third thread's `check()` must still see its interrupt.
//!
//! Checked against an injected bug: without the clearer's re-read of the count after its
//! `SeqCst` fence (`GilSignals::settle_hint`), loom finds the schedule where the bit is
//! cleared after the raiser set it, and the last `check()` returns `Ok(Kept)`.

use gil_core::{Interrupt, Turn, signal};

use crate::support::{POLICIES, gil};

#[test]
fn taking_an_interrupt_never_hides_another() {
    for policy in POLICIES {
        loom::model(move || {
            let gil = gil(policy);
            let mine = gil.interrupter();
            let other = {
                let gil = gil.clone();
                loom::thread::spawn(move || {
                    gil.interrupter().interrupt().unwrap();
                    let mut guard = gil.acquire();
                    assert_eq!(guard.check(), Err(Interrupt::Requested));
                })
            };
            let raiser = loom::thread::spawn(move || mine.interrupt().unwrap());
            raiser.join().unwrap();
            other.join().unwrap();
            let mut guard = gil.acquire();
            assert_eq!(
                guard.check(),
                Err(Interrupt::Requested),
                "the hint was lost"
            );
            assert_eq!(guard.check(), Ok(Turn::Kept));
        });
    }
}

/// The same bug also makes this model fail (the raise is never reported).
#[test]
fn a_raise_racing_the_targets_check_is_seen_by_one_check() {
    loom::model(|| {
        let gil = gil(gil_core::Policy::Fair);
        let mine = gil.interrupter();
        let mut guard = gil.acquire();
        let raiser = loom::thread::spawn(move || mine.interrupt().unwrap());
        let first = guard.check();
        raiser.join().unwrap();
        let second = guard.check();
        // Exactly one of the two reports it: never lost, never twice.
        assert_eq!(
            [first, second]
                .iter()
                .filter(|c| **c == Err(Interrupt::Requested))
                .count(),
            1,
            "{first:?} {second:?}"
        );
    });
}

/// An interruptible park loop (`signal::interruptible`) racing a raise: the raise always
/// wakes it (no lost wake-up: loom reports a deadlock otherwise), whichever comes first.
///
/// Checked against an injected bug: a raiser that never unparks (loom finds the deadlock).
/// The other half of the protocol, that a late unpark never lands after the thread left
/// the loop (`UNPARKING`), loom could not show: removing that wait still passed here, as
/// loom treats an unpark of a thread blocked in a join as a spurious wake; it rests on the
/// argument in `signal/thread.rs` and on std's park tolerating stray unparks.
#[test]
fn a_raise_wakes_an_interruptible_park_and_only_it() {
    loom::model(|| {
        let gil = gil(gil_core::Policy::Fair);
        let mine = gil.interrupter();
        let raiser = loom::thread::spawn(move || mine.interrupt().unwrap());
        signal::interruptible(|| {
            while !signal::poll() {
                loom::thread::park();
            }
        });
        raiser.join().unwrap();
        assert_eq!(signal::take_interrupt(), Some(Interrupt::Requested));
    });
}
