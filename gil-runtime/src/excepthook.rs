//! Reporting a panicked target: Python's `threading.excepthook` and its default.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use gil_sync::__panic_payload::{drop_payload, panic_message};

use crate::registry::{ExceptHookArgs, Shared};

/// Python's default `threading.excepthook`: `Exception in thread NAME:` and the message on
/// stderr.
///
/// # Examples
///
/// ```
/// let rt = gil_runtime::Runtime::new();
/// rt.set_excepthook(|args| {
///     gil_runtime::default_excepthook(args); // log as Python does, then count, alert, ...
/// });
/// ```
pub fn default_excepthook(args: &ExceptHookArgs) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "Exception in thread {}:\n{}",
        args.thread.name(),
        args.message
    );
    let _ = err.flush();
}

/// Reports a panicked target through `shared`'s hook (Python's `_invoke_excepthook`); a
/// hook that panics is reported on stderr instead.
pub(crate) fn report(shared: &Shared, args: &ExceptHookArgs) {
    let hook = shared.hook.lock().clone();
    let result = panic::catch_unwind(AssertUnwindSafe(|| match &hook {
        Some(hook) => hook(args),
        None => default_excepthook(args),
    }));
    if let Err(payload) = result {
        let message = panic_message(payload.as_ref());
        drop_payload(payload);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "Exception in threading.excepthook:\n{message}");
    }
}
