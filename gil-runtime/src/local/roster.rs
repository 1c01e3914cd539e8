//! The per-thread side of [`Local`](crate::Local): a thread's *roster*, the `Local`s that
//! hold a value for this thread, so that the thread's end drops them. (Named so as not to
//! be confused with the runtime's registry of live threads.)
//!
//! # Implementation details
//!
//! A thread that stores its first value in some `Local` gets a [`Roster`] (a thread-local,
//! created on first use): the ids of the `Local`s with an entry for this thread, each with a
//! weak reference to that `Local`'s table. The thread's end drops its values through it
//! ([`drop_thread_values`] on a runtime thread, then the thread-local's destructor).
//!
//! Each table entry keeps a weak reference back to its thread's roster, and a dropped
//! `Local` removes its id from the roster of every thread it had an entry for. So a
//! roster lists live `Local`s only, and a table lists live threads only (a thread's end
//! removes its entries): both are bounded by what is alive, not by history (issue 13, bug
//! 2: a dropped `Local` used to leave a clean-up closure on every thread that had set it,
//! until that thread ended).
//!
//! Locks: a roster's mutex and a table's mutex are never held together, and neither is
//! held while user code (a value's `Drop`) runs.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use gil_core::ident;
use gil_sync::__panic_payload::{drop_payload, panic_message};

use crate::loom::sync::{Arc, Mutex, Weak};
use crate::loom::thread_local;

/// A `Local`'s table, seen from a thread's roster (which does not know `T`).
pub(crate) trait ThreadValues: Send + Sync {
    /// Removes `thread`'s entry and drops its value, after unlocking the table.
    fn drop_value_of(&self, thread: u64);
}

/// One thread's registrations: `Local` id → that `Local`'s table.
pub(crate) struct Roster {
    /// The thread's identity, which the tables key their entries by.
    thread: u64,
    locals: Mutex<HashMap<u64, Weak<dyn ThreadValues>>>,
}

/// The thread-local owner of a thread's roster: drops the thread's remaining values when
/// the thread's storage is destroyed.
struct Owner {
    roster: Arc<Roster>,
    /// Whether the roster may list a `Local`: set when the thread adds an entry
    /// ([`for_entry`]), cleared when it takes them all ([`drop_thread_values`]). Only the
    /// owning thread adds entries, so an unset flag means an empty roster, and the
    /// destructor need not lock it.
    ///
    /// That matters under loom, which runs a thread's thread-local destructors in the
    /// order of a `HashMap` (a new random one each run): a model is only deterministic if
    /// at most one of them does a loom operation, and gil-core's signal word (every
    /// runtime thread has one, for its interrupter) always does.
    listed: Cell<bool>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        // One round: from here on `current()` is `None`, so a `Drop` that sets a value
        // again drops it at once instead of registering it.
        if self.listed.get() {
            self.roster.drop_values();
        }
    }
}

thread_local! {
    static ROSTER: Owner = Owner {
        roster: Arc::new(Roster {
            thread: ident::current(),
            locals: Mutex::new(HashMap::new()),
        }),
        listed: Cell::new(false),
    };
}

/// The calling thread's roster; `None` once the thread's storage has been destroyed (a
/// thread-local destructor running after it).
pub(crate) fn current() -> Option<Arc<Roster>> {
    ROSTER.try_with(|owner| Arc::clone(&owner.roster)).ok()
}

/// [`current`], for a new entry: the roster's destructor (or [`drop_thread_values`]) will
/// look at it.
pub(crate) fn for_entry() -> Option<Arc<Roster>> {
    ROSTER
        .try_with(|owner| {
            owner.listed.set(true);
            Arc::clone(&owner.roster)
        })
        .ok()
}

impl Roster {
    /// Records that `table` (of the `Local` numbered `local`) has an entry for this thread.
    pub(crate) fn add(&self, local: u64, table: Weak<dyn ThreadValues>) {
        let old = self.locals.lock().insert(local, table);
        debug_assert!(old.is_none(), "a Local registers once per thread");
    }

    /// Forgets the `Local` numbered `local` (it is being dropped).
    pub(crate) fn remove(&self, local: u64) {
        let old = self.locals.lock().remove(&local);
        drop(old);
    }

    /// Drops this thread's value of every registered `Local`, each in its own catch (a
    /// value's `Drop` may set new ones meanwhile).
    fn drop_values(&self) {
        let taken = std::mem::take(&mut *self.locals.lock());
        for table in taken.into_values() {
            if let Some(table) = table.upgrade() {
                catching(|| table.drop_value_of(self.thread));
            }
        }
    }
}

/// Drops the calling thread's values of every `Local` now, as Python does when a thread
/// ends, rather than in the thread-local destructors that run after the thread's last
/// code. A `Drop` that sets a value again gets a few more rounds; what is left after them
/// goes to the destructor.
pub(crate) fn drop_thread_values() {
    for _ in 0..8 {
        // Cleared before the round: a `Drop` in it that sets a value sets it again.
        let listed = ROSTER.try_with(|owner| {
            owner
                .listed
                .replace(false)
                .then(|| Arc::clone(&owner.roster))
        });
        let Ok(Some(roster)) = listed else {
            return;
        };
        roster.drop_values();
    }
}

/// How many `Local`s the calling thread's roster lists (test probe).
pub(crate) fn registrations() -> usize {
    current().map_or(0, |roster| roster.locals.lock().len())
}

/// Runs `f` (a value's `Drop`: user code), reporting a panic on stderr instead of
/// unwinding (Python prints "Exception ignored in ..." for a failing `__del__`). Nothing may
/// unwind out of the callers: they also run as thread-local destructors, where unwinding
/// aborts, and one failing value must not keep the others alive.
pub(crate) fn catching(f: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        let message = panic_message(payload.as_ref());
        drop_payload(payload);
        let _ = writeln!(
            std::io::stderr().lock(),
            "Exception ignored while dropping a gil_runtime::Local value:\n{message}"
        );
    }
}
