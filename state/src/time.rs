//! Timestamps: RFC 3339 in UTC with milliseconds (`2026-11-25T21:57:54.123Z`),
//! formatted from [`SystemTime`] without a date library.
//!
//! The fixed width means timestamps sort as strings in time order.
//! Invariant: the only clock read is [`now_ms`]; everything else is arithmetic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (negative before it).
pub(crate) fn now_ms() -> i64 {
    system_time_ms(SystemTime::now())
}

fn system_time_ms(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => {
            i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |millis| -millis)
        }
    }
}

/// Formats `time` as RFC 3339 UTC with milliseconds, e.g. `2026-11-25T21:57:54.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    format_ms(system_time_ms(time))
}

/// The current time as [`rfc3339`] formats it.
pub fn now_rfc3339() -> String {
    format_ms(now_ms())
}

/// Formats milliseconds since the epoch as RFC 3339 UTC.
pub(crate) fn format_ms(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let hour = in_day / 3_600_000;
    let minute = in_day / 60_000 % 60;
    let second = in_day / 1000 % 60;
    let milli = in_day % 1000;
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ];
        for (millis, expected) in cases {
            assert_eq!(format_ms(millis), expected, "{millis}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_previous_one() {
        let mut previous = format_ms(-86_400_000 * 365 * 200);
        for day in -365 * 200 + 1..365 * 200 {
            let current = format_ms(day * 86_400_000);
            assert!(current > previous, "{previous} then {current}");
            previous = current;
        }
    }
}
