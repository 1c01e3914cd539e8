//! The `micro` table: the uncontended costs of the GIL next to a std `Mutex`, measured as
//! short blocks of each variant interleaved many times over. The fastest block of each
//! variant is the cost with the least interference (a busy 2-core VM inflates criterion's
//! means by whatever else runs); the median block is reported beside it, so interference
//! stays visible.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::{Mutex, atomic::AtomicU32, atomic::Ordering::Relaxed};
use std::time::Instant;

use gil_core::{Gil, Policy};

use super::settings::Args;
use serde::Serialize;

use crate::json;
use crate::results::Tee;
use crate::stats::median;
use crate::workload::gil;

/// Iterations per block.
const BLOCK: u32 = 100_000;

/// One measured variant: its name and one block of it, returning ns per iteration.
type Variant<'a> = (&'a str, Box<dyn FnMut() -> f64 + 'a>);

/// One JSON row of the micro table.
#[derive(Debug, Serialize)]
struct MicroRow {
    name: String,
    ns_min: f64,
    ns_median: f64,
    rounds: usize,
    /// Against the row before (the GIL rows only).
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_min: Option<f64>,
}

/// Times `BLOCK` iterations of `f`, in ns per iteration.
fn block(mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..BLOCK {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(BLOCK)
}

/// Runs every variant's block once per round, `rounds` times; returns each variant's blocks.
fn interleave(variants: &mut [Variant<'_>], rounds: usize) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::with_capacity(rounds); variants.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter_mut().enumerate() {
            out[i].push(f());
        }
    }
    out
}

/// The micro table: acquire + release, `allow_threads(|| ())` and `check()` with nobody
/// waiting, for the fair GIL, next to std `Mutex` lock + unlock, drop + relock, and a
/// relaxed load.
///
/// # Panics
///
/// If the `Mutex` is poisoned (nothing here panics while holding it).
pub fn micro_table(a: &Args, out: &mut Tee) {
    let rounds = if a.repeats <= 1 { 60 } else { 300 };
    let fair = gil(Policy::Fair, a.interval);
    let m = Mutex::new(0u64);
    let count = Cell::new(0u64);
    let word = AtomicU32::new(0);
    let mut held = Some(m.lock().expect("unpoisoned"));
    drop(held.take());
    let guard_gil: &Gil = &fair;
    let mut variants: Vec<Variant<'_>> = vec![
        (
            "std lock+unlock",
            Box::new(|| {
                block(|| {
                    *m.lock().expect("unpoisoned") += 1;
                })
            }),
        ),
        (
            "fair acquire+release",
            Box::new(|| {
                block(|| {
                    let _g = fair.acquire();
                    count.set(count.get() + 1);
                })
            }),
        ),
        (
            "std drop+relock",
            Box::new(|| {
                held = Some(m.lock().expect("unpoisoned"));
                let ns = block(|| {
                    drop(held.take());
                    black_box(());
                    held = Some(m.lock().expect("unpoisoned"));
                });
                drop(held.take());
                ns
            }),
        ),
        (
            "fair allow_threads",
            Box::new(|| {
                let mut g = guard_gil.acquire();
                block(|| g.allow_threads(|| black_box(())))
            }),
        ),
        (
            "relaxed load",
            Box::new(|| {
                block(|| {
                    black_box(word.load(Relaxed) != 0);
                })
            }),
        ),
        (
            "fair check()",
            Box::new(|| {
                let mut g = guard_gil.acquire();
                block(|| {
                    black_box(g.check());
                })
            }),
        ),
    ];
    let blocks = interleave(&mut variants, rounds);
    black_box(count.get());
    out.line(format_args!(
        "# micro: uncontended costs, {rounds} rounds of {BLOCK}-iteration blocks, variants \
         interleaved; min = the least disturbed block, med = the median block (ns/iter)"
    ));
    out.line(format_args!(
        "{:<22} {:>7} {:>7} {:>8}",
        "variant", "min", "med", "vs"
    ));
    let names: Vec<&str> = variants.iter().map(|v| v.0).collect();
    for (i, name) in names.iter().enumerate() {
        let min = blocks[i].iter().copied().fold(f64::INFINITY, f64::min);
        let med = median(&blocks[i]);
        // Each GIL row follows the row it is compared with.
        let base =
            (i % 2 == 1).then(|| blocks[i - 1].iter().copied().fold(f64::INFINITY, f64::min));
        let vs = base.map_or(String::new(), |b| format!("{:.2}x", min / b));
        out.line(format_args!("{name:<22} {min:>7.2} {med:>7.2} {vs:>8}"));
        if a.json {
            let row = MicroRow {
                name: format!("micro.{}", name.replace([' ', '+'], "_").replace("()", "")),
                ns_min: min,
                ns_median: med,
                rounds,
                ratio_min: base.map(|b| min / b),
            };
            println!("{}", json::line(&row));
        }
    }
}
