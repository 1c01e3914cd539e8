//! Running the harness: the tables `--only` selects, in a fixed order.

use super::anchors::{convoy_table, fairness_table, start_join_table};
use super::load::load_table;
use super::micro::micro_table;
use super::settings::{Args, TABLES};

/// Measures and prints every table `a` selects, in [`TABLES`] order, a blank line between
/// two.
///
/// # Errors
///
/// None yet: the tables print what they measured, or why they could not.
pub fn run(a: &Args) -> Result<(), String> {
    for (i, &table) in TABLES.iter().filter(|t| a.runs(t)).enumerate() {
        if i > 0 {
            println!();
        }
        match table {
            "fairness" => fairness_table(a),
            "convoy" => convoy_table(a),
            "start-join" => start_join_table(a),
            "load" => load_table(a),
            _ => micro_table(a),
        }
    }
    Ok(())
}
