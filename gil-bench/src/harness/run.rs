//! Running the harness: the tables `--only` selects, in a fixed order, each written into
//! the results file with `--write-results`.

use super::anchors::{convoy_table, fairness_table, start_join_table};
use super::interrupt::interrupt_table;
use super::load::load_table;
use super::micro::micro_table;
use super::settings::{Args, TABLES};
use super::switch::switch_table;
use crate::results::{self, Tee};

/// Measures and prints every table `a` selects, in [`TABLES`] order, a blank line between
/// two; with `--write-results FILE` rewrites each one's `harness-<table>` section of FILE.
///
/// # Errors
///
/// The results file cannot be read or written.
pub fn run(a: &Args) -> Result<(), String> {
    for (i, &table) in TABLES.iter().filter(|t| a.runs(t)).enumerate() {
        if i > 0 {
            println!();
        }
        let mut out = Tee::new();
        match table {
            "fairness" => fairness_table(a, &mut out),
            "convoy" => convoy_table(a, &mut out),
            "start-join" => start_join_table(a, &mut out),
            "load" => load_table(a, &mut out),
            "switch" => switch_table(a, &mut out),
            "interrupt" => interrupt_table(a, &mut out),
            _ => micro_table(a, &mut out),
        }
        if let Some(path) = &a.results {
            let name = format!("harness-{table}");
            results::write_section(path, &name, &results::command("harness"), out.text())?;
        }
    }
    Ok(())
}
