//! The systemd backend: `systemctl is-active <unit>` and `systemctl
//! is-enabled <unit>`; `systemctl start|stop|restart|enable|disable`.
//!
//! Units whose enablement systemd manages itself (`static`, `indirect`,
//! `generated`) are left alone, with a note.

use froyo_provider_sdk::{Command, PlanRequest, Probe, command_result};

use crate::{Finding, TYPE};

fn systemctl(verb: &str, unit: &str) -> Command {
    Command::new(["systemctl", verb, unit])
}

/// `is-active`, then `is-enabled`.
pub(crate) fn probes(unit: &str) -> Vec<Probe> {
    vec![
        Probe::Command(systemctl("is-active", unit)),
        Probe::Command(systemctl("is-enabled", unit)),
    ]
}

pub(crate) fn finding(request: &PlanRequest, unit: &str) -> Result<Finding, String> {
    let active = command_result(TYPE, request, 0, "systemctl is-active")?;
    let enabled = command_result(TYPE, request, 1, "systemctl is-enabled")?;
    let active_state = active.stdout.trim();
    let enabled_state = enabled.stdout.trim();
    let managed_by_systemd = matches!(enabled_state, "static" | "indirect" | "generated");

    let mut notes = Vec::new();
    if enabled_state.is_empty() || enabled.stderr.contains("No such file") {
        notes.push(format!("unit {unit} is not installed on the host now"));
    }
    if managed_by_systemd {
        notes.push(format!(
            "unit {unit} is {enabled_state}: systemd decides when it starts; `enabled` is not applied"
        ));
    }
    Ok(Finding {
        running: matches!(active_state, "active" | "reloading"),
        enabled: matches!(enabled_state, "enabled" | "enabled-runtime" | "alias"),
        enablement_applies: !managed_by_systemd,
        notes,
        start: vec![systemctl("start", unit)],
        stop: vec![systemctl("stop", unit)],
        restart: vec![systemctl("restart", unit)],
        enable: vec![systemctl("enable", unit)],
        disable: vec![systemctl("disable", unit)],
    })
}
