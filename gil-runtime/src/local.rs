//! [`Local`]: Python's `threading.local`.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::error::BorrowError;
use crate::loom::sync::{Arc, Mutex, Weak};
use gil_core::ident;

mod roster;

use self::roster::{Roster, ThreadValues, catching};
pub(crate) use self::roster::{drop_thread_values, registrations};

/// The next `Local` id. A std atomic in both builds: ids only need to be unique.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Per-thread, per-instance storage: Python's `threading.local`.
///
/// Each thread sees its own value (or none); a value set in one thread is absent in every
/// other. A thread's value is dropped, on that thread, when the thread ends (on a runtime
/// thread, holding the GIL, before `join` returns); all values are dropped when the `Local`
/// is. A value whose `Drop` panics is reported on stderr (`Exception ignored while dropping
/// a gil_runtime::Local value`, as Python reports a failing `__del__`) and the other values
/// are still dropped. Works on any thread, started by a runtime or not.
///
/// No method holds an internal lock while your code runs — the closure of
/// [`with`](Local::with), the `with_init` function, `T::clone` in [`get`](Local::get), a
/// value's `Drop` — so that code may release the GIL (wait on a `gil_sync` primitive, call
/// `check()` or `allow_threads`) while other threads use the same `Local`: like Python's
/// `threading.local`, a `Local` never blocks.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use gil_runtime::Local;
///
/// let local = Arc::new(Local::new());
/// local.set(1);
/// let l = local.clone();
/// std::thread::scope(|s| {
///     s.spawn(move || {
///         assert_eq!(l.get(), None); // not set in this thread
///         l.set(2);
///         assert_eq!(l.get(), Some(2));
///     });
/// });
/// assert_eq!(local.get(), Some(1)); // untouched by the other thread
/// ```
///
/// # Re-entrancy
///
/// While [`with`](Local::with)'s closure runs, the calling thread's value is mutably
/// borrowed by it: using the *same* `Local` again on the same thread from inside the closure
/// panics (`with`, `get`, `set`, `take`), like a `RefCell` borrowed twice;
/// [`try_with`](Local::try_with) returns [`BorrowError`] instead. Other `Local`s, and other
/// threads, are not affected.
///
/// # Thread exit
///
/// A thread-local destructor that runs after the thread's values were dropped (one
/// registered before the thread first set a `Local`) still may use a `Local`: it has no
/// value there, [`set`](Local::set) drops the new value at once, and `with` gives the
/// `with_init` value to its closure and then drops it. Nothing is kept for a thread that
/// can no longer drop it.
///
/// # Differences from Python's `threading.local`
///
/// - One typed value per thread instead of an attribute dictionary; a struct gives named
///   fields. [`Local::with_init`] plays the role of a subclass `__init__`, run the first time
///   each thread touches the value.
/// - Reading a missing value is `None`, not `AttributeError`.
/// - Python lets code hold a local's attribute and use the local again at the same time;
///   here the value is lent to one closure at a time (see "Re-entrancy").
pub struct Local<T: Send + 'static> {
    /// Identifies this `Local` in the rosters of the threads it has entries for.
    id: u64,
    table: Arc<Table<T>>,
    init: Option<Box<dyn Fn() -> T + Send + Sync>>,
}

/// The values of one `Local`, by thread identity. An entry stays (`Vacant`) after `take`,
/// so each thread registers once however often it sets and takes; a thread's end removes
/// it.
struct Table<T> {
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
struct Lease<'a, T: Send + 'static> {
    local: &'a Local<T>,
    me: u64,
    value: Option<Box<T>>,
}

impl<T: Send + 'static> Drop for Lease<'_, T> {
    fn drop(&mut self) {
        let Some(value) = self.value.take() else {
            return;
        };
        let mut entries = self.local.table.entries.lock();
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

#[track_caller]
fn already_borrowed() -> ! {
    panic!("{}", BorrowError(()))
}

impl<T: Send + 'static> Local<T> {
    /// An empty local: no thread has a value.
    ///
    /// # Examples
    ///
    /// ```
    /// let local: gil_runtime::Local<u32> = gil_runtime::Local::new();
    /// assert_eq!(local.get(), None);
    /// ```
    pub fn new() -> Self {
        Self::build(None)
    }

    /// A local whose value is created by `init` the first time each thread uses it through
    /// [`with`](Local::with) or [`get`](Local::get). `init` runs without any lock held; a
    /// value it [`set`](Local::set) itself wins over the one it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::with_init(|| vec![0u8; 4]);
    /// assert_eq!(local.with(|v| v.map(|v| v.len())), Some(4));
    /// ```
    pub fn with_init(init: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::build(Some(Box::new(init)))
    }

    fn build(init: Option<Box<dyn Fn() -> T + Send + Sync>>) -> Self {
        Self {
            // Relaxed: uniqueness only needs the RMW's atomicity.
            id: NEXT_ID.fetch_add(1, Relaxed),
            table: Arc::new(Table {
                entries: Mutex::new(HashMap::new()),
            }),
            init,
        }
    }

    /// Sets the calling thread's value; returns the previous one.
    ///
    /// # Panics
    ///
    /// Inside a [`with`](Local::with) closure of the same `Local` on the same thread (see
    /// "Re-entrancy" on [`Local`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::new();
    /// assert_eq!(local.set("a"), None);
    /// assert_eq!(local.set("b"), Some("a"));
    /// ```
    #[track_caller]
    pub fn set(&self, value: T) -> Option<T> {
        let me = ident::current();
        {
            let mut entries = self.table.entries.lock();
            if let Some(entry) = entries.get_mut(&me) {
                return match &mut entry.slot {
                    Slot::Present(old) => Some(std::mem::replace(&mut **old, value)),
                    Slot::Vacant => {
                        entry.slot = Slot::Present(Box::new(value));
                        None
                    }
                    Slot::Borrowed => {
                        drop(entries);
                        // Dropped before the panic, so that its own `Drop` cannot panic
                        // during the unwinding (an abort).
                        drop(value);
                        already_borrowed()
                    }
                };
            }
        }
        // A thread at exit keeps nothing: the value is dropped here.
        let _ = self.insert(me, Slot::Present(Box::new(value)));
        None
    }

    /// Removes and returns the calling thread's value (Python: `del local.x`).
    ///
    /// # Panics
    ///
    /// Inside a [`with`](Local::with) closure of the same `Local` on the same thread (see
    /// "Re-entrancy" on [`Local`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::new();
    /// local.set(5);
    /// assert_eq!(local.take(), Some(5));
    /// assert_eq!(local.take(), None);
    /// ```
    #[track_caller]
    pub fn take(&self) -> Option<T> {
        let mut entries = self.table.entries.lock();
        let entry = entries.get_mut(&ident::current())?;
        match std::mem::replace(&mut entry.slot, Slot::Vacant) {
            Slot::Present(value) => Some(*value),
            Slot::Vacant => None,
            Slot::Borrowed => {
                entry.slot = Slot::Borrowed;
                drop(entries);
                already_borrowed()
            }
        }
    }

    /// Runs `f` with the calling thread's value (created by the `with_init` function first,
    /// if there is one), or with `None`. No lock is held while `f` runs: it may block and
    /// release the GIL while other threads use this `Local`.
    ///
    /// # Panics
    ///
    /// Inside a `with` closure of the same `Local` on the same thread (see "Re-entrancy" on
    /// [`Local`]); [`Local::try_with`] returns an error instead. A panic of `f` (or of
    /// `init`) propagates, and the value stays set.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::with_init(|| 0);
    /// local.with(|v| *v.unwrap() += 1);
    /// assert_eq!(local.get(), Some(1));
    /// ```
    #[track_caller]
    pub fn with<R>(&self, f: impl FnOnce(Option<&mut T>) -> R) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(_) => already_borrowed(),
        }
    }

    /// As [`Local::with`], but returns an error instead of panicking when the calling
    /// thread's value is already lent to a `with` closure of this `Local`.
    ///
    /// # Errors
    ///
    /// [`BorrowError`] inside a `with` closure of the same `Local` on the same thread; `f`
    /// does not run then.
    ///
    /// # Panics
    ///
    /// A panic of `f` (or of the `with_init` function) propagates, and the value stays set.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::with_init(|| 1);
    /// let nested = local.with(|_| local.try_with(|v| v.copied()));
    /// assert!(nested.is_err());
    /// assert_eq!(local.try_with(|v| v.copied()), Ok(Some(1)));
    /// ```
    pub fn try_with<R>(&self, f: impl FnOnce(Option<&mut T>) -> R) -> Result<R, BorrowError> {
        let me = ident::current();
        let mut lease = Lease {
            local: self,
            me,
            value: self.lend(me)?,
        };
        Ok(f(lease.value.as_deref_mut()))
    }

    /// A clone of the calling thread's value (created by the `with_init` function first, if
    /// there is one). `T::clone` runs without any lock held.
    ///
    /// # Panics
    ///
    /// Inside a [`with`](Local::with) closure of the same `Local` on the same thread (see
    /// "Re-entrancy" on [`Local`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::new();
    /// local.set(String::from("x"));
    /// assert_eq!(local.get().as_deref(), Some("x"));
    /// ```
    #[track_caller]
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.with(|value| value.map(|v| v.clone()))
    }

    /// Takes the calling thread's value out of the table for a `with` closure, marking it
    /// lent; creates it first with `init` if there is none. `Ok(None)`: no value to lend.
    fn lend(&self, me: u64) -> Result<Option<Box<T>>, BorrowError> {
        if let Some(value) = self.lend_present(me)? {
            return Ok(Some(value));
        }
        let Some(init) = &self.init else {
            return Ok(None);
        };
        let value = Box::new(init());
        let mut entries = self.table.entries.lock();
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

    /// Takes the calling thread's value out for a `with` closure if it has one, marking it
    /// lent.
    fn lend_present(&self, me: u64) -> Result<Option<Box<T>>, BorrowError> {
        let mut entries = self.table.entries.lock();
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

    /// Adds the calling thread's entry and registers it with the thread, whose end drops
    /// it. Once the thread's storage is gone (a thread-local destructor at thread exit)
    /// nothing could drop it: stores nothing and gives `slot` back.
    fn insert(&self, me: u64, slot: Slot<T>) -> Result<(), Slot<T>> {
        let Some(roster) = roster::current() else {
            return Err(slot);
        };
        let entry = Entry {
            slot,
            roster: Arc::downgrade(&roster),
        };
        let old = self.table.entries.lock().insert(me, entry);
        debug_assert!(old.is_none(), "only the thread itself adds its entry");
        let table: Weak<Table<T>> = Arc::downgrade(&self.table);
        roster.add(self.id, table as Weak<dyn ThreadValues>);
        Ok(())
    }

    /// How many threads have an entry, with a value or not (test probe).
    pub(crate) fn entries(&self) -> usize {
        self.table.entries.lock().len()
    }
}

impl<T: Send + 'static> Drop for Local<T> {
    /// Leaves every thread's roster, then drops every thread's value, each inside its
    /// own catch (a value whose `Drop` panics must not leak the rest).
    fn drop(&mut self) {
        let entries = std::mem::take(&mut *self.table.entries.lock());
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
}

impl<T: Send + 'static> Default for Local<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let threads = self
            .table
            .entries
            .lock()
            .values()
            .filter(|e| !matches!(e.slot, Slot::Vacant))
            .count();
        f.debug_struct("Local")
            .field("threads", &threads)
            .finish_non_exhaustive()
    }
}
