//! `require` and `notify` name existing resources (`E0303`), with the
//! closest id suggested as a fix.

use froyo_diagnostics::{Applicability, Diagnostic, Edit, FileId, Fix, Span, registry};
use froyo_ir::Resource;

use super::Context;

/// `incomplete`: the files that stopped before declaring all they would
/// have (see [`crate::Lowered::incomplete`]).
pub fn check(context: &Context<'_>, incomplete: &[String]) -> Vec<Diagnostic> {
    let exists = |target: &str| context.ir.resource(target).is_some();
    let suggest = |target: &str| {
        let ids = context.ir.resources.iter().map(|other| other.id.as_str());
        super::did_you_mean(target, ids).map(str::to_string)
    };
    let mut diagnostics = Vec::new();
    for resource in &context.ir.resources {
        let declaration = context.resource_span(&resource.id);
        diagnostics.extend(of_resource(
            resource,
            declaration,
            &exists,
            &suggest,
            incomplete,
            context.text_of,
        ));
    }
    diagnostics
}

/// The unknown dependencies of one resource declared at `declaration`:
/// `exists` says whether an id is declared, `suggest` gives the closest
/// declared id (see [`super::did_you_mean`]), `incomplete` the files that
/// stopped early (each unknown id gets a note naming them), `text_of` a
/// file's text.
pub fn of_resource(
    resource: &Resource,
    declaration: Span,
    exists: &dyn Fn(&str) -> bool,
    suggest: &dyn Fn(&str) -> Option<String>,
    incomplete: &[String],
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let edges = resource
        .require
        .iter()
        .map(|target| ("requires", target))
        .chain(resource.notify.iter().map(|target| ("notifies", target)));
    for (kind, target) in edges {
        if exists(target) {
            continue;
        }
        let span = super::quoted_in(text_of, declaration, target).unwrap_or(declaration);
        let mut diagnostic = Diagnostic::new(
            &registry::UNKNOWN_DEPENDENCY,
            format!("resource `{}` {kind} `{target}`, which does not exist", resource.id),
            span,
        )
        .with_primary_label("no resource has this id");
        if let Some(suggestion) = suggest(target) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            if span != declaration {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("use `{suggestion}`"),
                    applicability: Applicability::MaybeIncorrect,
                    edits: vec![Edit { span, replacement: format!("\"{suggestion}\"") }],
                });
            }
        }
        if !incomplete.is_empty() {
            let files: Vec<String> = incomplete.iter().map(|path| format!("`{path}`")).collect();
            diagnostic = diagnostic.with_note(format!(
                "{} did not run to the end because of an error, so `{target}` may be declared there",
                files.join(", ")
            ));
        }
        diagnostics.push(diagnostic);
    }
    diagnostics
}
