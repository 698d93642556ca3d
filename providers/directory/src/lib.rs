//! `linux.directory`: a directory's mode and ownership, or its absence.
//!
//! Probe: one `Stat` of `path`. Plan: a missing directory is one `Mkdir`
//! (missing parents are created by the runner); an existing one gets `Chmod`
//! for a differing `mode` and `Chown` for a differing `owner`/`group`
//! (recursive when `recursive: true`: ownership of the whole tree; the mode
//! applies to the directory only, since a directory's mode would make every
//! file executable); `absent` is one `Remove`, recursive only with
//! `recursive: true`. Unset attributes keep what the directory has. Anything
//! other than a directory at `path` is an error.
//!
//! Boundary: the pure logic is [`probe_directory`] and [`plan_directory`].

use froyo_provider_sdk::changes::{Changes, opt_string, string};
use froyo_provider_sdk::content::{Attributes, normalize_mode};
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Properties, Provider, Value, converged, descriptor, stat_result,
};

pub const TYPE: &str = "linux.directory";

pub struct DirectoryProvider;

impl Provider for DirectoryProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, &[], &["path"], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_directory(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_directory(&request)
    }
}

froyo_provider_sdk::export!(DirectoryProvider);

fn path(properties: &Properties) -> Result<&str, String> {
    let path = Props::new(TYPE, properties).str("path")?;
    if path.starts_with('/') {
        Ok(path)
    } else {
        Err(format!("{TYPE}: path {path:?} is not absolute"))
    }
}

/// One `Stat` of the path.
pub fn probe_directory(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    Ok(ProbeResponse {
        probes: vec![Probe::Stat {
            path: path(&request.properties)?.to_string(),
            content_limit: None,
        }],
    })
}

/// Observed state, changes and operations for one directory.
pub fn plan_directory(request: &PlanRequest) -> Result<PlanResponse, String> {
    let p = Props::new(TYPE, &request.properties);
    let path = path(&request.properties)?;
    let present = p.one_of("state", &["present", "absent"], "present")? == "present";
    let mode = match p.opt_str("mode")? {
        Some(m) => Some(normalize_mode(m).map_err(|e| format!("{TYPE}: {path}: {e}"))?),
        None => None,
    };
    let owner = p.opt_str("owner")?;
    let group = p.opt_str("group")?;
    let recursive = p.bool_or("recursive", false)?;

    let stat = stat_result(TYPE, request, 0, &format!("stat {path}"))?;
    if stat.exists && stat.kind != "dir" {
        return Err(format!(
            "{TYPE}: {path} exists and is a {}, not a directory; froyo does not replace it",
            if stat.kind.is_empty() { "non-directory" } else { &stat.kind }
        ));
    }
    let observed = stat.exists.then(|| {
        let mut o = Properties::new();
        o.insert("path".into(), Value::from(path));
        o.insert("state".into(), Value::from("present"));
        o.insert("mode".into(), Value::from(stat.mode.as_str()));
        o.insert("owner".into(), Value::from(stat.owner.as_str()));
        o.insert("group".into(), Value::from(stat.group.as_str()));
        o
    });
    let mut changes = Changes::new();
    let mut ops = Vec::new();
    let mut notes = Vec::new();
    let action;
    if !present {
        if !stat.exists {
            return Ok(converged(None));
        }
        changes.push("state", string("present"), string("absent"));
        ops.push(Op::Remove { path: path.to_string(), recursive });
        if !recursive {
            notes.push(format!(
                "{path} is removed only if it is empty (set recursive: true to remove its content)"
            ));
        }
        action = Action::Delete;
    } else if !stat.exists {
        changes.push("state", string("absent"), string("present"));
        for (name, value) in [("mode", mode.as_deref()), ("owner", owner), ("group", group)] {
            if value.is_some() {
                changes.push(name, None, opt_string(value));
            }
        }
        ops.push(Op::Mkdir {
            path: path.to_string(),
            mode: mode.clone(),
            owner: owner.map(str::to_string),
            group: group.map(str::to_string),
        });
        action = Action::Create;
    } else {
        let wanted = Attributes { mode: mode.as_deref(), owner, group };
        let differs = wanted.diff(stat, &mut changes);
        ops.extend(wanted.fix(path, differs, recursive));
        if ops.is_empty() {
            return Ok(converged(observed));
        }
        action = Action::Update;
    }
    Ok(PlanResponse {
        observed,
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
    use froyo_provider_sdk::{Facts, ProbeOutcome, ProbeResult, Stat, json};

    fn request(props: Value, stat: Stat) -> PlanRequest {
        PlanRequest {
            properties: props.as_object().cloned().unwrap_or_default(),
            facts: Facts::default(),
            probes: vec![ProbeOutcome::Ok(ProbeResult::Stat(stat))],
            notified: false,
        }
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let stat = Stat { exists: true, kind: "file".into(), ..Stat::default() };
        let err = plan_directory(&request(json!({"path": "/srv/x"}), stat)).unwrap_err();
        assert_eq!(
            err,
            "linux.directory: /srv/x exists and is a file, not a directory; froyo does not replace it"
        );
    }

    #[test]
    fn converged_directory_needs_nothing() {
        let stat = Stat {
            exists: true,
            kind: "dir".into(),
            mode: "0755".into(),
            owner: "root".into(),
            group: "root".into(),
            ..Stat::default()
        };
        let plan = plan_directory(&request(
            json!({"path": "/srv/x", "mode": "755", "owner": "root"}),
            stat,
        ))
        .unwrap();
        assert_eq!(plan.action, Action::None);
        assert!(plan.ops.is_empty());
    }
}
