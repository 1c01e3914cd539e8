//! Thread identities: [`get_ident`](crate::get_ident) and [`get_native_id`](crate::get_native_id).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::loom::thread_local;

/// The next identity. A std atomic in both builds: identities only need to be unique.
static NEXT: AtomicU64 = AtomicU64::new(1);

// `const` and drop-free: std registers no destructor for it, so `with` works at any time,
// in other thread-locals' destructors too (issue 13: "thread-local access during
// teardown"; tested by `tests/api/teardown.rs`).
#[cfg(not(loom))]
thread_local! {
    static IDENT: Cell<u64> = const { Cell::new(0) };
}

// loom's `thread_local!` has no const form.
#[cfg(loom)]
thread_local! {
    static IDENT: Cell<u64> = Cell::new(0);
}

/// A fresh identity, for a thread that will [`adopt`] it.
pub(crate) fn allocate() -> u64 {
    // Relaxed: uniqueness only needs the RMW's atomicity.
    NEXT.fetch_add(1, Relaxed)
}

/// Makes `ident` (from [`allocate`]) the calling thread's identity. `Thread::start` allocates
/// the new thread's identity so that it is known when `start` returns without waiting for
/// the thread to run; the thread adopts it before anything else.
pub(crate) fn adopt(ident: u64) {
    IDENT.with(|cell| {
        debug_assert_eq!(cell.get(), 0, "a thread adopts its identity first");
        cell.set(ident);
    });
}

/// The calling thread's identity: nonzero, never reused within the process.
pub(crate) fn current() -> u64 {
    IDENT.with(|cell| {
        if cell.get() == 0 {
            cell.set(allocate());
        }
        cell.get()
    })
}

/// The kernel's id for the calling thread (Linux: from `/proc/thread-self`).
pub(crate) fn native_id() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}
