//! `froyo drift`: re-probe the hosts and compare them with the recorded state.
//!
//! Exit 0 when nothing drifted, 2 when something did (so scripts can tell
//! drift from failure), 1 when the workspace has errors or some instance
//! could not be probed.

use std::io::{self, Write as _};
use std::sync::Arc;

use crate::ExitStatus;
use crate::args::{ColorWhen, DriftArgs, OutputFormat, ReportFormat};
use crate::{hosts, output};

pub fn run(args: &DriftArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(current_dir) = super::current_dir() else {
        return Ok(ExitStatus::Error);
    };
    let (root, ir) = match crate::compile::build_ir(
        &current_dir,
        &args.paths,
        OutputFormat::Human,
        color,
        "nothing checked",
    )? {
        Ok(built) => built,
        Err(status) => return Ok(status),
    };
    let state_path = hosts::state_path(&root, args.engine.state.as_deref());
    let Some(state) = hosts::open_state(&state_path) else {
        return Ok(ExitStatus::Error);
    };
    let Some(_lock) = hosts::lock(&state, "drift") else {
        return Ok(ExitStatus::Error);
    };
    let progress = Arc::new(crate::progress::Progress::new());
    let Some(mut engine) = hosts::engine(
        &root,
        &args.engine,
        &ir.resources.iter().map(|r| r.type_name.clone()).collect(),
        progress,
    ) else {
        return Ok(ExitStatus::Error);
    };
    let report = match engine.drift(&ir, &state) {
        Ok(report) => report,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    engine.close();
    let mut stdout = io::stdout().lock();
    match args.format {
        ReportFormat::Human => {
            stdout.write_all(froyo_engine::render::drift_text(&report).as_bytes())?
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
    }
    stdout.flush()?;
    Ok(if report.has_drift() {
        ExitStatus::Error
    } else if report.has_errors() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
