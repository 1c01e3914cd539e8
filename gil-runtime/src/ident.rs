//! Thread identities: [`get_ident`](crate::get_ident) and [`get_native_id`](crate::get_native_id).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::loom::thread_local;

/// The next identity. A std atomic in both builds: identities only need to be unique.
static NEXT: AtomicU64 = AtomicU64::new(1);

#[cfg(not(loom))]
thread_local! {
    static IDENT: Cell<u64> = const { Cell::new(0) };
}

// loom's `thread_local!` has no const form.
#[cfg(loom)]
thread_local! {
    static IDENT: Cell<u64> = Cell::new(0);
}

/// The calling thread's identity: nonzero, never reused within the process.
pub(crate) fn current() -> u64 {
    IDENT.with(|cell| {
        if cell.get() == 0 {
            // Relaxed: uniqueness only needs the RMW's atomicity.
            cell.set(NEXT.fetch_add(1, Relaxed));
        }
        cell.get()
    })
}

/// The kernel's id for the calling thread (Linux: from `/proc/thread-self`).
pub(crate) fn native_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}
