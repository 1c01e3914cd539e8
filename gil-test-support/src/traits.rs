//! Compile-time trait checks for the auto-trait matrices (`tests/api/send_sync.rs`): each
//! `is_*::<T>()` compiles only when `T` has the trait, and `<T as NotSend<_>>::CHECK` only
//! when `T` is *not* `Send` (likewise [`NotSync`]).

use std::error::Error;
use std::fmt::Debug;

/// Compiles when `T: Send`.
pub fn is_send<T: Send>() {}
/// Compiles when `T: Sync`.
pub fn is_sync<T: Sync>() {}
/// Compiles when `T: Clone`.
pub fn is_clone<T: Clone>() {}
/// Compiles when `T: Copy`.
pub fn is_copy<T: Copy>() {}
/// Compiles when `T: Debug`.
pub fn is_debug<T: Debug>() {}
/// Compiles when `T: Default`.
pub fn is_default<T: Default>() {}
/// Compiles when `T: 'static`.
pub fn is_static<T: 'static>() {}
/// Compiles when `T` is an error that may cross threads.
pub fn is_error<T: Error + Send + Sync + 'static>() {}
/// Compiles when `T` is an error that is also plain data (`Copy + Eq`).
pub fn is_plain_error<T: Error + Send + Sync + Copy + Eq + 'static>() {}

/// `T: !Send` check: `<T as NotSend<_>>::CHECK` is ambiguous (a compile error) exactly when
/// `T: Send`, because then both impls apply.
pub trait NotSend<A> {
    /// Names the check; its value is nothing.
    const CHECK: () = ();
}
impl<T: ?Sized> NotSend<()> for T {}
impl<T: ?Sized + Send> NotSend<u8> for T {}

/// `T: !Sync`, the same way as [`NotSend`].
pub trait NotSync<A> {
    /// Names the check; its value is nothing.
    const CHECK: () = ();
}
impl<T: ?Sized> NotSync<()> for T {}
impl<T: ?Sized + Sync> NotSync<u8> for T {}
