//! What the tables measured next to busy processes (`load`, `switch`) print alike: spans of
//! rounds, ratios, and the load columns, legend and JSON fields of a [`LoadReading`].

use crate::json::Obj;
use crate::load::{LoadReading, STEAL_LIMIT};
use crate::results::Tee;
use crate::stats::median;

/// The headers of [`load_cells`], aligned with it.
pub(super) const LOAD_HEAD: &str = "  run outside loadavg steal%";

/// `median (min–max)` of `xs` with `digits` decimals (just the median for one value).
pub(super) fn span(xs: &[f64], digits: usize) -> String {
    let (lo, hi) = (lo(xs), hi(xs));
    let m = median(xs);
    if !m.is_finite() {
        "n/a".to_owned()
    } else if xs.len() < 2 {
        format!("{m:.digits$}")
    } else {
        format!("{m:.digits$} ({lo:.digits$}–{hi:.digits$})")
    }
}

/// The least of `xs` (`NaN` when empty).
pub(super) fn lo(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NAN, f64::min)
}

/// The greatest of `xs` (`NaN` when empty).
pub(super) fn hi(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NAN, f64::max)
}

/// A ratio as `0.42x` (`0.003x` below 0.1), empty when unknown.
pub(super) fn ratio(r: f64) -> String {
    if !r.is_finite() {
        String::new()
    } else if r < 0.1 {
        format!("{r:.3}x")
    } else {
        format!("{r:.2}x")
    }
}

/// The load columns of a row: runnable, outside, loadavg, steal %, and `*` when noisy.
pub(super) fn load_cells(l: &LoadReading) -> String {
    let opt = |x: Option<f64>, digits: usize| x.map_or("-".to_owned(), |x| format!("{x:.digits$}"));
    format!(
        "{:>5} {:>7} {:>7} {:>6}{}",
        opt(l.procs_running, 1),
        opt(l.outside, 1),
        opt(l.loadavg, 2),
        opt(l.steal.map(|x| x * 100.0), 1),
        if l.is_noisy() { " *" } else { "" }
    )
}

/// The legend of [`load_cells`], printed under a table.
pub(super) fn load_legend(out: &mut Tee) {
    out.line(format_args!(
        "# run = median procs_running (/proc/stat: runnable threads, this run's included); \
         outside = those not of this process or its children (burners, CPython); \
         loadavg = 1-minute; * = noisy (outside >= 1 or steal > {:.0} %)",
        STEAL_LIMIT * 100.0
    ));
}

/// `j` with the burner count, the rounds and the reading `l` appended.
pub(super) fn with_reading(j: Obj, burners: usize, rounds: usize, l: &LoadReading) -> Obj {
    j.with("burners", burners)
        .with("rounds", rounds)
        .with("procs_running", l.procs_running)
        .with("outside_runnable", l.outside)
        .with("loadavg", l.loadavg)
        .with("steal", l.steal)
        .with("noisy", l.is_noisy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_ratios() {
        assert_eq!(span(&[2.0, 1.0, 3.0], 1), "2.0 (1.0–3.0)");
        assert_eq!(span(&[2.0], 2), "2.00");
        assert_eq!(span(&[], 2), "n/a");
        assert_eq!(ratio(0.5), "0.50x");
        assert_eq!(ratio(0.0021), "0.002x");
        assert_eq!(ratio(f64::NAN), "");
        let noisy = LoadReading {
            outside: Some(1.0),
            ..LoadReading::default()
        };
        assert!(load_cells(&noisy).ends_with(" *"));
        assert!(!load_cells(&LoadReading::default()).contains('*'));
        assert_eq!(LOAD_HEAD.len(), load_cells(&LoadReading::default()).len());
    }
}
