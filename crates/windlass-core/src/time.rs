//! UTC calendar time without a date library: RFC 3339 stamps for labels, logs and release ids.

use std::time::{SystemTime, UNIX_EPOCH};

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
