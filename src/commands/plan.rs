//! `froyo plan`: what `apply` would change, without changing anything.
//!
//! Compiles the workspace (with its check-time policies), probes its hosts
//! through the runner, asks each resource's provider what differs, judges
//! the plan with the plan-time policies, and prints it with their findings
//! beside the changes (`--format json` prints the redacted plan document).
//! `-o FILE` saves the plan for `froyo apply FILE`. Exit 0 when planned, 1
//! when the workspace has errors, some instance could not be planned or a
//! denying policy finds fault with the plan, 2 when the command could not run.

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
        Some(&args.policy),
        hosts::Creates::Yes,
    )? {
        Ok(prepared) => prepared,
        Err(status) => return Ok(status),
    };
    let Some(mut engine) = hosts::engine_for(&prepared, &args.engine) else {
        return Ok(ExitStatus::Error);
    };
    let (ir, state) = (&prepared.ir, &prepared.state);
    let mut plan = match engine.plan(ir, state) {
        Ok(plan) => plan,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    output::print_runtime_errors(&engine.host_errors());
    engine.close();
    let options = froyo_engine::policy::PlanOptions { allow_destroy: args.allow_destroy };
    let judgement = froyo_engine::policy::judge(
        &prepared.policies,
        &mut plan,
        options,
        &args.policy.allowances(),
    );
    let gate = froyo_engine::policy::gate(&plan, &judgement);
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
    if let Err(error) = gate {
        output::print_runtime_errors(&[error]);
        return Ok(ExitStatus::Failure);
    }
    Ok(if plan.summary().errors > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

/// Records in the audit log each policy that `--allow-policy` allowed and
/// that had findings in this run: the policy, the reason, the findings and
/// the plan (the state adds the user, host and process).
pub fn audit_allowed(
    state: &froyo_state::State,
    plan: &froyo_engine::Plan,
    allowed_at_check: &[froyo_diagnostics::Diagnostic],
    policy: &crate::args::PolicyArgs,
) -> Result<(), froyo_state::StateError> {
    for allowance in policy.allowances() {
        let mut findings: Vec<String> = allowed_at_check
            .iter()
            .filter(|diagnostic| diagnostic.code.name == allowance.name)
            .map(|diagnostic| diagnostic.message.clone())
            .collect();
        findings.extend(
            froyo_engine::policy::notes(plan)
                .into_iter()
                .filter(|(_, note)| note.policy == allowance.name && note.allowed.is_some())
                .map(|(address, note)| match address {
                    Some(address) => format!("{address}: {}", note.message),
                    None => note.message.clone(),
                }),
        );
        if findings.is_empty() {
            continue;
        }
        state.audit(
            "policy.allow",
            &serde_json::json!({
                "policy": allowance.name,
                "reason": allowance.reason,
                "plan": plan.id,
                "findings": findings,
            }),
        )?;
    }
    Ok(())
}
