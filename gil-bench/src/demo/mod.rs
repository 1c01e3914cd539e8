//! `cargo xtask demo`: what every Python threading tutorial claims, measured on this machine
//! with our runtime, next to CPython when `python3` is installed, and drawn.
//!
//! Scenarios (each mirrors a script in `gil-bench/python/anchors/`, cut down to the demo's budget):
//!
//! | id | what | anchor |
//! |---|---|---|
//! | `cpu` | CPU-bound work split over 1, 2, 4 threads or worker processes: GIL (Fair, CPython policy), free-threaded, processes, sequential | `a_cpu_bound.py` |
//! | `io` | 5 ms sleeps and 1 ms loopback TCP requests over 1, 2, 4 threads | `b_io_bound.py` |
//! | `timeline` | who holds the GIL when: 2 CPU-bound threads and 1 I/O thread traced, Fair and CPython policy | — |
//! | `convoy` | socketpair ping-pong alone and next to 1 and 2 CPU-bound spinners | `c_convoy.py` |
//! | `share` | K = 2 and 4 CPU-bound threads sharing the GIL: Jain, waits, hand-offs | `e_gil_sharing.py` |
//! | `sweep` | the sharing and convoy figures at 1, 5 and 20 ms switch intervals | — |
//! | `lock` | uncontended `Lock` acquire + release vs std and `parking_lot` | `d_primitives.py` |
//! | `race` | `counter += 1` as load / eval breaker / add / store on 2 and 4 threads, without and with a `Lock`: updates lost | — |
//! | `load` | the convoy (1 spinner) and K = 4 sharing idle and next to 1 and 2 busy processes | — |
//!
//! Each prints a progress line, a table and a one-line reading; at the end the goals of the
//! project are checked against what was measured, and a report folder is written: the same
//! results as JSON, SVG charts, and an HTML page embedding everything.
//!
//! Variants are interleaved round by round (rotating which goes first), because the machines
//! this runs on drift 2× in speed over seconds; medians are reported.
//!
//! One file per concern: [`settings`] (flags), one presenter per scenario
//! (`cpu`, `io`, `timeline`, `convoy`, `share`, `sweep`, `lock`, `race`, `load`: measure,
//! tabulate, read, chart) on the measurements of `scenarios`, [`timeline_trace`] and
//! `race_work`, the readings (`reading`), the goal table (`goals`), and `run`, which
//! runs them and writes the report (`report`, `svg`).

mod convoy;
mod cpu;
mod ctx;
mod goals;
pub mod history;
mod io;
mod load;
mod lock;
pub mod page;
pub mod procs;
mod race;
mod race_read;
mod race_work;
mod reading;
pub mod report;
mod run;
pub mod scenarios;
pub mod settings;
mod share;
pub mod svg;
mod sweep;
mod timeline;
pub mod timeline_trace;

pub use self::goals::{Findings, Goal, UnderLoad};
pub use self::run::run;
pub use self::settings::{Scenario, Settings, USAGE, parse};
pub use crate::cpython::PythonChoice;
