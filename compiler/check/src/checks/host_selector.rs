//! A resource's host selector (`on`) matches at least one host (`E0305`, a
//! warning: the resource would be applied nowhere). Workspaces without any
//! host are not warned about: they are libraries, or not finished.

use froyo_diagnostics::{Diagnostic, registry};

use super::Context;

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    if context.ir.hosts.is_empty() {
        return Vec::new();
    }
    let mut diagnostics = Vec::new();
    for resource in &context.ir.resources {
        if context.ir.matching_hosts(&resource.on).next().is_some() {
            continue;
        }
        let selector = resource
            .on
            .iter()
            .map(|(key, value)| format!("{key}: \"{value}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let declaration = context.resource_span(&resource.id);
        let first_value = resource.on.values().next().map(String::as_str).unwrap_or("");
        let span = context.quoted_in(declaration, first_value).unwrap_or(declaration);
        let mut diagnostic = Diagnostic::new(
            &registry::SELECTOR_MATCHES_NO_HOST,
            format!("resource `{}` selects no host with `on: {{{selector}}}`", resource.id),
            span,
        )
        .with_primary_label("no host has these labels");
        let known: Vec<String> = context
            .ir
            .hosts
            .iter()
            .flat_map(|host| host.labels.iter().map(|(key, value)| format!("{key}: \"{value}\"")))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !known.is_empty() {
            diagnostic = diagnostic
                .with_note(format!("host labels in this workspace: {}", known.join(", ")));
        }
        diagnostics.push(diagnostic);
    }
    diagnostics
}
