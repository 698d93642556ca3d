//! `froyo drift`: re-probe the hosts and compare them with the recorded state.
//!
//! Exit 0 when nothing drifted (or all of it was remediated), 3 when
//! something did, 1 when the workspace has errors, some instance could not be
//! probed or remediation failed, 4 when another run holds the lock.
//!
//! `--watch` keeps checking (see [`super::watch`]); `--remediate` applies
//! the recorded desired state to what drifted, under the same lock.

use std::io;
use std::sync::Arc;

use froyo_engine::metrics::RunKind;
use froyo_engine::{DriftCheck, Engine, Metrics};
use froyo_state::State;

use crate::ExitStatus;
use crate::args::{ColorWhen, DriftArgs};
use crate::{hosts, output};

pub fn run(args: &DriftArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    if args.watch {
        return super::watch::run(args, color);
    }
    let metrics = args.metrics_file.as_ref().map(|_| Arc::new(Metrics::new()));
    let status = once(args, color, metrics.as_ref());
    if let Some(metrics) = &metrics {
        crate::metrics_out::finish(args.metrics_file.as_deref(), metrics, RunKind::Drift, &status);
    }
    status
}

fn once(
    args: &DriftArgs,
    color: ColorWhen,
    metrics: Option<&Arc<Metrics>>,
) -> io::Result<ExitStatus> {
    let prepared = match hosts::prepare(
        &args.paths,
        &args.engine,
        color,
        "nothing checked",
        Some("drift"),
        // Remediation is an apply: the check-time policies run first.
        remediating(args).then_some(&args.policy),
        hosts::Creates::No,
    )? {
        Ok(prepared) => prepared,
        Err(status) => return Ok(status),
    };
    let Some(mut engine) = hosts::engine_for(&prepared, &args.engine) else {
        return Ok(ExitStatus::Error);
    };
    if let Some(metrics) = metrics {
        engine.set_metrics(metrics.clone());
    }
    let (ir, state) = (&prepared.ir, &prepared.state);
    let check = match engine.check_drift(ir, state) {
        Ok(check) => check,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    let report = &check.report;
    output::print_runtime_errors(&report.host_errors);
    let remediates = remediating(args) && report.has_drift();
    // With remediation, the JSON document holds both reports (written below).
    if !remediates || args.format == crate::args::ReportFormat::Human {
        output::write_report(args.format, || froyo_engine::render::drift_text(report), || report)?;
    }
    let drift_status = if report.has_drift() {
        ExitStatus::Drifted
    } else if report.has_errors() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    if !remediates {
        engine.close();
        return Ok(drift_status);
    }
    let (status, remediation) = remediate(&mut engine, &check, state, &prepared.policies, args)?;
    engine.close();
    if args.format == crate::args::ReportFormat::Json {
        output::write_report(
            args.format,
            String::new,
            || serde_json::json!({"drift": report, "remediation": remediation}),
        )?;
    }
    Ok(status)
}

/// Whether drift is to be remediated.
pub fn remediating(args: &DriftArgs) -> bool {
    args.remediate || !args.remediate_only.is_empty()
}

/// Why a remediation did not run or did not finish.
pub enum Refusal {
    /// A denying plan-time policy found fault with it (`E1215`).
    Denied(froyo_engine::Error),
    /// The audit log could not record the allowed policies.
    Audit(froyo_state::StateError),
    /// The apply failed before it could report.
    Failed(froyo_engine::Error),
}

/// What `--remediate-only`, `--allow-destroy` and `--allow-policy` ask of a
/// remediation.
#[derive(Debug, Clone)]
pub struct RemediationOptions {
    /// Resource types to remediate; empty: every type.
    pub types: Vec<String>,
    pub allow_destroy: bool,
    pub policy: crate::args::PolicyArgs,
}

impl RemediationOptions {
    pub fn of(args: &DriftArgs) -> RemediationOptions {
        RemediationOptions {
            types: args.remediate_only.clone(),
            allow_destroy: args.allow_destroy,
            policy: args.policy.clone(),
        }
    }
}

/// Applies the remediation of `check` (the lock is held) the way `froyo
/// apply` applies a plan: judged by the plan-time policies (`--allow-destroy`
/// and `--allow-policy` as `apply` has them), allowed findings audited, then
/// applied. None when nothing is to be remediated.
pub fn remediation(
    engine: &mut Engine,
    check: &DriftCheck,
    state: &State,
    policies: &froyo_policy::PolicySet,
    options: &RemediationOptions,
) -> Result<Option<(froyo_engine::Plan, froyo_engine::ApplyReport)>, Refusal> {
    let Some(mut plan) = engine.remediation(check, &options.types) else { return Ok(None) };
    let _span = tracing::info_span!("remediate", instances = plan.instances.len()).entered();
    let plan_options = froyo_engine::policy::PlanOptions { allow_destroy: options.allow_destroy };
    let allowances = options.policy.allowances();
    let judgement = froyo_engine::policy::judge(policies, &mut plan, plan_options, &allowances);
    froyo_engine::policy::gate(&plan, &judgement).map_err(Refusal::Denied)?;
    super::plan::audit_allowed(state, &plan, &[], &options.policy).map_err(Refusal::Audit)?;
    let report = engine.apply(&plan, state, false).map_err(Refusal::Failed)?;
    Ok(Some((plan, report)))
}

/// Remediates `check`'s drift (the lock is held), printing what happened
/// in human format: 0 when everything that drifted was put back, 1 when
/// something failed or a policy refused, 3 when drift was left
/// (configuration changed since it was applied, or a type not named by
/// `--remediate-only`); and the apply's report, when something was applied.
pub fn remediate(
    engine: &mut Engine,
    check: &DriftCheck,
    state: &State,
    policies: &froyo_policy::PolicySet,
    args: &DriftArgs,
) -> io::Result<(ExitStatus, Option<froyo_engine::ApplyReport>)> {
    for instance in &check.configuration_changed {
        output::print_status(&format!(
            "not remediated: {instance} drifted, but its configuration changed since it was applied; review it with `froyo plan`, then `froyo apply`"
        ));
        tracing::warn!(instance = %instance, "drift not remediated: the configuration changed since it was applied");
    }
    let report = match remediation(engine, check, state, policies, &RemediationOptions::of(args)) {
        Ok(Some((_, report))) => report,
        Ok(None) => {
            output::print_status("nothing to remediate");
            return Ok((ExitStatus::Drifted, None));
        }
        Err(Refusal::Denied(error)) => {
            output::print_status("remediation refused by policy; nothing changed");
            output::print_runtime_errors(&[error]);
            return Ok((ExitStatus::Failure, None));
        }
        Err(Refusal::Audit(error)) => {
            output::print_error(&format!(
                "cannot record the allowed policies in the audit log: {error}; nothing remediated"
            ));
            return Ok((ExitStatus::Error, None));
        }
        Err(Refusal::Failed(error)) => {
            output::print_error(&format!("remediation failed: {error}"));
            return Ok((ExitStatus::Error, None));
        }
    };
    output::print_runtime_errors(&report.host_errors);
    if args.format == crate::args::ReportFormat::Human {
        use std::io::Write as _;
        let mut stdout = io::stdout().lock();
        stdout.write_all(b"\nRemediation:\n")?;
        stdout.write_all(froyo_engine::render::apply_text(&report).as_bytes())?;
        stdout.flush()?;
    }
    let remediated: std::collections::BTreeSet<(&str, &str)> = report
        .instances
        .iter()
        .filter(|instance| !instance.outcome.is_failure())
        .map(|instance| (instance.key.host.as_str(), instance.key.resource.as_str()))
        .collect();
    let left = check.report.drifted.iter().any(|item| {
        !item.differences.is_empty()
            && !remediated.contains(&(item.key.host.as_str(), item.key.resource.as_str()))
    });
    let status = if report.failed() {
        ExitStatus::Failure
    } else if left {
        ExitStatus::Drifted
    } else {
        ExitStatus::Success
    };
    Ok((status, Some(report)))
}
