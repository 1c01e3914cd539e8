//! The statistics of a contention table row: per-thread rates pooled over threads and
//! iterations, the total rate, and the slowest thread over the fastest.

use super::settings::LockKind;

/// Mean, median, standard deviation, minimum and maximum of some rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The arithmetic mean.
    pub mean: f64,
    /// The middle value (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The population standard deviation (dividing by n, as `parking_lot` does).
    pub std_dev: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// The summary of `xs`; `None` when it is empty.
    pub fn of(xs: &[f64]) -> Option<Self> {
        if xs.is_empty() {
            return None;
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        };
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        Some(Self {
            mean,
            median,
            std_dev: var.sqrt(),
            min: v[0],
            max: v[n - 1],
        })
    }
}

/// One table row: a lock kind at one thread count, over all iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The lock measured.
    pub kind: LockKind,
    /// How many threads contended.
    pub threads: usize,
    /// Per-thread rates (rounds per second), pooled over threads and iterations as
    /// `parking_lot` pools them.
    pub per_thread: Summary,
    /// All threads' rounds per second together, mean over iterations.
    pub total: f64,
    /// The slowest thread's rate over the fastest's within one iteration (1 = perfectly even,
    /// near 0 = a thread starved), mean over iterations. Taken per iteration so that the
    /// machine's drift between iterations does not read as unfairness.
    pub fairness: f64,
    /// The same ratio for each iteration, in order.
    pub fairness_by_iteration: Vec<f64>,
}

impl Report {
    /// The row for `rates[iteration][thread]` of `kind` on `threads` threads; `None` if
    /// there are no rates.
    pub fn new(kind: LockKind, threads: usize, rates: &[Vec<f64>]) -> Option<Self> {
        let pooled: Vec<f64> = rates.iter().flatten().copied().collect();
        let per_thread = Summary::of(&pooled)?;
        let its: Vec<&Vec<f64>> = rates.iter().filter(|r| !r.is_empty()).collect();
        let total = its.iter().map(|r| r.iter().sum::<f64>()).sum::<f64>() / its.len() as f64;
        let fairness_by_iteration: Vec<f64> = its
            .iter()
            .filter_map(|r| Summary::of(r))
            .map(|s| s.min / s.max)
            .collect();
        let fairness = fairness_by_iteration.iter().sum::<f64>() / its.len() as f64;
        Some(Self {
            kind,
            threads,
            per_thread,
            total,
            fairness,
            fairness_by_iteration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_values() {
        let s = Summary::of(&[4.0, 2.0, 9.0, 5.0]).unwrap();
        assert!((s.mean - 5.0).abs() < 1e-12);
        assert!((s.median - 4.5).abs() < 1e-12);
        // Deviations -1, -3, 4, 0: variance 26 / 4.
        assert!((s.std_dev - 6.5f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        let odd = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert!((odd.median - 2.0).abs() < 1e-12);
        let one = Summary::of(&[7.0]).unwrap();
        assert_eq!((one.mean, one.median, one.std_dev), (7.0, 7.0, 0.0));
    }

    #[test]
    fn summary_of_nothing() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Report::new(LockKind::Lock, 2, &[]), None);
    }

    #[test]
    fn report_takes_fairness_per_iteration() {
        // Iteration 2 runs twice as fast, but each iteration is perfectly even.
        let rates = [vec![1.0, 1.0], vec![2.0, 2.0]];
        let r = Report::new(LockKind::StdMutex, 2, &rates).unwrap();
        assert!((r.fairness - 1.0).abs() < 1e-12);
        assert!((r.total - 3.0).abs() < 1e-12);
        assert!((r.per_thread.mean - 1.5).abs() < 1e-12);
        let starved = Report::new(LockKind::StdMutex, 2, &[vec![1.0, 4.0]]).unwrap();
        assert!((starved.fairness - 0.25).abs() < 1e-12);
        let mixed = Report::new(LockKind::Lock, 2, &[vec![1.0, 1.0], vec![1.0, 4.0]]).unwrap();
        assert_eq!(mixed.fairness_by_iteration, [1.0, 0.25]);
        assert!((mixed.fairness - 0.625).abs() < 1e-12);
    }
}
