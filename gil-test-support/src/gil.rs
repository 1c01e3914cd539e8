//! The GIL, taken within [`PATIENCE`](crate::PATIENCE).

use std::thread;
use std::time::{Duration, Instant};

use gil_core::{Gil, GilGuard};

use crate::{PATIENCE, within};

/// Acquires `gil` on the calling thread by polling `try_acquire`.
///
/// # Panics
///
/// If it is still held elsewhere after [`PATIENCE`]: a blocked thread kept it.
pub fn acquire_within(gil: &Gil) -> GilGuard<'_> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(guard) = gil.try_acquire() {
            return guard;
        }
        assert!(
            Instant::now() < deadline,
            "the GIL was not released within {PATIENCE:?}: a blocked thread kept it"
        );
        thread::sleep(Duration::from_micros(200));
    }
}

/// Whether another thread can take `gil` (and release it at once), polling for up to
/// [`PATIENCE`]: a thread that just ended or was woken may still hold it for a moment.
///
/// # Panics
///
/// If it is still held after [`PATIENCE`] (see [`acquire_within`]).
pub fn gil_free(gil: &Gil) -> bool {
    let gil = gil.clone();
    within("gil-probe", move || {
        drop(acquire_within(&gil));
        true
    })
}
