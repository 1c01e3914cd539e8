//! [`Local`]: Python's `threading.local`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use crate::ident;
use crate::loom::sync::{Arc, Mutex, Weak};
use crate::loom::thread_local;
use crate::thread::{drop_payload, panic_message};

/// The values of one `Local`, by thread identity. A key stays (with `None`) after `take`, so
/// each thread registers its clean-up once however often it sets and takes.
type Slots<T> = Mutex<HashMap<u64, Option<T>>>;

/// Per-thread, per-instance storage: Python's `threading.local`.
///
/// Each thread sees its own value (or none); a value set in one thread is absent in every
/// other. A thread's value is dropped, on that thread, when the thread ends (on a runtime
/// thread, holding the GIL, before `join` returns); all values are dropped when the `Local`
/// is. A value whose `Drop` panics is reported on stderr (`Exception ignored while dropping
/// a gil_runtime::Local value`, as Python reports a failing `__del__`) and the other values
/// are still dropped. Works on any thread, started by a runtime or not.
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
/// # Differences from Python's `threading.local`
///
/// - One typed value per thread instead of an attribute dictionary; a struct gives named
///   fields. [`Local::with_init`] plays the role of a subclass `__init__`, run the first time
///   each thread touches the value.
/// - Reading a missing value is `None`, not `AttributeError`.
pub struct Local<T: Send + 'static> {
    slots: Arc<Slots<T>>,
    init: Option<Box<dyn Fn() -> T + Send + Sync>>,
}

/// Per-thread clean-ups: each drops this thread's value from one `Local` when the thread
/// ends.
struct Cleanups(Vec<Box<dyn FnOnce()>>);

impl Drop for Cleanups {
    /// Runs every clean-up; a value whose `Drop` panics is reported on stderr and the rest
    /// still run (Python prints "Exception ignored in ..." for a failing `__del__`). Nothing
    /// unwinds out: this also runs as a thread-local destructor, where unwinding aborts.
    fn drop(&mut self) {
        for cleanup in self.0.drain(..) {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(cleanup)) {
                let message = panic_message(payload.as_ref());
                drop_payload(payload);
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "Exception ignored while dropping a gil_runtime::Local value:\n{message}"
                );
            }
        }
    }
}

/// Drops the calling thread's values of every `Local` now, as Python does when a thread
/// ends, rather than in the thread-local destructors that run after the thread's last
/// code. A `Drop` that sets a value again gets a few more rounds; what is left after them
/// goes to the destructors.
pub(crate) fn drop_thread_values() {
    for _ in 0..8 {
        let batch = CLEANUPS
            .try_with(|c| std::mem::take(&mut c.borrow_mut().0))
            .unwrap_or_default();
        if batch.is_empty() {
            return;
        }
        drop(Cleanups(batch));
    }
}

#[cfg(not(loom))]
thread_local! {
    static CLEANUPS: RefCell<Cleanups> = const { RefCell::new(Cleanups(Vec::new())) };
}

// loom's `thread_local!` has no const form.
#[cfg(loom)]
thread_local! {
    static CLEANUPS: RefCell<Cleanups> = RefCell::new(Cleanups(Vec::new()));
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
        Self {
            slots: Arc::new(Mutex::new(HashMap::new())),
            init: None,
        }
    }

    /// A local whose value is created by `init` the first time each thread uses it.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::with_init(|| vec![0u8; 4]);
    /// assert_eq!(local.with(|v| v.map(|v| v.len())), Some(4));
    /// ```
    pub fn with_init(init: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            slots: Arc::new(Mutex::new(HashMap::new())),
            init: Some(Box::new(init)),
        }
    }

    /// Sets the calling thread's value; returns the previous one.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::new();
    /// assert_eq!(local.set("a"), None);
    /// assert_eq!(local.set("b"), Some("a"));
    /// ```
    pub fn set(&self, value: T) -> Option<T> {
        let me = ident::current();
        let mut slots = self.slots.lock();
        if let Some(slot) = slots.get_mut(&me) {
            return slot.replace(value);
        }
        slots.insert(me, Some(value));
        drop(slots);
        self.register_cleanup(me);
        None
    }

    /// Removes and returns the calling thread's value (Python: `del local.x`).
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::new();
    /// local.set(5);
    /// assert_eq!(local.take(), Some(5));
    /// assert_eq!(local.take(), None);
    /// ```
    pub fn take(&self) -> Option<T> {
        self.slots
            .lock()
            .get_mut(&ident::current())
            .and_then(Option::take)
    }

    /// Runs `f` with the calling thread's value (created by the `with_init` function first,
    /// if there is one), or with `None`. `f` runs with the local's internal lock held: it must
    /// not use this same `Local`.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::with_init(|| 0);
    /// local.with(|v| *v.unwrap() += 1);
    /// assert_eq!(local.get(), Some(1));
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(Option<&mut T>) -> R) -> R {
        let me = ident::current();
        let mut slots = self.slots.lock();
        let missing = !matches!(slots.get(&me), Some(Some(_)));
        if missing && let Some(init) = &self.init {
            // `init` is user code: run it without the lock, then store it.
            drop(slots);
            let value = init();
            slots = self.slots.lock();
            if let Some(slot) = slots.get_mut(&me) {
                if slot.is_some() {
                    // `init` set a value itself: keep that one, and drop ours (user code)
                    // without the lock.
                    drop(slots);
                    drop(value);
                    slots = self.slots.lock();
                } else {
                    *slot = Some(value);
                }
            } else {
                slots.insert(me, Some(value));
                self.register_cleanup(me);
            }
        }
        f(slots.get_mut(&me).and_then(Option::as_mut))
    }

    /// A clone of the calling thread's value.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = gil_runtime::Local::new();
    /// local.set(String::from("x"));
    /// assert_eq!(local.get().as_deref(), Some("x"));
    /// ```
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.with(|value| value.map(|v| v.clone()))
    }

    /// Drops this thread's value when the thread ends (if the `Local` still exists).
    fn register_cleanup(&self, me: u64) {
        let slots: Weak<Slots<T>> = Arc::downgrade(&self.slots);
        let _ = CLEANUPS.try_with(|c| {
            c.borrow_mut().0.push(Box::new(move || {
                if let Some(slots) = slots.upgrade() {
                    // Taken out under the lock, dropped after it.
                    let value = slots.lock().remove(&me);
                    drop(value);
                }
            }));
        });
    }
}

impl<T: Send + 'static> Drop for Local<T> {
    /// Drops every thread's value, each inside its own catch (as `Cleanups` does): std's
    /// `HashMap` would stop at the first value whose `Drop` panics and leak the rest.
    fn drop(&mut self) {
        let values: Vec<T> = self.slots.lock().drain().filter_map(|(_, v)| v).collect();
        drop(Cleanups(
            values
                .into_iter()
                .map(|value| Box::new(move || drop(value)) as Box<dyn FnOnce()>)
                .collect(),
        ));
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
            .field(
                "threads",
                &self.slots.lock().values().filter(|v| v.is_some()).count(),
            )
            .finish_non_exhaustive()
    }
}
