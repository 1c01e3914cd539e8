//! The fixed-duration fairness/convoy harness: `cargo xtask harness [--quick] [--json]`.
#![forbid(unsafe_code)]

fn main() {
    match gil_bench::harness::parse(std::env::args().skip(1)) {
        Ok(args) => {
            gil_bench::harness::fairness_table(&args);
            println!();
            gil_bench::harness::convoy_table(&args);
        }
        Err(e) => {
            eprintln!("harness: {e}");
            std::process::exit(2);
        }
    }
}
