//! The timeline scenario's measurement: two CPU-bound threads and one I/O thread on a
//! gil-runtime `Runtime`, each recording its own changes of state (holding the GIL, waiting
//! for it, blocked in I/O with the GIL released) with `Instant` timestamps into its own
//! `Vec`, and what the recorded intervals say.
//!
//! # Implementation details
//!
//! No lock and no change to gil-core: a CPU-bound thread reads the clock before each
//! `check()`; when `check()` returns `Turn::Switched` it handed the GIL over and waited for it
//! from that reading to the one after `check()`. The I/O thread reads the clock before
//! `allow_threads` (GIL released), at the end of its closure (I/O finished: from here it
//! waits for the GIL) and after `allow_threads` returns (GIL back). Every "holding" interval
//! starts after the GIL was taken and ends before it is given up, so the recorded holds of
//! different threads can overlap only by the clocks' disagreement: [`max_overlap`] checks that.

use std::hint::black_box;
use std::sync::{Arc, Barrier, OnceLock, mpsc};
use std::time::{Duration, Instant};

use gil_core::{GilGuard, Turn};

use super::scenarios::{self, Flavor};
use crate::workload::work_unit;

/// What a traced thread is doing over a [`Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// It holds the GIL.
    Holding,
    /// It asked for the GIL and waits for it.
    Waiting,
    /// It released the GIL around a blocking call.
    Io,
}

impl State {
    /// All three, in table order.
    pub const ALL: [Self; 3] = [Self::Holding, Self::Waiting, Self::Io];

    /// The JSON key of this state's intervals and share.
    pub fn key(self) -> &'static str {
        match self {
            Self::Holding => "holding",
            Self::Waiting => "waiting",
            Self::Io => "io",
        }
    }
}

/// One interval of one thread's timeline, in ms since the traced threads were let go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// What the thread did.
    pub state: State,
    /// Its start, ms.
    pub start: f64,
    /// Its end, ms.
    pub end: f64,
}

impl Span {
    /// Its length, ms.
    pub fn ms(self) -> f64 {
        self.end - self.start
    }
}

/// One traced thread: its name and its intervals, in time order, back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// "CPU thread 1", "I/O thread".
    pub name: &'static str,
    /// Its JSON key: `cpu1`, `cpu2`, `io`.
    pub key: &'static str,
    /// The intervals.
    pub spans: Vec<Span>,
    /// Its waits to get the GIL back after I/O that ended inside the trace, ms: whole, even
    /// one that began before the trace (the spans cut it).
    pub io_waits: Vec<f64>,
}

/// A change of state recorded by a thread: from `.0` on it is in `.1` (`None`: it ended).
pub type Mark = (Instant, Option<State>);

/// The spans between consecutive `marks` (in time order) within `t0..t1`, in ms since
/// `t0`: what lies outside is left out, what crosses an end is cut there.
pub fn spans(marks: &[Mark], t0: Instant, t1: Instant) -> Vec<Span> {
    let ms = |t: Instant| t.clamp(t0, t1).duration_since(t0).as_secs_f64() * 1e3;
    marks
        .windows(2)
        .filter(|w| w[1].0 > t0 && w[0].0 < t1)
        .filter_map(|w| {
            w[0].1.map(|state| Span {
                state,
                start: ms(w[0].0),
                end: ms(w[1].0),
            })
        })
        .collect()
}

/// The fraction of the lane's lifetime (first start to last end) spent in `state`; `NaN`
/// for an empty lane.
pub fn share(spans: &[Span], state: State) -> f64 {
    let life = match (spans.first(), spans.last()) {
        (Some(a), Some(b)) if b.end > a.start => b.end - a.start,
        _ => return f64::NAN,
    };
    spans
        .iter()
        .filter(|s| s.state == state)
        .map(|s| s.ms())
        .fold(0.0, |a, b| a + b) // not `sum`, which starts at -0.0
        / life
}

/// How many times the thread gave the GIL up before its end: holds followed by a wait (it
/// handed the GIL over in `check()`) or by I/O (it released it).
pub fn handoffs(spans: &[Span]) -> usize {
    spans
        .windows(2)
        .filter(|w| w[0].state == State::Holding && w[1].state != State::Holding)
        .count()
}

/// The waits for the GIL right after an I/O call (I/O finished → GIL back).
pub fn io_waits(spans: &[Span]) -> Vec<Span> {
    spans
        .windows(2)
        .filter(|w| w[0].state == State::Io && w[1].state == State::Waiting)
        .map(|w| w[1])
        .collect()
}

/// The largest overlap, ms, between holding spans of two different lanes (0 when none
/// overlap): with one GIL there is one holder at a time, so anything above the clocks'
/// disagreement means the trace (or the GIL) is wrong.
pub fn max_overlap(lanes: &[Lane]) -> f64 {
    let mut holds: Vec<(usize, Span)> = lanes
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            l.spans
                .iter()
                .filter(|s| s.state == State::Holding)
                .map(move |&s| (i, s))
        })
        .collect();
    holds.sort_by(|a, b| a.1.start.total_cmp(&b.1.start));
    // Sweep in start order, keeping the latest-ending hold seen so far and, should it be
    // the current lane's own, the latest-ending one of any other lane.
    let mut worst = 0.0f64;
    let mut latest: Vec<f64> = vec![f64::NEG_INFINITY; lanes.len()];
    for &(i, s) in &holds {
        for (j, &end) in latest.iter().enumerate() {
            if j != i {
                worst = worst.max(end.min(s.end) - s.start);
            }
        }
        latest[i] = latest[i].max(s.end);
    }
    worst
}

/// The fraction of the run (first start to last end over all lanes) when no lane held the
/// GIL: hand-offs in flight, or a thread handed the GIL that the OS had not yet run.
/// Assumes holds do not overlap ([`max_overlap`]); `NaN` when nothing was recorded.
pub fn free_fraction(lanes: &[Lane]) -> f64 {
    let all = || lanes.iter().flat_map(|l| l.spans.iter());
    let start = all().map(|s| s.start).fold(f64::INFINITY, f64::min);
    let end = all().map(|s| s.end).fold(f64::NEG_INFINITY, f64::max);
    if end <= start {
        return f64::NAN;
    }
    let held = all()
        .filter(|s| s.state == State::Holding)
        .map(|s| s.ms())
        .fold(0.0, |a, b| a + b);
    1.0 - held / (end - start)
}

/// A traced run of one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The policy.
    pub flavor: Flavor,
    /// CPU thread 1, CPU thread 2, the I/O thread.
    pub lanes: Vec<Lane>,
}

impl Trace {
    /// The end of the last span, ms.
    pub fn length(&self) -> f64 {
        self.lanes
            .iter()
            .filter_map(|l| l.spans.last())
            .map(|s| s.end)
            .fold(0.0, f64::max)
    }
}

/// What the traced threads do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// The switch interval.
    pub interval: Duration,
    /// How long the threads run before the trace is kept: they are let go at once, and the
    /// scramble for the GIL that follows is not the steady state the timeline shows.
    pub warmup: Duration,
    /// How long the trace is kept; the CPU-bound threads stop then, the I/O thread after its
    /// last call (what runs past the end is cut off).
    pub length: Duration,
    /// The I/O thread's blocking call: a sleep this long.
    pub io: Duration,
    /// The I/O thread's compute between calls, in [`work_unit`]s.
    pub compute_units: u64,
}

/// Lane names and JSON keys, in the order the threads are started; the last is the I/O
/// thread.
pub const LANES: [(&str, &str); 3] = [
    ("CPU thread 1", "cpu1"),
    ("CPU thread 2", "cpu2"),
    ("I/O thread", "io"),
];

/// Runs the plan once under `flavor`: the three threads start, meet at a barrier with the
/// GIL released, then run and record; returns their lanes from the end of the warm-up on
/// (times from there).
///
/// # Errors
///
/// The runtime cannot be built, or a thread failed.
pub fn trace(flavor: Flavor, plan: Plan) -> Result<Trace, String> {
    let rt = flavor.runtime(plan.interval)?;
    let (tx, rx) = mpsc::channel::<(usize, Vec<Mark>)>();
    let barrier = Arc::new(Barrier::new(LANES.len()));
    let start = Arc::new(OnceLock::new());
    let first = Arc::clone(&start);
    scenarios::run_threads(&rt, LANES.len(), move |i, guard| {
        let mut marks: Vec<Mark> = Vec::with_capacity(1024);
        // Released at the barrier: from its end on, this thread waits for the GIL.
        let go = guard.allow_threads(|| {
            barrier.wait();
            Instant::now()
        });
        marks.push((go, Some(State::Waiting)));
        marks.push((Instant::now(), Some(State::Holding)));
        // The first thread out of the barrier sets the start for all.
        let deadline = *first.get_or_init(|| go) + plan.warmup + plan.length;
        if i + 1 < LANES.len() {
            compute(guard, &mut marks, |_, now| now >= deadline);
        } else {
            while Instant::now() < deadline {
                compute(guard, &mut marks, |n, _| n >= plan.compute_units);
                let released = Instant::now();
                let done = guard.allow_threads(|| {
                    std::thread::sleep(plan.io);
                    Instant::now()
                });
                marks.push((released, Some(State::Io)));
                marks.push((done, Some(State::Waiting)));
                marks.push((Instant::now(), Some(State::Holding)));
            }
        }
        marks.push((Instant::now(), None));
        // The receiver outlives the threads (it is read after `run_threads` returns).
        let _ = tx.send((i, marks));
    })?;
    let mut all: Vec<(usize, Vec<Mark>)> = rx.try_iter().collect();
    all.sort_by_key(|(i, _)| *i);
    let begin = *start.get().ok_or("the traced threads recorded nothing")?;
    let (t0, t1) = (begin + plan.warmup, begin + plan.warmup + plan.length);
    // The waits after I/O are taken from the spans since `begin`, so that one crossing into
    // the trace counts whole; those ending inside the trace are kept.
    let kept = plan.warmup.as_secs_f64() * 1e3..=(plan.warmup + plan.length).as_secs_f64() * 1e3;
    Ok(Trace {
        flavor,
        lanes: all
            .iter()
            .map(|(i, marks)| Lane {
                name: LANES[*i].0,
                key: LANES[*i].1,
                spans: spans(marks, t0, t1),
                io_waits: io_waits(&spans(
                    marks,
                    begin,
                    marks.last().map_or(t1, |m| m.0.max(t1)),
                ))
                .into_iter()
                .filter(|w| kept.contains(&w.end))
                .map(Span::ms)
                .collect(),
            })
            .collect(),
    })
}

/// CPU-bound work as [`scenarios::cpu_job`] runs it, until `done(units so far, now)`,
/// reading the clock before each `check()` and recording each hand-over as a wait.
fn compute(
    guard: &mut GilGuard<'_>,
    marks: &mut Vec<Mark>,
    mut done: impl FnMut(u64, Instant) -> bool,
) {
    let mut x = 1u64;
    let mut n = 0u64;
    loop {
        x = work_unit(x);
        n += 1;
        let before = Instant::now();
        if done(n, before) {
            break;
        }
        match guard.check() {
            Ok(Turn::Kept) => {}
            Ok(Turn::Switched) => {
                marks.push((before, Some(State::Waiting)));
                marks.push((Instant::now(), Some(State::Holding)));
            }
            Err(_) => break, // interrupted: the job ends, as in `cpu_job`
        }
    }
    black_box(x);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(state: State, start: f64, end: f64) -> Span {
        Span { state, start, end }
    }

    fn lane(spans: Vec<Span>) -> Lane {
        Lane {
            name: "t",
            key: "t",
            spans,
            io_waits: Vec::new(),
        }
    }

    #[test]
    fn marks_become_back_to_back_spans() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let marks = [
            (at(1), Some(State::Holding)),
            (at(3), Some(State::Io)),
            (at(4), Some(State::Waiting)),
            (at(9), Some(State::Holding)),
            (at(10), None),
        ];
        let s = spans(&marks, t0, at(20));
        assert_eq!(
            s,
            [
                span(State::Holding, 1.0, 3.0),
                span(State::Io, 3.0, 4.0),
                span(State::Waiting, 4.0, 9.0),
                span(State::Holding, 9.0, 10.0),
            ]
        );
        assert!((share(&s, State::Holding) - 3.0 / 9.0).abs() < 1e-12);
        assert!((share(&s, State::Waiting) - 5.0 / 9.0).abs() < 1e-12);
        assert_eq!(handoffs(&s), 1);
        assert_eq!(io_waits(&s), [span(State::Waiting, 4.0, 9.0)]);
        assert!(share(&[], State::Io).is_nan());
        // From 3.5 to 9.5 ms: the hold ending at 3 ms and the one starting at 9 ms are left
        // out, the I/O call starts at 0, the wait ends at 6.
        let s = spans(&marks, at(3) + Duration::from_micros(500), at(9));
        assert_eq!(
            s,
            [span(State::Io, 0.0, 0.5), span(State::Waiting, 0.5, 5.5)]
        );
    }

    #[test]
    fn a_cpu_wait_is_a_handoff_but_not_an_io_wait() {
        let s = [
            span(State::Holding, 0.0, 5.0),
            span(State::Waiting, 5.0, 10.0),
            span(State::Holding, 10.0, 12.0),
            span(State::Io, 12.0, 13.0),
            span(State::Waiting, 13.0, 13.5),
            span(State::Holding, 13.5, 14.0),
        ];
        assert_eq!(handoffs(&s), 2);
        assert_eq!(io_waits(&s), [span(State::Waiting, 13.0, 13.5)]);
    }

    #[test]
    fn overlapping_holds_of_two_lanes_are_found() {
        let a = lane(vec![
            span(State::Holding, 0.0, 5.0),
            span(State::Waiting, 5.0, 10.0),
            span(State::Holding, 10.0, 20.0),
        ]);
        let b = lane(vec![
            span(State::Waiting, 0.0, 5.1),
            span(State::Holding, 5.1, 9.9),
            span(State::Waiting, 9.9, 20.0),
        ]);
        assert!(max_overlap(&[a.clone(), b.clone()]) <= 0.0, "none overlap");
        // One hold of `b` reaching 2 ms into `a`'s second one; a long hold of `a` itself
        // before it must not hide it.
        let mut c = b.clone();
        c.spans[1].end = 12.0;
        assert!((max_overlap(&[a.clone(), c]) - 2.0).abs() < 1e-12);
        let mut d = b.clone();
        d.spans = vec![span(State::Holding, 1.0, 2.0)];
        assert!((max_overlap(&[a.clone(), d]) - 1.0).abs() < 1e-12);
        // `a` holds 15 of 20 ms, `b` 4.8 of them: 0.2 ms with no holder.
        let free = free_fraction(&[a, b]);
        assert!((free - 0.2 / 20.0).abs() < 1e-12, "{free}");
        assert!(free_fraction(&[]).is_nan());
    }

    /// The real trace, both policies: one holder at a time (within 50 µs of clock
    /// disagreement), every lane's spans back to back, the I/O thread did I/O.
    #[test]
    fn recorded_holds_never_overlap() {
        let plan = Plan {
            interval: Duration::from_millis(2),
            warmup: Duration::from_millis(4),
            length: Duration::from_millis(20),
            io: Duration::from_micros(500),
            compute_units: 1000,
        };
        for flavor in [Flavor::Fair, Flavor::CPython] {
            let t = trace(flavor, plan).unwrap();
            assert_eq!(t.lanes.len(), 3);
            let overlap = max_overlap(&t.lanes);
            assert!(overlap < 0.05, "{flavor:?}: holds overlap by {overlap} ms");
            for l in &t.lanes {
                assert!(
                    l.spans
                        .windows(2)
                        .all(|w| (w[0].end - w[1].start).abs() < 1e-9),
                    "{l:?}"
                );
                assert!(l.spans.iter().all(|s| s.ms() >= 0.0), "{l:?}");
                assert!((l.spans.last().unwrap().end - 20.0).abs() < 1e-9, "{l:?}");
            }
            // Every I/O call inside the trace is followed by a wait for the GIL; the waits
            // counted are whole, never longer than warm-up and trace together.
            let io = &t.lanes[2];
            assert!(
                io.spans
                    .windows(2)
                    .all(|w| w[0].state != State::Io || w[1].state == State::Waiting),
                "{io:?}"
            );
            assert!(
                io.io_waits.iter().all(|&w| (0.0..24.0).contains(&w)),
                "{io:?}"
            );
            assert!(t.lanes[..2].iter().all(|l| l.io_waits.is_empty()));
            assert!((t.length() - 20.0).abs() < 1e-9);
        }
    }
}
