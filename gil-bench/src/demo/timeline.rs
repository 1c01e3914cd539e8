//! Who holds the GIL when: two CPU-bound threads and one I/O thread traced for a few
//! switch intervals under the Fair and the CPython policy, drawn as a timeline; how long the
//! I/O thread waited to get the GIL back after each I/O call.

use std::time::Duration;

use super::ctx::Ctx;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::{self, Flavor};
use super::svg::timeline::Timeline;
use super::timeline_trace::{
    LANES, Lane, Plan, State, Trace, free_fraction, handoffs, max_overlap, share, trace,
};
use crate::json::Obj;
use crate::stats::median;

/// The two policies drawn, Fair above.
const POLICIES: [Flavor; 2] = [Flavor::Fair, Flavor::CPython];

/// How far two threads' recorded holds may overlap, ms: the clocks of two cores may disagree
/// by a few µs; more means two holders at once.
const OVERLAP_TOLERANCE_MS: f64 = 0.05;

/// A wait in ms with enough decimals to show it: `0.018`, `0.12`, `4.9`.
fn wait_ms(x: f64) -> String {
    let digits = if x < 0.1 {
        3
    } else if x < 1.0 {
        2
    } else {
        1
    };
    format!("{} ms", num(x, digits))
}

/// A fraction as a percentage: `42 %`.
fn percent(x: f64) -> String {
    format!("{} %", num(x * 100.0, 0))
}

/// The largest of `xs` (`NaN` when empty).
fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().reduce(f64::max).unwrap_or(f64::NAN)
}

/// What the reading uses of one policy's I/O thread.
#[derive(Debug, Clone, Copy)]
pub(super) struct IoThread<'a> {
    /// Its waits to get the GIL back after each I/O call, ms.
    pub(super) waits: &'a [f64],
    /// The fraction of its time it waited for the GIL in all (hand-overs in its compute
    /// included).
    pub(super) waiting: f64,
}

/// The reading from the I/O thread's waits under Fair and the CPython policy, with switch
/// interval `interval_ms`, over runs of `run_ms`.
pub(super) fn reading(
    interval_ms: f64,
    run_ms: f64,
    fair_io: IoThread<'_>,
    cpython_io: IoThread<'_>,
) -> String {
    let (fair, cpython) = (fair_io.waits, cpython_io.waits);
    let (f_med, c_med) = (median(fair), median(cpython));
    let head = format!(
        "Fair: the I/O thread got the GIL back after a median {} (max {}) and finished {} I/O \
         calls in about {run_ms:.0} ms; CPython policy: median {} (max {}), {} I/O calls",
        wait_ms(f_med),
        wait_ms(max(fair)),
        fair.len(),
        wait_ms(c_med),
        wait_ms(max(cpython)),
        cpython.len(),
    );
    let half = interval_ms / 2.0;
    let long = cpython.iter().filter(|&&w| w >= half).count();
    let reached = if long == cpython.len() {
        format!(
            "every wait reached half the switch interval ({})",
            wait_ms(half)
        )
    } else {
        format!(
            "{long} of {} waits reached half the switch interval ({})",
            cpython.len(),
            wait_ms(half)
        )
    };
    let tail = if !(f_med.is_finite() && c_med.is_finite()) {
        ": the I/O thread finished no I/O call under one policy, nothing to compare.".to_owned()
    } else if c_med >= 4.0 * f_med && c_med >= interval_ms / 10.0 {
        format!(
            " — {reached}: back from I/O, it waits for CPU threads' switch intervals to run \
             out (median {} intervals), where Fair hands it the GIL at the holder's next \
             check() ({} shorter median).",
            num(c_med / interval_ms, 1),
            times(c_med / f_med)
        )
    } else if f_med >= c_med {
        format!(
            ". On this run the I/O thread waited as long after I/O under Fair as under the \
             CPython policy ({} its wait): its waits after I/O show no convoy; compare the load \
             the run was under.",
            times(f_med / c_med)
        )
    } else {
        format!(
            ". The CPython policy's median wait after I/O was only {} Fair's and {reached}: \
             its waits after I/O show no convoy on this run.",
            times(c_med / f_med)
        )
    };
    let calls = if fair.is_empty() || cpython.is_empty() {
        String::new()
    } else {
        format!(
            " Fair's I/O thread finished {} the I/O calls of the CPython policy's.",
            times(fair.len() as f64 / cpython.len() as f64)
        )
    };
    format!(
        "{head}{tail}{calls} In all, the I/O thread waited for the GIL {} of its time under \
         Fair and {} under the CPython policy (hand-overs during its compute \
         included).",
        percent(fair_io.waiting),
        percent(cpython_io.waiting)
    )
}

/// Spans rounded to the µs, as `[start, end]` pairs in ms, for the JSON.
fn pairs(lane: &Lane, state: State) -> Vec<[f64; 2]> {
    let us = |x: f64| (x * 1e3).round() / 1e3;
    lane.spans
        .iter()
        .filter(|s| s.state == state)
        .map(|s| [us(s.start), us(s.end)])
        .collect()
}

/// One policy's JSON: per thread its shares, hand-offs, waits after I/O and its intervals.
fn trace_json(t: &Trace) -> Obj {
    let threads = t.lanes.iter().fold(Obj::new(), |all, lane| {
        let waits = &lane.io_waits;
        let mut o = Obj::new();
        for st in State::ALL {
            o = o.with(&format!("{}_fraction", st.key()), share(&lane.spans, st));
        }
        o = o
            .with("handoffs", handoffs(&lane.spans))
            .with("io_wait_ms_median", median(waits))
            .with("io_wait_ms_max", max(waits))
            .with("io_waits_ms", waits);
        for st in State::ALL {
            o = o.with(&format!("{}_ms", st.key()), pairs(lane, st));
        }
        all.with(lane.key, o)
    });
    Obj::new()
        .with("length_ms", t.length())
        .with("max_hold_overlap_ms", max_overlap(&t.lanes))
        .with("gil_free_fraction", free_fraction(&t.lanes))
        .with("threads", threads)
}

/// Per policy and thread: the shares of the time holding, waiting and in I/O, the
/// hand-offs, and the waits to get the GIL back after I/O.
fn table(traces: &[Trace]) -> Table {
    let mut t = Table::new(&[
        "policy, thread",
        "holding the GIL",
        "waiting for it",
        "in I/O",
        "hand-offs",
        "GIL back after I/O: median",
        "max",
    ]);
    for tr in traces {
        for lane in &tr.lanes {
            let waits = &lane.io_waits;
            let (med, mx) = if waits.is_empty() {
                (String::new(), String::new())
            } else {
                (wait_ms(median(waits)), wait_ms(max(waits)))
            };
            t.row(vec![
                format!("{}, {}", tr.flavor.label(), lane.name),
                percent(share(&lane.spans, State::Holding)),
                percent(share(&lane.spans, State::Waiting)),
                percent(share(&lane.spans, State::Io)),
                handoffs(&lane.spans).to_string(),
                med,
                mx,
            ]);
        }
    }
    t
}

/// The GIL timeline.
///
/// # Errors
///
/// A runtime or thread failed, or the trace shows two threads holding the GIL at once.
pub(super) fn timeline(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let ns = scenarios::ns_per_unit();
    let plan = Plan {
        interval: s.interval,
        warmup: (s.interval * 3).clamp(Duration::from_millis(5), Duration::from_millis(100)),
        length: (s.interval * 10).clamp(Duration::from_millis(20), Duration::from_millis(400)),
        io: Duration::from_millis(1),
        compute_units: ((0.1e6 / ns) as u64).max(1),
    };
    let traces = POLICIES
        .iter()
        .map(|&f| trace(f, plan))
        .collect::<Result<Vec<_>, _>>()?;
    for t in &traces {
        let overlap = max_overlap(&t.lanes);
        if overlap > OVERLAP_TOLERANCE_MS {
            return Err(format!(
                "{}: two threads' recorded holds of the GIL overlap by {} (tolerance {})",
                t.flavor.label(),
                wait_ms(overlap),
                wait_ms(OVERLAP_TOLERANCE_MS)
            ));
        }
    }
    let table = table(&traces);
    let io_lane = LANES.len() - 1;
    let waits: Vec<Vec<f64>> = traces
        .iter()
        .map(|tr| tr.lanes[io_lane].io_waits.clone())
        .collect();
    let io = |p: usize| IoThread {
        waits: &waits[p],
        waiting: share(&traces[p].lanes[io_lane].spans, State::Waiting),
    };
    let interval_ms = s.interval.as_secs_f64() * 1e3;
    let run_ms = plan.length.as_secs_f64() * 1e3;
    let chart = Timeline {
        title: format!(
            "Who holds the GIL when: 2 CPU-bound threads and 1 I/O thread, switch interval {}",
            ms(s.interval.as_secs_f64())
        ),
        x_label: format!(
            "time (ms), after a warm-up of {}",
            ms(plan.warmup.as_secs_f64())
        ),
        panels: traces
            .iter()
            .map(|tr| (tr.flavor.label().to_owned(), tr.lanes.clone()))
            .collect(),
    };
    let json = traces.iter().fold(
        Obj::new()
            .with("interval_ms", interval_ms)
            .with("warmup_ms", plan.warmup.as_secs_f64() * 1e3)
            .with("length_ms", run_ms)
            .with("io_sleep_ms", plan.io.as_secs_f64() * 1e3)
            .with("io_compute_units", plan.compute_units as f64)
            .with("ns_per_unit", ns)
            .with("overlap_tolerance_ms", OVERLAP_TOLERANCE_MS),
        |o, tr| o.with(tr.flavor.key(), trace_json(tr)),
    );
    Ok(Section {
        id: "timeline",
        title: "Who holds the GIL when: a traced timeline".into(),
        setup: format!(
            "Two CPU-bound threads (the cpu scenario's loop, check() after each \"bytecode\") and \
             one I/O thread (about 0.1 ms of compute, then a 1 ms sleep inside allow_threads) on a \
             gil-runtime Runtime, switch interval {}; traced for {} per policy after a warm-up of {} \
             (the threads are let go at once; the scramble that follows is not drawn). Each \
             thread records its own \
             changes of state with timestamps, without a lock: a check() that handed the GIL over \
             is a wait for it, and so is the I/O thread's time from the end of its I/O to getting \
             the GIL back. The recorded holds of different threads are checked never to overlap. \
             One run per policy; no CPython process runs here.",
            ms(s.interval.as_secs_f64()),
            ms(plan.length.as_secs_f64()),
            ms(plan.warmup.as_secs_f64())
        ),
        table,
        reading: reading(interval_ms, run_ms, io(0), io(1)),
        json,
        charts: vec![Chart::new(
            "timeline.svg",
            chart.svg(),
            "Who holds the GIL when: each lane is a thread, solid where it holds the GIL, hatched where it waits for it, a thin line where it is blocked in I/O with the GIL released. Under Fair the I/O thread gets the GIL back at once after each I/O call; under the CPython policy it waits for a CPU thread's switch interval to run out.",
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `reading` of these waits, the I/O thread waiting 40 % (Fair) and 80 % in all.
    fn read(fair: &[f64], cpython: &[f64]) -> String {
        let io = |waits, waiting| IoThread { waits, waiting };
        reading(5.0, 50.0, io(fair, 0.4), io(cpython, 0.8))
    }

    #[test]
    fn reading_shows_the_convoy_when_cpython_waits_out_the_interval() {
        let r = read(&[0.02, 0.03, 0.1], &[4.9, 5.1, 4.8]);
        assert!(
            r.starts_with(
                "Fair: the I/O thread got the GIL back after a median 0.030 ms (max 0.10 ms) \
                 and finished 3 I/O calls in about 50 ms; CPython policy: median 4.9 ms \
                 (max 5.1 ms), 3 I/O calls — every wait reached half the switch interval \
                 (2.5 ms): back from I/O, it waits for CPU threads' switch intervals to run out \
                 (median 1.0 intervals)"
            ),
            "{r}"
        );
        assert!(r.contains("(163× shorter median). Fair's I/O thread finished 1.00× the I/O calls of the CPython policy's. In all"), "{r}");
        assert!(
            r.contains("waited for the GIL 40 % of its time under Fair and 80 %"),
            "{r}"
        );
        let r = read(&[0.02, 0.03], &[4.9, 2.0, 0.2]);
        assert!(r.contains("— 1 of 3 waits reached half"), "{r}");
    }

    #[test]
    fn reading_says_so_when_the_data_shows_no_convoy() {
        let r = read(&[0.4, 0.5], &[0.3, 0.2]);
        assert!(
            r.contains("as long after I/O under Fair") && !r.contains("back from I/O"),
            "{r}"
        );
        // 3× Fair's: not a convoy, whatever the absolute numbers.
        let r = read(&[0.2, 0.2], &[0.6, 0.6]);
        assert!(r.contains("only 3.00× Fair's and 0 of 2 waits"), "{r}");
        assert!(r.contains("show no convoy"), "{r}");
        // Far above Fair's but a tiny fraction of the interval: not a convoy either.
        let r = read(&[0.001, 0.001], &[0.1, 0.1]);
        assert!(r.contains("show no convoy"), "{r}");
        let r = read(&[], &[4.9]);
        assert!(
            r.contains("finished 0 I/O calls") && r.contains("nothing to compare"),
            "{r}"
        );
        assert!(!r.contains("the I/O calls of"), "{r}");
    }

    /// Waits recorded by `demo --only timeline` on 2 cores: idle (0.0 % steal), and next to
    /// one busy process (`yes`) and two compiling ones (3 runnable outside the run).
    #[test]
    fn reading_of_recorded_runs_idle_and_busy() {
        let idle_fair = [
            0.036, 0.027, 0.028, 0.032, 0.027, 0.031, 0.043, 0.03, 0.038, 0.028, 0.026, 0.026,
            0.028, 0.039, 0.024, 0.023, 0.024, 0.025, 0.025, 0.032, 0.037, 0.023, 0.023, 0.035,
            0.002,
        ];
        let idle_cpython = [5.204, 13.0, 4.949, 1.581];
        let io = |waits, waiting| IoThread { waits, waiting };
        let r = reading(5.0, 50.0, io(&idle_fair, 0.015), io(&idle_cpython, 0.801));
        assert!(
            r.contains("median 0.028 ms (max 0.043 ms) and finished 25 I/O"),
            "{r}"
        );
        assert!(
            r.contains("median 5.2 ms (max 13.0 ms), 4 I/O calls — 3 of 4"),
            "{r}"
        );
        assert!(r.contains("finished 6.25× the I/O calls"), "{r}");
        assert!(r.contains("GIL 2 % of its time under Fair and 80 %"), "{r}");
        // Busy: the OS's scheduling delays Fair's I/O thread too; the CPython policy's I/O
        // thread waited 35 ms for its first turn and finished 2 calls.
        let busy_fair = [
            1.086, 1.727, 1.138, 0.027, 1.718, 0.022, 1.638, 2.837, 4.254, 1.195, 0.034, 2.778,
        ];
        let busy_cpython = [3.987, 0.003];
        let r = reading(5.0, 50.0, io(&busy_fair, 0.432), io(&busy_cpython, 0.789));
        assert!(
            r.contains("median 1.6 ms (max 4.3 ms) and finished 12 I/O"),
            "{r}"
        );
        assert!(
            r.contains("only 2.43× Fair's and 1 of 2 waits reached"),
            "{r}"
        );
        assert!(r.contains("show no convoy on this run"), "{r}");
        assert!(r.contains("finished 6.00× the I/O calls"), "{r}");
        assert!(r.contains("43 % of its time under Fair and 79 %"), "{r}");
    }

    #[test]
    fn formats_waits_and_percentages() {
        assert_eq!(wait_ms(0.0184), "0.018 ms");
        assert_eq!(wait_ms(0.123), "0.12 ms");
        assert_eq!(wait_ms(4.87), "4.9 ms");
        assert_eq!(percent(0.426), "43 %");
        assert!(max(&[]).is_nan());
    }
}
