//! `cargo xtask demo`: see the GIL at work, measured on this machine.
//!
//! Today it runs the quick fairness and convoy scenarios; the full demo (CPU- and I/O-bound
//! scaling, interval sweep, charts, CPython side by side) comes with issue #5.
#![forbid(unsafe_code)]

fn main() {
    let args = match gil_bench::harness::parse(std::env::args().skip(1)) {
        Ok(a) if std::env::args().len() > 1 => a,
        Ok(_) => gil_bench::harness::Args::quick(),
        Err(e) => {
            eprintln!("demo: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "What the GIL does, measured on this machine (quick settings; see `cargo xtask harness --help`)."
    );
    println!();
    println!(
        "1. Sharing: K threads that only compute take turns holding the GIL. `jain` is 1.0 when"
    );
    println!(
        "   every thread got the same share; `wait` is how long a thread waited for its turn."
    );
    println!(
        "   Fair = FIFO turns, so waits stay near (K-1) x interval; CPython's policy has no queue."
    );
    println!();
    gil_bench::harness::fairness_table(&args);
    println!();
    println!(
        "2. Convoy (bpo-7946): a thread doing tiny socket round trips, releasing the GIL around each"
    );
    println!(
        "   send/recv, next to threads that only compute. Under CPython's policy each re-acquire waits"
    );
    println!(
        "   up to a whole interval behind the spinner: `slowdown` is hundreds of times. Fair lets the"
    );
    println!("   returning thread in at the spinner's next check().");
    println!();
    gil_bench::harness::convoy_table(&args);
}
