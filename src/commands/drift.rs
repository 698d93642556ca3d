//! `froyo drift`: re-probe the hosts and compare them with the recorded state.
//!
//! Exit 0 when nothing drifted, 2 when something did (so scripts can tell
//! drift from failure), 1 when the workspace has errors or some instance
//! could not be probed.

use std::io;

use crate::ExitStatus;
use crate::args::{ColorWhen, DriftArgs};
use crate::{hosts, output};

pub fn run(args: &DriftArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let prepared = match hosts::prepare(
        &args.paths,
        &args.engine,
        color,
        "nothing checked",
        Some("drift"),
        None,
    )? {
        Ok(prepared) => prepared,
        Err(status) => return Ok(status),
    };
    let Some(mut engine) = hosts::engine_for(&prepared, &args.engine) else {
        return Ok(ExitStatus::Error);
    };
    let (ir, state) = (&prepared.ir, &prepared.state);
    let report = match engine.drift(ir, state) {
        Ok(report) => report,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    engine.close();
    output::print_runtime_errors(&report.host_errors);
    output::write_report(args.format, || froyo_engine::render::drift_text(&report), || &report)?;
    Ok(if report.has_drift() {
        ExitStatus::Drifted
    } else if report.has_errors() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
