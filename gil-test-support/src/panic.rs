//! Deliberate panics that skip the process-wide panic hook (so the output stays readable
//! without touching it), told apart from the ones that fail a test.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::thread::JoinHandle;

use crate::join;

/// The payload of [`quiet_panic`].
pub const DELIBERATE: &str = "deliberate test panic";

/// Panics with [`DELIBERATE`] without running the panic hook.
pub fn quiet_panic() -> ! {
    resume_unwind(Box::new(DELIBERATE))
}

/// Panics with `message` (a `String` payload, as `panic!("…")` with arguments gives) without
/// running the panic hook.
pub fn quiet_panic_with(message: impl Into<String>) -> ! {
    resume_unwind(Box::new(message.into()))
}

/// Checks that `result` is the deliberate panic of [`quiet_panic`].
///
/// # Panics
///
/// On a normal return; any other panic (a failed assertion inside the panicking code, a
/// deadline) is resumed, so it cannot pass for the planned one.
pub fn expect_deliberate<T>(result: std::thread::Result<T>) {
    match result {
        Ok(_) => panic!("expected the deliberate panic, got a normal return"),
        Err(payload) if payload.downcast_ref::<&str>() == Some(&DELIBERATE) => {}
        Err(payload) => resume_unwind(payload),
    }
}

/// Runs `f`, expecting the deliberate panic (see [`expect_deliberate`]).
///
/// # Panics
///
/// As [`expect_deliberate`].
pub fn catch_deliberate<R>(f: impl FnOnce() -> R) {
    expect_deliberate(catch_unwind(AssertUnwindSafe(f)));
}

/// Joins a thread expected to end by the deliberate panic, with [`join`]'s deadline. Returns
/// `true`, so that call sites read `assert!(panicked(t))`.
///
/// # Panics
///
/// As [`expect_deliberate`] and [`join`].
pub fn panicked<T: Send + 'static>(handle: JoinHandle<T>) -> bool {
    expect_deliberate(catch_unwind(AssertUnwindSafe(|| join(handle))));
    true
}

/// The message of a panic payload: its `String` or `&str`, else empty.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
