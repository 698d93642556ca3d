//! A resource's host selector (`on`) matches at least one host (`E0305`, a
//! warning: the resource would be applied nowhere). Workspaces without any
//! host are not warned about: they are libraries, or not finished.

use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use froyo_ir::{Host, Resource};

use super::Context;

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for resource in &context.ir.resources {
        let declaration = context.resource_span(&resource.id);
        diagnostics.extend(of_resource(resource, declaration, &context.ir.hosts, context.text_of));
    }
    diagnostics
}

/// The warning for one resource declared at `declaration`, when `hosts` (all
/// of the workspace's) are not empty and none matches its selector.
pub fn of_resource(
    resource: &Resource,
    declaration: Span,
    hosts: &[&Host],
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Option<Diagnostic> {
    if hosts.is_empty() || hosts.iter().any(|host| host.matches(&resource.on)) {
        return None;
    }
    let selector = resource
        .on
        .iter()
        .map(|(key, value)| format!("{key}: \"{value}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let first_value = resource.on.values().next().map(String::as_str).unwrap_or("");
    let span = super::quoted_in(text_of, declaration, first_value).unwrap_or(declaration);
    let mut diagnostic = Diagnostic::new(
        &registry::SELECTOR_MATCHES_NO_HOST,
        format!("resource `{}` selects no host with `on: {{{selector}}}`", resource.id),
        span,
    )
    .with_primary_label("no host has these labels");
    let known: Vec<String> = hosts
        .iter()
        .flat_map(|host| host.labels.iter().map(|(key, value)| format!("{key}: \"{value}\"")))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !known.is_empty() {
        diagnostic =
            diagnostic.with_note(format!("host labels in this workspace: {}", known.join(", ")));
    }
    Some(diagnostic)
}
