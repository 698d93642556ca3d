//! `linux.group`: a group and its gid, or its absence.
//!
//! Probe: `getent group <name>` (exit 2: no such group). Plan: `groupadd
//! [-g gid] [-r] name`, `groupmod -g gid name`, `groupdel name`. An unset
//! `gid` keeps the group's; `system` applies at creation only.
//!
//! Boundary: the pure logic is [`probe_group`] and [`plan_group`].

use froyo_provider_sdk::changes::{Changes, string};
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Properties, Provider, Value, command_result, converged, descriptor,
};

pub const TYPE: &str = "linux.group";

pub struct GroupProvider;

impl Provider for GroupProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, &["getent", "groupadd", "groupmod", "groupdel"], &[], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_group(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_group(&request)
    }
}

froyo_provider_sdk::export!(GroupProvider);

fn name(properties: &Properties) -> Result<&str, String> {
    let name = Props::new(TYPE, properties).str("name")?;
    if name.is_empty() || name.starts_with('-') || name.contains(':') {
        return Err(format!("{TYPE}: {name:?} is not a valid group name"));
    }
    Ok(name)
}

/// `getent group <name>`.
pub fn probe_group(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    let name = name(&request.properties)?;
    Ok(ProbeResponse { probes: vec![Probe::Command(Command::new(["getent", "group", name]))] })
}

fn exec(argv: Vec<String>) -> Op {
    Op::Exec { command: Command::new(argv), creates: None, unless: None, onlyif: None }
}

/// groupadd / groupmod / groupdel.
pub fn plan_group(request: &PlanRequest) -> Result<PlanResponse, String> {
    let p = Props::new(TYPE, &request.properties);
    let name = name(&request.properties)?;
    let present = p.one_of("state", &["present", "absent"], "present")? == "present";
    let gid = p.opt_u64("gid")?;
    let system = p.bool_or("system", false)?;
    let out = command_result(TYPE, request, 0, "getent group")?;
    let existing_gid = match out.status {
        Some(0) => {
            let line = out.stdout.lines().next().unwrap_or_default();
            let field = line.split(':').nth(2).unwrap_or_default();
            Some(field.parse::<u64>().map_err(|_| {
                format!("{TYPE}: cannot read the gid of {name} from getent's answer {line:?}")
            })?)
        }
        Some(2) => None,
        _ => {
            return Err(format!(
                "{TYPE}: getent group {name} failed (status {:?}): {}",
                out.status,
                out.stderr.trim()
            ));
        }
    };
    let observed = existing_gid.map(|g| {
        let mut o = Properties::new();
        o.insert("name".into(), Value::from(name));
        o.insert("state".into(), Value::from("present"));
        o.insert("gid".into(), Value::from(g));
        o
    });
    let mut changes = Changes::new();
    let (action, argv) = match (present, existing_gid) {
        (false, None) => return Ok(converged(None)),
        (false, Some(_)) => {
            changes.push("state", string("present"), string("absent"));
            (Action::Delete, vec!["groupdel".to_string(), name.to_string()])
        }
        (true, None) => {
            changes.push("state", string("absent"), string("present"));
            let mut argv = vec!["groupadd".to_string()];
            if let Some(g) = gid {
                changes.push("gid", None, Some(Value::from(g)));
                argv.extend(["-g".to_string(), g.to_string()]);
            }
            if system {
                argv.push("-r".to_string());
            }
            argv.push(name.to_string());
            (Action::Create, argv)
        }
        (true, Some(current)) => match gid {
            Some(g) if g != current => {
                changes.push("gid", Some(Value::from(current)), Some(Value::from(g)));
                (
                    Action::Update,
                    vec!["groupmod".into(), "-g".into(), g.to_string(), name.to_string()],
                )
            }
            _ => return Ok(converged(observed)),
        },
    };
    let mut op = exec(argv);
    if action == Action::Delete
        && let Op::Exec { onlyif, .. } = &mut op
    {
        // Removing a user may already have removed its same-named group
        // (userdel with USERGROUPS_ENAB): delete only what is still there.
        *onlyif = Some(Command::new(["getent", "group", name]));
    }
    Ok(PlanResponse {
        observed,
        action,
        changes: changes.into_vec(),
        ops: vec![op],
        checks: Vec::new(),
        notes: Vec::new(),
    })
}
