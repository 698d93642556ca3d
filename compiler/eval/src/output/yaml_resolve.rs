//! Which plain YAML scalars read back as something other than a string:
//! yaml.v3's `resolve` (booleans, null, numbers in Go's syntaxes, timestamps).
//! The encoder double-quotes a string that would, so that it stays a string.

/// Whether a plain scalar with this text would read back as something other
/// than a string (yaml.v3's `resolve` with no tag): then the encoder quotes it.
pub(super) fn resolves_to_non_string(text: &str) -> bool {
    let Some(&first) = text.as_bytes().first() else {
        return true; // "" is null
    };
    let hint = match first {
        b'+' | b'-' => 'S',
        b'0'..=b'9' => 'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => 'M',
        b'.' => '.',
        _ => return false,
    };
    const SPECIAL: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", ".nan",
        ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF",
    ];
    if SPECIAL.contains(&text) {
        return true;
    }
    match hint {
        '.' => go_parse_float(text),
        'D' | 'S' => {
            if is_timestamp(text) {
                return true;
            }
            let plain: String = text.chars().filter(|&character| character != '_').collect();
            go_parse_int(&plain)
                || (is_yaml_style_float(&plain) && go_parse_float(&plain))
                || prefixed_int(&plain, "0b", 2)
                || prefixed_int(&plain, "-0b", 2)
                || prefixed_int(&plain, "0o", 8)
                || prefixed_int(&plain, "-0o", 8)
        }
        _ => false,
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)` or `ParseUint(text, 0, 64)` succeeds:
/// an optional sign, then decimal, `0x`, `0o`, `0b` or leading-zero octal
/// digits that fit in 64 bits (underscores are already removed).
fn go_parse_int(text: &str) -> bool {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'+') => (false, &text[1..]),
        Some(b'-') => (true, &text[1..]),
        _ => (false, text),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(digits) = lower.strip_prefix("0x") {
        (16, digits)
    } else if let Some(digits) = lower.strip_prefix("0o") {
        (8, digits)
    } else if let Some(digits) = lower.strip_prefix("0b") {
        (2, digits)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|character| character.is_digit(radix)) {
        return false;
    }
    // ParseInt takes a sign and 63 bits; ParseUint takes 64 bits and no sign.
    let explicit_plus = text.starts_with('+');
    match u64::from_str_radix(digits, radix) {
        Ok(value) if negative => value <= 1 << 63,
        Ok(value) if explicit_plus => value < 1 << 63,
        Ok(_) => true,
        Err(_) => false,
    }
}

/// `0b…`/`-0b…`/`0o…`/`-0o…` digits that fit in 64 bits (yaml.v3's fallbacks).
fn prefixed_int(text: &str, prefix: &str, radix: u32) -> bool {
    let Some(digits) = text.strip_prefix(prefix) else { return false };
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    !digits.is_empty()
        && digits.chars().all(|character| character.is_digit(radix))
        && u64::from_str_radix(digits, radix).is_ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    let digits_from = |index: &mut usize| {
        let start = *index;
        while *index < bytes.len() && bytes[*index].is_ascii_digit() {
            *index += 1;
        }
        *index - start
    };
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        if digits_from(&mut index) == 0 {
            return false;
        }
    } else {
        if digits_from(&mut index) == 0 {
            return false;
        }
        if bytes.get(index) == Some(&b'.') {
            index += 1;
            digits_from(&mut index);
        }
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        if digits_from(&mut index) == 0 {
            return false;
        }
    }
    index == bytes.len()
}

/// Go's `strconv.ParseFloat(text, 64)` succeeds: decimal syntax (with
/// underscores between digits), hexadecimal floats, `inf`/`infinity`/`nan`,
/// and no overflow to infinity.
fn go_parse_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return true;
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        return is_go_hex_float(hex);
    }
    if text.contains('_') && !go_underscores_ok(unsigned) {
        return false;
    }
    let cleaned: String = unsigned.chars().filter(|&character| character != '_').collect();
    let bytes = cleaned.as_bytes();
    // Rust's parser accepts the same decimal syntax except that it also
    // accepts "inf"/"nan" words (handled above) and rejects nothing Go accepts.
    let mantissa_digits =
        bytes.iter().take_while(|&&byte| byte != b'e').filter(|byte| byte.is_ascii_digit()).count();
    if mantissa_digits == 0 {
        return false;
    }
    match cleaned.parse::<f64>() {
        Ok(value) => value.is_finite(),
        Err(_) => false,
    }
}

/// Underscores only between digits (Go's `underscoreOK` for decimals).
fn go_underscores_ok(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(index, &byte)| {
        byte != b'_'
            || (index > 0
                && bytes[index - 1].is_ascii_digit()
                && bytes.get(index + 1).is_some_and(u8::is_ascii_digit))
    })
}

/// Go's hexadecimal float syntax after `0x`: hex digits with an optional
/// point, then a mandatory `p` exponent.
fn is_go_hex_float(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once('p') else {
        return false;
    };
    let mantissa: String = mantissa.chars().filter(|&character| character != '_').collect();
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((&mantissa, ""));
    let hex = |part: &str| part.chars().all(|character| character.is_ascii_hexdigit());
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    !(whole.is_empty() && fraction.is_empty())
        && hex(whole)
        && hex(fraction)
        && !exponent.is_empty()
        && exponent.chars().all(|character| character.is_ascii_digit())
}

/// yaml.v3's `parseTimestamp`: four digits and a dash, then one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`
/// or `2006-1-2`, as Go's `time.Parse` reads them (days checked against the month).
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 5 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return false;
    }
    let mut index = 5;
    let year: u32 = text[..4].parse().unwrap_or(0);
    let Some(month) = one_or_two_digits(bytes, &mut index) else { return false };
    if bytes.get(index) != Some(&b'-') {
        return false;
    }
    index += 1;
    let Some(day) = one_or_two_digits(bytes, &mut index) else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if index == bytes.len() {
        return true;
    }
    let zoned = match bytes[index] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    index += 1;
    let Some(hour) = one_or_two_digits(bytes, &mut index) else { return false };
    if bytes.get(index) != Some(&b':') {
        return false;
    }
    index += 1;
    let Some(minute) = one_or_two_digits(bytes, &mut index) else { return false };
    if bytes.get(index) != Some(&b':') {
        return false;
    }
    index += 1;
    let Some(second) = one_or_two_digits(bytes, &mut index) else { return false };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    // An optional fraction of at most nine digits.
    if bytes.get(index) == Some(&b'.') && bytes.get(index + 1).is_some_and(u8::is_ascii_digit) {
        let start = index + 1;
        index = start;
        while index - start < 9 && bytes.get(index).is_some_and(u8::is_ascii_digit) {
            index += 1;
        }
    }
    if !zoned {
        return index == bytes.len();
    }
    match bytes.get(index) {
        Some(b'Z') => index + 1 == bytes.len(),
        Some(b'+' | b'-') => {
            let zone = &bytes[index + 1..];
            zone.len() == 5
                && zone[0].is_ascii_digit()
                && zone[1].is_ascii_digit()
                && zone[2] == b':'
                && zone[3].is_ascii_digit()
                && zone[4].is_ascii_digit()
                && (zone[0] - b'0') * 10 + (zone[1] - b'0') <= 24
                && (zone[3] - b'0') * 10 + (zone[4] - b'0') <= 59
        }
        _ => false,
    }
}

fn one_or_two_digits(bytes: &[u8], index: &mut usize) -> Option<u32> {
    let start = *index;
    while *index < bytes.len() && *index - start < 2 && bytes[*index].is_ascii_digit() {
        *index += 1;
    }
    if *index == start {
        return None;
    }
    std::str::from_utf8(&bytes[start..*index]).ok()?.parse().ok()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
