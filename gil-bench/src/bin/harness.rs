//! The fixed-duration harness: `cargo xtask harness [--quick] [--json] [--only TABLE]...`
//! (`--help` lists the flags).
#![forbid(unsafe_code)]

use gil_bench::harness::{self, Args};

/// A table of the harness: its `--only` name and the function that measures and prints it.
type Table = (&'static str, fn(&Args));

const TABLES: [Table; 5] = [
    ("fairness", harness::fairness_table),
    ("convoy", harness::convoy_table),
    ("start-join", harness::start_join_table),
    ("load", harness::load_table),
    ("micro", harness::micro_table),
];

fn main() {
    // A burner of the load scenario runs this binary again; it never gets past this line.
    gil_bench::load::burn_if_asked();
    match harness::parse(std::env::args().skip(1)) {
        Ok(args) => {
            for (i, (_, table)) in TABLES.iter().filter(|(n, _)| args.runs(n)).enumerate() {
                if i > 0 {
                    println!();
                }
                table(&args);
            }
        }
        Err(e) => {
            eprintln!("harness: {e}");
            std::process::exit(2);
        }
    }
}
