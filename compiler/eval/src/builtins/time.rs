//! `time`: durations and RFC 3339 times as strings. `Format` and `Parse`
//! support the RFC 3339 layouts only.

use super::{Builtin, function, int, int_arg, str_arg, string, validator};
use crate::data::Data;

const P: &str = "time";

const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

pub(super) const FUNCTIONS: &[Builtin] = &[
    validator(P, "Duration", 1, |a| {
        let text = str_arg(a, 0)?;
        parse_duration(text).map(|_| Data::Bool(true))
    }),
    function(P, "ParseDuration", 1, |a| Ok(int(parse_duration(str_arg(a, 0)?)?))),
    validator(P, "Time", 1, |a| {
        let text = str_arg(a, 0)?;
        parse_rfc3339(text).map(|_| Data::Bool(true))
    }),
    validator(P, "Format", 2, |a| {
        let (value, layout) = (str_arg(a, 0)?, str_arg(a, 1)?);
        if layout != RFC3339 && layout != RFC3339_NANO {
            return Err(format!("time layout {layout:?} is not supported"));
        }
        parse_rfc3339(value).map(|_| Data::Bool(true))
    }),
    function(P, "Parse", 2, |a| {
        let (layout, value) = (str_arg(a, 0)?, str_arg(a, 1)?);
        if layout != RFC3339 && layout != RFC3339_NANO {
            return Err(format!("time layout {layout:?} is not supported"));
        }
        let (seconds, nanos) = parse_rfc3339(value)?;
        Ok(string(format_utc(seconds, nanos)))
    }),
    function(P, "Unix", 2, |a| {
        let (seconds, nanos) = (int_arg(a, 0)?, int_arg(a, 1)?);
        let total = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        let seconds = total.div_euclid(1_000_000_000) as i64;
        let nanos = total.rem_euclid(1_000_000_000) as u32;
        Ok(string(format_utc(seconds, nanos)))
    }),
];

pub(super) fn constant(name: &str) -> Option<Data> {
    let number = |value: i64| Some(int(value));
    let text = |value: &str| Some(string(value));
    match name {
        "Nanosecond" => number(1),
        "Microsecond" => number(1_000),
        "Millisecond" => number(1_000_000),
        "Second" => number(1_000_000_000),
        "Minute" => number(60_000_000_000),
        "Hour" => number(3_600_000_000_000),
        "ANSIC" => text("Mon Jan _2 15:04:05 2006"),
        "UnixDate" => text("Mon Jan _2 15:04:05 MST 2006"),
        "RubyDate" => text("Mon Jan 02 15:04:05 -0700 2006"),
        "RFC822" => text("02 Jan 06 15:04 MST"),
        "RFC822Z" => text("02 Jan 06 15:04 -0700"),
        "RFC850" => text("Monday, 02-Jan-06 15:04:05 MST"),
        "RFC1123" => text("Mon, 02 Jan 2006 15:04:05 MST"),
        "RFC1123Z" => text("Mon, 02 Jan 2006 15:04:05 -0700"),
        "RFC3339" => text(RFC3339),
        "RFC3339Nano" => text(RFC3339_NANO),
        "RFC3339Date" => text("2006-01-02"),
        "Kitchen" => text("3:04PM"),
        "Kitchen24" => text("15:04"),
        _ => {
            const MONTHS: [&str; 12] = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ];
            const DAYS: [&str; 7] =
                ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
            if let Some(i) = MONTHS.iter().position(|m| *m == name) {
                return number(i as i64 + 1);
            }
            DAYS.iter().position(|d| *d == name).and_then(|i| number(i as i64))
        }
    }
}

/// Go's `time.ParseDuration`, in nanoseconds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", super::strconv::go_quote(text, false));
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let whole = &rest[..whole_end];
        rest = &rest[whole_end..];
        let mut fraction = "";
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
            fraction = &after[..end];
            rest = &after[end..];
        }
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_end = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let unit: u128 = match &rest[..unit_end] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    super::strconv::go_quote(text, false)
                ));
            }
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    super::strconv::go_quote(other, false),
                    super::strconv::go_quote(text, false)
                ));
            }
        };
        rest = &rest[unit_end..];
        let whole: u128 =
            if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
        let mut value = whole.checked_mul(unit).ok_or_else(invalid)?;
        let mut scale = unit;
        for digit in fraction.bytes() {
            scale /= 10;
            if scale == 0 {
                break;
            }
            value += u128::from(digit - b'0') * scale;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    let total = i128::try_from(total).map_err(|_| invalid())?;
    let signed = if negative { -total } else { total };
    i64::try_from(signed).map_err(|_| invalid())
}

/// An RFC 3339 time (`Time` accepts fractional seconds too), as Unix
/// seconds and nanoseconds.
fn parse_rfc3339(text: &str) -> Result<(i64, u32), String> {
    let invalid = || {
        format!(
            "parsing time {} as {}: cannot parse",
            super::strconv::go_quote(text, false),
            super::strconv::go_quote(RFC3339, false)
        )
    };
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = b.get(range).ok_or_else(invalid)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        std::str::from_utf8(part).ok().and_then(|p| p.parse().ok()).ok_or_else(invalid)
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(invalid());
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut pos = 19;
    let mut nanos: u32 = 0;
    if b[pos] == b'.' {
        let start = pos + 1;
        let end =
            b[start..].iter().position(|c| !c.is_ascii_digit()).map_or(b.len(), |p| start + p);
        if end == start || end - start > 9 {
            return Err(invalid());
        }
        let fraction = &text[start..end];
        nanos = format!("{fraction:0<9}").parse().map_err(|_| invalid())?;
        pos = end;
    }
    let offset = match b.get(pos) {
        Some(b'Z' | b'z') if pos + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if pos + 6 == b.len() && b[pos + 3] == b':' => {
            let minutes = digits(pos + 1..pos + 3)? * 60 + digits(pos + 4..pos + 6)?;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return Err(invalid()),
    };
    let days_in_month =
        [31, if is_leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month[(month - 1) as usize]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(format!(
            "parsing time {}: {} out of range",
            super::strconv::go_quote(text, false),
            if (1..=12).contains(&month) { "day" } else { "month" }
        ));
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset * 60;
    Ok((seconds, nanos))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Go's `t.UTC().Format(time.RFC3339Nano)`.
fn format_utc(seconds: i64, nanos: u32) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let rest = seconds.rem_euclid(86_400);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    );
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("time", name, args))
    }

    #[test]
    fn time_like_the_reference() {
        assert_eq!(t("Duration", vec![s("1h30m")]), "true");
        assert_eq!(t("ParseDuration", vec![s("90s")]), "90000000000");
        assert_eq!(t("ParseDuration", vec![s("1.5h")]), "5400000000000");
        assert_eq!(t("ParseDuration", vec![s("-1m30.5s")]), "-90500000000");
        assert_eq!(
            t("ParseDuration", vec![s("1x")]),
            r#"error: error in call to time.ParseDuration: time: unknown unit "x" in duration "1x""#
        );
        assert_eq!(t("Time", vec![s("2021-01-02T15:04:05Z")]), "true");
        assert_eq!(t("Unix", vec![n("86400"), n("0")]), r#""1970-01-02T00:00:00Z""#);
        assert_eq!(t("Unix", vec![n("1600000000"), n("500")]), r#""2020-09-13T12:26:40.0000005Z""#);
        assert_eq!(
            t("Parse", vec![s(super::RFC3339), s("2021-01-02T15:04:05+01:00")]),
            r#""2021-01-02T14:04:05Z""#
        );
        assert_eq!(text(super::constant("Hour").ok_or_else(String::new)), "3600000000000");
        assert_eq!(
            text(super::constant("RFC3339").ok_or_else(String::new)),
            r#""2006-01-02T15:04:05Z07:00""#
        );
    }
}
