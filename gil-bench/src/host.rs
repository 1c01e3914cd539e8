//! What the tools know about the machine they run on: its cores and the time in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// The number of CPUs this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `time` in UTC: year, month, day, hour, minute, second.
fn civil(time: SystemTime) -> (i64, i64, i64, u64, u64, u64) {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    let shifted = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = shifted.div_euclid(146_097);
    let doe = shifted.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `YYYY-MM-DDTHH-MM-SSZ` for `time` (UTC), usable in a file name.
pub fn file_stamp(time: SystemTime) -> String {
    let (year, month, day, h, m, s) = civil(time);
    format!("{year:04}-{month:02}-{day:02}T{h:02}-{m:02}-{s:02}Z")
}

/// `YYYY-MM-DD HH:MM UTC` for `time`, as a results table is dated.
pub fn date_time(time: SystemTime) -> String {
    let (year, month, day, h, m, _) = civil(time);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02} UTC")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn stamps_are_utc_dates() {
        assert_eq!(file_stamp(UNIX_EPOCH), "1970-01-01T00-00-00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_796_169_599); // 2026-12-01 23:59:59 UTC
        assert_eq!(file_stamp(t), "2026-12-01T23-59-59Z");
        let leap = UNIX_EPOCH + Duration::from_hours(11_016 * 24); // 2000-02-29
        assert_eq!(file_stamp(leap), "2000-02-29T00-00-00Z");
        assert_eq!(date_time(t), "2026-12-01 23:59 UTC");
    }
}
