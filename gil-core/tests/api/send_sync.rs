//! Auto-trait matrix: what may cross threads, checked at compile time, plus the error types'
//! trait set and message style.

use std::error::Error;

use gil_core::{
    Gil, GilBuilder, GilGuard, GilStats, Mode, Policy, SwitchIntervalError, ThreadStats,
    TryAcquireError,
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
    ];
    for m in messages {
        assert!(!m.is_empty());
        assert!(m.chars().next().is_some_and(char::is_lowercase), "{m:?}");
        assert!(!m.ends_with(['.', '!', '?']), "{m:?}");
    }
}
