//! Other processes' CPU time during a measurement: the machine's busy time (`/proc/stat`)
//! minus that of this process and its descendants (`/proc/<pid>/stat` of each live one;
//! reaped children are in their parent's `cutime`), in cores.
//!
//! Runnable counts ([`LoadReading::outside`](super::LoadReading::outside)) catch a busy
//! neighbour only when a sample lands while it waits for a core; CPU time catches it for
//! the whole measurement, however short its bursts.

/// Busy and total CPU time of the whole machine from the text of `/proc/stat`, in clock
/// ticks: busy = user + nice + system + irq + softirq (not idle, iowait or steal).
pub fn parse_busy_ticks(stat: &str) -> Option<(u64, u64)> {
    let [user, nice, system, idle, iowait, irq, softirq, steal] = super::cpu_line(stat)?;
    let busy = user + nice + system + irq + softirq;
    Some((busy, busy + idle + iowait + steal))
}

/// This process's CPU time plus its waited-for children's (utime + stime + cutime + cstime)
/// from the text of `/proc/<pid>/stat`, in clock ticks.
pub fn parse_own_ticks(stat: &str) -> Option<u64> {
    // Fields after the parenthesised name (which may hold spaces): state is field 3, utime
    // field 14, so utime is the 12th after the name.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11..15)?
        .iter()
        .map(|x| x.parse::<u64>().ok())
        .sum::<Option<u64>>()
}

/// One reading: (machine busy, machine total, ours), in clock ticks.
pub(super) type Ticks = (u64, u64, u64);

/// The machine's CPU time and that of this process's tree now; `None` without `/proc`.
pub(super) fn ticks_now() -> Option<Ticks> {
    let ours: u64 = super::tree(std::process::id())?
        .into_iter()
        .filter_map(|p| parse_own_ticks(&std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?))
        .sum();
    let (busy, total) = parse_busy_ticks(&std::fs::read_to_string("/proc/stat").ok()?)?;
    Some((busy, total, ours))
}

/// The cores other processes kept busy on average between two readings (machine busy, total,
/// this process tree; clock ticks) on a
/// machine of `cores` (never below 0).
pub fn others_between(a: Option<Ticks>, b: Option<Ticks>, cores: usize) -> Option<f64> {
    let ((b0, t0, o0), (b1, t1, o1)) = (a?, b?);
    (t1 > t0).then(|| {
        let others = b1.saturating_sub(b0).saturating_sub(o1.saturating_sub(o0));
        others as f64 / (t1 - t0) as f64 * cores as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_subtracts() {
        let stat = "cpu  100 10 50 800 20 5 5 10 0 0\ncpu0 1 2 3 4 5 6 7 8\n";
        assert_eq!(parse_busy_ticks(stat), Some((170, 1000)));
        assert_eq!(parse_busy_ticks("cpu  1 2 3\n"), None);
        assert_eq!(parse_busy_ticks("intr 1\n"), None);
        let own = "42 (a (b) c) R 1 42 42 0 -1 4194560 10 0 0 0 7 3 2 1 20 0 1 0 5";
        assert_eq!(parse_own_ticks(own), Some(13));
        assert_eq!(parse_own_ticks("42 (x) R 1"), None);
        // 2 cores, 200 ticks of machine time: 120 busy, 40 of them ours → 80 others, 0.8 cores.
        let r = others_between(Some((0, 0, 0)), Some((120, 200, 40)), 2);
        assert!((r.unwrap() - 0.8).abs() < 1e-12, "{r:?}");
        // Ours counted more than the machine saw (tick rounding): never below 0.
        assert_eq!(
            others_between(Some((0, 0, 0)), Some((10, 200, 40)), 2),
            Some(0.0)
        );
        assert_eq!(others_between(Some((0, 5, 0)), Some((0, 5, 0)), 2), None);
        assert_eq!(others_between(None, Some((0, 5, 0)), 2), None);
    }

    #[test]
    fn reads_this_machine() {
        if std::path::Path::new("/proc/self/stat").exists() {
            let (busy, total, _) = ticks_now().expect("/proc readable");
            assert!(busy <= total);
        }
    }
}
