//! [`Thread::start`] and the started thread's body: a runtime thread's life.
//!
//! # Implementation details
//!
//! A started thread's life, in numbered steps; the code below is marked with the same
//! numbers. Joining (`join_until` in `thread.rs`) and shutdown (`Runtime::shutdown`) wait
//! on them.
//!
//! 1. **Register** (`start`, on the starting thread, under the registry lock): refuse a
//!    second start or a shut-down runtime; clear `started`; mark the thread `Starting`; give
//!    it a fresh identity (reserved in gil-core's identity space); list it in the registry.
//!    From here `enumerate` lists it, `is_alive` is true and `ident` is set. The shutdown
//!    check and the listing are one critical section of the lock on which shutdown decides
//!    that no thread remains, so no start slips in between.
//! 2. **Spawn** (`start`): create the OS thread (the thread's name; an explicit stack size,
//!    else the runtime's setting now) and return **without waiting for it to run**.
//!    Python's `start` waits for a signal from the new thread; that extra sleep/wake-up
//!    pair added 4–12 µs, 5–19 %, to a 60–80 µs `start` + `join` here. The target travels
//!    in a slot, so that a failed spawn takes it back: the thread returns to `Initial` (no
//!    identity, not listed) and `started` is set, waking any `native_id` or `join` caller
//!    that saw `Starting`.
//! 3. **Adopt** (the new thread, first thing): take the reserved identity as its own,
//!    record itself as the thread's "current thread" in this runtime, make its
//!    interrupter (an interrupter is made on the thread it interrupts) and record it with
//!    its native id, become `Started` and set `started` (what `native_id`, `interrupt` and
//!    a `join` that found the thread `Starting` wait for).
//! 4. **Run**: acquire the GIL and run the target with the guard. A panic is caught and
//!    reported through the excepthook while the GIL is held; its payload is dropped inside
//!    a catch, and one whose `Drop` panics again is leaked, as std does.
//! 5. **Drop the `Local` values** of the thread, still holding the GIL, as Python clears a
//!    thread's locals before `join` returns.
//! 6. **Release** the GIL.
//! 7. **Finish** (a drop guard, so it runs even if our own bookkeeping unwinds): drop the
//!    "current thread" record, **leave the registry, then** record the panic, drop the
//!    interrupter and become `Stopped` (`interrupt` refuses from here), **then** set
//!    `done`, so a joined thread is never listed and its locals are gone.
//! 8. **Exit**: the OS thread runs its thread-local destructors (the roster's drops any
//!    `Local` value set after step 5) and ends. The first untimed joiner to see `done`
//!    takes the `JoinHandle` and waits for this (as Python 3.13's `pthread_join`): the OS
//!    then reuses the stack for the next thread. Other joiners and timed joins wait for
//!    `done` only, so a timed join never waits on user destructors. Every `join` waits for
//!    `done` interruptibly (`done.rs`); only shutdown takes the `JoinHandle` at once.

use std::panic::{self, AssertUnwindSafe};

use gil_core::ident;
use gil_sync::__panic_payload::{drop_payload, panic_message};

use crate::current;
use crate::error::StartError;
use crate::excepthook;
use crate::local;
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread::Builder;
use crate::registry::{ExceptHookArgs, Kind, Shared, Status, Target, Thread};

impl Thread {
    /// Starts the thread (Python: `start()`): creates the OS thread, which takes the GIL and
    /// runs the target. When `start` returns, [`ident`](Thread::ident) is set, `is_alive` is
    /// true and the thread is listed by `enumerate`. `start` does not wait for the new thread
    /// to be scheduled (see "Differences" on [`Thread`]).
    ///
    /// # Errors
    ///
    /// [`StartError::AlreadyStarted`] on a second call (even after it finished, and for the
    /// main or a dummy thread); [`StartError::Shutdown`] once the runtime has shut down;
    /// [`StartError::Spawn`] if the OS refused a thread (the thread can then be started
    /// again).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|_| {});
    /// t.start().unwrap();
    /// assert_eq!(t.start().unwrap_err().to_string(), "threads can only be started once");
    /// # t.join().unwrap();
    /// ```
    pub fn start(&self) -> Result<(), StartError> {
        if self.0.kind != Kind::Runtime {
            return Err(StartError::AlreadyStarted);
        }
        let Some(shared) = self.0.runtime.upgrade() else {
            return Err(StartError::Shutdown);
        };
        // 1. Register.
        let (target, name, stack_size, reserved) = {
            let mut registry = shared.registry.lock();
            let mut state = self.0.state.lock();
            if state.status != Status::Initial {
                return Err(StartError::AlreadyStarted);
            }
            if registry.shut_down {
                return Err(StartError::Shutdown);
            }
            // Cleared before `Starting` is published, so a `native_id` caller that sees
            // `Starting` waits for this start's `set` (or the failure path's).
            self.0.started.clear();
            state.status = Status::Starting;
            let reserved = ident::reserve();
            state.ident = Some(reserved.get());
            registry.threads.push(self.clone());
            let Some(target) = state.target.take() else {
                unreachable!("an initial runtime thread has its target");
            };
            // An explicit size, else the runtime's setting at start (Python reads it then).
            let stack_size = state
                .stack_size
                .or(Some(registry.stack_size))
                .filter(|&n| n != 0);
            (target, state.name.clone(), stack_size, reserved)
        };
        // 2. Spawn, and return without waiting for the thread to run.
        let mut builder = Builder::new().name(name);
        if let Some(size) = stack_size {
            builder = builder.stack_size(size);
        }
        // The target travels in a slot so that a failed spawn can put it back.
        let slot = Arc::new(Mutex::new(Some(target)));
        let spawned = {
            let (thread, shared, slot) = (self.clone(), shared.clone(), slot.clone());
            builder.spawn(move || {
                // 3. Adopt. The spawned thread has asked for no identity yet: nothing ran
                // before this.
                let adopted = reserved.adopt();
                debug_assert!(adopted.is_ok(), "a new thread adopts its identity first");
                let target = slot.lock().take();
                if let Some(target) = target {
                    run(&shared, &thread, target);
                }
            })
        };
        match spawned {
            Ok(os) => {
                self.0.state.lock().os = Some(os);
                Ok(())
            }
            Err(error) => {
                // Step 2 failed: back to `Initial`, unlisted, the target back in place.
                let mut registry = shared.registry.lock();
                let removed = registry.remove(self);
                let mut state = self.0.state.lock();
                state.status = Status::Initial;
                state.ident = None;
                state.target = slot.lock().take();
                drop(state);
                drop(registry);
                drop(removed);
                // Wakes `native_id` callers that saw `Starting`; they now see `Initial`.
                self.0.started.set();
                Err(StartError::Spawn(error.kind()))
            }
        }
    }
}

/// The body of a started thread, which has adopted its identity: steps 3 to 7.
fn run(shared: &Arc<Shared>, thread: &Thread, target: Target) {
    current::set(shared, thread);
    // Made here, on the thread itself, as an interrupter must be; before the target runs,
    // so that `interrupt` reaches every `check()` the target makes.
    thread.record_started(Some(shared.gil.interrupter()));
    // 7 (armed here): whatever happens below, the thread leaves the registry, stops and
    // wakes its joiners.
    let mut finish = Finish {
        shared,
        thread,
        panic: None,
    };
    // 4. Run.
    let mut guard = shared.gil.acquire();
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| target(&mut guard))) {
        let message = panic_message(payload.as_ref());
        drop_payload(payload);
        excepthook::report(
            shared,
            &ExceptHookArgs {
                thread: thread.clone(),
                message: message.clone(),
            },
        );
        finish.panic = Some(message);
    }
    // 5. Python clears a thread's `threading.local` values (holding the GIL) before `join`
    // can return; the thread-local destructors would run only after `done`.
    local::drop_thread_values();
    // 6. Release the GIL.
    drop(guard);
    // 7. Finish.
    drop(finish);
}

/// Step 7, the end of a thread's life, also when our own code unwinds: leave the registry,
/// record the panic, stop, and set `done` — in that order, so a joined thread is never
/// listed.
struct Finish<'a> {
    shared: &'a Arc<Shared>,
    thread: &'a Thread,
    panic: Option<String>,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        current::clear(self.shared);
        let (removed, interrupter) = {
            let mut registry = self.shared.registry.lock();
            let removed = registry.remove(self.thread);
            let mut state = self.thread.0.state.lock();
            state.panic = self.panic.take().or_else(|| {
                std::thread::panicking()
                    .then(|| "the thread's runtime bookkeeping panicked".to_owned())
            });
            state.status = Status::Stopped;
            (removed, state.interrupter.take())
        };
        self.thread.0.done.set();
        drop((removed, interrupter));
    }
}
