//! `strconv`, after Go's package of the same name.

use num_bigint::BigInt;
use num_traits::{Num, Signed, Zero};

use super::{
    Builtin, bigint_arg, bool_arg, float_arg, function, int_arg, str_arg, string, validator,
};
use crate::data::Data;
use crate::num::Number;

const P: &str = "strconv";

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "Unquote", 1, |a| unquote(str_arg(a, 0)?).map(string)),
    function(P, "ParseBool", 1, |a| {
        let s = str_arg(a, 0)?;
        match s {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Data::Bool(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Data::Bool(false)),
            _ => Err(syntax_error("ParseBool", s)),
        }
    }),
    function(P, "FormatBool", 1, |a| Ok(string(if bool_arg(a, 0)? { "true" } else { "false" }))),
    function(P, "ParseFloat", 2, |a| {
        let s = str_arg(a, 0)?;
        let cleaned = s.replace('_', "");
        let value: f64 = match cleaned.to_ascii_lowercase().trim_start_matches(['+', '-']) {
            "inf" | "infinity" | "nan" => {
                return Err(format!(
                    "strconv.ParseFloat: parsing {}: value out of range",
                    go_quote(s, false)
                ));
            }
            _ => cleaned.parse().map_err(|_| syntax_error("ParseFloat", s))?,
        };
        if value.is_infinite() {
            return Err(format!(
                "strconv.ParseFloat: parsing {}: value out of range",
                go_quote(s, false)
            ));
        }
        Number::from_f64(value).map(Data::Number).ok_or_else(|| syntax_error("ParseFloat", s))
    }),
    function(P, "ParseUint", 3, |a| {
        parse_int(str_arg(a, 0)?, int_arg(a, 1)?, int_arg(a, 2)?, false)
    }),
    function(P, "ParseInt", 3, |a| parse_int(str_arg(a, 0)?, int_arg(a, 1)?, int_arg(a, 2)?, true)),
    function(P, "Atoi", 1, |a| {
        let s = str_arg(a, 0)?;
        parse_int(s, 10, 64, true)
            .map_err(|message| message.replacen("strconv.ParseInt", "strconv.Atoi", 1))
    }),
    function(P, "FormatFloat", 4, |a| {
        let format = int_arg(a, 1)?;
        let format = u8::try_from(format).map(char::from).unwrap_or('?');
        Ok(string(format_float(float_arg(a, 0)?, format, int_arg(a, 2)?)))
    }),
    function(P, "FormatUint", 2, |a| format_int(bigint_arg(a, 0)?, int_arg(a, 1)?)),
    function(P, "FormatInt", 2, |a| format_int(bigint_arg(a, 0)?, int_arg(a, 1)?)),
    function(P, "Quote", 1, |a| Ok(string(go_quote(str_arg(a, 0)?, false)))),
    function(P, "QuoteToASCII", 1, |a| Ok(string(go_quote(str_arg(a, 0)?, true)))),
    function(P, "QuoteToGraphic", 1, |a| Ok(string(go_quote(str_arg(a, 0)?, false)))),
    function(P, "QuoteRune", 1, |a| Ok(string(quote_rune(int_arg(a, 0)?, false)))),
    function(P, "QuoteRuneToASCII", 1, |a| Ok(string(quote_rune(int_arg(a, 0)?, true)))),
    function(P, "QuoteRuneToGraphic", 1, |a| Ok(string(quote_rune(int_arg(a, 0)?, false)))),
    validator(P, "IsPrint", 1, |a| Ok(Data::Bool(rune(int_arg(a, 0)?).is_some_and(is_print)))),
    validator(P, "IsGraphic", 1, |a| Ok(Data::Bool(rune(int_arg(a, 0)?).is_some_and(is_print)))),
];

fn syntax_error(function: &str, s: &str) -> String {
    format!("strconv.{function}: parsing {}: invalid syntax", go_quote(s, false))
}

fn rune(value: i64) -> Option<char> {
    u32::try_from(value).ok().and_then(char::from_u32)
}

/// Go's `strconv.IsPrint`, approximately: not a control, not an unassigned
/// or separator code point other than the ASCII space.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}' | '\u{FFFE}' | '\u{FFFF}'))
}

/// Go's `strconv.Quote` (and `QuoteToASCII` when `ascii`).
pub(crate) fn go_quote(s: &str, ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        escape_char(&mut out, c, '"', ascii);
    }
    out.push('"');
    out
}

fn escape_char(out: &mut String, c: char, quote: char, ascii: bool) {
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{C}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{B}' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        _ if c == quote => {
            out.push('\\');
            out.push(c);
        }
        _ if (c as u32) < 0x80 && is_print(c) => out.push(c),
        _ if !ascii && is_print(c) => out.push(c),
        _ if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        _ if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        _ => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

fn quote_rune(value: i64, ascii: bool) -> String {
    let c = rune(value).filter(|c| !(0xD800..0xE000).contains(&(*c as u32))).unwrap_or('\u{FFFD}');
    let mut out = String::from("'");
    escape_char(&mut out, c, '\'', ascii);
    out.push('\'');
    out
}

/// Go's `strconv.Unquote`.
fn unquote(s: &str) -> Result<String, String> {
    let invalid = || "invalid syntax".to_string();
    let mut chars = s.chars();
    let quote = chars.next().ok_or_else(invalid)?;
    if !s.ends_with(quote) || s.len() < 2 {
        return Err(invalid());
    }
    let body = &s[1..s.len() - 1];
    match quote {
        '`' => {
            if body.contains('`') {
                return Err(invalid());
            }
            Ok(body.replace('\r', ""))
        }
        '"' | '\'' => {
            let mut out = String::new();
            let mut rest = body.chars().peekable();
            while let Some(c) = rest.next() {
                if c == quote || c == '\n' {
                    return Err(invalid());
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let escape = rest.next().ok_or_else(invalid)?;
                let simple = match escape {
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    'f' => Some('\u{C}'),
                    'n' => Some('\n'),
                    'r' => Some('\r'),
                    't' => Some('\t'),
                    'v' => Some('\u{B}'),
                    '\\' => Some('\\'),
                    '\'' | '"' if escape == quote => Some(escape),
                    _ => None,
                };
                if let Some(simple) = simple {
                    out.push(simple);
                    continue;
                }
                let digits = match escape {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    '0'..='7' => 2,
                    _ => return Err(invalid()),
                };
                let mut text = String::new();
                if escape.is_ascii_digit() {
                    text.push(escape);
                }
                for _ in 0..digits {
                    text.push(rest.next().ok_or_else(invalid)?);
                }
                let radix = if escape.is_ascii_digit() { 8 } else { 16 };
                let code = u32::from_str_radix(&text, radix).map_err(|_| invalid())?;
                out.push(char::from_u32(code).ok_or_else(invalid)?);
            }
            if quote == '\'' && out.chars().count() != 1 {
                return Err(invalid());
            }
            Ok(out)
        }
        _ => Err(invalid()),
    }
}

/// Go's `strconv.ParseInt`/`ParseUint`.
fn parse_int(s: &str, base: i64, bits: i64, signed: bool) -> Result<Data, String> {
    let function = if signed { "ParseInt" } else { "ParseUint" };
    let range_error =
        || format!("strconv.{function}: parsing {}: value out of range", go_quote(s, false));
    if !(base == 0 || (2..=36).contains(&base)) {
        return Err(format!(
            "strconv.{function}: parsing {}: invalid base {base}",
            go_quote(s, false)
        ));
    }
    let bits = if bits == 0 { 64 } else { bits };
    if !(1..=64).contains(&bits) {
        return Err(format!(
            "strconv.{function}: parsing {}: invalid bit size {bits}",
            go_quote(s, false)
        ));
    }
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..]),
        Some(b'+') if signed => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if base == 0 {
        let lower = body.to_ascii_lowercase();
        if lower.starts_with("0x") {
            (16, &body[2..])
        } else if lower.starts_with("0o") {
            (8, &body[2..])
        } else if lower.starts_with("0b") {
            (2, &body[2..])
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        }
    } else {
        (base as u32, body)
    };
    let digits = if base == 0 { digits.replace('_', "") } else { digits.to_string() };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return Err(syntax_error(function, s));
    }
    let magnitude =
        BigInt::from_str_radix(&digits, radix).map_err(|_| syntax_error(function, s))?;
    let value = if negative { -magnitude } else { magnitude };
    let (min, max) = if signed {
        (-(BigInt::from(1) << (bits - 1) as usize), (BigInt::from(1) << (bits - 1) as usize) - 1)
    } else {
        (BigInt::zero(), (BigInt::from(1) << bits as usize) - 1)
    };
    if value < min || value > max {
        return Err(range_error());
    }
    Ok(Data::Number(Number::from_bigint(value)))
}

fn format_int(value: BigInt, base: i64) -> Result<Data, String> {
    if !(2..=36).contains(&base) {
        return Err("strconv: illegal AppendInt/FormatInt base".to_string());
    }
    let text = value.abs().to_str_radix(base as u32);
    Ok(string(if value.is_negative() { format!("-{text}") } else { text }))
}

/// Go's `strconv.FormatFloat(f, format, precision, 64)`.
pub(super) fn format_float(value: f64, format: char, precision: i64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf".to_string() } else { "-Inf".to_string() };
    }
    let precision = precision.clamp(-1, 1000);
    let exponent_form = |mantissa: String, exp: i64, upper: bool| {
        let sign = if exp < 0 { '-' } else { '+' };
        let e = if upper { 'E' } else { 'e' };
        format!("{mantissa}{e}{sign}{:02}", exp.unsigned_abs())
    };
    // Shortest (or rounded) digits and decimal exponent.
    let split = |text: String| -> (String, i64) {
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        (mantissa.to_string(), exp.parse().unwrap_or(0))
    };
    match format {
        'f' | 'F' => {
            if precision < 0 {
                format!("{value}")
            } else {
                format!("{value:.*}", precision as usize)
            }
        }
        'e' | 'E' => {
            let text = if precision < 0 {
                format!("{value:e}")
            } else {
                format!("{value:.*e}", precision as usize)
            };
            let (mantissa, exp) = split(text);
            exponent_form(mantissa, exp, format == 'E')
        }
        'g' | 'G' => {
            let shortest = precision < 0;
            let text = if shortest {
                format!("{value:e}")
            } else {
                format!("{value:.*e}", precision.max(1) as usize - 1)
            };
            let (mantissa, exp) = split(text);
            let (negative, mantissa) = match mantissa.strip_prefix('-') {
                Some(rest) => (true, rest.to_string()),
                None => (false, mantissa),
            };
            let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
            while digits.len() > 1 && digits.ends_with('0') {
                digits.pop();
            }
            let eprec = if shortest { 6 } else { precision.max(1) };
            let sign = if negative { "-" } else { "" };
            if exp < -4 || exp >= eprec {
                let mantissa = if digits.len() > 1 {
                    format!("{}.{}", &digits[..1], &digits[1..])
                } else {
                    digits
                };
                return format!("{sign}{}", exponent_form(mantissa, exp, format == 'G'));
            }
            let decimals = (digits.len() as i64 - 1 - exp).max(0) as usize;
            format!("{sign}{:.*}", decimals, value.abs())
        }
        _ => format!("%{format}"),
    }
}

/// Go's `strconv.QuoteRune`.
pub(crate) fn go_quote_rune(c: char) -> String {
    quote_rune(i64::from(u32::from(c)), false)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("strconv", name, args))
    }

    #[test]
    fn strconv_like_the_reference() {
        assert_eq!(t("Atoi", vec![s("42")]), "42");
        assert_eq!(t("FormatBool", vec![crate::data::Data::Bool(false)]), r#""false""#);
        assert_eq!(t("FormatInt", vec![n("255"), n("16")]), r#""ff""#);
        assert_eq!(t("FormatInt", vec![n("-255"), n("2")]), r#""-11111111""#);
        assert_eq!(t("ParseBool", vec![s("true")]), "true");
        assert_eq!(t("Quote", vec![s("hi \"x\"")]), r#""\"hi \\\"x\\\"\"""#);
        assert_eq!(t("ParseInt", vec![s("-101"), n("2"), n("64")]), "-5");
        assert_eq!(t("FormatFloat", vec![n("1.5"), n("102"), n("-1"), n("64")]), r#""1.5""#);
        assert_eq!(t("FormatFloat", vec![n("1.5"), n("101"), n("3"), n("64")]), r#""1.500e+00""#);
        assert_eq!(
            t("FormatFloat", vec![n("1234567.0"), n("103"), n("-1"), n("64")]),
            r#""1.234567e+06""#
        );
        assert_eq!(t("ParseUint", vec![s("ff"), n("16"), n("64")]), "255");
        assert_eq!(t("Unquote", vec![s("\"q\"")]), r#""q""#);
        assert_eq!(t("ParseFloat", vec![s("1e3"), n("64")]), "1000");
        assert_eq!(t("ParseFloat", vec![s("0.1"), n("64")]), "0.1");
        assert_eq!(t("ParseFloat", vec![s("2.5e-10"), n("64")]), "2.5E-10");
        assert_eq!(t("QuoteRune", vec![n("65")]), r#""'A'""#);
        assert_eq!(t("Quote", vec![s("é\n\u{1}")]), r#""\"é\\n\\x01\"""#);
        assert_eq!(t("QuoteToASCII", vec![s("é")]), r#""\"\\u00e9\"""#);
        assert_eq!(
            t("Atoi", vec![s("x")]),
            r#"error: error in call to strconv.Atoi: strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            t("ParseInt", vec![s("300"), n("10"), n("8")]),
            r#"error: error in call to strconv.ParseInt: strconv.ParseInt: parsing "300": value out of range"#
        );
        assert_eq!(t("ParseInt", vec![s("0x1_f"), n("0"), n("64")]), "31");
    }
}
