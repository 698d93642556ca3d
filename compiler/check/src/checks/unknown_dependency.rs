//! `require` and `notify` name existing resources (`E0303`), with the
//! closest id suggested as a fix.

use froyo_diagnostics::{Applicability, Diagnostic, Edit, Fix, registry};

use super::Context;

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for resource in &context.ir.resources {
        let edges = resource
            .require
            .iter()
            .map(|target| ("requires", target))
            .chain(resource.notify.iter().map(|target| ("notifies", target)));
        for (kind, target) in edges {
            if context.ir.resource(target).is_some() {
                continue;
            }
            let declaration = context.resource_span(&resource.id);
            let span = context.quoted_in(declaration, target).unwrap_or(declaration);
            let mut diagnostic = Diagnostic::new(
                &registry::UNKNOWN_DEPENDENCY,
                format!("resource `{}` {kind} `{target}`, which does not exist", resource.id),
                span,
            )
            .with_primary_label("no resource has this id");
            let ids = context.ir.resources.iter().map(|other| other.id.as_str());
            if let Some(suggestion) = super::did_you_mean(target, ids) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                if span != declaration {
                    diagnostic = diagnostic.with_fix(Fix {
                        title: format!("use `{suggestion}`"),
                        applicability: Applicability::MaybeIncorrect,
                        edits: vec![Edit { span, replacement: format!("\"{suggestion}\"") }],
                    });
                }
            }
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}
