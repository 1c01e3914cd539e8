//! Statistics of the measurements: nearest-rank percentiles as the anchor scripts compute
//! them, medians, Jain's fairness index, and the round-by-round interleaving every
//! comparison of variants runs under.

/// The `p`-quantile (0..=1) of `xs` by nearest rank, as the anchor scripts compute it;
/// `NaN` for an empty slice.
pub fn pct(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short vector"
    )]
    let i = ((p * v.len() as f64) as usize).min(v.len() - 1);
    v[i]
}

/// The median of `xs` (`NaN` when empty).
pub fn median(xs: &[f64]) -> f64 {
    pct(xs, 0.5)
}

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one has everything.
pub fn jain(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let sq: f64 = xs.iter().map(|x| x * x).sum();
    let n = xs.len() as f64;
    if sq == 0.0 {
        f64::NAN
    } else {
        sum * sum / (n * sq)
    }
}

/// Runs `f(i)` for each of `n` variants, `rounds` times, rotating which variant goes first
/// (round `r` runs `r % n, r % n + 1, …`), so that the machine's drift over seconds hits
/// every variant alike; returns each variant's results in round order. Stops at the first
/// error.
///
/// # Errors
///
/// The first error `f` returns.
pub fn try_interleaved<T, E>(
    n: usize,
    rounds: usize,
    mut f: impl FnMut(usize) -> Result<T, E>,
) -> Result<Vec<Vec<T>>, E> {
    let mut results: Vec<Vec<T>> = (0..n).map(|_| Vec::with_capacity(rounds)).collect();
    for r in 0..rounds {
        for j in 0..n {
            let i = (r + j) % n;
            results[i].push(f(i)?);
        }
    }
    Ok(results)
}

/// [`try_interleaved`] for an `f` that cannot fail.
pub fn interleaved<T>(n: usize, rounds: usize, mut f: impl FnMut(usize) -> T) -> Vec<Vec<T>> {
    match try_interleaved(n, rounds, |i| Ok::<T, std::convert::Infallible>(f(i))) {
        Ok(results) => results,
        Err(never) => match never {},
    }
}

/// The median over rounds of `a[r] / b[r]`: two variants' samples from the same rounds (a
/// round's runs are seconds apart, so the machine's drift mostly cancels).
pub fn round_ratio(a: &[f64], b: &[f64]) -> f64 {
    median(&a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_starts_each_round_one_later() {
        let mut order = Vec::new();
        let results = interleaved(3, 5, |i| {
            order.push(i);
            order.len()
        });
        // Rounds 0, 1, 2, 3 (= 0), 4 (= 1): rotated left by the round number.
        assert_eq!(order, [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2, 1, 2, 0]);
        // Each variant's results in round order.
        assert_eq!(
            results,
            [
                vec![1, 6, 8, 10, 15],
                vec![2, 4, 9, 11, 13],
                vec![3, 5, 7, 12, 14]
            ]
        );
    }

    #[test]
    fn try_interleaving_stops_at_the_first_error() {
        let mut calls = 0;
        let result = try_interleaved(3, 4, |i| {
            calls += 1;
            if calls == 5 { Err(i) } else { Ok(i) }
        });
        assert_eq!(result, Err(2)); // round 1 runs 1, 2, 0: the fifth call is variant 2
        assert_eq!(calls, 5);
    }
}
