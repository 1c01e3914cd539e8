//! Caught panic payloads: their text, and dropping them without unwinding further. Used by
//! `Timer` here and by gil-runtime (thread ends, excepthooks, `Local` values), through the
//! hidden re-export `gil_sync::__panic_payload`.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Drops a caught panic payload whose own `Drop` may panic, so nothing unwinds past the
/// catch: the payload of that second panic is dropped the same way, and so on; a chain of
/// more than eight panicking drops is leaked, as std leaks a payload it cannot drop.
pub fn drop_payload(mut payload: Box<dyn Any + Send>) {
    for _ in 0..8 {
        match panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}

/// The text of a panic payload (`&str` or `String`, else `Box<dyn Any>`, as std prints it).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}
