//! The host's [`Facts`], gathered once at the handshake.
//!
//! Sources: os-release (`/etc/os-release`, else `/usr/lib/os-release`), the
//! package managers found on `PATH` (plus the standard directories, since
//! `sudo` may narrow `PATH`), the init system (see [`init_system`]), the
//! effective user, and the kernel's hostname.
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
    let directories = search_path();
    let init = init_system(
        |path| Path::new(path).exists(),
        |program| directories.iter().any(|directory| is_executable(&directory.join(program))),
    );
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
        package_manager: package_manager(&directories),
        init_system: init.map(str::to_owned),
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

/// The init system that runs this host, from what can be seen of it:
/// `exists` answers whether a path exists, `program` whether a program is
/// found on the search path.
///
/// - `systemd` when `/run/systemd/system` exists: the test of `sd_booted(3)`,
///   which systemd creates at boot.
/// - `openrc` when `/run/openrc/softlevel` exists and `rc-service` is found:
///   OpenRC writes the file when it boots a system, and its service scripts
///   refuse to run without it ("a system which openrc did not boot").
/// - `sysvinit` when neither runs, `/etc/init.d` exists and Debian's
///   `service` and `update-rc.d` (package `init-system-helpers`) are found:
///   what the `linux.service` provider runs on such a host.
/// - otherwise none: an installed but idle OpenRC or systemd (a chroot, a
///   container image) does not count.
pub fn init_system(
    exists: impl Fn(&str) -> bool,
    program: impl Fn(&str) -> bool,
) -> Option<&'static str> {
    if exists("/run/systemd/system") {
        Some("systemd")
    } else if exists("/run/openrc/softlevel") && program("rc-service") {
        Some("openrc")
    } else if exists("/etc/init.d") && program("service") && program("update-rc.d") {
        Some("sysvinit")
    } else {
        None
    }
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

    /// The init system of a host where `paths` exist and `programs` are found.
    fn init(paths: &[&str], programs: &[&str]) -> Option<&'static str> {
        init_system(|path| paths.contains(&path), |program| programs.contains(&program))
    }

    #[test]
    fn init_system_detection() {
        let debian = ["/etc/init.d"];
        let helpers = ["service", "update-rc.d"];
        // systemd wins wherever it runs, whatever else is installed.
        assert_eq!(init(&["/run/systemd/system", "/etc/init.d"], &helpers), Some("systemd"));
        assert_eq!(
            init(&["/run/systemd/system", "/run/openrc/softlevel"], &["rc-service"]),
            Some("systemd")
        );
        // OpenRC, booted (Alpine, Gentoo, Devuan with OpenRC, which also has the helpers).
        assert_eq!(init(&["/run/openrc/softlevel"], &["rc-service"]), Some("openrc"));
        assert_eq!(
            init(
                &["/run/openrc/softlevel", "/etc/init.d"],
                &["rc-service", "service", "update-rc.d"]
            ),
            Some("openrc")
        );
        // OpenRC installed but not booted (a chroot, an image): not OpenRC.
        assert_eq!(init(&["/etc/init.d"], &["rc-service", "openrc"]), None);
        assert_eq!(init(&["/run/openrc/softlevel"], &[]), None);
        // Debian-style sysvinit, including a container whose scripts `service` runs.
        assert_eq!(init(&debian, &helpers), Some("sysvinit"));
        assert_eq!(init(&debian, &["service"]), None, "update-rc.d is needed for `enabled`");
        assert_eq!(init(&debian, &["update-rc.d"]), None, "service is needed for the state");
        assert_eq!(init(&[], &helpers), None, "no /etc/init.d");
        assert_eq!(init(&[], &[]), None);
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
