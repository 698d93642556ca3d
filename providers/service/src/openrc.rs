//! The OpenRC backend: `rc-service NAME status`, whose exit code is the
//! service's state (0 started, 3 stopped, 4 stopping, 8 starting, 16
//! inactive, 32 crashed); `lstat` of `/etc/init.d/NAME` (is it installed?)
//! and of its links in the `default` and `boot` runlevels (enabled when in
//! either: `boot` services run in every runlevel).
//!
//! Operations: `rc-service NAME start|stop|restart`; `rc-update add NAME
//! default`, and `rc-update del NAME <runlevel>` for each runlevel it is in.
//!
//! A crashed service is one OpenRC marked started whose daemon died: it is
//! not running, and `rc-service start` would do nothing ("already
//! started"), so it is reset with `rc-service NAME zap` first.

use froyo_provider_sdk::{Command, PlanRequest, Probe, command_result, stat_result};

use crate::{Finding, TYPE, unfinished};

/// The runlevels whose services start at boot, as froyo manages them.
const RUNLEVELS: [&str; 2] = ["default", "boot"];

fn rc_service(name: &str, verb: &str) -> Command {
    Command::new(["rc-service", name, verb])
}

fn rc_update(verb: &str, name: &str, runlevel: &str) -> Command {
    Command::new(["rc-update", verb, name, runlevel])
}

fn script(name: &str) -> String {
    format!("/etc/init.d/{name}")
}

fn runlevel_link(runlevel: &str, name: &str) -> String {
    format!("/etc/runlevels/{runlevel}/{name}")
}

/// `rc-service NAME status`, the script, its runlevel links.
pub(crate) fn probes(name: &str) -> Vec<Probe> {
    let mut probes = vec![
        Probe::Command(rc_service(name, "status")),
        Probe::Stat { path: script(name), content_limit: None },
    ];
    probes.extend(
        RUNLEVELS.iter().map(|runlevel| Probe::Stat {
            path: runlevel_link(runlevel, name),
            content_limit: None,
        }),
    );
    probes
}

pub(crate) fn finding(request: &PlanRequest, name: &str) -> Result<Finding, String> {
    let what = format!("rc-service {name} status");
    let status = command_result(TYPE, request, 0, &what)?;
    let installed = stat_result(TYPE, request, 1, &script(name))?.exists;
    let mut in_runlevels = Vec::new();
    for (index, runlevel) in RUNLEVELS.iter().enumerate() {
        if stat_result(TYPE, request, 2 + index, &runlevel_link(runlevel, name))?.exists {
            in_runlevels.push(*runlevel);
        }
    }
    let Some(code) = status.status else { return Err(unfinished(&what, status)) };
    let said = format!("{}\n{}", status.stdout, status.stderr);

    let mut notes = Vec::new();
    let mut start = vec![rc_service(name, "start")];
    let running = if !installed {
        notes.push(format!("init script {} is not installed on the host now", script(name)));
        false
    } else if code == 32 || said.contains("status: crashed") {
        notes.push(format!(
            "service {name} crashed (OpenRC marks it started, its daemon is gone): it is not running; it is reset with `rc-service {name} zap` before a start"
        ));
        start.insert(0, rc_service(name, "zap"));
        false
    } else {
        match code {
            0 => true,
            3 => false,
            4 | 8 | 16 => {
                let state = match code {
                    4 => "stopping",
                    8 => "starting",
                    _ => "inactive",
                };
                notes.push(format!("service {name} is {state}: taken as not running"));
                false
            }
            other => {
                notes.push(format!(
                    "`rc-service {name} status` exited with {other}, not a state OpenRC reports: taken as not running"
                ));
                false
            }
        }
    };
    Ok(Finding {
        running,
        enabled: !in_runlevels.is_empty(),
        enablement_applies: true,
        notes,
        start,
        stop: vec![rc_service(name, "stop")],
        restart: vec![rc_service(name, "restart")],
        enable: vec![rc_update("add", name, "default")],
        disable: in_runlevels.iter().map(|runlevel| rc_update("del", name, runlevel)).collect(),
    })
}
