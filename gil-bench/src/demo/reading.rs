//! The one-line readings under the demo's tables, written from the figures of this run: each
//! says what was measured, and says so plainly when it is not what a tutorial predicts
//! (issue 17: a fixed sentence blamed CPython's switch interval in a run where CPython came
//! out ahead). Pure functions of numbers, tested on figures recorded on an idle machine and
//! next to busy processes.

use std::fmt::Write as _;

use super::report::{num, times};
use crate::load::{LoadReading, OTHERS_LIMIT, STEAL_LIMIT};

/// A figure of one variant: its label and value.
pub(super) type Figure<'a> = (&'a str, f64);

/// The CPU reading's thread part: `k` threads' time over the sequential time under the Fair
/// GIL, the CPython policy and CPython, then free-threaded and plain std threads on `cores`.
pub(super) fn cpu_threads(
    k: usize,
    gil: [f64; 2],
    py: Option<Figure<'_>>,
    free: f64,
    std: f64,
    cores: usize,
) -> String {
    if k < 2 {
        return "CPU-bound: only 1 thread ran (--threads 1), so there is no sharing or speed-up \
                to show; run with --threads 2 or more."
            .to_owned();
    }
    let mut s = format!(
        "CPU-bound: {k} threads under the GIL took {} the sequential time (Fair; CPython policy {}",
        times(gil[0]),
        times(gil[1])
    );
    if let Some((label, x)) = py {
        let _ = write!(s, ", {label} {}", times(x));
    }
    // Judged on Fair's figure, the one quoted first; any other variant under 0.9× is named.
    s.push_str(if gil[0] >= 0.9 {
        "): no faster than one thread, because they take turns holding the GIL. "
    } else {
        "): faster than one thread, which taking turns does not allow — in this run the \
         sequential rounds were slowed by other work (see the spread and the load line). "
    });
    let below: Vec<String> = [("the CPython policy", gil[1])]
        .into_iter()
        .chain(py)
        .filter(|&(_, x)| x < 0.9)
        .map(|(label, x)| format!("{label}'s {}", times(x)))
        .collect();
    if gil[0] >= 0.9 && !below.is_empty() {
        let _ = write!(
            s,
            "({} under 1× only because its sequential rounds were slowed by other work: see the \
             spread.) ",
            below.join(" and ")
        );
    }
    let (f, p) = (1.0 / free, 1.0 / std);
    let _ = if cores < 2 {
        write!(
            s,
            "Free-threaded {} speed-up; on {cores} core nothing can run in parallel.",
            times(f)
        )
    } else if p < 1.5 {
        write!(
            s,
            "Free-threaded {} speed-up and plain std threads {}: this machine had no free core \
             for a second thread right now, so it could not show the parallel speed-up.",
            times(f),
            times(p)
        )
    } else if f >= 0.8 * p {
        write!(
            s,
            "Free-threaded, with no GIL to take turns on, they ran side by side: a {} speed-up \
             on {cores} cores, close to plain std threads' {}.",
            times(f),
            times(p)
        )
    } else {
        write!(
            s,
            "Free-threaded {} speed-up, well below plain std threads' {} in the same rounds.",
            times(f),
            times(p)
        )
    };
    s
}

/// The convoy reading: the slowdown next to one spinner under Fair, the CPython policy and
/// CPython itself when it ran.
pub(super) fn convoy(fair: f64, policy: f64, py: Option<Figure<'_>>) -> String {
    let mut s = format!(
        "Convoy: next to one CPU-bound spinner the I/O thread's round trips took {} their solo \
         time under Fair (goal ≤ 1.5×) and {} under the CPython policy",
        times(fair),
        times(policy)
    );
    if let Some((label, x)) = py {
        let _ = write!(s, " ({label}: {})", times(x));
    }
    s.push_str(". ");
    let worst = py.map_or(policy, |(_, x)| x.max(policy));
    if worst >= 5.0 * fair {
        s.push_str(
            "Where the slowdown is large, every re-acquire after a send or recv waited out the \
             spinner's switch interval; Fair hands the GIL back to the returning I/O thread first.",
        );
    } else if worst >= fair {
        let _ = write!(
            s,
            "The gap was small in this run ({} at most): the spinner's interval rarely ran out \
             while the I/O thread waited, which happens when other processes keep the cores \
             busy and everyone waits for a core rather than for the GIL — see the load line.",
            times(worst / fair)
        );
    } else {
        s.push_str(
            "In this run the other variants' convoys were milder than Fair's: with the cores \
             taken by others, the I/O thread waited for a core, not for the GIL — see the load \
             line.",
        );
    }
    if let Some((label, x)) = py
        && x.is_finite()
        && x < fair
        && worst >= fair
    {
        let _ = write!(
            s,
            " On this machine {label}'s convoy was milder than ours ({} vs {}): see the load.",
            times(x),
            times(fair)
        );
    }
    s
}

/// The I/O reading: N threads' time over 1 thread's for sleeps and TCP requests, under the
/// Fair GIL and free-threaded.
pub(super) fn io(n: usize, sleep: [f64; 2], tcp: [f64; 2]) -> String {
    let ideal = 1.0 / n as f64;
    let mut s = format!(
        "I/O-bound: {n} threads finished the sleeps in {} the 1-thread time under the GIL (ideal \
         {}) and the TCP requests in {}; free-threaded {} and {}. ",
        times(sleep[0]),
        times(ideal),
        times(tcp[0]),
        times(sleep[1]),
        times(tcp[1])
    );
    // Overlap shows when N threads take well under the 1-thread time.
    let overlapped = |x: f64| x.is_finite() && x <= 0.5 * (1.0 + ideal);
    if overlapped(sleep[0]) && overlapped(tcp[0]) {
        s.push_str(
            "Blocking calls release the GIL, so the threads' waits overlap even under the GIL.",
        );
    } else {
        s.push_str(
            "In this run the waits did not overlap as far as they should (blocking calls release \
             the GIL): the threads were waiting for a core — see the load line.",
        );
    }
    s
}

/// The sharing reading: K threads' p99 wait in switch intervals under Fair, the CPython
/// policy and CPython, and the smallest Jain index.
pub(super) fn share(k: usize, fair: f64, policy: f64, py: Option<Figure<'_>>, jain: f64) -> String {
    let bound = (k - 1) as f64;
    let mut s = format!(
        "Sharing: with K = {k} the Fair policy's p99 wait was {} the interval (bound K−1 = {}, \
         goal ≤ {}), the CPython policy's {}",
        times(fair),
        num(bound, 0),
        num(bound * 1.1, 1),
        times(policy)
    );
    if let Some((label, x)) = py {
        let _ = write!(s, ", {label}'s {}", times(x));
    }
    let _ = write!(s, ". Jain's index was ≥ {} everywhere", num(jain, 3));
    // Judged on the printed figure, so the words never contradict it.
    let shown = (jain * 1000.0).round() / 1000.0;
    s.push_str(if shown >= 0.99 {
        ": every thread got the same share of the GIL"
    } else if shown >= 0.95 {
        ": every thread got nearly the same share of the GIL"
    } else {
        ": the shares were not equal"
    });
    let worst = py.map_or(policy, |(_, x)| x.max(policy));
    if fair.is_finite() && worst > 1.2 * fair {
        s.push_str(", but only the FIFO hand-off bounded how long one thread waited.");
    } else {
        s.push_str(
            "; in this run the CPython policy's waits were no longer than Fair's (with few \
             threads, or cores taken by others, a waiter rarely loses its turn).",
        );
    }
    s
}

/// The sweep reading: hand-offs per second at each interval (Fair) and, per variant, the
/// lowest and highest convoy slowdown across the sweep.
pub(super) fn sweep(
    intervals_ms: &[f64],
    handoffs: &[f64],
    slowdowns: &[(&str, f64, f64)],
) -> String {
    let falls = handoffs.windows(2).all(|w| w[1] < w[0]);
    let mut s = if falls {
        format!(
            "Interval: from {} ms to {} ms, hand-offs between 2 CPU-bound threads fell from {} to \
             {} a second: a longer interval means fewer switches and longer waits.",
            num(intervals_ms[0], 0),
            num(*intervals_ms.last().unwrap_or(&0.0), 0),
            num(handoffs[0], 0),
            num(*handoffs.last().unwrap_or(&0.0), 0)
        )
    } else {
        format!(
            "Interval: hand-offs per second ({}) did not fall steadily with the interval in this \
             run: see the load line.",
            handoffs
                .iter()
                .map(|x| num(*x, 0))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    s.push_str(" Convoy slowdown across the sweep:");
    for (i, (label, lo, hi)) in slowdowns.iter().enumerate() {
        let _ = write!(
            s,
            "{} {label} {}–{}",
            if i == 0 { "" } else { ";" },
            times(*lo),
            times(*hi)
        );
    }
    if let [(fair, _, fair_hi), rest @ ..] = slowdowns
        && let Some((other, other_lo, _)) = rest.iter().min_by(|a, b| a.1.total_cmp(&b.1))
    {
        if fair_hi < other_lo {
            let _ = write!(
                s,
                ". {fair}'s worst stayed below {other}'s best: a returning I/O thread waits up to \
                 one interval only when the GIL is not handed to it."
            );
        } else {
            let _ = write!(
                s,
                ". {fair}'s and {other}'s ranges overlapped in this run: see the load line."
            );
        }
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// What the load did to this scenario's figures, when it matters: `None` on a quiet machine.
pub(super) fn load_note(l: &LoadReading) -> Option<String> {
    if !l.is_noisy() {
        return None;
    }
    let mut parts = Vec::new();
    if let Some(x) = l.others_cpu.filter(|&x| x > OTHERS_LIMIT) {
        parts.push(format!("other processes kept {} cores busy", num(x, 1)));
    }
    if let Some(x) = l.outside.filter(|&x| x >= 1.0) {
        parts.push(format!(
            "{} threads outside this run were runnable",
            num(x, 1)
        ));
    }
    if let Some(x) = l.steal.filter(|&x| x > STEAL_LIMIT) {
        parts.push(format!(
            "the hypervisor took {} % of the CPU",
            num(x * 100.0, 1)
        ));
    }
    Some(format!(
        "Load: {} — figures that need free cores (speed-ups, convoys, waits) are not what this \
         machine does when idle; rerun this scenario (--only) when it is quieter.",
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests;
