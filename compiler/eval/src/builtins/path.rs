//! `path`, Go's `path/filepath` for a named OS. Each function takes an
//! optional last argument naming the OS (`"unix"` by default, or the
//! constants `path.Unix`, `path.Windows`, `path.Plan9`). Windows paths use `\`
//! as well as `/` as separators, print `\`, and have volume names (`C:`,
//! `\\host\share`); Plan 9 paths are like Unix ones but `#x` is absolute too.

use super::{Builtin, Data, str_arg, string, string_list_arg, strings_list};

const P: &str = "path";

const fn with_os(
    name: &'static str,
    params: usize,
    call: fn(&[Data]) -> Result<Data, String>,
) -> Builtin {
    Builtin { package: P, name, params, variadic: false, optional: 1, call, validator: false }
}

/// The operating system whose path rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Unix,
    Windows,
    Plan9,
}

impl Os {
    fn is_separator(self, c: u8) -> bool {
        c == b'/' || (self == Os::Windows && c == b'\\')
    }

    fn separator(self) -> char {
        if self == Os::Windows { '\\' } else { '/' }
    }

    /// The length of the leading volume name (`C:`, `\\host\share`); zero
    /// outside Windows.
    fn volume_length(self, path: &str) -> usize {
        if self != Os::Windows {
            return 0;
        }
        let bytes = path.as_bytes();
        if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
            return 2;
        }
        // A UNC path: two separators, a host name, a separator and a share name.
        let length = bytes.len();
        if length >= 5
            && self.is_separator(bytes[0])
            && self.is_separator(bytes[1])
            && !self.is_separator(bytes[2])
            && bytes[2] != b'.'
        {
            let mut index = 3;
            while index < length - 1 {
                if self.is_separator(bytes[index]) {
                    index += 1;
                    if self.is_separator(bytes[index]) || bytes[index] == b'.' {
                        return 0;
                    }
                    while index < length && !self.is_separator(bytes[index]) {
                        index += 1;
                    }
                    return index;
                }
                index += 1;
            }
        }
        0
    }

    fn is_unc(self, path: &str) -> bool {
        self.volume_length(path) > 2
    }

    fn with_separators(self, path: &str) -> String {
        if self == Os::Windows { path.replace('/', "\\") } else { path.to_string() }
    }

    fn same_word(self, a: &str, b: &str) -> bool {
        if self == Os::Windows { a.to_lowercase() == b.to_lowercase() } else { a == b }
    }

    fn is_absolute(self, path: &str) -> bool {
        match self {
            Os::Unix => path.starts_with('/'),
            Os::Plan9 => path.starts_with('/') || path.starts_with('#'),
            Os::Windows => {
                let volume = self.volume_length(path);
                if volume == 0 {
                    return false;
                }
                let bytes = path.as_bytes();
                if self.is_separator(bytes[0]) && self.is_separator(bytes[1]) {
                    return true;
                }
                path.as_bytes().get(volume).is_some_and(|&c| self.is_separator(c))
            }
        }
    }

    /// Go's `Clean`: the shortest equivalent path, by purely lexical rules.
    fn clean(self, original: &str) -> String {
        let volume_length = self.volume_length(original);
        let volume = &original[..volume_length];
        let path = &original.as_bytes()[volume_length..];
        if path.is_empty() {
            if volume_length > 1 && original.as_bytes()[1] != b':' {
                return self.with_separators(original);
            }
            return format!("{original}.");
        }
        let separator = self.separator() as u8;
        let rooted = self.is_separator(path[0]);
        let mut out: Vec<u8> = Vec::with_capacity(path.len());
        let (mut read, mut dotdot) = (0, 0);
        if rooted {
            out.push(separator);
            (read, dotdot) = (1, 1);
        }
        let length = path.len();
        let ends_element = |index: usize| index == length || self.is_separator(path[index]);
        while read < length {
            if self.is_separator(path[read]) || (path[read] == b'.' && ends_element(read + 1)) {
                // An empty element or `.`.
                read += 1;
            } else if path[read] == b'.'
                && path.get(read + 1) == Some(&b'.')
                && ends_element(read + 2)
            {
                read += 2;
                if out.len() > dotdot {
                    // Back up over the last element and the separator before it.
                    let mut removed = out.pop();
                    while out.len() > dotdot && !removed.is_some_and(|c| self.is_separator(c)) {
                        removed = out.pop();
                    }
                } else if !rooted {
                    if !out.is_empty() {
                        out.push(separator);
                    }
                    out.extend_from_slice(b"..");
                    dotdot = out.len();
                }
            } else {
                if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                    out.push(separator);
                }
                while read < length && !self.is_separator(path[read]) {
                    out.push(path[read]);
                    read += 1;
                }
            }
        }
        if out.is_empty() {
            out.push(b'.');
        }
        // Only ASCII bytes were removed, at element boundaries: still UTF-8.
        let cleaned = String::from_utf8_lossy(&out);
        self.with_separators(&format!("{volume}{cleaned}"))
    }

    fn join(self, elements: &[&str]) -> String {
        let Some(first) = elements.iter().position(|element| !element.is_empty()) else {
            return String::new();
        };
        let elements = &elements[first..];
        let separator = self.separator().to_string();
        if self != Os::Windows {
            return self.clean(&elements.join(&separator));
        }
        let head = elements[0];
        if head.len() == 2 && head.as_bytes()[1] == b':' {
            // A drive letter alone: the path stays relative to that drive.
            let rest: Vec<&str> =
                elements[1..].iter().copied().skip_while(|element| element.is_empty()).collect();
            return self.clean(&format!("{head}{}", rest.join(&separator)));
        }
        let joined = self.clean(&elements.join(&separator));
        if !self.is_unc(&joined) {
            return joined;
        }
        // Two paths that are not UNC paths do not join into one.
        let head = self.clean(head);
        if self.is_unc(&head) {
            return joined;
        }
        let tail = self.clean(&elements[1..].join(&separator));
        if head.ends_with(self.separator()) {
            format!("{head}{tail}")
        } else {
            format!("{head}{separator}{tail}")
        }
    }

    /// The index after the last separator past the volume name.
    fn last_element_start(self, path: &str) -> usize {
        let volume = self.volume_length(path);
        let bytes = path.as_bytes();
        let mut index = bytes.len();
        while index > volume && !self.is_separator(bytes[index - 1]) {
            index -= 1;
        }
        index
    }

    fn base(self, path: &str) -> String {
        if path.is_empty() {
            return ".".to_string();
        }
        let trimmed = path.trim_end_matches(|c: char| c.is_ascii() && self.is_separator(c as u8));
        let without_volume = &trimmed[self.volume_length(trimmed)..];
        let bytes = without_volume.as_bytes();
        let mut start = bytes.len();
        while start > 0 && !self.is_separator(bytes[start - 1]) {
            start -= 1;
        }
        let base = &without_volume[start..];
        if base.is_empty() { self.separator().to_string() } else { base.to_string() }
    }

    fn dir(self, path: &str) -> String {
        let volume = &path[..self.volume_length(path)];
        let end = self.last_element_start(path);
        let dir = self.clean(&path[volume.len()..end]);
        if dir == "." && volume.len() > 2 {
            return volume.to_string();
        }
        format!("{volume}{dir}")
    }

    fn ext(self, path: &str) -> String {
        let bytes = path.as_bytes();
        let mut index = bytes.len();
        while index > 0 && !self.is_separator(bytes[index - 1]) {
            if bytes[index - 1] == b'.' {
                return path[index - 1..].to_string();
            }
            index -= 1;
        }
        String::new()
    }

    /// Go's `Rel`: `target` relative to `base`, lexically.
    fn relative(self, base_path: &str, target_path: &str) -> Result<String, String> {
        let cannot = || format!("Rel: can't make {target_path} relative to {base_path}");
        let base_volume = &base_path[..self.volume_length(base_path)];
        let target_volume = &target_path[..self.volume_length(target_path)];
        let base = self.clean(base_path);
        let target = self.clean(target_path);
        if self.same_word(&target, &base) {
            return Ok(".".to_string());
        }
        let mut base = base[base_volume.len()..].to_string();
        let target = &target[target_volume.len()..];
        if base == "." {
            base.clear();
        } else if base.is_empty() && self.volume_length(base_volume) > 2 {
            base = self.separator().to_string();
        }
        let separator = self.separator() as u8;
        let base_rooted = base.as_bytes().first() == Some(&separator);
        let target_rooted = target.as_bytes().first() == Some(&separator);
        if base_rooted != target_rooted || !self.same_word(base_volume, target_volume) {
            return Err(cannot());
        }
        let (base_bytes, target_bytes) = (base.as_bytes(), target.as_bytes());
        let (base_length, target_length) = (base_bytes.len(), target_bytes.len());
        let (mut base_start, mut base_index, mut target_start, mut target_index) = (0, 0, 0, 0);
        loop {
            while base_index < base_length && base_bytes[base_index] != separator {
                base_index += 1;
            }
            while target_index < target_length && target_bytes[target_index] != separator {
                target_index += 1;
            }
            if !self.same_word(&target[target_start..target_index], &base[base_start..base_index]) {
                break;
            }
            if base_index < base_length {
                base_index += 1;
            }
            if target_index < target_length {
                target_index += 1;
            }
            base_start = base_index;
            target_start = target_index;
            if base_index >= base_length && target_index >= target_length {
                break;
            }
        }
        if &base[base_start..base_index] == ".." {
            return Err(cannot());
        }
        if base_start != base_length {
            let separator = self.separator();
            let ups = base[base_start..].matches(separator).count();
            let mut out = "..".to_string();
            for _ in 0..ups {
                out.push(separator);
                out.push_str("..");
            }
            if target_start != target_length {
                out.push(separator);
                out.push_str(&target[target_start..]);
            }
            return Ok(out);
        }
        Ok(target[target_start..].to_string())
    }
}

/// The OS argument at `index` (absent: unix).
fn os_arg(args: &[Data], index: usize) -> Result<Os, String> {
    let os = if args.len() > index { str_arg(args, index)? } else { "unix" };
    match os {
        "windows" => Ok(Os::Windows),
        "plan9" => Ok(Os::Plan9),
        "unix" | "aix" | "android" | "darwin" | "dragonfly" | "freebsd" | "hurd" | "illumos"
        | "ios" | "js" | "linux" | "nacl" | "netbsd" | "openbsd" | "solaris" | "zos" => {
            Ok(Os::Unix)
        }
        other => Err(format!("unsupported OS {other:?}")),
    }
}

/// `path.Unix`, `path.Windows` and `path.Plan9`.
pub(super) fn constant(name: &str) -> Option<Data> {
    match name {
        "Unix" => Some(string("unix")),
        "Windows" => Some(string("windows")),
        "Plan9" => Some(string("plan9")),
        _ => None,
    }
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    with_os("Base", 2, |a| Ok(string(os_arg(a, 1)?.base(str_arg(a, 0)?)))),
    with_os("Dir", 2, |a| Ok(string(os_arg(a, 1)?.dir(str_arg(a, 0)?)))),
    with_os("Ext", 2, |a| Ok(string(os_arg(a, 1)?.ext(str_arg(a, 0)?)))),
    with_os("Join", 2, |a| Ok(string(os_arg(a, 1)?.join(&string_list_arg(a, 0)?)))),
    with_os("Clean", 2, |a| Ok(string(os_arg(a, 1)?.clean(str_arg(a, 0)?)))),
    with_os("Split", 2, |a| {
        let os = os_arg(a, 1)?;
        let path = str_arg(a, 0)?;
        let index = os.last_element_start(path);
        Ok(strings_list([&path[..index], &path[index..]]))
    }),
    with_os("ToSlash", 2, |a| {
        let os = os_arg(a, 1)?;
        let path = str_arg(a, 0)?;
        Ok(string(if os == Os::Windows { path.replace('\\', "/") } else { path.to_string() }))
    }),
    with_os("FromSlash", 2, |a| Ok(string(os_arg(a, 1)?.with_separators(str_arg(a, 0)?)))),
    with_os("VolumeName", 2, |a| {
        let os = os_arg(a, 1)?;
        let path = str_arg(a, 0)?;
        Ok(string(&path[..os.volume_length(path)]))
    }),
    Builtin {
        validator: true,
        ..with_os("IsAbs", 2, |a| Ok(Data::Bool(os_arg(a, 1)?.is_absolute(str_arg(a, 0)?))))
    },
    with_os("Resolve", 3, |a| {
        let os = os_arg(a, 2)?;
        let (dir, sub) = (str_arg(a, 0)?, str_arg(a, 1)?);
        if os.is_absolute(sub) {
            return Ok(string(os.clean(sub)));
        }
        Ok(string(os.join(&[&os.clean(dir), sub])))
    }),
    with_os("Rel", 3, |a| {
        let os = os_arg(a, 2)?;
        os.relative(str_arg(a, 0)?, str_arg(a, 1)?).map(string)
    }),
    Builtin {
        validator: true,
        ..with_os("Match", 3, |a| {
            let os = os_arg(a, 2)?;
            Ok(Data::Bool(glob(str_arg(a, 0)?.as_bytes(), str_arg(a, 1)?.as_bytes(), os)))
        })
    },
];

/// Shell pattern matching (`*`, `?`, `[...]`, and `\` escapes outside
/// Windows); `*` and `?` do not match a separator.
fn glob(pattern: &[u8], name: &[u8], os: Os) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len())
            .take_while(|&i| i == 0 || !os.is_separator(name[i - 1]))
            .any(|i| glob(&pattern[1..], &name[i..], os)),
        Some(b'?') => {
            name.first().is_some_and(|&c| !os.is_separator(c))
                && glob(&pattern[1..], &name[1..], os)
        }
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
            matched != negated && glob(&pattern[close + 1..], &name[1..], os)
        }
        Some(b'\\') if pattern.len() > 1 && os != Os::Windows => {
            name.first() == Some(&pattern[1]) && glob(&pattern[2..], &name[1..], os)
        }
        Some(&c) => name.first() == Some(&c) && glob(&pattern[1..], &name[1..], os),
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
