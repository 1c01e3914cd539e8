//! The `micro` table: the uncontended costs of the GIL next to a std `Mutex`, and of a
//! `GilCell` borrow next to `RefCell` and `parking_lot::Mutex`, measured as short blocks of
//! each variant interleaved many times over. The fastest block of each variant is the cost
//! with the least interference (a busy 2-core VM inflates criterion's means by whatever else
//! runs); the median block is reported beside it, so interference stays visible. Below the
//! table, the `GilCell` goals of issue #15, as ratios of interleaved blocks.

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::{Mutex, atomic::AtomicU32, atomic::Ordering::Relaxed};
use std::time::Instant;

use gil_core::{Gil, GilCell, Mode, Policy};

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

/// The goals of issue #15 this table checks: the label, the JSON name, the baseline variant,
/// the `GilCell` variant, and the most the second may cost in units of the first.
const GOALS: [(&str, &str, &str, &str, f64); 2] = [
    (
        "GilCell borrow vs RefCell borrow (goal <= 2x)",
        "gil_cell_borrow",
        "RefCell borrow",
        "fair GilCell borrow",
        2.0,
    ),
    (
        "GilCell borrow_mut free-threaded vs parking_lot lock+unlock (goal <= 1.5x)",
        "gil_cell_borrow_mut_free_threaded",
        "parking_lot lock+unlock",
        "ft GilCell borrow_mut",
        1.5,
    ),
];

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

/// One JSON row of the goals under the micro table.
#[derive(Debug, Serialize)]
struct MicroGoal {
    name: String,
    goal: f64,
    /// The `GilCell` variant's fastest block over its baseline's.
    ratio_min: f64,
    /// The per-round ratios (each round's `GilCell` block over its baseline block).
    ratio_median: f64,
    ratio_lo: f64,
    ratio_hi: f64,
    /// Whether `ratio_min` is within the goal.
    met: bool,
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
/// relaxed load; a fair `GilCell` shared borrow + read next to `RefCell`'s, and a
/// free-threaded `GilCell` mutable borrow + increment next to `parking_lot::Mutex` lock +
/// increment + unlock (as `benches/core_cell.rs`: the cell through `black_box` each
/// iteration, the value handed to `black_box` under the borrow); then the goals of issue #15
/// for those two, as ratios.
///
/// # Panics
///
/// If the `Mutex` is poisoned (nothing here panics while holding it).
#[expect(
    clippy::too_many_lines,
    reason = "one list of variants, each a few lines; splitting it would only scatter them"
)]
pub fn micro_table(a: &Args, out: &mut Tee) {
    let rounds = if a.repeats <= 1 { 60 } else { 300 };
    let fair = gil(Policy::Fair, a.interval);
    let m = Mutex::new(0u64);
    let count = Cell::new(0u64);
    let word = AtomicU32::new(0);
    let mut held = Some(m.lock().expect("unpoisoned"));
    drop(held.take());
    let guard_gil: &Gil = &fair;
    let refcell = RefCell::new(0u64);
    let cell = GilCell::new(&fair, 0u64);
    let pm = parking_lot::Mutex::new(0u64);
    let ft = Gil::builder()
        .mode(Mode::FreeThreaded)
        .build()
        .expect("default interval");
    let ft_cell = GilCell::new(&ft, 0u64);
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
                    black_box(g.check().is_ok());
                })
            }),
        ),
        (
            "RefCell borrow",
            Box::new(|| {
                block(|| {
                    let r = black_box(&refcell).borrow();
                    black_box(*r);
                })
            }),
        ),
        (
            "fair GilCell borrow",
            Box::new(|| {
                let g = guard_gil.acquire();
                block(|| {
                    let r = black_box(&cell).borrow(&g);
                    black_box(*r);
                })
            }),
        ),
        (
            "parking_lot lock+unlock",
            Box::new(|| {
                block(|| {
                    let mut n = black_box(&pm).lock();
                    *n += 1;
                    black_box(&*n);
                })
            }),
        ),
        (
            "ft GilCell borrow_mut",
            Box::new(|| {
                let g = ft.acquire();
                block(|| {
                    let mut r = black_box(&ft_cell).borrow_mut(&g);
                    *r += 1;
                    black_box(&*r);
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
    let names: Vec<&str> = variants.iter().map(|v| v.0).collect();
    let w = names.iter().map(|n| n.len()).max().unwrap_or(0);
    out.line(format_args!(
        "{:<w$} {:>7} {:>7} {:>8}",
        "variant", "min", "med", "vs"
    ));
    for (i, name) in names.iter().enumerate() {
        let min = blocks[i].iter().copied().fold(f64::INFINITY, f64::min);
        let med = median(&blocks[i]);
        // Each GIL row follows the row it is compared with.
        let base =
            (i % 2 == 1).then(|| blocks[i - 1].iter().copied().fold(f64::INFINITY, f64::min));
        let vs = base.map_or(String::new(), |b| format!("{:.2}x", min / b));
        out.line(format_args!("{name:<w$} {min:>7.2} {med:>7.2} {vs:>8}"));
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
    goals(a, &names, &blocks, out);
}

/// Prints (and with `--json` emits) each of [`GOALS`]: the ratio of the fastest blocks, as
/// the table's `vs` column, which decides the verdict, and the median and range of the
/// per-round ratios (both blocks of a round ran back to back, under the same interference).
fn goals(a: &Args, names: &[&str], blocks: &[Vec<f64>], out: &mut Tee) {
    let of = |name: &str| &blocks[names.iter().position(|n| *n == name).expect("a variant")];
    let fastest = |xs: &[f64]| xs.iter().copied().fold(f64::INFINITY, f64::min);
    out.line(format_args!(
        "# goals (issue #15): min = fastest block over fastest block, decides; per round = \
         median [min-max] of each round's ratio"
    ));
    for (label, slug, base, gil, goal) in GOALS {
        let (base, gil) = (of(base), of(gil));
        let ratio_min = fastest(gil) / fastest(base);
        let per_round: Vec<f64> = gil.iter().zip(base).map(|(g, b)| g / b).collect();
        let (lo, hi) = (
            fastest(&per_round),
            per_round.iter().copied().fold(0.0, f64::max),
        );
        let ratio_median = median(&per_round);
        let met = ratio_min <= goal;
        let verdict = if met { "met" } else { "MISSED" };
        out.line(format_args!(
            "{label:<76} min {ratio_min:.2}x  per round {ratio_median:.2}x \
             [{lo:.2}-{hi:.2}]  {verdict}"
        ));
        if a.json {
            let row = MicroGoal {
                name: format!("micro.goal.{slug}"),
                goal,
                ratio_min,
                ratio_median,
                ratio_lo: lo,
                ratio_hi: hi,
                met,
            };
            println!("{}", json::line(&row));
        }
    }
}
