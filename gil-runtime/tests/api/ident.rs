//! One identity space (issue 14): `get_ident()`, `Thread::ident()`, an `RLock`'s owner and
//! gil-core's `ident::current()` name a thread with the same number.

use std::sync::Arc;
use std::sync::mpsc;

use gil_runtime::{Runtime, get_ident};
use gil_sync::RLock;
use gil_test_support::recv;

#[test]
fn rlock_owner_is_get_ident() {
    let lock = RLock::new();
    let _held = lock.acquire();
    let shown = format!("{lock:?}");
    let me = get_ident();
    assert!(
        shown.contains(&format!("owner={me} ")),
        "{shown} vs get_ident() = {me}"
    );
    assert_eq!(me, gil_core::ident::current());
}

#[test]
fn started_thread_sees_its_own_ident_everywhere() {
    let rt = Runtime::new();
    let lock = Arc::new(RLock::new());
    let (tx, rx) = mpsc::channel();
    let l = lock.clone();
    let t = rt.thread(move |_| {
        let _held = l.acquire();
        tx.send((get_ident(), gil_core::ident::current(), format!("{l:?}")))
            .unwrap();
    });
    t.start().unwrap();
    let ident = t.ident().unwrap();
    let (inside, core, shown) = recv(&rx);
    t.join().unwrap();
    assert_eq!(inside, ident);
    assert_eq!(core, ident);
    assert!(
        shown.contains(&format!("owner={ident} ")),
        "{shown} vs ident {ident}"
    );
    assert_ne!(ident, get_ident());
}
