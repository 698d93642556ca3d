//! The sysvinit backend, Debian style: scripts in `/etc/init.d`, run by
//! `service`, started at boot through the links in `/etc/rc?.d` that
//! `update-rc.d` manages (package `init-system-helpers`).
//!
//! Probes: `service NAME status`, whose exit code follows the LSB (0
//! running, 1 dead with its pid file left, 2 dead with its lock file left, 3
//! not running, 4 unknown); `lstat /etc/init.d/NAME` (is it installed?); and
//! `ls -1` of the runlevel directories a system boots through (`rcS.d`,
//! `rc2.d` to `rc5.d`), whose `S??NAME` links mean enabled and `K??NAME`
//! links disabled.
//!
//! Operations: `service NAME start|stop|restart`; `update-rc.d NAME
//! enable|disable`. `enable` only renames existing links and fails when
//! there are none, so a script without links gets `update-rc.d NAME
//! defaults` first, which creates them from its LSB header.

use froyo_provider_sdk::{Command, PlanRequest, Probe, command_result, stat_result};

use crate::{Finding, TYPE, unfinished};

/// The runlevel directories whose start links mean "enabled": single-user
/// boot and the multi-user levels, where `update-rc.d enable` works.
const BOOT_RUNLEVELS: [&str; 5] =
    ["/etc/rcS.d", "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d"];

fn service(name: &str, verb: &str) -> Command {
    Command::new(["service", name, verb])
}

fn update_rc_d(name: &str, verb: &str) -> Command {
    Command::new(["update-rc.d", name, verb])
}

fn script(name: &str) -> String {
    format!("/etc/init.d/{name}")
}

/// `service NAME status`, the script, the runlevel links.
pub(crate) fn probes(name: &str) -> Vec<Probe> {
    let mut list = vec!["ls".to_string(), "-1".to_string()];
    list.extend(BOOT_RUNLEVELS.iter().map(|directory| directory.to_string()));
    vec![
        Probe::Command(service(name, "status")),
        Probe::Stat { path: script(name), content_limit: None },
        Probe::Command(Command::new(list)),
    ]
}

pub(crate) fn finding(request: &PlanRequest, name: &str) -> Result<Finding, String> {
    let what = format!("service {name} status");
    let status = command_result(TYPE, request, 0, &what)?;
    let installed = stat_result(TYPE, request, 1, &script(name))?.exists;
    let listing = command_result(TYPE, request, 2, "ls /etc/rc?.d")?;
    let Some(code) = status.status else { return Err(unfinished(&what, status)) };

    let mut notes = Vec::new();
    let running = if !installed {
        notes.push(format!("init script {} is not installed on the host now", script(name)));
        false
    } else {
        match code {
            0 => true,
            3 => false,
            1 => {
                notes.push(format!(
                    "service {name} is dead but its pid file remains (LSB status 1): it is not running"
                ));
                false
            }
            2 => {
                notes.push(format!(
                    "service {name} is dead but its lock file remains (LSB status 2): it is not running"
                ));
                false
            }
            4 => {
                notes.push(format!(
                    "service {name} reports its status as unknown (LSB status 4): taken as not running"
                ));
                false
            }
            other => {
                notes.push(format!(
                    "`service {name} status` exited with {other}, which the LSB does not define: taken as not running"
                ));
                false
            }
        }
    };
    let links = links(&listing.stdout, name);
    let enable = if links.any {
        vec![update_rc_d(name, "enable")]
    } else {
        vec![update_rc_d(name, "defaults"), update_rc_d(name, "enable")]
    };
    Ok(Finding {
        running,
        enabled: links.start,
        enablement_applies: true,
        notes,
        start: vec![service(name, "start")],
        stop: vec![service(name, "stop")],
        restart: vec![service(name, "restart")],
        enable,
        disable: vec![update_rc_d(name, "disable")],
    })
}

/// What the runlevel directories hold for a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Links {
    /// A start link (`S` and two digits, then the name): enabled.
    start: bool,
    /// Any link, start or stop (`K`).
    any: bool,
}

/// The links to `name` in an `ls -1` of several directories (headers such as
/// `/etc/rc2.d:` and blank lines are not file names and match nothing).
fn links(listing: &str, name: &str) -> Links {
    let mut found = Links::default();
    for entry in listing.lines() {
        let mut characters = entry.chars();
        let kind = characters.next();
        let sequence: String = characters.by_ref().take(2).collect();
        if sequence.len() != 2 || !sequence.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if characters.as_str() != name {
            continue;
        }
        match kind {
            Some('S') => {
                found.start = true;
                found.any = true;
            }
            Some('K') => found.any = true,
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_a_listing() {
        let listing = "/etc/rc2.d:\nK01apache2\nS01ssh\nS01sshd-extra\nS1ssh\nSxxssh\n\n/etc/rc3.d:\nS02ssh\n";
        assert_eq!(links(listing, "ssh"), Links { start: true, any: true });
        assert_eq!(links(listing, "apache2"), Links { start: false, any: true });
        assert_eq!(links(listing, "sshd"), Links::default(), "no prefix matches");
        assert_eq!(links(listing, "rc2.d:"), Links::default());
        assert_eq!(links("", "ssh"), Links::default());
        assert_eq!(links("S01é\nS0\nS", "é"), Links { start: true, any: true });
    }
}
