//! `froyo state list|show|lock|unlock|audit [PATH]`: look into the recorded
//! state of a workspace.
//!
//! Sensitive values are stored as keyed hashes, so nothing printed here is a
//! secret. `unlock` breaks the apply lock whoever holds it; the audit log
//! records who did. Text for people by default, JSON with `--format json`.

use std::io::{self, Write as _};

use crate::ExitStatus;
use crate::args::{ReportFormat, StateArgs, StateCommand};
use crate::{hosts, output};

/// The state: `--state` (or `FROYO_STATE`), or the file of the workspace
/// `workspace` names (default: the workspace containing the current directory).
pub fn resolve_location(
    explicit: Option<&str>,
    workspace: Option<&std::path::Path>,
) -> Option<froyo_state::StateLocation> {
    let current_dir = super::current_dir()?;
    let start = workspace.map_or_else(|| current_dir.clone(), |path| current_dir.join(path));
    if workspace.is_some() && explicit.is_none() && !start.is_dir() {
        output::print_error(&format!("{} is not a directory", start.display()));
        return None;
    }
    let root = froyo_loader::workspace_root(&start);
    let location = hosts::state_location(&root, explicit)?;
    if let Some(path) = location.file()
        && explicit.is_none()
        && !path.exists()
    {
        output::print_error(&format!(
            "no state at {}: nothing was applied from this workspace yet (or name the state with --state)",
            path.display()
        ));
        return None;
    }
    Some(location)
}

/// Whether a recorded instance is the one `address` names: `ID` or
/// `TYPE.ID` (as plan and apply print it), optionally with `@HOST`, or
/// `HOST/ID`.
fn matches_address(record: &froyo_state::InstanceRecord, address: &str) -> bool {
    let (resource, host) = match (address.rsplit_once('@'), address.split_once('/')) {
        (Some((resource, host)), _) => (resource, Some(host)),
        (None, Some((host, resource))) => (resource, Some(host)),
        (None, None) => (address, None),
    };
    let typed = format!("{}.{}", record.resource_type, record.key.resource);
    (record.key.resource == resource || typed == resource)
        && host.is_none_or(|host| record.key.host == host)
}

/// A JSON value as one line of text: strings without quotes, unless they
/// hold line breaks or other control characters (then quoted and escaped).
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) if !text.chars().any(char::is_control) => text.clone(),
        serde_json::Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// An object's fields as `key value` pairs, comma-separated (`created 2, failed 0`).
pub fn fields_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| format!("{key} {}", value_text(value)))
            .collect::<Vec<_>>()
            .join(", "),
        other => value_text(other),
    }
}

fn write_instance(text: &mut String, record: &froyo_state::InstanceRecord) {
    use std::fmt::Write as _;
    let _ = writeln!(text, "{}.{}@{}", record.resource_type, record.key.resource, record.key.host);
    let _ = writeln!(text, "  updated        {}", record.updated_at);
    let _ = writeln!(
        text,
        "  last run       {}",
        record.last_run.map_or("-".to_string(), |run| run.0.to_string())
    );
    let _ = writeln!(text, "  desired hash   {}", record.desired_hash);
    let _ = writeln!(text, "  observed hash  {}", record.observed_hash);
    match &record.observed {
        None => text.push_str("  observed       -\n"),
        Some(observed) => {
            text.push_str("  observed\n");
            let width = observed.keys().map(|key| key.chars().count()).max().unwrap_or(0);
            for (key, value) in observed {
                let _ = writeln!(text, "    {key:width$}  {}", value_text(value));
            }
        }
    }
}

pub fn run(args: &StateArgs) -> io::Result<ExitStatus> {
    let Some(location) =
        resolve_location(hosts::named_state(&args.state), args.command.workspace())
    else {
        return Ok(ExitStatus::Error);
    };
    let Some(state) =
        hosts::open_state(&location, hosts::named_state(&args.state).is_some(), hosts::Creates::No)
    else {
        return Ok(ExitStatus::Error);
    };
    let mut stdout = io::stdout().lock();
    let json = args.format == ReportFormat::Json;
    let result: Result<ExitStatus, String> = (|| match &args.command {
        StateCommand::List { .. } => {
            let instances = state.instances().map_err(|e| e.to_string())?;
            if json {
                print_json(&mut stdout, &instances)?;
            } else if instances.is_empty() {
                output::print_status("no instances recorded");
            } else {
                let rows: Vec<[String; 5]> = instances
                    .iter()
                    .map(|record| {
                        [
                            record.key.host.clone(),
                            record.key.resource.clone(),
                            record.resource_type.clone(),
                            record.updated_at.clone(),
                            record.last_run.map_or("-".to_string(), |run| run.0.to_string()),
                        ]
                    })
                    .collect();
                print_table(&mut stdout, ["HOST", "RESOURCE", "TYPE", "UPDATED", "RUN"], &rows)?;
            }
            Ok(ExitStatus::Success)
        }
        StateCommand::Show { instance, .. } => {
            let instances = state.instances().map_err(|e| e.to_string())?;
            let matches: Vec<_> =
                instances.iter().filter(|record| matches_address(record, instance)).collect();
            if matches.is_empty() {
                return Err(format!("no recorded instance `{instance}` (see `froyo state list`)"));
            }
            if json {
                print_json(&mut stdout, &matches)?;
            } else {
                let mut text = String::new();
                for (index, record) in matches.iter().enumerate() {
                    if index > 0 {
                        text.push('\n');
                    }
                    write_instance(&mut text, record);
                }
                stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
            }
            Ok(ExitStatus::Success)
        }
        StateCommand::Lock { .. } => {
            match state.lock_info().map_err(|e| e.to_string())? {
                None if json => print_json(&mut stdout, &serde_json::Value::Null)?,
                None => output::print_status("not locked"),
                Some(info) if json => print_json(&mut stdout, &info)?,
                Some(info) => {
                    let text = format!(
                        "locked for `{}` by {} (pid {} on {})\n  since          {}\n  last heartbeat {}\n  holder         {:?}\n",
                        info.operation,
                        info.owner,
                        info.pid,
                        info.host,
                        info.acquired_at,
                        info.heartbeat_at,
                        info.alive
                    );
                    stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
                }
            }
            Ok(ExitStatus::Success)
        }
        StateCommand::Unlock { force, .. } => {
            let who = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
            match state.unlock(&who, *force) {
                Ok(None) => output::print_status("not locked; nothing to do"),
                Ok(Some(info)) => output::print_status(&format!(
                    "broke the lock held by {} (pid {} on {}) for `{}`",
                    info.owner, info.pid, info.host, info.operation
                )),
                Err(froyo_state::StateError::Held(info)) => {
                    output::print_error(&format!(
                        "the lock is held by a live run: `{}` by {} (pid {} on {}), last heartbeat {}; \
                         it is not broken. Wait for that run to finish, or stop it; \
                         `froyo state unlock --force` breaks it anyway (the run then stops before its next write)",
                        info.operation, info.owner, info.pid, info.host, info.heartbeat_at
                    ));
                    return Ok(ExitStatus::Locked);
                }
                Err(error) => return Err(error.to_string()),
            }
            Ok(ExitStatus::Success)
        }
        StateCommand::Audit { limit, .. } => {
            let log = state.audit_log(*limit).map_err(|e| e.to_string())?;
            if json {
                print_json(&mut stdout, &log)?;
            } else if log.is_empty() {
                output::print_status("the audit log is empty");
            } else {
                let rows: Vec<[String; 4]> = log
                    .iter()
                    .map(|entry| {
                        [
                            entry.at.clone(),
                            format!("{}@{} (pid {})", entry.owner, entry.host, entry.pid),
                            entry.action.clone(),
                            fields_text(&entry.detail),
                        ]
                    })
                    .collect();
                print_table(&mut stdout, ["AT", "BY", "ACTION", "DETAIL"], &rows)?;
            }
            Ok(ExitStatus::Success)
        }
    })();
    match result {
        Ok(status) => Ok(status),
        Err(message) => {
            output::print_error(&message);
            Ok(ExitStatus::Error)
        }
    }
}

pub fn print_json(out: &mut dyn io::Write, value: &impl serde::Serialize) -> Result<(), String> {
    crate::output::write_json(out, value).map_err(|e| e.to_string())
}

/// Columns padded to their widest cell.
pub fn print_table<const N: usize>(
    out: &mut dyn io::Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> Result<(), String> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let line = |cells: Vec<&str>, text: &mut String| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(header.to_vec(), &mut text);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut text);
    }
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())
}
