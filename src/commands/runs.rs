//! `froyo runs list|show`: past plans, applies and drift checks, and their events.

use std::io;

use crate::ExitStatus;
use crate::args::{ReportFormat, RunsArgs, RunsCommand};
use crate::commands::state::{print_json, print_table, resolve_path};
use crate::{hosts, output};

pub fn run(args: &RunsArgs) -> io::Result<ExitStatus> {
    let Some(path) = resolve_path(args.state.as_deref()) else {
        return Ok(ExitStatus::Error);
    };
    let Some(state) = hosts::open_state(&path) else {
        return Ok(ExitStatus::Error);
    };
    let mut stdout = io::stdout().lock();
    let result: Result<(), String> = (|| match &args.command {
        RunsCommand::List { limit } => {
            let runs = state.runs(*limit).map_err(|e| e.to_string())?;
            if args.format == ReportFormat::Json {
                return print_json(&mut stdout, &runs);
            }
            let rows: Vec<[String; 5]> = runs
                .iter()
                .map(|run| {
                    [
                        run.id.0.to_string(),
                        format!("{:?}", run.kind).to_lowercase(),
                        format!("{:?}", run.status).to_lowercase(),
                        run.started_at.clone(),
                        run.summary.as_ref().map_or(String::new(), |summary| summary.to_string()),
                    ]
                })
                .collect();
            print_table(&mut stdout, ["RUN", "KIND", "STATUS", "STARTED", "SUMMARY"], &rows)
        }
        RunsCommand::Show { run } => {
            match state.run(froyo_state::RunId(*run)).map_err(|e| e.to_string())? {
                None => Err(format!("no run {run} (see `froyo runs list`)")),
                Some((record, events)) => {
                    print_json(&mut stdout, &serde_json::json!({"run": record, "events": events}))
                }
            }
        }
    })();
    match result {
        Ok(()) => Ok(ExitStatus::Success),
        Err(message) => {
            output::print_error(&message);
            Ok(ExitStatus::Error)
        }
    }
}
