//! The fixed-duration fairness/convoy harness behind `cargo xtask harness` and the demo.
//!
//! Reproduces `e_gil_sharing.py` (K = 2 and 4 CPU-bound threads sharing the GIL) and
//! `c_convoy.py` (socketpair round trips next to 0, 1 and 2 spinners) for both policies,
//! and prints medians over repeats with the CPython 3.11 anchor figures beside them. The
//! `load` table ([`load_table`]) measures the convoy and sharing figures next to 0, 1 and 2
//! busy processes, with CPython beside us under the same load.

//!
//! The `switch` table ([`switch_table`]) times `Gil::set_mode` each way with 4 threads
//! running `check()` loops, idle and next to busy processes.
//!
//! One file per concern: [`settings`] (flags), `anchors` (the fairness, convoy and start-join
//! tables), `load`, `micro`, `switch`, `cells` (what the load and switch tables print alike),
//! and `run`, which prints the selected tables in order.

mod anchors;
mod cells;
mod interrupt;
mod load;
mod micro;
mod run;
pub mod settings;
mod switch;

pub use self::anchors::{convoy_table, fairness_table, start_join_table};
pub use self::load::load_table;
pub use self::micro::micro_table;
pub use self::run::run;
pub use self::settings::{Args, TABLES, USAGE, parse};
pub use self::switch::switch_table;
