//! `strings` (Go's `strings` plus CUE's additions) and `html`.
//!
//! Indices are byte offsets, as in Go.

use super::{
    Builtin, bytes_arg, function, int, int_arg, str_arg, string, string_list_arg, strings_list,
    validator,
};
use crate::data::Data;

const P: &str = "strings";

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "ByteAt", 2, |a| {
        let bytes = bytes_arg(a, 0)?;
        let index = int_arg(a, 1)?;
        usize::try_from(index)
            .ok()
            .and_then(|index| bytes.get(index))
            .map(|&byte| int(i64::from(byte)))
            .ok_or_else(|| "index out of range".to_string())
    }),
    function(P, "ByteSlice", 3, |a| {
        let bytes = bytes_arg(a, 0)?;
        let (start, end) = (int_arg(a, 1)?, int_arg(a, 2)?);
        if start < 0 || start > end || end > bytes.len() as i64 {
            return Err("index out of range".to_string());
        }
        Ok(Data::Bytes(bytes[start as usize..end as usize].to_vec()))
    }),
    function(P, "Runes", 1, |a| {
        Ok(Data::List(str_arg(a, 0)?.chars().map(|c| int(i64::from(u32::from(c)))).collect()))
    }),
    validator(P, "MinRunes", 2, |a| {
        Ok(Data::Bool(str_arg(a, 0)?.chars().count() as i64 >= int_arg(a, 1)?))
    }),
    validator(P, "MaxRunes", 2, |a| {
        Ok(Data::Bool(str_arg(a, 0)?.chars().count() as i64 <= int_arg(a, 1)?))
    }),
    function(P, "ToTitle", 1, |a| Ok(string(map_word_starts(str_arg(a, 0)?, simple_upper)))),
    function(P, "ToCamel", 1, |a| Ok(string(map_word_starts(str_arg(a, 0)?, simple_lower)))),
    function(P, "SliceRunes", 3, |a| {
        let runes: Vec<char> = str_arg(a, 0)?.chars().collect();
        let (start, end) = (int_arg(a, 1)?, int_arg(a, 2)?);
        if start < 0 || start > end || end > runes.len() as i64 {
            return Err("index out of range".to_string());
        }
        Ok(string(runes[start as usize..end as usize].iter().collect::<String>()))
    }),
    function(P, "Compare", 2, |a| Ok(int(str_arg(a, 0)?.cmp(str_arg(a, 1)?) as i64))),
    function(P, "Count", 2, |a| {
        let (s, sub) = (str_arg(a, 0)?, str_arg(a, 1)?);
        let count = if sub.is_empty() { s.chars().count() + 1 } else { s.matches(sub).count() };
        Ok(int(count as i64))
    }),
    validator(P, "Contains", 2, |a| Ok(Data::Bool(str_arg(a, 0)?.contains(str_arg(a, 1)?)))),
    validator(P, "ContainsAny", 2, |a| {
        let chars = str_arg(a, 1)?;
        Ok(Data::Bool(str_arg(a, 0)?.chars().any(|c| chars.contains(c))))
    }),
    function(P, "Index", 2, |a| Ok(index(str_arg(a, 0)?.find(str_arg(a, 1)?)))),
    function(P, "LastIndex", 2, |a| Ok(index(str_arg(a, 0)?.rfind(str_arg(a, 1)?)))),
    function(P, "IndexAny", 2, |a| {
        let chars = str_arg(a, 1)?;
        Ok(index(str_arg(a, 0)?.find(|c| chars.contains(c))))
    }),
    function(P, "LastIndexAny", 2, |a| {
        let chars = str_arg(a, 1)?;
        Ok(index(str_arg(a, 0)?.rfind(|c| chars.contains(c))))
    }),
    function(P, "SplitN", 3, |a| {
        Ok(strings_list(split(str_arg(a, 0)?, str_arg(a, 1)?, false, int_arg(a, 2)?)))
    }),
    function(P, "SplitAfterN", 3, |a| {
        Ok(strings_list(split(str_arg(a, 0)?, str_arg(a, 1)?, true, int_arg(a, 2)?)))
    }),
    function(P, "Split", 2, |a| Ok(strings_list(split(str_arg(a, 0)?, str_arg(a, 1)?, false, -1)))),
    function(P, "SplitAfter", 2, |a| {
        Ok(strings_list(split(str_arg(a, 0)?, str_arg(a, 1)?, true, -1)))
    }),
    function(P, "Fields", 1, |a| {
        Ok(strings_list(str_arg(a, 0)?.split(is_go_space).filter(|s| !s.is_empty())))
    }),
    function(P, "Join", 2, |a| Ok(string(string_list_arg(a, 0)?.join(str_arg(a, 1)?)))),
    validator(P, "HasPrefix", 2, |a| Ok(Data::Bool(str_arg(a, 0)?.starts_with(str_arg(a, 1)?)))),
    validator(P, "HasSuffix", 2, |a| Ok(Data::Bool(str_arg(a, 0)?.ends_with(str_arg(a, 1)?)))),
    function(P, "Repeat", 2, |a| {
        let s = str_arg(a, 0)?;
        let count = int_arg(a, 1)?;
        if count < 0 {
            return Err("strings: negative Repeat count".to_string());
        }
        if (s.len() as u128) * (count as u128) > super::MAX_STRING as u128 {
            return Err("strings: Repeat output length overflow".to_string());
        }
        Ok(string(s.repeat(count as usize)))
    }),
    function(P, "ToUpper", 1, |a| {
        Ok(string(str_arg(a, 0)?.chars().map(simple_upper).collect::<String>()))
    }),
    function(P, "ToLower", 1, |a| {
        Ok(string(str_arg(a, 0)?.chars().map(simple_lower).collect::<String>()))
    }),
    function(P, "Trim", 2, |a| {
        let cutset = str_arg(a, 1)?;
        Ok(string(str_arg(a, 0)?.trim_matches(|c| cutset.contains(c))))
    }),
    function(P, "TrimLeft", 2, |a| {
        let cutset = str_arg(a, 1)?;
        Ok(string(str_arg(a, 0)?.trim_start_matches(|c| cutset.contains(c))))
    }),
    function(P, "TrimRight", 2, |a| {
        let cutset = str_arg(a, 1)?;
        Ok(string(str_arg(a, 0)?.trim_end_matches(|c| cutset.contains(c))))
    }),
    function(P, "TrimSpace", 1, |a| Ok(string(str_arg(a, 0)?.trim_matches(is_go_space)))),
    function(P, "TrimPrefix", 2, |a| {
        let s = str_arg(a, 0)?;
        Ok(string(s.strip_prefix(str_arg(a, 1)?).unwrap_or(s)))
    }),
    function(P, "TrimSuffix", 2, |a| {
        let s = str_arg(a, 0)?;
        Ok(string(s.strip_suffix(str_arg(a, 1)?).unwrap_or(s)))
    }),
    function(P, "Replace", 4, |a| {
        Ok(string(replace(str_arg(a, 0)?, str_arg(a, 1)?, str_arg(a, 2)?, int_arg(a, 3)?)))
    }),
];

pub(super) const HTML: &[Builtin] = &[
    function("html", "Escape", 1, |a| {
        let mut out = String::new();
        for c in str_arg(a, 0)?.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '\'' => out.push_str("&#39;"),
                '"' => out.push_str("&#34;"),
                _ => out.push(c),
            }
        }
        Ok(string(out))
    }),
    function("html", "Unescape", 1, |a| Ok(string(html_unescape(str_arg(a, 0)?)))),
];

fn index(position: Option<usize>) -> Data {
    int(position.map_or(-1, |p| p as i64))
}

/// Go's `unicode.IsSpace`.
pub(super) fn is_go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}')
        || (c as u32 > 0xff && c.is_whitespace())
}

fn simple_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn simple_lower(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn map_word_starts(s: &str, map: fn(char) -> char) -> String {
    let mut previous = ' ';
    s.chars()
        .map(|c| {
            let out = if is_go_space(previous) { map(c) } else { c };
            previous = c;
            out
        })
        .collect()
}

/// Go's `strings.genSplit`.
fn split(s: &str, sep: &str, after: bool, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        // Split into characters, the last one taking the rest.
        let chars: Vec<&str> = s.char_indices().map(|(i, c)| &s[i..i + c.len_utf8()]).collect();
        let limit = if n < 0 || n as usize > chars.len() { chars.len() } else { n as usize };
        let mut out: Vec<String> =
            chars[..limit.saturating_sub(1)].iter().map(|c| c.to_string()).collect();
        if limit > 0 {
            let consumed: usize = out.iter().map(String::len).sum();
            out.push(s[consumed..].to_string());
        }
        return out;
    }
    let mut out = Vec::new();
    let mut rest = s;
    while n < 0 || (out.len() as i64) < n - 1 {
        let Some(position) = rest.find(sep) else { break };
        let end = if after { position + sep.len() } else { position };
        out.push(rest[..end].to_string());
        rest = &rest[position + sep.len()..];
    }
    out.push(rest.to_string());
    out
}

/// Go's `strings.Replace`.
fn replace(s: &str, old: &str, new: &str, n: i64) -> String {
    if old == new || n == 0 {
        return s.to_string();
    }
    if !old.is_empty() {
        return if n < 0 { s.replace(old, new) } else { s.replacen(old, new, n as usize) };
    }
    // An empty `old` matches before every rune and at the end.
    let mut out = String::new();
    let mut count = 0;
    for c in s.chars() {
        if n < 0 || count < n {
            out.push_str(new);
            count += 1;
        }
        out.push(c);
    }
    if n < 0 || count < n {
        out.push_str(new);
    }
    out
}

fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(position) = rest.find('&') {
        out.push_str(&rest[..position]);
        rest = &rest[position..];
        let entity_end = rest.find(';').filter(|&end| end <= 12);
        let decoded = entity_end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{A0}'),
                _ => {
                    let code = if let Some(hex) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        name.strip_prefix('#').and_then(|dec| dec.parse().ok())
                    };
                    code.and_then(char::from_u32)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("strings", name, args))
    }

    #[test]
    fn strings_like_the_reference() {
        assert_eq!(t("Replace", vec![s("aaaa"), s("a"), s("b"), n("2")]), r#""bbaa""#);
        assert_eq!(t("Replace", vec![s("aaaa"), s("a"), s("b"), n("-1")]), r#""bbbb""#);
        assert_eq!(t("Replace", vec![s("ab"), s(""), s("-"), n("-1")]), r#""-a-b-""#);
        assert_eq!(t("TrimSpace", vec![s("  x y  ")]), r#""x y""#);
        assert_eq!(t("TrimPrefix", vec![s("prefix-body"), s("prefix-")]), r#""body""#);
        assert_eq!(t("TrimSuffix", vec![s("file.tar.gz"), s(".gz")]), r#""file.tar""#);
        assert_eq!(t("Trim", vec![s("xxhixx"), s("x")]), r#""hi""#);
        assert_eq!(t("Repeat", vec![s("ab"), n("3")]), r#""ababab""#);
        assert_eq!(t("Fields", vec![s("  a b   c ")]), r#"["a","b","c"]"#);
        assert_eq!(t("Runes", vec![s("hé")]), "[104,233]");
        assert_eq!(t("MinRunes", vec![s("abcd"), n("3")]), "true");
        assert_eq!(t("MaxRunes", vec![s("abcdef"), n("5")]), "false");
        assert_eq!(t("ToTitle", vec![s("hello world")]), r#""Hello World""#);
        assert_eq!(t("ToCamel", vec![s("Hello World")]), r#""hello world""#);
        assert_eq!(t("SplitN", vec![s("a,b,c"), s(","), n("2")]), r#"["a","b,c"]"#);
        assert_eq!(t("Split", vec![s("a,b,c"), s(",")]), r#"["a","b","c"]"#);
        assert_eq!(t("Split", vec![s("abc"), s("")]), r#"["a","b","c"]"#);
        assert_eq!(t("SplitAfter", vec![s("a,b"), s(",")]), r#"["a,","b"]"#);
        assert_eq!(t("Compare", vec![s("a"), s("b")]), "-1");
        assert_eq!(t("ByteAt", vec![crate::data::Data::Bytes(b"abc".to_vec()), n("1")]), "98");
        assert_eq!(t("Index", vec![s("chicken"), s("ken")]), "4");
        assert_eq!(t("LastIndex", vec![s("go gopher"), s("go")]), "3");
        assert_eq!(t("Index", vec![s("x"), s("y")]), "-1");
        assert_eq!(t("Count", vec![s("cheese"), s("e")]), "3");
        assert_eq!(t("Count", vec![s("five"), s("")]), "5");
        assert_eq!(t("ToUpper", vec![s("héllo")]), r#""HÉLLO""#);
        assert_eq!(t("ToLower", vec![s("ABC")]), r#""abc""#);
        assert_eq!(t("Join", vec![list(vec![s("a"), s("b")]), s("+")]), r#""a+b""#);
        assert_eq!(t("Contains", vec![s("seafood"), s("foo")]), "true");
        assert_eq!(t("HasPrefix", vec![s("seafood"), s("sea")]), "true");
        assert_eq!(t("SliceRunes", vec![s("héllo"), n("1"), n("3")]), r#""él""#);
        assert_eq!(
            t("SliceRunes", vec![s("h"), n("1"), n("3")]),
            "error: error in call to strings.SliceRunes: index out of range"
        );
        assert_eq!(
            text(call("html", "Escape", vec![s("<a href=\"x\">&'")])),
            r#""&lt;a href=&#34;x&#34;&gt;&amp;&#39;""#
        );
        assert_eq!(
            text(call("html", "Unescape", vec![s("&lt;b&gt; &amp;amp; &#65;&#x42;")])),
            r#""<b> &amp; AB""#
        );
    }
}
