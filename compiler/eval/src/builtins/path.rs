//! `path`, for slash-separated paths. Each function takes an optional last
//! argument naming the OS (`"unix"` by default); Windows paths (`"windows"`)
//! use `\` as well as `/` as separators but have no volume names here.

use super::{Builtin, Data, str_arg, string, string_list_arg, strings_list};

const P: &str = "path";

const fn with_os(
    name: &'static str,
    params: usize,
    call: fn(&[Data]) -> Result<Data, String>,
) -> Builtin {
    Builtin { package: P, name, params, variadic: false, optional: 1, call, validator: false }
}

/// The separator test for the OS argument at `index` (absent: unix).
fn separators(args: &[Data], index: usize) -> Result<fn(char) -> bool, String> {
    let os = if args.len() > index { str_arg(args, index)? } else { "unix" };
    match os {
        "windows" => Ok(|c| c == '/' || c == '\\'),
        "unix" | "plan9" | "aix" | "android" | "darwin" | "dragonfly" | "freebsd" | "hurd"
        | "illumos" | "ios" | "js" | "linux" | "nacl" | "netbsd" | "openbsd" | "solaris"
        | "zos" => Ok(|c| c == '/'),
        other => Err(format!("unsupported OS {other:?}")),
    }
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    with_os("Base", 2, |a| {
        let is_sep = separators(a, 1)?;
        Ok(string(base(str_arg(a, 0)?, is_sep)))
    }),
    with_os("Dir", 2, |a| {
        let is_sep = separators(a, 1)?;
        let p = str_arg(a, 0)?;
        let dir = match p.rfind(is_sep) {
            Some(i) => &p[..=i],
            None => "",
        };
        Ok(string(clean(dir, is_sep)))
    }),
    with_os("Ext", 2, |a| {
        let is_sep = separators(a, 1)?;
        let p = str_arg(a, 0)?;
        let ext = p
            .rfind(|c| c == '.' || is_sep(c))
            .filter(|&i| p[i..].starts_with('.'))
            .map_or("", |i| &p[i..]);
        Ok(string(ext))
    }),
    with_os("Join", 2, |a| {
        let is_sep = separators(a, 1)?;
        let parts: Vec<&str> =
            string_list_arg(a, 0)?.into_iter().filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return Ok(string(""));
        }
        Ok(string(clean(&parts.join("/"), is_sep)))
    }),
    with_os("Clean", 2, |a| {
        let is_sep = separators(a, 1)?;
        Ok(string(clean(str_arg(a, 0)?, is_sep)))
    }),
    with_os("Split", 2, |a| {
        let is_sep = separators(a, 1)?;
        let p = str_arg(a, 0)?;
        let i = p.rfind(is_sep).map_or(0, |i| i + 1);
        Ok(strings_list([&p[..i], &p[i..]]))
    }),
    with_os("ToSlash", 2, |a| {
        let is_sep = separators(a, 1)?;
        Ok(string(
            str_arg(a, 0)?.chars().map(|c| if is_sep(c) { '/' } else { c }).collect::<String>(),
        ))
    }),
    with_os("FromSlash", 2, |a| {
        separators(a, 1)?;
        Ok(string(str_arg(a, 0)?))
    }),
    with_os("VolumeName", 2, |a| {
        separators(a, 1)?;
        Ok(string(""))
    }),
    Builtin {
        validator: true,
        ..with_os("IsAbs", 2, |a| {
            let is_sep = separators(a, 1)?;
            Ok(Data::Bool(str_arg(a, 0)?.starts_with(is_sep)))
        })
    },
    with_os("Resolve", 3, |a| {
        let is_sep = separators(a, 2)?;
        let (dir, sub) = (str_arg(a, 0)?, str_arg(a, 1)?);
        if sub.starts_with(is_sep) {
            return Ok(string(clean(sub, is_sep)));
        }
        Ok(string(clean(&format!("{dir}/{sub}"), is_sep)))
    }),
    Builtin {
        validator: true,
        ..with_os("Match", 3, |a| {
            separators(a, 2)?;
            Ok(Data::Bool(glob(str_arg(a, 0)?.as_bytes(), str_arg(a, 1)?.as_bytes())))
        })
    },
];

fn base(p: &str, is_sep: fn(char) -> bool) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches(is_sep);
    if trimmed.is_empty() {
        return "/".to_string();
    }
    let start = trimmed.rfind(is_sep).map_or(0, |i| i + 1);
    trimmed[start..].to_string()
}

/// Go's `path.Clean`.
pub(super) fn clean(p: &str, is_sep: fn(char) -> bool) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with(is_sep);
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split(is_sep) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Shell pattern matching (`*`, `?`, `[...]`, `\` escapes); `*` does not
/// cross `/`.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len())
            .take_while(|&i| i == 0 || name[i - 1] != b'/')
            .any(|i| glob(&pattern[1..], &name[i..])),
        Some(b'?') => name.first().is_some_and(|&c| c != b'/') && glob(&pattern[1..], &name[1..]),
        Some(b'[') => {
            let Some(close) = pattern.iter().skip(1).position(|&c| c == b']').map(|p| p + 1) else {
                return false;
            };
            let Some(&c) = name.first() else { return false };
            let class = &pattern[1..close];
            let (negated, class) = match class.first() {
                Some(b'^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut matched = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    matched |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    matched |= class[i] == c;
                    i += 1;
                }
            }
            matched != negated && glob(&pattern[close + 1..], &name[1..])
        }
        Some(b'\\') if pattern.len() > 1 => {
            name.first() == Some(&pattern[1]) && glob(&pattern[2..], &name[1..])
        }
        Some(&c) => name.first() == Some(&c) && glob(&pattern[1..], &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("path", name, args))
    }

    #[test]
    fn paths_like_the_reference() {
        assert_eq!(t("Base", vec![s("a/b/c.txt")]), r#""c.txt""#);
        assert_eq!(t("Dir", vec![s("a/b/c.txt")]), r#""a/b""#);
        assert_eq!(t("Ext", vec![s("a/b/c.txt")]), r#"".txt""#);
        assert_eq!(t("Join", vec![list(vec![s("a"), s("b/../c")])]), r#""a/c""#);
        assert_eq!(t("Clean", vec![s("a//b/./c/..")]), r#""a/b""#);
        assert_eq!(t("Base", vec![s("a\\b"), s("windows")]), r#""b""#);
        assert_eq!(t("Clean", vec![s("/../a")]), r#""/a""#);
        assert_eq!(t("Split", vec![s("a/b")]), r#"["a/","b"]"#);
        assert_eq!(t("Match", vec![s("*.txt"), s("a.txt"), s("unix")]), "true");
    }
}
