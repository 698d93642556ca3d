//! `froyo apply`: make the hosts match the configuration, or a saved plan.
//!
//! Without a plan file: takes the state lock, plans, shows the plan, asks
//! for confirmation (or `--yes`), applies. With a plan file (`froyo plan -o`):
//! re-probes each planned change and applies those whose host still matches
//! what they were planned against; the others are refused as stale.
//! Either way the plan is judged by the workspace's plan-time policies
//! first (a saved plan by today's policies), and a denying policy's
//! finding refuses the whole apply before anything runs (`E1215`) unless
//! `--allow-policy NAME --reason TEXT` allows it, which the audit log records.
//! Exit 0 when everything applied, 1 when something failed, was skipped or
//! refused (or the workspace has errors), 2 when the command could not run.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};
use std::sync::Arc;

use froyo_engine::Plan;
use froyo_engine::metrics::RunKind;

use crate::ExitStatus;
use crate::args::{ApplyArgs, ColorWhen, ReportFormat};
use crate::{hosts, output};

/// What is applied: a saved plan, or the workspace's configuration, planned now.
enum Source {
    Saved(Plan),
    Workspace(froyo_ir::Ir),
}

pub fn run(args: &ApplyArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(path) = &args.metrics_file else {
        return apply(args, color, None);
    };
    let metrics = Arc::new(froyo_engine::Metrics::new());
    let status = apply(args, color, Some(&metrics));
    crate::metrics_out::finish(Some(path), &metrics, RunKind::Apply, &status);
    status
}

fn apply(
    args: &ApplyArgs,
    color: ColorWhen,
    metrics: Option<&Arc<froyo_engine::Metrics>>,
) -> io::Result<ExitStatus> {
    let Some(current_dir) = super::current_dir() else {
        return Ok(ExitStatus::Error);
    };
    // A plan file (its text, checked once the state is open), or a workspace.
    let saved = match &args.target {
        Some(path) if path.is_file() => match std::fs::read_to_string(path) {
            Ok(text) => Some((path, text)),
            Err(error) => {
                output::print_error(&format!("cannot read {}: {error}", path.display()));
                return Ok(ExitStatus::Error);
            }
        },
        _ => None,
    };
    let (root, input, policies, allowed) = match saved {
        Some((path, text)) => {
            let root = froyo_loader::workspace_root(&current_dir);
            let Some(policies) = crate::compile::workspace_policies(&current_dir, &root, color)?
            else {
                output::print_status(
                    "error: the workspace's policies have errors; nothing applied",
                );
                return Ok(ExitStatus::Failure);
            };
            (root, Err((path, text)), policies, Vec::new())
        }
        None => {
            let paths: Vec<_> = args.target.iter().cloned().collect();
            match crate::compile::build_checked(
                &current_dir,
                &paths,
                color,
                "nothing applied",
                &args.policy,
            )? {
                Ok(built) => (built.root, Ok(built.ir), built.policies, built.allowed),
                Err(status) => return Ok(status),
            }
        }
    };
    let Some(state_location) = hosts::state_location(&root, hosts::named_state(&args.engine.state))
    else {
        return Ok(ExitStatus::Error);
    };
    let creates = match &input {
        Ok(_) => hosts::Creates::Yes,
        // A saved plan was made against an existing state.
        Err(_) => hosts::Creates::No,
    };
    let Some(state) = hosts::open_state(
        &state_location,
        hosts::named_state(&args.engine.state).is_some(),
        creates,
    ) else {
        return Ok(ExitStatus::Error);
    };
    // With workers: the queue first, so that a state they cannot share is
    // refused before anything else happens.
    let mut queue = match args.workers.then(|| state.work_queue()).transpose() {
        Ok(queue) => queue,
        Err(error) => {
            output::print_error(&format!("{} {error}", error.code()));
            return Ok(ExitStatus::Error);
        }
    };
    let _lock = match hosts::lock(&state, "apply") {
        Ok(guard) => guard,
        Err(status) => return Ok(status),
    };
    // A saved plan is authenticated with the state's key before anything of it is used.
    let source = match input {
        Ok(ir) => Source::Workspace(ir),
        Err((path, text)) => match Plan::from_file_text(&text, &state) {
            Ok(plan) => Source::Saved(plan),
            Err(error) => {
                output::print_error(&format!("{} cannot be applied", path.display()));
                output::print_runtime_errors(&[error]);
                return Ok(ExitStatus::Error);
            }
        },
    };
    let types: std::collections::BTreeSet<String> = match &source {
        Source::Saved(plan) => plan.instances.iter().map(|i| i.resource_type.clone()).collect(),
        Source::Workspace(ir) => ir.resources.iter().map(|r| r.type_name.clone()).collect(),
    };
    let progress = Arc::new(crate::progress::Progress::new());
    let Some(mut engine) = hosts::engine(&root, &args.engine, &types, progress) else {
        return Ok(ExitStatus::Error);
    };
    if let Some(metrics) = metrics {
        engine.set_metrics(metrics.clone());
    }
    let (mut plan, from_file) = match source {
        Source::Saved(plan) => (plan, true),
        Source::Workspace(ir) => match engine.plan(&ir, &state) {
            Ok(plan) => (plan, false),
            Err(error) => {
                output::print_error(&error.to_string());
                return Ok(ExitStatus::Error);
            }
        },
    };
    let options = froyo_engine::policy::PlanOptions { allow_destroy: args.allow_destroy };
    let judgement =
        froyo_engine::policy::judge(&policies, &mut plan, options, &args.policy.allowances());
    let redacted = plan.redacted();
    if args.format == ReportFormat::Human {
        let mut stdout = io::stdout().lock();
        stdout.write_all(froyo_engine::render::plan_text(&redacted, args.show_ops).as_bytes())?;
        stdout.flush()?;
    }
    if let Err(error) = froyo_engine::policy::gate(&plan, &judgement) {
        engine.close();
        output::print_runtime_errors(std::slice::from_ref(&error));
        // A script reading JSON learns why: the plan with its findings
        // beside the instances, and the refusal, with no report.
        if args.format == ReportFormat::Json {
            output::write_report(
                args.format,
                String::new,
                || serde_json::json!({"plan": redacted, "report": null, "error": output::error_json(&error)}),
            )?;
        }
        return Ok(ExitStatus::Failure);
    }
    if !from_file && plan.has_changes() && !args.yes && !confirm()? {
        output::print_status("apply cancelled; nothing changed");
        return Ok(ExitStatus::Failure);
    }
    if let Err(error) = super::plan::audit_allowed(&state, &plan, &allowed, &args.policy) {
        engine.close();
        output::print_error(&format!(
            "cannot record the allowed policies in the audit log: {error}"
        ));
        return Ok(ExitStatus::Error);
    }
    let applied = match &mut queue {
        Some(queue) => engine.apply_with_workers(&plan, &state, from_file, queue, &mut |news| {
            output::print_status(news);
        }),
        None => engine.apply(&plan, &state, from_file),
    };
    let report = match applied {
        Ok(report) => report,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    engine.close();
    output::print_runtime_errors(&report.host_errors);
    output::write_report(
        args.format,
        || froyo_engine::render::apply_text(&report),
        || serde_json::json!({"plan": redacted, "report": report}),
    )?;
    Ok(if report.failed() { ExitStatus::Failure } else { ExitStatus::Success })
}

/// Asks on the terminal; refuses when there is no terminal to ask on.
fn confirm() -> io::Result<bool> {
    if !io::stdin().is_terminal() {
        output::print_error(
            "refusing to apply without confirmation: standard input is not a terminal; pass --yes",
        );
        return Ok(false);
    }
    eprint!("Apply these changes? Only `yes` is accepted: ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
