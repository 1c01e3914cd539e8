//! `Policy` and `Mode`: the two choices a GIL is built with (`GilBuilder`), read by the safe
//! layer (`gil/`) and the raw one (`raw/`).

/// How waiting threads get the GIL. See the crate docs for the guarantees of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Policy {
    /// Strict FIFO hand-off among CPU-bound threads and convoy-free re-acquire after I/O.
    #[default]
    Fair,
    /// A faithful model of CPython 3.11's `ceval_gil.c`: timed wait, drop request, forced
    /// switching, no FIFO. For comparison and for reproducing CPython's behaviour.
    CPython,
}

/// Whether the GIL excludes at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// One thread at a time holds the GIL.
    #[default]
    Enabled,
    /// Like `PYTHON_GIL=0` / CPython 3.13t: `acquire` never excludes; `check` and
    /// `allow_threads` cost next to nothing. Guards still nest and `is_held_by_current_thread`
    /// still answers, so the same program runs both ways.
    FreeThreaded,
}
