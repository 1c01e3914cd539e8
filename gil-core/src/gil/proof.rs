//! [`Guard`]: what the cells accept as proof that the calling thread holds a GIL.

use crate::gil::guard::GilGuard;
use crate::gil::{Gil, held};

/// A guard of a [`Gil`]: proof that the calling thread holds it, which is what
/// [`GilCell`](crate::GilCell) and [`GilOnceCell`](crate::GilOnceCell) ask for.
///
/// Implemented by [`GilGuard`] and [`ArcGilGuard`](crate::ArcGilGuard); sealed, so a cell
/// can rely on what the guard reports.
///
/// # Examples
///
/// ```
/// use gil_core::{Gil, GilCell, Guard};
///
/// fn total(cell: &GilCell<Vec<u32>>, guard: &impl Guard) -> u32 {
///     cell.borrow(guard).iter().sum()
/// }
/// let gil = Gil::new();
/// let cell = GilCell::new(&gil, vec![1, 2, 3]);
/// assert_eq!(total(&cell, &gil.acquire()), 6);
/// ```
pub trait Guard: sealed::Sealed {
    /// The GIL this guard holds.
    fn gil(&self) -> &Gil;
}

pub(crate) mod sealed {
    /// Keeps [`Guard`](super::Guard) implemented by this crate's guards only, and carries
    /// what the cells need to know about them.
    pub trait Sealed {
        /// The level the guard belongs to (`gil/hold.rs`, `gil/free_threaded.rs`).
        fn level(&self) -> u32;
    }
}

impl Guard for GilGuard<'_> {
    #[inline]
    fn gil(&self) -> &Gil {
        GilGuard::gil(self)
    }
}

impl sealed::Sealed for GilGuard<'_> {
    #[inline]
    fn level(&self) -> u32 {
        GilGuard::level(self)
    }
}

/// Whether a guard at `level` proves, right now, that the calling thread holds its GIL: it is
/// of the current hold, not of one an `allow_threads` frame suspended (`held.rs`).
#[inline]
pub(crate) fn guard_is_current(level: u32) -> bool {
    held::is_current_level(level)
}
