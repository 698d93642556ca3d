//! Plan-time policies: the plan as the input of the policies'
//! `plan_violations`, their findings beside the changes they concern, and
//! the gate that refuses to apply a plan a denying policy finds fault with.
//!
//! The input ([`plan_input`], `input.kind == "plan"`, version
//! [`froyo_policy::input::PLAN_VERSION`]) has one entry per instance: its
//! host and resource, type, address, action, redacted properties, property
//! changes and exact operations, plus the facts of every host the plan
//! reached and the run's options (`allow_destroy`). It is built from the plan
//! alone, so a saved plan is judged exactly as it will be applied.
//!
//! Invariant: nothing sensitive enters the input: properties, changes and
//! operations come from [`Plan::redacted`].

use froyo_policy::diagnostics::Allowance;
use froyo_policy::{Level, PolicySet, Stage};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::plan::Plan;

/// What a run asked for, as policies see it (`input.options`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--allow-destroy`: deletions were asked for.
    pub allow_destroy: bool,
}

/// One finding of a plan-time policy, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyNote {
    pub policy: String,
    pub code: String,
    /// `deny`, `warn` or `advisory`.
    pub level: String,
    pub message: String,
    /// Set when a denying policy was allowed for this run: the reason given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
}

impl PolicyNote {
    /// Whether this finding stops an apply.
    pub fn denies(&self) -> bool {
        self.level == Level::Deny.as_str() && self.allowed.is_none()
    }
}

/// What judging a plan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    /// Problems with the policies themselves (a rule that failed, a result
    /// of the wrong shape): the plan cannot be cleared while there are any.
    pub problems: Vec<String>,
}

/// The plan-time input document of `plan`.
pub fn plan_input(plan: &Plan, options: PlanOptions) -> Json {
    let redacted = plan.redacted();
    let instances: Vec<Json> = redacted
        .instances
        .iter()
        .map(|instance| {
            json!({
                "host": instance.key.host,
                "resource": instance.key.resource,
                "type": instance.resource_type,
                "address": instance.address,
                "action": instance.action,
                "properties": instance.properties,
                "sensitive": instance.sensitive,
                "observed": instance.observed,
                "changes": instance.changes,
                "ops": instance.ops,
                "error": instance.error,
            })
        })
        .collect();
    let orphans: Vec<Json> = redacted
        .orphans
        .iter()
        .map(|orphan| {
            json!({"host": orphan.key.host, "resource": orphan.key.resource, "type": orphan.resource_type})
        })
        .collect();
    json!({
        "kind": "plan",
        "version": froyo_policy::input::PLAN_VERSION,
        "options": {"allow_destroy": options.allow_destroy},
        "hosts": redacted.hosts.iter().map(froyo_policy::input::host_json).collect::<Vec<_>>(),
        "facts": redacted.facts,
        "instances": instances,
        "orphans": orphans,
    })
}

/// Evaluates the plan-time policies of `set` on `plan` and writes their
/// findings into it (replacing any from before): beside the instance they
/// name (its host and resource, or the resource on every host), else on
/// the plan. Findings of denying policies in `allowances` are marked allowed.
pub fn judge(
    set: &PolicySet,
    plan: &mut Plan,
    options: PlanOptions,
    allowances: &[Allowance],
) -> Judgement {
    let input = plan_input(plan, options);
    let evaluation = set.evaluate(Stage::Plan, &froyo_policy::Input::from_json(&input), &|_| true);
    for instance in &mut plan.instances {
        instance.policy.clear();
    }
    plan.policy.clear();
    for finding in &evaluation.findings {
        let Some(policy) = set.policies.get(finding.policy) else { continue };
        let allowed = (finding.level == Level::Deny)
            .then(|| allowances.iter().find(|allowance| allowance.name == policy.name))
            .flatten()
            .map(|allowance| allowance.reason.clone());
        let note = PolicyNote {
            policy: policy.name.clone(),
            code: policy.code.clone(),
            level: finding.level.as_str().to_string(),
            message: finding.message.clone(),
            allowed,
        };
        let mut placed = false;
        if let Some(resource) = &finding.resource {
            for instance in &mut plan.instances {
                let host_matches =
                    finding.host.as_ref().is_none_or(|host| *host == instance.key.host);
                if instance.key.resource == *resource && host_matches {
                    instance.policy.push(note.clone());
                    placed = true;
                }
            }
        }
        if !placed {
            plan.policy.push(note);
        }
    }
    let problems = evaluation
        .problems
        .iter()
        .map(|problem| {
            let file = problem
                .source
                .and_then(|index| set.sources.get(index))
                .map_or(String::new(), |source| {
                    format!("{}:{}:{}: ", source.path, problem.line, problem.column)
                });
            format!("{file}{}", problem.message)
        })
        .collect();
    Judgement { problems }
}

/// Every policy finding of the plan, with the address it concerns.
pub fn notes(plan: &Plan) -> Vec<(Option<&str>, &PolicyNote)> {
    plan.policy
        .iter()
        .map(|note| (None, note))
        .chain(plan.instances.iter().flat_map(|instance| {
            instance.policy.iter().map(move |note| (Some(instance.address.as_str()), note))
        }))
        .collect()
}

/// Refuses a plan that a denying policy finds fault with (and that was not
/// allowed), or whose policies could not be evaluated (`E1215`).
pub fn gate(plan: &Plan, judgement: &Judgement) -> Result<(), crate::Error> {
    let denied: Vec<String> = notes(plan)
        .into_iter()
        .filter(|(_, note)| note.denies())
        .map(|(address, note)| match address {
            Some(address) => format!("{address}: {} ({})", note.message, note.policy),
            None => format!("{} ({})", note.message, note.policy),
        })
        .collect();
    if denied.is_empty() && judgement.problems.is_empty() {
        return Ok(());
    }
    let mut lines = denied;
    lines.extend(judgement.problems.iter().map(|problem| format!("policy error: {problem}")));
    Err(crate::Error::PolicyDenied(lines))
}
