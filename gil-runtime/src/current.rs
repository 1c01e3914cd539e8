//! The calling thread's "current thread" records: which [`Thread`] it is in each runtime it
//! is known to (Python's `threading._active[get_ident()]`), for `Handle::current_thread`.
//!
//! # Implementation details
//!
//! A thread-local list of records, searched by runtime. A runtime thread adds its record
//! when it starts and removes it when it ends; a runtime's creating thread adds the main
//! thread's record, removed when the runtime is dropped on that same thread; a foreign
//! thread adds a dummy's record on its first `current_thread`, removed (and the dummy taken
//! out of its registry) when the thread ends.
//!
//! A record refers to its runtime weakly, and a record whose runtime is gone is dead:
//! [`set`] prunes dead records once the list has doubled since the last pruning (amortized
//! O(1)), so a list holds at most about twice the records live at the thread's last `set`,
//! however many runtimes the thread ever knew. Issue 13, bug 3: a runtime dropped on another
//! thread than the one that created it (or a short-lived runtime a long-lived foreign
//! thread asked for its dummy) left its record behind for good, and `current_thread` on
//! that thread scanned all of them. (A dead record cannot be mistaken for a new runtime's:
//! its weak reference keeps the old runtime's allocation, so no new runtime gets its
//! address while it exists.)

use std::cell::RefCell;

use crate::loom::sync::{Arc, Weak};
use crate::loom::thread_local;
use crate::registry::{Kind, Shared, Thread};

/// The list length below which `set` never prunes.
const MIN_PRUNE_AT: usize = 8;

/// One record: which thread the calling thread is in which runtime.
struct Current {
    runtime: Weak<Shared>,
    thread: Thread,
}

impl Current {
    fn is_of(&self, shared: &Arc<Shared>) -> bool {
        std::ptr::eq(self.runtime.as_ptr(), Arc::as_ptr(shared))
    }
}

/// The calling thread's records.
struct Records {
    list: Vec<Current>,
    /// `set` prunes dead records when `list` reaches this length.
    prune_at: usize,
}

impl Drop for Records {
    /// A dummy thread leaves its registry when the OS thread ends (Python 3.13, gh-114423).
    fn drop(&mut self) {
        for current in self.list.drain(..) {
            if current.thread.0.kind == Kind::Dummy
                && let Some(shared) = current.runtime.upgrade()
            {
                let removed = shared.registry.lock().remove(&current.thread);
                drop(removed);
                current.thread.stop();
            }
        }
    }
}

#[cfg(not(loom))]
thread_local! {
    static CURRENT: RefCell<Records> = const {
        RefCell::new(Records { list: Vec::new(), prune_at: MIN_PRUNE_AT })
    };
}

// loom's `thread_local!` has no const form.
#[cfg(loom)]
thread_local! {
    static CURRENT: RefCell<Records> =
        RefCell::new(Records { list: Vec::new(), prune_at: MIN_PRUNE_AT });
}

/// Records `thread` as the calling thread's thread in `shared`; `false` when the calling
/// thread's records are already gone (a thread-local destructor at thread exit).
pub(crate) fn set(shared: &Arc<Shared>, thread: &Thread) -> bool {
    CURRENT
        .try_with(|c| {
            let mut records = c.borrow_mut();
            let mut dead = Vec::new();
            if records.list.len() >= records.prune_at {
                let (live, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut records.list)
                    .into_iter()
                    .partition(|cur| cur.runtime.strong_count() > 0);
                records.list = live;
                records.prune_at = (2 * records.list.len()).max(MIN_PRUNE_AT);
                dead = gone;
            }
            records.list.push(Current {
                runtime: Arc::downgrade(shared),
                thread: thread.clone(),
            });
            drop(records);
            // Thread records are dropped outside the borrow.
            drop(dead);
        })
        .is_ok()
}

/// Removes the calling thread's record in `shared`, if any.
pub(crate) fn clear(shared: &Arc<Shared>) {
    let removed = CURRENT.try_with(|c| {
        let mut records = c.borrow_mut();
        let at = records.list.iter().position(|cur| cur.is_of(shared))?;
        Some(records.list.swap_remove(at))
    });
    drop(removed);
}

/// The calling thread's thread in `shared` (`Handle::current_thread`): the one it has a
/// record of, or a new dummy thread, recorded and listed in the registry — unless the
/// calling thread's records are gone (a thread-local destructor at thread exit), as
/// nothing would take it off the list when the thread ends.
pub(crate) fn thread(shared: &Arc<Shared>) -> Thread {
    if let Some(thread) = find(shared) {
        return thread;
    }
    let thread = Thread::new(
        Kind::Dummy,
        Arc::downgrade(shared),
        shared.next_name("Dummy"),
        true,
        None,
        None,
    );
    let recorded = set(shared, &thread);
    // No interrupter: one made here could not be made in a thread-local destructor (see
    // "Dummy threads" on `Thread::interrupt`).
    thread.adopt_current(None);
    if recorded {
        shared.registry.lock().threads.push(thread.clone());
    }
    thread
}

/// The calling thread's thread in `shared`, if it has a record there.
fn find(shared: &Arc<Shared>) -> Option<Thread> {
    CURRENT
        .try_with(|c| {
            c.borrow()
                .list
                .iter()
                .find(|cur| cur.is_of(shared))
                .map(|cur| cur.thread.clone())
        })
        .ok()
        .flatten()
}

/// How many records the calling thread keeps (test probe).
pub(crate) fn records() -> usize {
    CURRENT.try_with(|c| c.borrow().list.len()).unwrap_or(0)
}
