//! `linux.file`: a regular file's content, mode and ownership, or its absence.
//!
//! Probe: one `Stat` of `path` with content up to 1 MiB (and always its
//! digest). Plan: content is compared by SHA-256; an unset `mode`, `owner` or
//! `group` keeps what the file has (a new file gets `0644`); a content change
//! is one `WriteFile` carrying the final mode and owner, an attribute-only
//! change is `Chmod` and/or `Chown`. A directory at `path` is an error. A
//! symbolic link at `path` (dangling or not) is replaced by a regular file,
//! never followed, and what replaces it takes nothing from the link: mode
//! `0644` and the runner's user unless the resource says otherwise.
//!
//! The engine resolves `source` into `content` before calling; this provider
//! never reads files. Boundary: the pure logic is [`probe_file`] and
//! [`plan_file`]; the WIT export is behind `export!`.

use froyo_provider_sdk::changes::{Changes, opt_string, string};
use froyo_provider_sdk::content::{Attributes, normalize_mode, sha256};
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Properties, Provider, Stat, Value, converged, descriptor, stat_result,
};

pub const TYPE: &str = "linux.file";
/// Files larger than this are compared by digest only.
pub const CONTENT_LIMIT: u64 = 1024 * 1024;

pub struct FileProvider;

impl Provider for FileProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, &[], &["path"], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_file(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_file(&request)
    }
}

froyo_provider_sdk::export!(FileProvider);

struct Desired<'a> {
    path: &'a str,
    present: bool,
    content: Option<&'a str>,
    mode: Option<String>,
    owner: Option<&'a str>,
    group: Option<&'a str>,
}

fn desired(properties: &Properties) -> Result<Desired<'_>, String> {
    let p = Props::new(TYPE, properties);
    let path = p.str("path")?;
    if !path.starts_with('/') {
        return Err(format!("{TYPE}: path {path:?} is not absolute"));
    }
    let mode = match p.opt_str("mode")? {
        Some(m) => Some(normalize_mode(m).map_err(|e| format!("{TYPE}: {path}: {e}"))?),
        None => None,
    };
    Ok(Desired {
        path,
        present: p.one_of("state", &["present", "absent"], "present")? == "present",
        content: p.opt_str("content")?,
        mode,
        owner: p.opt_str("owner")?,
        group: p.opt_str("group")?,
    })
}

/// One `Stat` of the path, with its content when small.
pub fn probe_file(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    let d = desired(&request.properties)?;
    Ok(ProbeResponse {
        probes: vec![Probe::Stat { path: d.path.to_string(), content_limit: Some(CONTENT_LIMIT) }],
    })
}

/// What is at the path, in `linux.file` property terms.
fn observed(path: &str, stat: &Stat) -> Properties {
    let mut o = Properties::new();
    o.insert("path".into(), Value::from(path));
    o.insert("state".into(), Value::from("present"));
    // The content when the runner sent it (small UTF-8 files); otherwise its
    // digest, under `sha256`, so the state still records what was there.
    match (&stat.content, &stat.sha256) {
        (Some(c), _) => {
            o.insert("content".into(), Value::from(c.as_str()));
        }
        (None, Some(h)) => {
            o.insert("sha256".into(), Value::from(h.as_str()));
        }
        (None, None) => {}
    }
    o.insert("mode".into(), Value::from(stat.mode.as_str()));
    o.insert("owner".into(), Value::from(stat.owner.as_str()));
    o.insert("group".into(), Value::from(stat.group.as_str()));
    o
}

/// Observed state, changes and operations for one file.
pub fn plan_file(request: &PlanRequest) -> Result<PlanResponse, String> {
    let d = desired(&request.properties)?;
    let stat = stat_result(TYPE, request, 0, &format!("stat {}", d.path))?;
    if stat.exists && stat.kind == "dir" {
        return Err(format!(
            "{TYPE}: {} is a directory; a file cannot replace it (remove it, or use linux.directory)",
            d.path
        ));
    }
    let observed = stat.exists.then(|| observed(d.path, stat));
    let mut changes = Changes::new();
    let mut ops = Vec::new();
    let mut notes = Vec::new();

    if !d.present {
        if !stat.exists {
            return Ok(converged(None));
        }
        changes.push("state", string("present"), string("absent"));
        ops.push(Op::Remove { path: d.path.to_string(), recursive: false });
        return Ok(PlanResponse {
            observed,
            action: Action::Delete,
            changes: changes.into_vec(),
            ops,
            checks: Vec::new(),
            notes,
        });
    }

    if !stat.exists {
        let mode = d.mode.clone().unwrap_or_else(|| "0644".to_string());
        changes.push("state", string("absent"), string("present"));
        changes.push("content", None, string(d.content.unwrap_or("")));
        changes.push("mode", None, string(&mode));
        changes.push("owner", None, opt_string(d.owner));
        changes.push("group", None, opt_string(d.group));
        changes.0.retain(|c| c.after.is_some());
        ops.push(Op::WriteFile {
            path: d.path.to_string(),
            content: d.content.unwrap_or("").to_string(),
            mode: Some(mode),
            owner: d.owner.map(str::to_string),
            group: d.group.map(str::to_string),
        });
        return Ok(PlanResponse {
            observed: None,
            action: Action::Create,
            changes: changes.into_vec(),
            ops,
            checks: Vec::new(),
            notes,
        });
    }

    let not_a_file = stat.kind != "file";
    if not_a_file {
        notes.push(format!("{} is a {}; it is replaced by a regular file", d.path, stat.kind));
    }
    let content_differs = match d.content {
        Some(c) => not_a_file || stat.sha256.as_deref() != Some(sha256(c.as_bytes()).as_str()),
        None => not_a_file,
    };
    if content_differs {
        let before = stat.content.as_deref().or(stat.sha256.as_deref()).map(Value::from);
        changes.push("content", before, string(d.content.unwrap_or("")));
    }
    let wanted = Attributes { mode: d.mode.as_deref(), owner: d.owner, group: d.group };
    let differs = wanted.diff(stat, &mut changes);

    if content_differs {
        // A regular file's mode and owners are kept when the resource leaves
        // them unset; a link's (0777, and whoever made it) never are: what
        // replaces a link gets 0644 and the runner's user.
        let (mode, owner, group) = if not_a_file {
            ("0644".to_string(), d.owner.map(str::to_string), d.group.map(str::to_string))
        } else {
            (
                stat.mode.clone(),
                Some(d.owner.unwrap_or(&stat.owner).to_string()),
                Some(d.group.unwrap_or(&stat.group).to_string()),
            )
        };
        ops.push(Op::WriteFile {
            path: d.path.to_string(),
            content: d.content.unwrap_or("").to_string(),
            mode: Some(d.mode.clone().unwrap_or(mode)),
            owner,
            group,
        });
    } else {
        ops.extend(wanted.fix(d.path, differs, false));
    }
    if ops.is_empty() {
        return Ok(converged(observed));
    }
    Ok(PlanResponse {
        observed,
        action: Action::Update,
        changes: changes.into_vec(),
        ops,
        checks: Vec::new(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use froyo_provider_sdk::{Facts, ProbeOutcome, ProbeResult, json};

    fn request(props: Value, stat: Stat) -> PlanRequest {
        PlanRequest {
            properties: props.as_object().cloned().unwrap_or_default(),
            facts: Facts::default(),
            probes: vec![ProbeOutcome::Ok(ProbeResult::Stat(stat))],
            notified: false,
        }
    }

    fn existing(content: &str) -> Stat {
        Stat {
            exists: true,
            kind: "file".into(),
            mode: "0644".into(),
            owner: "root".into(),
            group: "root".into(),
            size: content.len() as u64,
            sha256: Some(sha256(content.as_bytes())),
            content: Some(content.into()),
            ..Stat::default()
        }
    }

    #[test]
    fn converged_file_needs_nothing() {
        let plan =
            plan_file(&request(json!({"path": "/etc/x", "content": "hi\n"}), existing("hi\n")))
                .unwrap();
        assert_eq!(plan.action, Action::None);
        assert!(plan.ops.is_empty() && plan.changes.is_empty());
    }

    #[test]
    fn mode_only_change_is_a_chmod() {
        let plan = plan_file(&request(
            json!({"path": "/etc/x", "content": "hi\n", "mode": "600"}),
            existing("hi\n"),
        ))
        .unwrap();
        assert_eq!(
            plan.ops,
            vec![Op::Chmod { path: "/etc/x".into(), mode: "0600".into(), recursive: false }]
        );
    }

    #[test]
    fn a_link_is_replaced_with_the_resources_mode_never_the_links() {
        let link = Stat {
            exists: true,
            kind: "symlink".into(),
            mode: "0777".into(),
            owner: "mallory".into(),
            group: "mallory".into(),
            ..Stat::default()
        };
        let response =
            plan_file(&request(json!({"path": "/etc/x", "content": "hi\n"}), link.clone()))
                .unwrap();
        assert_eq!(
            response.ops,
            vec![Op::WriteFile {
                path: "/etc/x".into(),
                content: "hi\n".into(),
                mode: Some("0644".into()),
                owner: None,
                group: None,
            }]
        );
        assert!(response.notes[0].contains("replaced by a regular file"), "{:?}", response.notes);
        let response = plan_file(&request(
            json!({"path": "/etc/x", "content": "hi\n", "mode": "0600", "owner": "root"}),
            link,
        ))
        .unwrap();
        let Op::WriteFile { mode, owner, .. } = &response.ops[0] else {
            panic!("{:?}", response.ops)
        };
        assert_eq!((mode.as_deref(), owner.as_deref()), (Some("0600"), Some("root")));
    }

    #[test]
    fn a_directory_in_the_way_is_an_error() {
        let stat = Stat { exists: true, kind: "dir".into(), ..Stat::default() };
        let err = plan_file(&request(json!({"path": "/etc/x"}), stat)).unwrap_err();
        assert!(err.contains("/etc/x is a directory"), "{err}");
    }
}
