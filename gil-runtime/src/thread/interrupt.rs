//! [`Thread::interrupt`] and [`Thread::interrupter`]: raising gil-core's
//! [`Interrupt::Requested`](gil_core::Interrupt::Requested) on a runtime thread (Python's
//! `PyThreadState_SetAsyncExc`, and `_thread.interrupt_main` for the main thread).

use gil_core::Interrupter;

use crate::error::InterruptError;
use crate::registry::{Kind, Status, Thread};

impl Thread {
    /// Interrupts the thread: its next [`check()`](gil_core::GilGuard::check) returns
    /// `Err(Interrupt::Requested)`, and an interruptible wait it is blocked in wakes and
    /// returns its `Interrupted` error — [`join`](Thread::join) (and `join_timeout`) here,
    /// gil-sync's waits. Interrupts raised before the thread takes one merge into one. Any
    /// thread may call it, holding the GIL or not; the thread may interrupt itself.
    ///
    /// Right after [`start`](Thread::start) the new thread may not have run yet; this then
    /// waits (with the caller's GIL released) until the thread has made its interrupter,
    /// which it does before taking the GIL, as [`native_id`](Thread::native_id) does. It
    /// takes the record's lock: a signal handler holds an
    /// [`interrupter`](Thread::interrupter) instead.
    ///
    /// # Errors
    ///
    /// - [`InterruptError::NotStarted`] before `start` (or after a failed one).
    /// - [`InterruptError::Finished`] once the thread's target has ended, and for the main
    ///   thread once the runtime has shut down. A thread whose target returns just as it is
    ///   interrupted may still be interrupted (`Ok`): nothing sees the interrupt then.
    /// - [`InterruptError::DummyThread`] for a thread the runtime did not start (see
    ///   "Dummy threads" below).
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::Interrupt;
    ///
    /// let rt = gil_runtime::Runtime::new();
    /// let t = rt.thread(|guard| {
    ///     // An interpreter's eval loop: run until interrupted.
    ///     while guard.check().is_ok() {}
    /// });
    /// t.start().unwrap();
    /// t.interrupt().unwrap();
    /// t.join().unwrap();
    /// assert_eq!(
    ///     t.interrupt().unwrap_err().to_string(),
    ///     "cannot interrupt a finished thread"
    /// );
    /// ```
    ///
    /// # Dummy threads
    ///
    /// An interrupter must be made on the thread it interrupts, and the runtime meets a
    /// thread it did not start only when that thread asks for its
    /// [`current_thread`](crate::Handle::current_thread) — possibly from a thread-local
    /// destructor, where gil-core cannot make one. So a dummy thread has none: such a
    /// thread makes its own with [`Gil::interrupter`](gil_core::Gil::interrupter) and hands
    /// it to whoever interrupts it.
    ///
    /// # Differences from Python
    ///
    /// Python has no `Thread.interrupt`: its C API raises an exception in a thread with
    /// `PyThreadState_SetAsyncExc(ident, exc)`, which returns 0 for a thread it does not
    /// know (here: the errors above). Here the thread sees
    /// [`Interrupt::Requested`](gil_core::Interrupt::Requested), which an interpreter turns into the exception it
    /// wants; unlike `SetAsyncExc`, the interrupt also wakes the thread's interruptible
    /// waits, as a signal does in CPython's main thread.
    pub fn interrupt(&self) -> Result<(), InterruptError> {
        self.interrupter()?
            .interrupt()
            .map_err(|_| InterruptError::Finished)
    }

    /// The thread's [`Interrupter`]: `Send + Sync + Clone`, for a signal-handling thread, a
    /// watchdog or a real signal handler (its [`interrupt`](Interrupter::interrupt) only
    /// uses atomics and one unpark). It fails with
    /// [`InterruptError::ThreadExited`](gil_core::InterruptError::ThreadExited) once the OS
    /// thread has exited; between the end of the target and that exit it still succeeds,
    /// and nothing sees the interrupt.
    ///
    /// Waits for a `start` in progress as [`interrupt`](Thread::interrupt) does.
    ///
    /// # Errors
    ///
    /// As [`interrupt`](Thread::interrupt).
    ///
    /// # Examples
    ///
    /// ```
    /// use gil_core::Interrupt;
    ///
    /// let rt = gil_runtime::Runtime::new();
    /// let interrupter = rt.main_thread().interrupter().unwrap();
    /// let mut guard = rt.gil().acquire();
    /// std::thread::spawn(move || interrupter.interrupt().unwrap()).join().unwrap();
    /// assert_eq!(guard.check(), Err(Interrupt::Requested));
    /// ```
    ///
    /// # Differences from Python
    ///
    /// CPython's C signal handler sets a flag and the main thread runs the Python-level
    /// handler later; an [`Interrupter`] is that flag, for any thread of the runtime.
    pub fn interrupter(&self) -> Result<Interrupter, InterruptError> {
        if self.0.kind == Kind::Dummy {
            return Err(InterruptError::DummyThread);
        }
        // A runtime thread `Starting` has not made its interrupter yet: wait until it has
        // (`Started`), or its start failed (`Initial`).
        let state = self.settled_state();
        match state.status {
            Status::Initial => Err(InterruptError::NotStarted),
            Status::Stopped => Err(InterruptError::Finished),
            Status::Started => match &state.interrupter {
                Some(interrupter) => Ok(interrupter.clone()),
                None => unreachable!("a started runtime or main thread has its interrupter"),
            },
            Status::Starting => unreachable!("`settled_state` waits while `Starting`"),
        }
    }
}
