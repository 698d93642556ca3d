//! Check-time policies as queries: the built-in policies and the
//! workspace's `policies/*.rego`, evaluated on the IR.
//!
//! [`Policies`] is an input (the workspace's Rego files, which hosts find
//! under `policies/`); [`policy_diagnostics`] gives every policy diagnostic
//! of a workspace: problems with Rego files, then findings. Findings are
//! placed on the value they name (`resource` and `path`, through
//! `froyo_check::locate`), else on the resource's or host's declaration.
//!
//! Incremental: policies whose scope is one resource (every built-in one)
//! are evaluated per source file ([`file_policy_diagnostics`]), on that
//! file's resources and every host, so an edit re-evaluates one file; only
//! workspace-scoped policies read the whole IR. The policy set itself is
//! loaded again only when a Rego file or `policy_data` changes.
//!
//! File ids of Rego files follow the Starlark files, in the order of
//! [`Policies::files`].

use std::sync::Arc;

use froyo_diagnostics::{Diagnostic, FileId, Span};
use froyo_eval::Data;
use froyo_ir::{Host, Resource};
use froyo_policy::{PolicySet, Scope, Source, Stage};
use serde_json::Value as Json;

use crate::SourceFile;
use crate::workspace::{
    FileTable, Workspace, checked_files, cue_errors, first_starlark_id, lowered_file, lowered_files,
};

/// The workspace's own Rego files (`policies/*.rego`), paths as shown to users.
#[salsa::input(debug)]
pub struct Policies {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

/// A loaded policy set, compared by what it was loaded from.
#[derive(Debug, Clone)]
pub struct LoadedPolicies {
    pub set: Arc<PolicySet>,
    pub data: Json,
}

impl PartialEq for LoadedPolicies {
    fn eq(&self, other: &LoadedPolicies) -> bool {
        Arc::ptr_eq(&self.set, &other.set)
            || (self.data == other.data && self.set.sources == other.set.sources)
    }
}

/// The workspace's CUE `policy_data` as JSON (null without it, or when the
/// CUE package has errors).
#[salsa::tracked(returns(ref))]
pub fn policy_data(db: &dyn salsa::Database, workspace: Workspace) -> Json {
    let package = *workspace.package(db);
    if package.files(db).is_empty() || !cue_errors(db, workspace).is_empty() {
        return Json::Null;
    }
    let wanted = ["policy_data".to_string()];
    match crate::units::merged_units(db, package, Some(&wanted), false) {
        Ok(data) => data.field("policy_data").map_or(Json::Null, data_json),
        Err(_) => Json::Null,
    }
}

/// The built-in policies and the workspace's, loaded with its `policy_data`.
#[salsa::tracked(returns(ref))]
pub fn policy_set(
    db: &dyn salsa::Database,
    workspace: Workspace,
    policies: Policies,
) -> LoadedPolicies {
    let sources = policies
        .files(db)
        .iter()
        .map(|file| Source {
            path: file.path(db).clone(),
            text: file.text(db).clone(),
            builtin: false,
        })
        .collect();
    let data = policy_data(db, workspace).clone();
    LoadedPolicies { set: Arc::new(PolicySet::load(sources, &data)), data }
}

/// Every policy diagnostic of the workspace: problems with policy files
/// and `policy_data`, then findings, file by file, then workspace-wide ones.
pub fn policy_diagnostics(
    db: &dyn salsa::Database,
    workspace: Workspace,
    policies: Policies,
) -> Vec<Diagnostic> {
    let mut diagnostics = policy_problems(db, workspace, policies).clone();
    for file in checked_files(db, workspace) {
        diagnostics.extend(file_policy_diagnostics(db, workspace, policies, file).iter().cloned());
    }
    diagnostics.extend(workspace_policy_diagnostics(db, workspace, policies).iter().cloned());
    diagnostics
}

/// The policy set's loading problems as diagnostics in the Rego files.
#[salsa::tracked(returns(ref))]
fn policy_problems(
    db: &dyn salsa::Database,
    workspace: Workspace,
    policies: Policies,
) -> Vec<Diagnostic> {
    let loaded = policy_set(db, workspace, policies);
    let placement = Placement::new(db, workspace, policies, &loaded.set);
    loaded
        .set
        .problems
        .iter()
        .map(|problem| {
            froyo_policy::diagnostics::problem_diagnostic(
                &loaded.set,
                problem,
                &|index| placement.rego_file(index),
                placement.fallback,
            )
        })
        .collect()
}

/// Every host of the workspace (the first declaration of each name).
#[salsa::tracked(returns(ref))]
fn workspace_hosts(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Host> {
    let mut hosts: Vec<Host> = Vec::new();
    for lowered in lowered_files(db, workspace) {
        for (host, _) in &lowered.hosts {
            if !hosts.iter().any(|known| known.name == host.name) {
                hosts.push(host.clone());
            }
        }
    }
    hosts.sort_by(|a, b| a.name.cmp(&b.name));
    hosts
}

/// The findings of resource-scoped policies on one file's resources.
#[salsa::tracked(returns(ref))]
pub fn file_policy_diagnostics(
    db: &dyn salsa::Database,
    workspace: Workspace,
    policies: Policies,
    file: SourceFile,
) -> Vec<Diagnostic> {
    let lowered = lowered_file(db, workspace, file);
    if lowered.resources.is_empty() {
        return Vec::new();
    }
    let loaded = policy_set(db, workspace, policies);
    if !has_policies(&loaded.set, Scope::Resource) {
        return Vec::new();
    }
    let hosts = workspace_hosts(db, workspace);
    let input = froyo_policy::input::check_document(
        hosts,
        lowered.resources.iter().map(|(resource, _)| resource),
    );
    let evaluation =
        loaded.set.evaluate(Stage::Check, &input, &|policy| policy.scope == Scope::Resource);
    let placement = Placement::new(db, workspace, policies, &loaded.set);
    placement.diagnostics(db, workspace, &loaded.set, &evaluation, &lowered.resources)
}

/// The findings of workspace-scoped policies (workspace policies that do
/// not declare `"scope": "resource"`) on the whole IR.
#[salsa::tracked(returns(ref))]
fn workspace_policy_diagnostics(
    db: &dyn salsa::Database,
    workspace: Workspace,
    policies: Policies,
) -> Vec<Diagnostic> {
    let loaded = policy_set(db, workspace, policies);
    if !has_policies(&loaded.set, Scope::Workspace) {
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let resources: Vec<(Resource, Span)> = lowered_files(db, workspace)
        .into_iter()
        .flat_map(|lowered| lowered.resources.iter())
        .filter(|(resource, _)| seen.insert(resource.id.clone()))
        .cloned()
        .collect();
    let input = froyo_policy::input::check_document(
        workspace_hosts(db, workspace),
        resources.iter().map(|(resource, _)| resource),
    );
    let evaluation =
        loaded.set.evaluate(Stage::Check, &input, &|policy| policy.scope == Scope::Workspace);
    let placement = Placement::new(db, workspace, policies, &loaded.set);
    placement.diagnostics(db, workspace, &loaded.set, &evaluation, &resources)
}

fn has_policies(set: &PolicySet, scope: Scope) -> bool {
    set.policies.iter().any(|policy| {
        policy.check && policy.scope == scope && set.level(policy) != froyo_policy::Level::Off
    })
}

/// Where policy diagnostics go: file ids of Rego files, and the place of
/// a diagnostic that has none of its own.
struct Placement {
    /// The file id of the first workspace Rego file.
    first_rego: u32,
    /// How many built-in sources come before the workspace's in the set.
    builtin: usize,
    rego_count: usize,
    fallback: Span,
}

impl Placement {
    fn new(
        db: &dyn salsa::Database,
        workspace: Workspace,
        policies: Policies,
        set: &PolicySet,
    ) -> Placement {
        let first_rego = first_starlark_id(db, workspace) + workspace.starlark(db).len() as u32;
        let builtin = set.sources.iter().filter(|source| source.builtin).count();
        Placement {
            first_rego,
            builtin,
            rego_count: policies.files(db).len(),
            fallback: Span::new(FileId(0), 0, 0),
        }
    }

    /// The file id of source `index` of the set, if it is a workspace file.
    fn rego_file(&self, index: usize) -> Option<FileId> {
        let position = index.checked_sub(self.builtin)?;
        (position < self.rego_count).then(|| FileId(self.first_rego + position as u32))
    }

    fn diagnostics(
        &self,
        db: &dyn salsa::Database,
        workspace: Workspace,
        set: &PolicySet,
        evaluation: &froyo_policy::Evaluation,
        resources: &[(Resource, Span)],
    ) -> Vec<Diagnostic> {
        let table = FileTable::new(db, workspace);
        let text_of = |file: FileId| table.text(file);
        let mut diagnostics: Vec<Diagnostic> = evaluation
            .problems
            .iter()
            .map(|problem| {
                froyo_policy::diagnostics::problem_diagnostic(
                    set,
                    problem,
                    &|index| self.rego_file(index),
                    self.fallback,
                )
            })
            .collect();
        for finding in &evaluation.findings {
            let declared = match (&finding.resource, &finding.host) {
                (Some(id), _) => {
                    resources.iter().find(|(resource, _)| resource.id == *id).map(|(_, span)| *span)
                }
                (None, Some(name)) => host_span(db, workspace, name),
                (None, None) => None,
            };
            let span = match declared {
                Some(span) => froyo_check::locate::property_span(span, &finding.path, &text_of),
                None => self.policy_span(set, finding.policy),
            };
            let Some(mut diagnostic) =
                froyo_policy::diagnostics::finding_diagnostic(set, finding, span)
            else {
                continue;
            };
            if declared.is_none() {
                if let Some(id) = &finding.resource {
                    diagnostic =
                        diagnostic.with_note(format!("the workspace declares no resource `{id}`"));
                } else if let Some(name) = &finding.host {
                    diagnostic =
                        diagnostic.with_note(format!("the workspace declares no host `{name}`"));
                }
            }
            diagnostics.push(diagnostic);
        }
        diagnostics
    }

    /// A finding about neither a resource nor a host: at its policy's
    /// `violations` rule when that is a workspace file.
    fn policy_span(&self, set: &PolicySet, policy: usize) -> Span {
        let Some(policy) = set.policies.get(policy) else { return self.fallback };
        let Some(file) = self.rego_file(policy.source) else { return self.fallback };
        let text = &set.sources[policy.source].text;
        let line = text
            .lines()
            .position(|line| line.starts_with(Stage::Check.rule()))
            .map_or(policy.line, |index| index as u32 + 1);
        let (start, end) = froyo_policy::diagnostics::line_span(text, line, 1);
        Span::new(file, start, end)
    }
}

fn host_span(db: &dyn salsa::Database, workspace: Workspace, name: &str) -> Option<Span> {
    lowered_files(db, workspace)
        .into_iter()
        .flat_map(|lowered| lowered.hosts.iter())
        .find(|(host, _)| host.name == name)
        .map(|(_, span)| *span)
}

/// Evaluated CUE data as JSON.
pub fn data_json(data: &Data) -> Json {
    match data {
        Data::Null => Json::Null,
        Data::Bool(flag) => Json::Bool(*flag),
        Data::Number(number) => match number.to_i64() {
            Some(integer) if number.is_int() || number.is_integral() => Json::from(integer),
            _ => serde_json::Number::from_f64(number.to_f64()).map_or(Json::Null, Json::Number),
        },
        Data::String(text) => Json::String(text.clone()),
        Data::Bytes(bytes) => Json::String(String::from_utf8_lossy(bytes).into_owned()),
        Data::List(items) => Json::Array(items.iter().map(data_json).collect()),
        Data::Struct(fields) => Json::Object(
            fields.iter().map(|(name, value)| (name.clone(), data_json(value))).collect(),
        ),
    }
}

/// The IR's resources as the check-time input of the whole workspace, with
/// the workspace's policies: what `froyo policy eval` prints.
pub fn check_input(db: &dyn salsa::Database, workspace: Workspace) -> Json {
    let mut seen = std::collections::HashSet::new();
    let resources: Vec<&Resource> = lowered_files(db, workspace)
        .into_iter()
        .flat_map(|lowered| lowered.resources.iter().map(|(resource, _)| resource))
        .filter(|resource| seen.insert(resource.id.clone()))
        .collect();
    froyo_policy::input::check_input_of(workspace_hosts(db, workspace), resources.into_iter())
}
