//! [`Local`]: Python's `threading.local`. Its table of values is `local/table.rs`, the
//! per-thread side (which `Local`s hold a value for a thread) `local/roster.rs`.

use std::fmt;

use gil_core::ident;

use crate::error::BorrowError;
use crate::loom::sync::Arc;

mod roster;
mod table;

pub(crate) use self::roster::{drop_thread_values, registrations};
use self::table::{Init, Table};

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
    table: Arc<Table<T>>,
    init: Option<Box<Init<T>>>,
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

    fn build(init: Option<Box<Init<T>>>) -> Self {
        Self {
            table: Table::new(),
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
        match self.table.set(ident::current(), value) {
            Ok(old) => old,
            Err(_) => already_borrowed(),
        }
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
        match self.table.take(ident::current()) {
            Ok(value) => value,
            Err(_) => already_borrowed(),
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
        let mut lease = self.table.lend(ident::current(), self.init.as_deref())?;
        Ok(f(lease.value()))
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

    /// How many threads have an entry, with a value or not (test probe).
    pub(crate) fn entries(&self) -> usize {
        self.table.len()
    }
}

impl<T: Send + 'static> Drop for Local<T> {
    /// Leaves every thread's roster and drops every thread's value (`Table::drop_all`).
    fn drop(&mut self) {
        self.table.drop_all();
    }
}

impl<T: Send + 'static> Default for Local<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("threads", &self.table.occupied())
            .finish_non_exhaustive()
    }
}
