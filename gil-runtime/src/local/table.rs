//! The per-`Local` side of [`Local`](crate::Local): its table of values by thread identity,
//! and the lending of a value to a `with` closure.
//!
//! # Implementation details
//!
//! A table entry is `Vacant`, `Present(Box<T>)` or `Borrowed`. `with` *lends* the value: it
//! takes it out of the table under the table's lock, marks the slot `Borrowed`, runs the
//! closure with no lock held, and puts it back through a [`Lease`] (also on unwinding). A
//! nested use of the same `Local` on the same thread finds `Borrowed`: [`BorrowError`].
//!
//! A thread's first entry registers the table in the thread's roster (`roster.rs`), whose
//! end drops the entry; the entry keeps a weak reference back to that roster, which a
//! dropped `Local` leaves. The table's lock is never held together with a roster's, nor
//! while user code (`init`, a value's `Drop`) runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::error::BorrowError;
use crate::local::roster::{self, Roster, ThreadValues, catching};
use crate::loom::sync::{Arc, Mutex, Weak};

/// The next `Local` id. A std atomic in both builds: ids only need to be unique.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A `Local`'s creation function (`Local::with_init`).
pub(super) type Init<T> = dyn Fn() -> T + Send + Sync;

/// The values of one `Local`, by thread identity. An entry stays (`Vacant`) after `take`,
/// so each thread registers once however often it sets and takes; a thread's end removes
/// it.
pub(super) struct Table<T> {
    /// Identifies the table (and its `Local`) in the rosters of the threads it has entries
    /// for.
    id: u64,
    entries: Mutex<HashMap<u64, Entry<T>>>,
}

/// One thread's entry in a [`Table`].
struct Entry<T> {
    slot: Slot<T>,
    /// The thread's roster, which a dropped `Local` removes itself from.
    roster: Weak<Roster>,
}

/// A thread's value.
enum Slot<T> {
    /// None set (or taken).
    Vacant,
    /// Set; boxed, so that lending it to `with` moves a pointer.
    Present(Box<T>),
    /// Lent to a `with` closure on the owning thread, which puts it back.
    Borrowed,
}

impl<T: Send + 'static> ThreadValues for Table<T> {
    fn drop_value_of(&self, thread: u64) {
        let entry = self.entries.lock().remove(&thread);
        drop(entry);
    }
}

/// A value lent to a `with` closure; puts it back when dropped (also if the closure
/// panics).
pub(super) struct Lease<'a, T: Send + 'static> {
    table: &'a Table<T>,
    me: u64,
    value: Option<Box<T>>,
}

impl<T: Send + 'static> Lease<'_, T> {
    /// The lent value, if the thread had one (or `init` made one).
    pub(super) fn value(&mut self) -> Option<&mut T> {
        self.value.as_deref_mut()
    }
}

impl<T: Send + 'static> Drop for Lease<'_, T> {
    fn drop(&mut self) {
        let Some(value) = self.value.take() else {
            return;
        };
        let mut entries = self.table.entries.lock();
        // No entry (a thread at exit, which keeps nothing): the value is dropped.
        let left_over = match entries.get_mut(&self.me) {
            Some(entry) if matches!(entry.slot, Slot::Borrowed) => {
                entry.slot = Slot::Present(value);
                None
            }
            _ => Some(value),
        };
        drop(entries);
        drop(left_over);
    }
}

impl<T: Send + 'static> Table<T> {
    /// An empty table with a fresh id.
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            // Relaxed: uniqueness only needs the RMW's atomicity.
            id: NEXT_ID.fetch_add(1, Relaxed),
            entries: Mutex::new(HashMap::new()),
        })
    }

    /// Sets thread `me`'s value; returns the previous one. `BorrowError` if it is lent
    /// (`value` is dropped first, without the lock).
    pub(super) fn set(self: &Arc<Self>, me: u64, value: T) -> Result<Option<T>, BorrowError> {
        {
            let mut entries = self.entries.lock();
            if let Some(entry) = entries.get_mut(&me) {
                return match &mut entry.slot {
                    Slot::Present(old) => Ok(Some(std::mem::replace(&mut **old, value))),
                    Slot::Vacant => {
                        entry.slot = Slot::Present(Box::new(value));
                        Ok(None)
                    }
                    Slot::Borrowed => {
                        drop(entries);
                        // Dropped before the caller panics, so that its own `Drop` cannot
                        // panic during the unwinding (an abort).
                        drop(value);
                        Err(BorrowError(()))
                    }
                };
            }
        }
        // A thread at exit keeps nothing: the value is dropped here.
        let _ = self.insert(me, Slot::Present(Box::new(value)));
        Ok(None)
    }

    /// Removes and returns thread `me`'s value; `BorrowError` if it is lent.
    pub(super) fn take(&self, me: u64) -> Result<Option<T>, BorrowError> {
        let mut entries = self.entries.lock();
        let Some(entry) = entries.get_mut(&me) else {
            return Ok(None);
        };
        match std::mem::replace(&mut entry.slot, Slot::Vacant) {
            Slot::Present(value) => Ok(Some(*value)),
            Slot::Vacant => Ok(None),
            Slot::Borrowed => {
                entry.slot = Slot::Borrowed;
                Err(BorrowError(()))
            }
        }
    }

    /// Lends thread `me`'s value to a `with` closure, marking it lent; creates it first
    /// with `init`, if there is none and there is an `init`. The lease holds no value when
    /// there is none to lend.
    pub(super) fn lend(
        self: &Arc<Self>,
        me: u64,
        init: Option<&Init<T>>,
    ) -> Result<Lease<'_, T>, BorrowError> {
        let value = match self.lend_present(me)? {
            Some(value) => Some(value),
            None => match init {
                Some(init) => self.lend_new(me, init)?,
                None => None,
            },
        };
        Ok(Lease {
            table: self,
            me,
            value,
        })
    }

    /// Takes thread `me`'s value out for a `with` closure if it has one, marking it lent.
    fn lend_present(&self, me: u64) -> Result<Option<Box<T>>, BorrowError> {
        let mut entries = self.entries.lock();
        let Some(entry) = entries.get_mut(&me) else {
            return Ok(None);
        };
        match std::mem::replace(&mut entry.slot, Slot::Borrowed) {
            Slot::Present(value) => Ok(Some(value)),
            Slot::Borrowed => Err(BorrowError(())),
            Slot::Vacant => {
                entry.slot = Slot::Vacant;
                Ok(None)
            }
        }
    }

    /// Creates thread `me`'s value with `init` (no lock held) and marks it lent.
    fn lend_new(self: &Arc<Self>, me: u64, init: &Init<T>) -> Result<Option<Box<T>>, BorrowError> {
        let value = Box::new(init());
        let mut entries = self.entries.lock();
        match entries.get_mut(&me) {
            Some(entry) if matches!(entry.slot, Slot::Vacant) => {
                entry.slot = Slot::Borrowed;
                Ok(Some(value))
            }
            Some(_) => {
                // `init` set a value itself: that one wins. Ours is dropped without the lock
                // and before anything is marked lent, so a panicking `Drop` leaves no slot
                // `Borrowed` for good.
                drop(entries);
                drop(value);
                self.lend_present(me)
            }
            None => {
                drop(entries);
                // At thread exit there is no entry to mark: the lease drops the value.
                let _ = self.insert(me, Slot::Borrowed);
                Ok(Some(value))
            }
        }
    }

    /// Adds thread `me`'s entry (the calling thread's) and registers it in the thread's
    /// roster, whose end drops it. Once the thread's storage is gone (a thread-local
    /// destructor at thread exit) nothing could drop it: stores nothing and gives `slot`
    /// back.
    fn insert(self: &Arc<Self>, me: u64, slot: Slot<T>) -> Result<(), Slot<T>> {
        let Some(roster) = roster::for_entry() else {
            return Err(slot);
        };
        let entry = Entry {
            slot,
            roster: Arc::downgrade(&roster),
        };
        let old = self.entries.lock().insert(me, entry);
        debug_assert!(old.is_none(), "only the thread itself adds its entry");
        let table: Weak<Table<T>> = Arc::downgrade(self);
        roster.add(self.id, table as Weak<dyn ThreadValues>);
        Ok(())
    }

    /// Leaves every thread's roster, then drops every thread's value, each inside its own
    /// catch (a value whose `Drop` panics must not leak the rest). For the `Local`'s drop.
    pub(super) fn drop_all(&self) {
        let entries = std::mem::take(&mut *self.entries.lock());
        for entry in entries.values() {
            if let Some(roster) = entry.roster.upgrade() {
                roster.remove(self.id);
            }
        }
        for entry in entries.into_values() {
            if let Slot::Present(value) = entry.slot {
                catching(move || drop(value));
            }
        }
    }

    /// How many threads have an entry, with a value or not.
    pub(super) fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// How many threads have a value (set or lent).
    pub(super) fn occupied(&self) -> usize {
        self.entries
            .lock()
            .values()
            .filter(|e| !matches!(e.slot, Slot::Vacant))
            .count()
    }
}
