//! `froyo state list|show|lock|unlock|audit`: look into the recorded state.
//!
//! Sensitive values are stored as keyed hashes, so nothing printed here is a
//! secret. `unlock` breaks the apply lock whoever holds it; the audit log
//! records who did.

use std::io::{self, Write as _};
use std::path::PathBuf;

use crate::ExitStatus;
use crate::args::{ReportFormat, StateArgs, StateCommand};
use crate::{hosts, output};

/// The state file: `--state`, or the workspace containing the current directory.
pub fn resolve_path(explicit: Option<&std::path::Path>) -> Option<PathBuf> {
    let current_dir = super::current_dir()?;
    let root = froyo_loader::workspace_root(&current_dir);
    let path = hosts::state_path(&root, explicit);
    if explicit.is_none() && !path.exists() {
        output::print_error(&format!(
            "no state at {}: nothing was applied from this workspace yet (or name the file with --state)",
            path.display()
        ));
        return None;
    }
    Some(path)
}

pub fn run(args: &StateArgs) -> io::Result<ExitStatus> {
    let Some(path) = resolve_path(args.state.as_deref()) else {
        return Ok(ExitStatus::Error);
    };
    let Some(state) = hosts::open_state(&path) else {
        return Ok(ExitStatus::Error);
    };
    let mut stdout = io::stdout().lock();
    let json = args.format == ReportFormat::Json;
    let result: Result<ExitStatus, String> = (|| match &args.command {
        StateCommand::List => {
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
        StateCommand::Show { instance } => {
            let instances = state.instances().map_err(|e| e.to_string())?;
            let matches: Vec<_> = instances
                .iter()
                .filter(|record| match instance.split_once('/') {
                    Some((host, resource)) => {
                        record.key.host == host && record.key.resource == resource
                    }
                    None => record.key.resource == *instance,
                })
                .collect();
            if matches.is_empty() {
                return Err(format!("no recorded instance `{instance}` (see `froyo state list`)"));
            }
            print_json(&mut stdout, &matches)?;
            Ok(ExitStatus::Success)
        }
        StateCommand::Lock => {
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
        StateCommand::Unlock => {
            let who = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
            match state.unlock(&who).map_err(|e| e.to_string())? {
                None => output::print_status("not locked; nothing to do"),
                Some(info) => output::print_status(&format!(
                    "broke the lock held by {} (pid {} on {}) for `{}`",
                    info.owner, info.pid, info.host, info.operation
                )),
            }
            Ok(ExitStatus::Success)
        }
        StateCommand::Audit { limit } => {
            let log = state.audit_log(*limit).map_err(|e| e.to_string())?;
            print_json(&mut stdout, &log)?;
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
