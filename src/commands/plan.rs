//! `froyo plan`: what `apply` would change, without changing anything.
//!
//! Compiles the workspace, probes its hosts through the runner, asks each
//! resource's provider what differs, and prints it (`--format json` prints
//! the redacted plan document). `-o FILE` saves the plan for `froyo apply
//! FILE`. Exit 0 when planned, 1 when the workspace has errors or some
//! instance could not be planned, 2 when the command could not run.

use std::io;

use crate::ExitStatus;
use crate::args::{ColorWhen, PlanArgs};
use crate::{hosts, output};

pub fn run(args: &PlanArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let prepared = match hosts::prepare(
        &args.paths,
        &args.engine,
        color,
        "nothing planned",
        None,
        hosts::Creates::Yes,
    )? {
        Ok(prepared) => prepared,
        Err(status) => return Ok(status),
    };
    let Some(mut engine) = hosts::engine_for(&prepared, &args.engine) else {
        return Ok(ExitStatus::Error);
    };
    let (ir, state) = (&prepared.ir, &prepared.state);
    let plan = match engine.plan(ir, state) {
        Ok(plan) => plan,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    output::print_runtime_errors(&engine.host_errors());
    engine.close();
    let redacted = plan.redacted();
    output::write_report(
        args.format,
        || froyo_engine::render::plan_text(&redacted, args.show_ops),
        || &redacted,
    )?;
    if let Some(path) = &args.output {
        if let Err(error) = hosts::write_private(path, &plan.to_file_text(state)) {
            output::print_error(&format!("cannot write the plan to {}: {error}", path.display()));
            return Ok(ExitStatus::Error);
        }
        let summary = serde_json::to_string(&redacted).unwrap_or_default();
        if let Err(error) = state.save_plan(&plan.id, &plan.ir_hash, plan.state_serial, &summary) {
            output::print_error(&format!("cannot record the plan in state: {error}"));
            return Ok(ExitStatus::Error);
        }
        output::print_status(&format!(
            "saved plan {} to {}; apply it with `froyo apply {}`",
            plan.id,
            path.display(),
            path.display()
        ));
    }
    Ok(if plan.summary().errors > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}
