//! The host's [`Facts`], gathered once at the handshake.
//!
//! Sources: os-release (`/etc/os-release`, else `/usr/lib/os-release`), the
//! package managers found on `PATH` (plus the standard directories, since
//! `sudo` may narrow `PATH`), `/run/systemd/system`, the effective user, and
//! the kernel's hostname.
//!
//! Invariant: gathering facts never fails; what cannot be read is left at its
//! neutral value (`linux`, empty, `None`).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use froyo_runner_protocol::Facts;

use crate::{accounts, command, sys};

/// Package managers in order of preference: (what `Facts` reports, programs that count).
const PACKAGE_MANAGERS: [(&str, &[&str]); 5] = [
    ("apt", &["apt-get", "apt"]),
    ("dnf", &["dnf"]),
    ("yum", &["yum"]),
    ("zypper", &["zypper"]),
    ("apk", &["apk"]),
];

pub fn gather() -> Facts {
    let os_release = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|path| fs::read_to_string(path).ok())
        .map(|text| parse_os_release(&text))
        .unwrap_or_default();
    let uid = sys::effective_uid();
    let gid = sys::effective_gid();
    Facts {
        os_family: os_release
            .get("ID")
            .filter(|id| !id.is_empty())
            .cloned()
            .unwrap_or_else(|| "linux".to_owned()),
        os_release: os_release.get("VERSION_ID").cloned().unwrap_or_default(),
        os_like: os_release
            .get("ID_LIKE")
            .map(|like| like.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        package_manager: package_manager(&search_path()),
        init_system: Path::new("/run/systemd/system").is_dir().then(|| "systemd".to_owned()),
        user: accounts::user_name(uid),
        uid,
        gid,
        hostname: hostname(),
    }
}

/// `KEY=value` lines, values unquoted as the os-release format says (shell-like
/// quoting with `"…"` or `'…'`, backslash escapes inside double quotes).
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else { continue };
        values.insert(key.trim().to_owned(), unquote(raw.trim()));
    }
    values
}

fn unquote(raw: &str) -> String {
    if let Some(inner) = raw.strip_prefix('\'').and_then(|rest| rest.strip_suffix('\'')) {
        return inner.to_owned();
    }
    if let Some(inner) = raw.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) {
        let mut value = String::with_capacity(inner.len());
        let mut characters = inner.chars();
        while let Some(character) = characters.next() {
            if character == '\\' {
                if let Some(escaped) = characters.next() {
                    value.push(escaped);
                }
            } else {
                value.push(character);
            }
        }
        return value;
    }
    raw.to_owned()
}

/// The directories searched for programs: the runner's `PATH`, then the standard ones.
fn search_path() -> Vec<PathBuf> {
    let mut directories: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    for standard in command::DEFAULT_PATH.split(':') {
        let standard = PathBuf::from(standard);
        if !directories.contains(&standard) {
            directories.push(standard);
        }
    }
    directories
}

pub fn package_manager(directories: &[PathBuf]) -> Option<String> {
    PACKAGE_MANAGERS.iter().find_map(|(manager, programs)| {
        let found = programs
            .iter()
            .any(|program| directories.iter().any(|dir| is_executable(&dir.join(program))));
        found.then(|| (*manager).to_owned())
    })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .map(|text| text.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn os_release_quoting() {
        let parsed = parse_os_release(
            "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n\
             VERSION_ID='12'\nID_LIKE=\"rhel centos \\\"fedora\\\"\"\nBROKEN\n",
        );
        expect![[r#"
            {
                "ID": "debian",
                "ID_LIKE": "rhel centos \"fedora\"",
                "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
                "VERSION_ID": "12",
            }
        "#]]
        .assert_debug_eq(&parsed);
    }

    #[test]
    fn package_manager_preference_and_absence() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().to_path_buf();
        assert_eq!(package_manager(std::slice::from_ref(&bin)), None);
        for program in ["apk", "yum"] {
            fs::write(bin.join(program), "#!/bin/sh\n").unwrap();
            fs::set_permissions(bin.join(program), fs::Permissions::from_mode(0o755)).unwrap();
        }
        // A file that is not executable does not count.
        fs::write(bin.join("apt-get"), "").unwrap();
        assert_eq!(package_manager(std::slice::from_ref(&bin)).as_deref(), Some("yum"));
    }
}
