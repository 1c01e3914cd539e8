//! (f) Uncontended `Lock` acquire + release against std's and `parking_lot`'s `Mutex` and
//! CPython's `threading.Lock`.

use super::ctx::Ctx;
use super::report::{Section, Table, num, times};
use super::scenarios;
use crate::json::Obj;

/// Uncontended `Lock` cost.
pub(super) fn lock(ctx: &mut Ctx<'_>) -> Section {
    let s = ctx.s;
    let per_block = (ctx.scaled(200_000.0) as usize).max(1000);
    let rounds = (s.rounds * 3).max(9);
    let c = scenarios::lock_costs(rounds, per_block);
    let py = ctx.python(
        "lock",
        &[
            ("n", per_block.to_string()),
            ("repeats", s.rounds.max(3).to_string()),
        ],
    );
    let py_ns = py.as_ref().map_or(f64::NAN, |p| p.get("lock_ns"));
    let mut t = Table::new(&["acquire + release, uncontended", "ns", "vs std Mutex"]);
    let rows = [
        ("gil_sync::Lock", c.gil_sync),
        ("std::sync::Mutex", c.std),
        ("parking_lot::Mutex", c.parking_lot),
        ("CPython threading.Lock", py_ns),
    ];
    for (name, ns) in rows {
        if name.starts_with("CPython") && py.is_none() {
            continue;
        }
        t.row(vec![name.to_owned(), num(ns, 1), times(ns / c.std)]);
    }
    ctx.findings.lock_vs_std = Some(c.gil_sync / c.std);
    let py_part = if py.is_some() {
        format!(
            "; {}'s threading.Lock {} ns (interpreter included)",
            ctx.py_label(),
            num(py_ns, 0)
        )
    } else {
        String::new()
    };
    Section {
        id: "lock",
        title: "Uncontended Lock".into(),
        setup: format!(
            "Acquire + release with nobody else around, blocks of {per_block}, {rounds} interleaved \
             rounds, median block."
        ),
        table: t,
        reading: format!(
            "Lock: {} ns per acquire + release, {} std's Mutex (goal ≤ 1.2×) and {} parking_lot's{py_part}.",
            num(c.gil_sync, 1),
            times(c.gil_sync / c.std),
            times(c.gil_sync / c.parking_lot),
        ),
        json: Obj::new()
            .with("per_block", per_block)
            .with("gil_sync_lock_ns", c.gil_sync)
            .with("std_mutex_ns", c.std)
            .with("parking_lot_mutex_ns", c.parking_lot)
            .with("cpython_lock_ns", py_ns),
        charts: Vec::new(),
    }
}
