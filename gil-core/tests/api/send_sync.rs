//! Auto-trait matrix: what may cross threads, checked at compile time, plus the error types'
//! trait set and message style.

use std::error::Error;

use std::cell::Cell;
use std::rc::Rc;

use gil_core::{
    ArcGilGuard, BorrowError, Gil, GilBuilder, GilCell, GilGuard, GilOnceCell, GilStats, Mode,
    Policy, Ref, RefMut, SwitchIntervalError, ThreadStats, TryAcquireError,
};
use gil_test_support::traits::{
    NotSend, NotSync, is_clone, is_copy, is_debug, is_plain_error, is_send, is_static, is_sync,
};

#[test]
fn gil_is_send_sync_clone_debug() {
    is_send::<Gil>();
    is_sync::<Gil>();
    is_clone::<Gil>();
    is_debug::<Gil>();
    is_static::<Gil>();
}

#[test]
fn gil_guard_is_neither_send_nor_sync() {
    let () = <GilGuard<'static> as NotSend<_>>::CHECK;
    let () = <GilGuard<'static> as NotSync<_>>::CHECK;
    is_debug::<GilGuard<'static>>();
}

#[test]
fn arc_gil_guard_is_neither_send_nor_sync() {
    let () = <ArcGilGuard as NotSend<_>>::CHECK;
    let () = <ArcGilGuard as NotSync<_>>::CHECK;
    is_debug::<ArcGilGuard>();
    is_static::<ArcGilGuard>();
}

/// `GilCell<T>` is `Sync` with `T: Send` (like `Mutex`), so a `Cell` may live in one; its
/// borrows end on the thread that made them.
#[test]
fn cells_share_what_a_mutex_shares() {
    is_send::<GilCell<Cell<u32>>>();
    is_sync::<GilCell<Cell<u32>>>();
    is_debug::<GilCell<Cell<u32>>>();
    let () = <GilCell<Rc<u32>> as NotSync<_>>::CHECK;
    let () = <GilCell<Rc<u32>> as NotSend<_>>::CHECK;
    let () = <Ref<'static, u32> as NotSend<_>>::CHECK;
    let () = <Ref<'static, u32> as NotSync<_>>::CHECK;
    let () = <RefMut<'static, u32> as NotSend<_>>::CHECK;
    let () = <RefMut<'static, u32> as NotSync<_>>::CHECK;
    is_send::<GilOnceCell<u32>>();
    is_sync::<GilOnceCell<u32>>();
    is_debug::<GilOnceCell<u32>>();
}

#[test]
fn settings_and_stats_are_plain_data() {
    is_send::<GilBuilder>();
    is_sync::<GilBuilder>();
    is_copy::<GilBuilder>();
    is_copy::<Policy>();
    is_copy::<Mode>();
    is_send::<GilStats>();
    is_sync::<GilStats>();
    is_clone::<GilStats>();
    is_send::<ThreadStats>();
    is_sync::<ThreadStats>();
    is_clone::<ThreadStats>();
    assert_eq!(Policy::default(), Policy::Fair);
    assert_eq!(Mode::default(), Mode::Enabled);
}

#[test]
fn errors_are_send_sync_static_errors() {
    is_plain_error::<TryAcquireError>();
    is_plain_error::<SwitchIntervalError>();
    is_plain_error::<BorrowError>();
    let boxed: Box<dyn Error + Send + Sync> = Box::new(TryAcquireError::WouldBlock);
    assert!(boxed.source().is_none());
    let boxed: Box<dyn Error + Send + Sync> = Box::new(SwitchIntervalError::Zero);
    assert!(boxed.source().is_none());
}

#[test]
fn error_messages_are_lowercase_without_trailing_punctuation() {
    let messages = [
        TryAcquireError::WouldBlock.to_string(),
        SwitchIntervalError::Zero.to_string(),
        BorrowError::AlreadyBorrowed.to_string(),
        BorrowError::AlreadyMutablyBorrowed.to_string(),
        BorrowError::WrongGil.to_string(),
        BorrowError::NotHeld.to_string(),
        BorrowError::WouldDeadlock.to_string(),
        BorrowError::TooManyBorrows.to_string(),
    ];
    for m in messages {
        assert!(!m.is_empty());
        assert!(m.chars().next().is_some_and(char::is_lowercase), "{m:?}");
        assert!(!m.ends_with(['.', '!', '?']), "{m:?}");
    }
}
