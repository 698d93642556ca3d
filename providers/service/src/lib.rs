//! `linux.service`: a service of the host's init system, running or stopped,
//! enabled at boot or not.
//!
//! The init system comes from `facts.init_system`, and each has a backend
//! that says how to look and how to act:
//! - systemd ([`systemd`]): `systemctl is-active|is-enabled`, then
//!   `systemctl start|stop|restart|enable|disable`;
//! - sysvinit ([`sysvinit`], Debian style): `service NAME status` (LSB exit
//!   codes), the `/etc/rc?.d` links, then `service NAME start|stop|restart`
//!   and `update-rc.d`;
//! - OpenRC ([`openrc`]): `rc-service NAME status`, the runlevel
//!   directories, then `rc-service` and `rc-update`.
//!
//! Any other host is an error that names the three.
//!
//! The probe reports the truth: a service whose process died (a pid file
//! left behind, OpenRC's `crashed`) is not running, so `state: "running"`
//! plans a start. A notified service that should run is restarted
//! (`Action::Refresh` when that is all there is to do), after its start when
//! it did not run when planned: a package installed earlier in the same apply
//! may have started it before the configuration that changed was written. A service that is not
//! installed yet is planned as stopped and disabled, with a note: a package
//! earlier in the same apply may install it.
//!
//! Boundary: the pure logic is [`probe_service`] and [`plan_service`]; each
//! backend turns probe results into a [`Finding`], and [`plan_service`] turns
//! a finding and the desired properties into changes and operations.

use froyo_provider_sdk::changes::Changes;
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Facts, Op, PlanRequest, PlanResponse, ProbeRequest, ProbeResponse,
    Properties, Provider, Value, converged, descriptor,
};

mod openrc;
mod systemd;
mod sysvinit;

pub const TYPE: &str = "linux.service";

/// The programs the backends run, all of them: a provider's capabilities do
/// not depend on the host. `ls` lists the sysvinit runlevel directories.
pub const COMMANDS: &[&str] =
    &["systemctl", "service", "update-rc.d", "ls", "rc-service", "rc-update"];

pub struct ServiceProvider;

impl Provider for ServiceProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, COMMANDS, &[], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_service(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_service(&request)
    }
}

froyo_provider_sdk::export!(ServiceProvider);

/// The init systems froyo knows, by the names the runner's facts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InitSystem {
    Systemd,
    Sysvinit,
    OpenRc,
}

fn init_system(facts: &Facts) -> Result<InitSystem, String> {
    match facts.init_system.as_deref() {
        Some("systemd") => Ok(InitSystem::Systemd),
        Some("sysvinit") => Ok(InitSystem::Sysvinit),
        Some("openrc") => Ok(InitSystem::OpenRc),
        _ => Err(format!(
            "{TYPE}: unsupported on this host: no init system froyo knows (systemd, openrc, sysvinit)"
        )),
    }
}

/// The `name` property, checked for what the init system will do with it.
fn service_name(properties: &Properties, init: InitSystem) -> Result<&str, String> {
    let name = Props::new(TYPE, properties).str("name")?;
    if name.starts_with('-') {
        return Err(format!("{TYPE}: unit name {name:?} must not start with '-'"));
    }
    // sysvinit and OpenRC services are files in /etc/init.d: a name is one
    // file name there, never a path elsewhere.
    if init != InitSystem::Systemd
        && (name == "." || name == ".." || name.contains(|c: char| c == '/' || c.is_control()))
    {
        return Err(format!(
            "{TYPE}: service name {name:?} must be the file name of a script in /etc/init.d"
        ));
    }
    Ok(name)
}

/// What a backend found on the host, and the commands that change it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Whether the service runs now (a dead process with its pid file left
    /// behind does not).
    pub running: bool,
    /// Whether it starts at boot.
    pub enabled: bool,
    /// False when the init system decides by itself when the service starts
    /// (systemd's static units): `enabled` is then not applied.
    pub enablement_applies: bool,
    /// What the user should know: not installed, dead, crashed, unknown.
    pub notes: Vec<String>,
    pub start: Vec<Command>,
    pub stop: Vec<Command>,
    pub restart: Vec<Command>,
    pub enable: Vec<Command>,
    pub disable: Vec<Command>,
}

/// The probes of the host's init system.
pub fn probe_service(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    let init = init_system(&request.facts)?;
    let name = service_name(&request.properties, init)?;
    let probes = match init {
        InitSystem::Systemd => systemd::probes(name),
        InitSystem::Sysvinit => sysvinit::probes(name),
        InitSystem::OpenRc => openrc::probes(name),
    };
    Ok(ProbeResponse { probes })
}

/// Start/stop, enable/disable, restart when notified.
pub fn plan_service(request: &PlanRequest) -> Result<PlanResponse, String> {
    let init = init_system(&request.facts)?;
    let name = service_name(&request.properties, init)?;
    let p = Props::new(TYPE, &request.properties);
    let want_running = p.one_of("state", &["running", "stopped"], "running")? == "running";
    let want_enabled = p.bool_or("enabled", true)?;
    let finding = match init {
        InitSystem::Systemd => systemd::finding(request, name)?,
        InitSystem::Sysvinit => sysvinit::finding(request, name)?,
        InitSystem::OpenRc => openrc::finding(request, name)?,
    };
    Ok(plan(name, want_running, want_enabled, request.notified, finding))
}

fn plan(
    name: &str,
    want_running: bool,
    want_enabled: bool,
    notified: bool,
    finding: Finding,
) -> PlanResponse {
    let state = |running: bool| Value::from(if running { "running" } else { "stopped" });
    let mut observed = Properties::new();
    observed.insert("name".into(), Value::from(name));
    observed.insert("state".into(), state(finding.running));
    observed.insert("enabled".into(), Value::from(finding.enabled));

    let mut changes = Changes::new();
    let mut commands = Vec::new();
    if changes.diff("state", Some(state(finding.running)), Some(state(want_running))) {
        commands.extend(if want_running { finding.start } else { finding.stop });
    }
    if finding.enablement_applies
        && changes.diff(
            "enabled",
            Some(Value::from(finding.enabled)),
            Some(Value::from(want_enabled)),
        )
    {
        commands.extend(if want_enabled { finding.enable } else { finding.disable });
    }
    // Also when it was not running as planned: something earlier in this
    // apply (its package's scripts) may have started it before the
    // configuration that notified it was written.
    let restart = notified && want_running;
    if restart {
        commands.extend(finding.restart);
    }
    let notes = finding.notes;
    let action = if !changes.is_empty() {
        Action::Update
    } else if restart {
        Action::Refresh
    } else {
        return PlanResponse { notes, ..converged(Some(observed)) };
    };
    let ops = commands
        .into_iter()
        .map(|command| Op::Exec { command, creates: None, unless: None, onlyif: None })
        .collect();
    PlanResponse {
        observed: Some(observed),
        action,
        changes: changes.into_vec(),
        ops,
        checks: Vec::new(),
        notes,
    }
}

/// How a status command ended, for an error when it did not.
fn unfinished(what: &str, output: &froyo_provider_sdk::CommandOutput) -> String {
    let how = if output.timed_out { "timed out" } else { "was killed by a signal" };
    format!("{TYPE}: `{what}` {how}, so whether the service runs is unknown")
}

#[cfg(test)]
mod tests;
