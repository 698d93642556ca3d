//! `linux.service`: a systemd unit, running or stopped, enabled at boot or not.
//!
//! Probe: `systemctl is-active <unit>` and `systemctl is-enabled <unit>`.
//! Plan: `systemctl start|stop` and `systemctl enable|disable` as needed; a
//! notified service that should run is restarted (`Action::Refresh` when that
//! is all there is to do). Only systemd is supported; any other host is an
//! error that says so. Units whose enablement systemd manages itself
//! (`static`, `indirect`, `generated`) are left alone, with a note.
//!
//! Boundary: the pure logic is [`probe_service`] and [`plan_service`].

use froyo_provider_sdk::changes::Changes;
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Facts, Op, PlanRequest, PlanResponse, Probe, ProbeRequest,
    ProbeResponse, Properties, Provider, Value, command_result, converged, descriptor,
};

pub const TYPE: &str = "linux.service";

pub struct ServiceProvider;

impl Provider for ServiceProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, &["systemctl"], &[], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_service(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_service(&request)
    }
}

froyo_provider_sdk::export!(ServiceProvider);

fn check_init(facts: &Facts) -> Result<(), String> {
    if facts.init_system.as_deref() == Some("systemd") {
        Ok(())
    } else {
        Err(format!("{TYPE}: unsupported on this host: no init system froyo knows (systemd)"))
    }
}

fn unit(properties: &Properties) -> Result<&str, String> {
    let name = Props::new(TYPE, properties).str("name")?;
    if name.starts_with('-') {
        return Err(format!("{TYPE}: unit name {name:?} must not start with '-'"));
    }
    Ok(name)
}

fn systemctl(verb: &str, unit: &str) -> Command {
    Command::new(["systemctl", verb, unit])
}

/// `is-active` and `is-enabled`.
pub fn probe_service(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    check_init(&request.facts)?;
    let unit = unit(&request.properties)?;
    Ok(ProbeResponse {
        probes: vec![
            Probe::Command(systemctl("is-active", unit)),
            Probe::Command(systemctl("is-enabled", unit)),
        ],
    })
}

/// Start/stop, enable/disable, restart when notified.
pub fn plan_service(request: &PlanRequest) -> Result<PlanResponse, String> {
    check_init(&request.facts)?;
    let p = Props::new(TYPE, &request.properties);
    let unit = unit(&request.properties)?;
    let want_running = p.one_of("state", &["running", "stopped"], "running")? == "running";
    let want_enabled = p.bool_or("enabled", true)?;

    let active = command_result(TYPE, request, 0, "systemctl is-active")?;
    let enabled = command_result(TYPE, request, 1, "systemctl is-enabled")?;
    let active_state = active.stdout.trim();
    let enabled_state = enabled.stdout.trim();
    let running = matches!(active_state, "active" | "reloading");
    let is_enabled = matches!(enabled_state, "enabled" | "enabled-runtime" | "alias");
    let managed_by_systemd = matches!(enabled_state, "static" | "indirect" | "generated");

    let mut notes = Vec::new();
    if enabled_state.is_empty() || enabled.stderr.contains("No such file") {
        notes.push(format!("unit {unit} is not installed on the host now"));
    }
    let mut observed = Properties::new();
    observed.insert("name".into(), Value::from(unit));
    observed.insert("state".into(), Value::from(if running { "running" } else { "stopped" }));
    observed.insert("enabled".into(), Value::from(is_enabled));

    let mut changes = Changes::new();
    let mut ops = Vec::new();
    let exec = |verb: &str| Op::Exec {
        command: systemctl(verb, unit),
        creates: None,
        unless: None,
        onlyif: None,
    };
    if changes.diff(
        "state",
        Some(Value::from(if running { "running" } else { "stopped" })),
        Some(Value::from(if want_running { "running" } else { "stopped" })),
    ) {
        ops.push(exec(if want_running { "start" } else { "stop" }));
    }
    if managed_by_systemd {
        notes.push(format!("unit {unit} is {enabled_state}: systemd decides when it starts; `enabled` is not applied"));
    } else if changes.diff(
        "enabled",
        Some(Value::from(is_enabled)),
        Some(Value::from(want_enabled)),
    ) {
        ops.push(exec(if want_enabled { "enable" } else { "disable" }));
    }
    let restart = request.notified && want_running && running;
    if restart {
        ops.push(exec("restart"));
    }
    let action = if changes.is_empty() {
        if restart {
            Action::Refresh
        } else {
            return Ok(PlanResponse { notes, ..converged(Some(observed)) });
        }
    } else {
        Action::Update
    };
    Ok(PlanResponse {
        observed: Some(observed),
        action,
        changes: changes.into_vec(),
        ops,
        checks: Vec::new(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use froyo_provider_sdk::json;

    #[test]
    fn other_init_systems_are_refused() {
        let request = ProbeRequest {
            properties: json!({"name": "nginx"}).as_object().cloned().unwrap_or_default(),
            facts: Facts::default(),
        };
        assert_eq!(
            probe_service(&request).unwrap_err(),
            "linux.service: unsupported on this host: no init system froyo knows (systemd)"
        );
    }
}
