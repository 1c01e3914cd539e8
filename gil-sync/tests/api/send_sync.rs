//! Auto-trait matrix: what may cross threads, checked at compile time, plus the error types'
//! trait set.

use std::fmt::Debug;

use gil_sync::timeout::LockTimeout;
use gil_sync::{
    AcquireError, BarrierError, BoundedSemaphore, Condition, ConditionGuard, ConditionLock, Event,
    Lock, LockGuard, NotifyError, RLock, RLockGuard, ReleaseError, SavedState, Semaphore,
    SemaphoreGuard, TimeoutArgError, TimerError, TryAcquireError, ValueError, WaitError,
    WaitResult,
};
use gil_test_support::traits::{
    NotSend, NotSync, is_copy, is_debug, is_default, is_error, is_plain_error, is_send, is_sync,
};

#[test]
fn primitives_are_send_sync_debug_default() {
    fn check<T: Send + Sync + Debug + Default>() {}
    check::<Lock>();
    check::<RLock>();
    check::<Condition>();
    check::<Event>();
    is_send::<Semaphore>();
    is_sync::<Semaphore>();
    is_debug::<Semaphore>();
    is_send::<BoundedSemaphore>();
    is_sync::<BoundedSemaphore>();
    is_debug::<BoundedSemaphore>();
    is_send::<ConditionLock>();
    is_sync::<ConditionLock>();
    is_default::<Lock>();
}

#[test]
fn lock_and_semaphore_guards_are_send() {
    // A `Lock` has no owner and a permit is just a count: their guards may be dropped on any
    // thread.
    is_send::<LockGuard<'static>>();
    is_debug::<LockGuard<'static>>();
    is_send::<SemaphoreGuard<'static>>();
    is_debug::<SemaphoreGuard<'static>>();
}

#[test]
fn rlock_and_condition_guards_are_neither_send_nor_sync() {
    // Only the owner may release an `RLock` (and a `Condition`'s lock).
    let () = <RLockGuard<'static> as NotSend<_>>::CHECK;
    let () = <RLockGuard<'static> as NotSync<_>>::CHECK;
    let () = <ConditionGuard<'static> as NotSend<_>>::CHECK;
    let () = <ConditionGuard<'static> as NotSync<_>>::CHECK;
    is_debug::<RLockGuard<'static>>();
    is_debug::<ConditionGuard<'static>>();
}

#[test]
fn plain_data_is_copy_send_sync() {
    is_copy::<SavedState>();
    is_send::<SavedState>();
    is_sync::<SavedState>();
    is_copy::<WaitResult>();
    is_copy::<LockTimeout>();
    is_debug::<LockTimeout>();
}

#[test]
fn errors_are_send_sync_errors() {
    is_plain_error::<TryAcquireError>();
    is_plain_error::<AcquireError>();
    is_plain_error::<ReleaseError>();
    is_plain_error::<WaitError>();
    is_plain_error::<NotifyError>();
    is_plain_error::<ValueError>();
    is_plain_error::<TimerError>();
    is_plain_error::<TimeoutArgError>();
    is_error::<BarrierError>();
}
