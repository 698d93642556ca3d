//! `linux.exec`: a shell command, guarded so it runs only when needed.
//!
//! Probe: the guards, at plan time, so the plan is exact and a second apply
//! does nothing: `Stat` of `creates`, then `/bin/sh -c unless`, then
//! `/bin/sh -c onlyif` (each only when set, in that order, with the
//! resource's `cwd`, `env`, `user` and `timeout`). Plan: when the guards say
//! it runs, one `Exec` of `/bin/sh -c command` carrying the same guards (the
//! runner re-checks them at apply time). `refresh_only: true` runs only when
//! notified (`Action::Refresh`). With no guard and not `refresh_only` the
//! command runs on every apply; the plan says so in a note.
//!
//! A command leaves no state froyo can read back, so `observed` is always
//! `None`. Capabilities: the commands of the properties `command`, `unless`
//! and `onlyif`, and nothing else.
//!
//! Boundary: the pure logic is [`probe_exec`] and [`plan_exec`].

use std::collections::BTreeMap;

use froyo_provider_sdk::changes::{Changes, string};
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Properties, Provider, command_result, converged, descriptor, stat_result,
};

pub const TYPE: &str = "linux.exec";

pub struct ExecProvider;

impl Provider for ExecProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, &[], &[], &["command", "unless", "onlyif"], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_exec(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_exec(&request)
    }
}

froyo_provider_sdk::export!(ExecProvider);

struct Desired<'a> {
    command: &'a str,
    creates: Option<&'a str>,
    unless: Option<&'a str>,
    onlyif: Option<&'a str>,
    cwd: Option<&'a str>,
    env: BTreeMap<String, String>,
    user: Option<&'a str>,
    refresh_only: bool,
    timeout_ms: u64,
}

fn desired(properties: &Properties) -> Result<Desired<'_>, String> {
    let p = Props::new(TYPE, properties);
    let timeout = p.u64_or("timeout", 300)?;
    Ok(Desired {
        command: p.str("command")?,
        creates: p.opt_str("creates")?,
        unless: p.opt_str("unless")?,
        onlyif: p.opt_str("onlyif")?,
        cwd: p.opt_str("cwd")?,
        env: p.str_map("env")?,
        user: p.opt_str("user")?,
        refresh_only: p.bool_or("refresh_only", false)?,
        timeout_ms: timeout.saturating_mul(1000),
    })
}

impl Desired<'_> {
    fn shell(&self, script: &str) -> Command {
        Command {
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            env: self.env.clone(),
            cwd: self.cwd.map(str::to_string),
            user: self.user.map(str::to_string),
            stdin: None,
            timeout_ms: Some(self.timeout_ms),
        }
    }
}

/// The guards' probes: `creates`, `unless`, `onlyif`, each when set.
pub fn probe_exec(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    let d = desired(&request.properties)?;
    let mut probes = Vec::new();
    if let Some(path) = d.creates {
        probes.push(Probe::Stat { path: path.to_string(), content_limit: None });
    }
    if let Some(unless) = d.unless {
        probes.push(Probe::Command(d.shell(unless)));
    }
    if let Some(onlyif) = d.onlyif {
        probes.push(Probe::Command(d.shell(onlyif)));
    }
    Ok(ProbeResponse { probes })
}

/// Whether the command runs, and its `Exec`.
pub fn plan_exec(request: &PlanRequest) -> Result<PlanResponse, String> {
    let d = desired(&request.properties)?;
    let mut notes = Vec::new();
    if d.refresh_only && !request.notified {
        let mut plan = converged(None);
        plan.notes.push("refresh_only: runs only when notified".to_string());
        return Ok(plan);
    }
    let mut index = 0;
    let mut skip = None;
    if let Some(path) = d.creates {
        let stat = stat_result(TYPE, request, index, &format!("the creates guard (stat {path})"))?;
        index += 1;
        if stat.exists {
            skip = Some(format!("skipped: {path} exists (creates)"));
        }
    }
    if let Some(unless) = d.unless {
        let out = command_result(TYPE, request, index, "the unless guard")?;
        index += 1;
        if skip.is_none() && out.status == Some(0) {
            skip = Some(format!("skipped: the unless guard succeeded ({unless})"));
        }
    }
    if let Some(onlyif) = d.onlyif {
        let out = command_result(TYPE, request, index, "the onlyif guard")?;
        if skip.is_none() && out.status != Some(0) {
            skip = Some(format!("skipped: the onlyif guard did not succeed ({onlyif})"));
        }
    }
    if let Some(why) = skip {
        let mut plan = converged(None);
        plan.notes.push(why);
        return Ok(plan);
    }
    if d.creates.is_none() && d.unless.is_none() && d.onlyif.is_none() && !d.refresh_only {
        notes.push(
            "no guard (creates, unless, onlyif) and not refresh_only: the command runs on every apply"
                .to_string(),
        );
    }
    let mut changes = Changes::new();
    changes.push("command", None, string(d.command));
    let op = Op::Exec {
        command: d.shell(d.command),
        creates: d.creates.map(str::to_string),
        unless: d.unless.map(|u| d.shell(u)),
        onlyif: d.onlyif.map(|o| d.shell(o)),
    };
    Ok(PlanResponse {
        observed: None,
        action: if d.refresh_only { Action::Refresh } else { Action::Create },
        changes: changes.into_vec(),
        ops: vec![op],
        checks: Vec::new(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use froyo_provider_sdk::{CommandOutput, Facts, ProbeOutcome, ProbeResult, Value, json};

    fn request(props: Value, probes: Vec<ProbeResult>, notified: bool) -> PlanRequest {
        PlanRequest {
            properties: props.as_object().cloned().unwrap_or_default(),
            facts: Facts::default(),
            probes: probes.into_iter().map(ProbeOutcome::Ok).collect(),
            notified,
        }
    }

    #[test]
    fn unless_success_skips() {
        let ok = ProbeResult::Command(CommandOutput { status: Some(0), ..Default::default() });
        let plan =
            plan_exec(&request(json!({"command": "make", "unless": "test -f x"}), vec![ok], false))
                .unwrap();
        assert_eq!(plan.action, Action::None);
    }

    #[test]
    fn refresh_only_waits_for_a_notification() {
        let props =
            json!({"command": "systemctl daemon-reload", "refresh_only": true, "timeout": 5});
        assert_eq!(plan_exec(&request(props.clone(), vec![], false)).unwrap().action, Action::None);
        let plan = plan_exec(&request(props, vec![], true)).unwrap();
        assert_eq!(plan.action, Action::Refresh);
        let Op::Exec { command, .. } = &plan.ops[0] else { panic!("not an exec") };
        assert_eq!(command.timeout_ms, Some(5000));
    }
}
