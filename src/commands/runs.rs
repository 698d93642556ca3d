//! `froyo runs list|show [PATH]`: past plans, applies and drift checks, and
//! their events, as text for people or, with `--format json`, JSON.

use std::io;

use crate::ExitStatus;
use crate::args::{ReportFormat, RunsArgs, RunsCommand};
use crate::commands::state::{fields_text, print_json, print_table, resolve_location};
use crate::{hosts, output};

pub fn run(args: &RunsArgs) -> io::Result<ExitStatus> {
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
    let result: Result<(), String> = (|| match &args.command {
        RunsCommand::List { limit, .. } => {
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
                        run.summary.as_ref().map_or(String::new(), fields_text),
                    ]
                })
                .collect();
            print_table(&mut stdout, ["RUN", "KIND", "STATUS", "STARTED", "SUMMARY"], &rows)
        }
        RunsCommand::Show { run, .. } => {
            match state.run(froyo_state::RunId(*run)).map_err(|e| e.to_string())? {
                None => Err(format!("no run {run} (see `froyo runs list`)")),
                Some((record, events)) if args.format == ReportFormat::Json => {
                    print_json(&mut stdout, &serde_json::json!({"run": record, "events": events}))
                }
                Some((record, events)) => {
                    use std::io::Write as _;
                    let text = format!(
                        "run {}: {} {}\n  started   {}\n  finished  {}\n  by        {}@{} (pid {})\n  IR        {}\n  summary   {}\n\n",
                        record.id.0,
                        format!("{:?}", record.kind).to_lowercase(),
                        format!("{:?}", record.status).to_lowercase(),
                        record.started_at,
                        record.finished_at.as_deref().unwrap_or("-"),
                        record.owner,
                        record.host,
                        record.pid,
                        record.ir_hash,
                        record.summary.as_ref().map_or("-".to_string(), fields_text),
                    );
                    let rows: Vec<[String; 4]> = events
                        .iter()
                        .map(|event| {
                            [
                                event.at.clone(),
                                event.kind.clone(),
                                event.instance.as_ref().map_or("-".to_string(), |key| {
                                    format!("{}@{}", key.resource, key.host)
                                }),
                                fields_text(&event.detail),
                            ]
                        })
                        .collect();
                    stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
                    print_table(&mut stdout, ["AT", "EVENT", "INSTANCE", "DETAIL"], &rows)
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
