//! Switching a GIL's mode at run time (`Gil::set_mode`), as CPython 3.13t re-enables its GIL
//! when an extension that needs it is imported.
//!
//! # Why a switch is only a change of lock
//!
//! Both modes keep a hold the same way (`free_threaded.rs`): guards, level (counted in
//! `allow_threads` frames) and sequence; a suspended hold lives on its frame's stack and is
//! taken back in whatever mode the GIL is in by then ([`take`]). So a switch converts no
//! thread's state: it only has to make sure that no thread has a *current* hold in the old
//! mode when the mode changes, and that every hold taken after is taken in the new one.
//!
//! # Free-threaded → enabled: stop the world
//!
//! 1. The switcher gives up its own hold (if it has one) and takes the switch lock.
//! 2. It raises `switching` (`SeqCst`) and `STOP_BIT` in the eval breaker.
//! 3. Each attached thread, at its next `check()`, gives up its hold, detaches and waits for
//!    the switch to end ([`stop_here`]); a thread that calls `allow_threads` detaches there.
//!    A thread that attaches meanwhile (a fresh acquire, the end of an `allow_threads`) first
//!    says so in its record (`SeqCst`), then reads `switching`: it either sees the switch and
//!    backs off (detaches, waits, takes its hold in the new mode), or the switcher's scan sees
//!    it attached and waits for it (the Dekker pattern: both stores precede both loads in the
//!    `SeqCst` order).
//! 4. When no record says attached, the switcher also takes the enabled lock (a stale hold,
//!    below, may have it), clears `STOP_BIT`, sets the mode, releases the lock, clears
//!    `switching` and wakes everyone: each stopped thread (and the switcher) takes its hold
//!    back through the enabled GIL's queue. So the mode never changes under a thread that
//!    holds the GIL without having passed a `check()` or a release.
//!
//! # Enabled → free-threaded: take the lock
//!
//! Only the holder of an enabled GIL runs GIL code, so the switcher acquires the GIL (an
//! urgent request: the holder lends it at its next `check()`, instead of the switcher
//! waiting a whole round of turns behind the queue), sets the mode and releases it. Threads queued for the enabled lock then get it one after
//! another; each sees the new mode right after taking it ([`settle`], ordered by the lock)
//! and passes it on at once, taking its hold free-threaded instead.
//!
//! # Stale holds
//!
//! A thread that took the enabled lock after waiting settles right away (`took_after_wait`
//! calls [`settle`]). One that took it uncontended does not: reading the mode after the CAS
//! would wait for the CAS and cost more than the rest of the acquisition. It may then hold
//! the enabled lock of a GIL that has just become free-threaded — a *stale* hold, which
//! excludes no free-threaded thread (they never take that lock) and protects no cell (a
//! borrow follows the mode: a per-cell lock). Every operation on the thread's hold goes to
//! `hold.rs` while it owns the enabled lock (`guard.rs`, `enabled_side`): its next
//! `check()` settles it, `allow_threads` releases it (the frame's end takes the hold back
//! free-threaded), and its last guard releases the lock. A switch back to enabled waits for
//! that lock too, so the stale hold ends (settled at a `check()`, or released) before the
//! mode changes.
//!
//! # The rule it relies on
//!
//! No `GilCell` borrow is alive across a switch: a thread with a borrow does not stop in
//! `check()` (it stops at a later one) and cannot detach (`allow_threads` panics), and the
//! switcher asserts it has none. So every borrow ends under the protocol it began with.

use crate::cell::outstanding;
use crate::gil::{free_threaded, hold};
use crate::loom::sync::{Arc, MutexGuard};
use crate::policy::Mode;
use crate::raw::{Hold, Progress, RawGil, STOP_BIT};

/// `Gil::set_mode`: see the module docs.
pub(crate) fn set_mode(raw: &Arc<RawGil>, mode: Mode) {
    crate::cell::assert_may_block();
    let mine = give_up_current(raw);
    let mut progress = lock_idle(raw);
    if raw.mode() != mode {
        progress.active = true;
        raw.switch.set_switching(true);
        if mode == Mode::Enabled {
            raw.set_stop(true);
            while raw.any_attached() {
                progress = raw.switch.wait(progress);
            }
        }
        // Both directions take the enabled lock: to make the GIL free-threaded, because only
        // its holder runs GIL code; to enable it, because a stale enabled hold may remain
        // (see "Stale holds"; its holder settles at its next `check()`, `STOP_BIT` still up,
        // or releases). So the mode never changes under a thread that holds the GIL. Not
        // with the switch lock held, which threads take only to see whether a switch runs;
        // `active` keeps other switchers out meanwhile.
        drop(progress);
        let level = hold::acquire_for_switch(raw);
        raw.set_stop(false);
        raw.switch.set_mode(mode);
        hold::release(raw, level);
        progress = raw.switch.lock();
        raw.count_mode_switch();
        progress.active = false;
        raw.switch.set_switching(false);
        raw.switch.notify();
    }
    drop(progress);
    if let Some(hold) = mine {
        take(raw, hold);
    }
}

/// Gives up the calling thread's current hold of `raw` in the mode it is in, if it has one.
fn give_up_current(raw: &Arc<RawGil>) -> Option<Hold> {
    hold::give_up(raw).or_else(|| free_threaded::give_up(raw))
}

/// Takes a given-up `hold` back in whatever mode the GIL is in (waiting for a switch that
/// runs to end first): the end of an `allow_threads` frame, a stop, a conversion.
pub(crate) fn take(raw: &Arc<RawGil>, hold: Hold) {
    loop {
        match raw.mode() {
            Mode::Enabled => {
                hold::take(raw, hold);
                return;
            }
            Mode::FreeThreaded => {
                if free_threaded::try_take(raw, hold) {
                    return;
                }
                wait_end(raw);
            }
        }
    }
}

/// Called right after the calling thread took the enabled lock: if the GIL has been switched
/// to free-threaded meanwhile, passes the lock on and takes the hold free-threaded.
#[inline]
pub(crate) fn settle(raw: &Arc<RawGil>) {
    if raw.mode() == Mode::FreeThreaded {
        settle_slow(raw);
    }
}

#[cold]
#[inline(never)]
fn settle_slow(raw: &Arc<RawGil>) {
    if let Some(hold) = hold::give_up(raw) {
        take(raw, hold);
    }
}

/// `check()` of a free-threaded GIL whose breaker is set: stops for a switch if one asks and
/// this thread holds no cell borrow. Returns whether it stopped.
pub(crate) fn stop_here(raw: &Arc<RawGil>) -> bool {
    if raw.breaker() & STOP_BIT == 0 || outstanding() > 0 {
        return false;
    }
    let Some(hold) = free_threaded::give_up(raw) else {
        return false;
    };
    wait_end(raw);
    take(raw, hold);
    true
}

/// Waits until no switch runs.
fn wait_end(raw: &RawGil) {
    drop(lock_idle(raw));
}

/// The switch lock, once no switch runs.
fn lock_idle(raw: &RawGil) -> MutexGuard<'_, Progress> {
    let mut progress = raw.switch.lock();
    while progress.active {
        progress = raw.switch.wait(progress);
    }
    progress
}
