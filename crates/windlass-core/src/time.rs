//! UTC calendar time without a date library: RFC 3339 stamps for labels, logs and release ids.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since 1970 (0 before it): a modification time or a proof time compared whole.
pub fn unix_nanos(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// (`YYYY-MM-DD`, `HH:MM:SS`, milliseconds) of `t` in UTC.
pub fn civil(t: SystemTime) -> (String, String, u32) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
        since.subsec_millis(),
    )
}

/// `2026-11-27T10:57:11Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let (date, time, _) = civil(t);
    format!("{date}T{time}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc() {
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_777_031)),
            "2026-11-27T10:57:11Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil); `None` for a date
/// that is not one.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `YYYY-MM-DD` (and anything after it) as days since 1970-01-01.
pub fn days_from_date(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.get(..2)?.parse().ok()?;
    days_from_civil(year, month, day)
}

/// `2026-11-27T10:57:11Z` (what [`rfc3339`] writes) as seconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let (date, time) = text.split_once('T')?;
    let days = days_from_date(date)?;
    let time = time.trim_end_matches('Z');
    let mut hms = time.split(':');
    let (h, m): (u64, u64) = (hms.next()?.parse().ok()?, hms.next()?.parse().ok()?);
    let s: u64 = hms.next()?.get(..2)?.parse().ok()?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    u64::try_from(days)
        .ok()?
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn written_times_read_back() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_777_031);
        assert_eq!(parse_rfc3339(&rfc3339(t)), Some(1_795_777_031));
        assert_eq!(days_from_date("1970-01-02"), Some(1));
        assert_eq!(days_from_date("2024-03-01"), Some(19_783));
        for bad in ["", "x", "2024-13-01", "2024-01-01T25:00:00Z"] {
            assert!(parse_rfc3339(bad).is_none() || !bad.contains('T'), "{bad}");
        }
        assert_eq!(parse_rfc3339("2024-01-01T25:00:00Z"), None);
    }
}
