//! The crate's bottom layer: what every handle and thread of one runtime shares
//! ([`Shared`]: the GIL, the [`Registry`] of live threads, the excepthook, the main thread)
//! and the thread records the registry lists ([`Thread`], [`Record`]).
//!
//! Every other file of the runtime imports from here, and this file imports none of them
//! (only the `loom` shim, and `done.rs`, the flag a record raises when its thread stops). The two halves refer to each other — a registry lists
//! `Thread`s, a thread refers back to its runtime weakly — so they share this file: apart,
//! each would import the other. What a thread *does* (`start`, its body, `join`, the
//! accessors) lives above, in `thread.rs` and `thread/start.rs`.
//!
//! Not to be confused with a thread's *roster* (`local/roster.rs`): the `Local`s that hold
//! a value for one thread.
//!
//! # Implementation details
//!
//! Locks: `Shared::registry`, then a record's `state`, when both are held (`start`, a
//! thread's end); each only for a few field updates, never while user code runs or while
//! anything waits.

use std::fmt;

use gil_core::{Gil, GilGuard, Interrupter};
use gil_sync::Event;

use crate::done::Done;
use crate::loom::sync::{Arc, Mutex, Weak};
use crate::loom::thread::JoinHandle;

/// The registry: live threads in start order (main first), the name counter, shutdown.
pub(crate) struct Registry {
    pub(crate) threads: Vec<Thread>,
    /// Python's `threading._counter`, shared by `Thread-N` and `Dummy-N`.
    next_name: u64,
    pub(crate) shut_down: bool,
    /// Python's `threading.stack_size()` setting: 0 for the platform default.
    pub(crate) stack_size: usize,
}

impl Registry {
    /// Takes `thread` off the list; returns it, for the caller to drop after unlocking.
    pub(crate) fn remove(&mut self, thread: &Thread) -> Option<Thread> {
        let at = self.threads.iter().position(|t| t.is(thread))?;
        Some(self.threads.remove(at))
    }
}

/// What a hook receives for a target that panicked (Python: `threading.ExceptHookArgs`).
#[derive(Debug, Clone)]
pub struct ExceptHookArgs {
    /// The thread whose target panicked.
    pub thread: Thread,
    /// The panic message.
    pub message: String,
}

/// The hook type.
pub(crate) type Hook = Arc<dyn Fn(&ExceptHookArgs) + Send + Sync>;

/// What every handle and thread of one runtime shares.
pub(crate) struct Shared {
    pub(crate) gil: Gil,
    pub(crate) registry: Mutex<Registry>,
    /// The hook set with `Handle::set_excepthook`; `None`: the default one.
    pub(crate) hook: Mutex<Option<Hook>>,
    /// Set once, right after construction; `None` only until then.
    pub(crate) main: Mutex<Option<Thread>>,
}

impl Shared {
    /// A runtime's state on `gil`: no threads yet, names from 1, not shut down.
    pub(crate) fn new(gil: Gil) -> Arc<Self> {
        Arc::new(Self {
            gil,
            registry: Mutex::new(Registry {
                threads: Vec::new(),
                next_name: 1,
                shut_down: false,
                stack_size: 0,
            }),
            hook: Mutex::new(None),
            main: Mutex::new(None),
        })
    }

    /// The next default name: `Thread-N` or `Dummy-N` for `prefix` `Thread` or `Dummy`.
    pub(crate) fn next_name(&self, prefix: &str) -> String {
        let mut registry = self.registry.lock();
        let n = registry.next_name;
        registry.next_name += 1;
        format!("{prefix}-{n}")
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let threads = self.registry.lock().threads.len();
        f.debug_struct("Runtime")
            .field("gil", &self.gil)
            .field("threads", &threads)
            .finish_non_exhaustive()
    }
}

/// A thread's target: runs holding the runtime's GIL and receives its guard.
pub(crate) type Target = Box<dyn FnOnce(&mut GilGuard<'_>) + Send>;

/// Where a thread is in its life (Python's `_started` / `_is_stopped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Built, not started.
    Initial,
    /// `start` is spawning it.
    Starting,
    /// Running (or the main/dummy thread, alive).
    Started,
    /// Its target returned (or panicked), or the main thread shut the runtime down.
    Stopped,
}

/// What kind of thread a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Started by [`Thread::start`].
    Runtime,
    /// The thread that created the runtime (Python's `_MainThread`).
    Main,
    /// A thread the runtime did not start, seen through `current_thread` (`_DummyThread`).
    Dummy,
}

/// Mutable state of a thread record (one lock; held only for field updates).
pub(crate) struct State {
    pub(crate) status: Status,
    pub(crate) name: String,
    pub(crate) daemon: bool,
    pub(crate) ident: Option<u64>,
    pub(crate) native_id: Option<u64>,
    pub(crate) panic: Option<String>,
    pub(crate) target: Option<Target>,
    pub(crate) stack_size: Option<usize>,
    /// The OS thread, until a joiner takes it to wait for the thread's exit.
    pub(crate) os: Option<JoinHandle<()>>,
    /// Interrupts the thread: made on the thread itself when it starts (the main thread:
    /// when the runtime is built), dropped when it stops. `None` for a dummy thread.
    pub(crate) interrupter: Option<Interrupter>,
}

/// A thread record: what a [`Thread`] handle refers to.
pub(crate) struct Record {
    pub(crate) kind: Kind,
    pub(crate) runtime: Weak<Shared>,
    pub(crate) state: Mutex<State>,
    /// Set once the thread has recorded its native id (what [`Thread::native_id`] waits for
    /// while the thread is `Starting`); cleared by `start` before it publishes `Starting`.
    pub(crate) started: Event,
    /// Set once the thread has stopped (what `join` waits for, interruptibly).
    pub(crate) done: Done,
}

/// A thread of a [`Runtime`](crate::Runtime): Python's `threading.Thread`.
///
/// Built (not started) by [`Handle::thread`](crate::Handle::thread); [`start`](Thread::start)
/// runs the target on a new OS thread **holding the runtime's GIL** (when the GIL is
/// enabled) and hands it the [`GilGuard`], so it can call `check()` and `allow_threads`.
/// `Thread` is a cheap handle: clones refer to the same thread.
///
/// # Examples
///
/// ```
/// use gil_runtime::Runtime;
///
/// let rt = Runtime::new();
/// let t = rt.thread(|guard| {
///     guard.check().unwrap(); // a safe point
/// });
/// assert_eq!(t.name(), "Thread-1");
/// t.start().unwrap();
/// t.join().unwrap();
/// assert!(!t.is_alive());
/// ```
///
/// # Differences from Python's `threading.Thread`
///
/// - The target is a closure taking the GIL guard; Python's `args`/`kwargs` are captured.
///   Default names are `Thread-N` without Python's ` (target_name)` suffix: a closure has no
///   `__name__`.
/// - [`start`](Thread::start) returns once the OS thread exists, without waiting for it to
///   be scheduled (Python waits for the new thread to signal). The difference is not
///   observable through this API: the identity is assigned by `start`, `is_alive` and
///   `enumerate` count the thread from `start` on, and [`native_id`](Thread::native_id)
///   waits for the thread to record it. It makes `start` + `join` cost what
///   `std::thread::spawn` + `join` does.
/// - [`join`](Thread::join) returns [`JoinError::Panicked`](crate::JoinError::Panicked) when
///   the target panicked (Python's `join` returns `None` and the exception only goes to
///   `excepthook`, which also happens here), and
///   [`JoinError::Interrupted`](crate::JoinError::Interrupted) when the joining thread was
///   interrupted (Python raises the interrupt's exception, such as `KeyboardInterrupt`).
/// - [`interrupt`](Thread::interrupt) has no `threading` counterpart: it is the C API's
///   `PyThreadState_SetAsyncExc`, reporting [`Interrupt::Requested`](gil_core::Interrupt::Requested)
///   to the thread's next `check()`.
/// - [`join_timeout`](Thread::join_timeout) returns whether the thread has ended.
/// - [`ident`](Thread::ident) is this runtime's identity, unique for the life of the process
///   (Python's may be recycled); [`native_id`](Thread::native_id) is the kernel thread id on
///   Linux and `None` elsewhere.
//
// # Implementation notes
//
// The handle is defined here, next to the registry that lists it; its methods are in
// `thread.rs` (accessors, `join`) and `thread/start.rs` (`start` and the thread's body).
#[derive(Clone)]
pub struct Thread(pub(crate) Arc<Record>);

impl Thread {
    /// A record in `runtime`, `Initial`: not started, no identity yet.
    pub(crate) fn new(
        kind: Kind,
        runtime: Weak<Shared>,
        name: String,
        daemon: bool,
        target: Option<Target>,
        stack_size: Option<usize>,
    ) -> Self {
        Self(Arc::new(Record {
            kind,
            runtime,
            state: Mutex::new(State {
                status: Status::Initial,
                name,
                daemon,
                ident: None,
                native_id: None,
                panic: None,
                target,
                stack_size,
                os: None,
                interrupter: None,
            }),
            started: Event::new(),
            done: Done::new(),
        }))
    }

    /// Whether two handles refer to the same record.
    pub(crate) fn is(&self, other: &Thread) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Marks an already-running thread (main or dummy) as started on the calling thread,
    /// with `interrupter` (made on the calling thread) if it has one.
    pub(crate) fn adopt_current(&self, interrupter: Option<Interrupter>) {
        self.0.state.lock().ident = Some(gil_core::ident::current());
        self.record_started(interrupter);
    }

    /// On the thread itself, once its identity is set: records the native id and
    /// `interrupter`, moves `Starting`/`Initial` to `Started` and wakes
    /// [`Thread::native_id`] callers. A thread seen `Started` has its interrupter (but a
    /// dummy).
    pub(crate) fn record_started(&self, interrupter: Option<Interrupter>) {
        let native_id = native_id();
        let mut state = self.0.state.lock();
        state.status = Status::Started;
        state.native_id = native_id;
        state.interrupter = interrupter;
        drop(state);
        self.0.started.set();
    }

    /// Marks the thread stopped and wakes its joiners.
    pub(crate) fn stop(&self) {
        let interrupter = {
            let mut state = self.0.state.lock();
            state.status = Status::Stopped;
            state.interrupter.take()
        };
        drop(interrupter);
        self.0.done.set();
    }
}

/// The kernel's id for the calling thread (Linux: from `/proc/thread-self`), for
/// [`get_native_id`](crate::get_native_id) and a thread's record. Identities
/// ([`get_ident`](crate::get_ident)) are gil-core's: [`gil_core::ident`].
pub(crate) fn native_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}
