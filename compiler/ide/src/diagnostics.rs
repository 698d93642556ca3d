//! The diagnostics an editor shows for a project: the workspace's compile
//! and its check-time policies, each at a place in a user's file.

use froyo_diagnostics::{Diagnostic, FileId, Label, Span};

use crate::{Database, FileKind, Project};

/// Every diagnostic of the project's compile and policies, in the order
/// the compiler reports them, each placed in a user's file (see
/// [`user_diagnostic`]); those that point at no user file are left out.
pub fn project_diagnostics(db: &Database, project: &Project) -> Vec<Diagnostic> {
    let compiled = froyo_db::compile_workspace(db, project.input);
    // Policies: per file where they allow, so an edit re-evaluates one file.
    let policies = froyo_db::policy_diagnostics(db, project.input, project.policies);
    compiled
        .diagnostics
        .iter()
        .chain(&policies)
        .filter_map(|diagnostic| user_diagnostic(db, project, diagnostic))
        .collect()
}

/// The diagnostic as the editor shows it: one the compiler reports at a
/// schema of the standard library (a required field nobody set) is moved to
/// the declaration it is about, the schema becoming a related location.
/// `None` when it points at no user file.
pub fn user_diagnostic(
    db: &Database,
    project: &Project,
    diagnostic: &Diagnostic,
) -> Option<Diagnostic> {
    let file = project.file(diagnostic.primary.span.file.0)?;
    if file.kind != FileKind::Stdlib {
        return Some(diagnostic.clone());
    }
    let location = crate::missing::user_location(db, project, &diagnostic.message)?;
    let mut moved = diagnostic.clone();
    let schema = std::mem::replace(
        &mut moved.primary,
        Label {
            span: Span::new(FileId(location.file), location.start, location.end),
            message: String::new(),
        },
    );
    moved
        .secondary
        .insert(0, Label { span: schema.span, message: "constraint from the schema".into() });
    Some(moved)
}
