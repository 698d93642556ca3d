//! The diagnostics an editor shows for a project: the workspace's compile
//! and its check-time policies, at the places the compiler gave them (the
//! same as `froyo check` prints).

use froyo_diagnostics::Diagnostic;

use crate::{Database, FileKind, Project};

/// Every diagnostic of the project's compile and policies, in the order
/// the compiler reports them; those that point at no user file are left
/// out (see [`user_diagnostic`]).
pub fn project_diagnostics(db: &Database, project: &Project) -> Vec<Diagnostic> {
    let compiled = froyo_db::compile_workspace(db, project.input);
    // Policies: per file where they allow, so an edit re-evaluates one file.
    let policies = froyo_db::policy_diagnostics(db, project.input, project.policies);
    compiled
        .diagnostics
        .iter()
        .chain(&policies)
        .filter_map(|diagnostic| user_diagnostic(project, diagnostic))
        .collect()
}

/// The diagnostic, when its primary span is in a file of the project the
/// user can edit (not the standard library). The compiler already moved
/// what it reported at a schema to the declaration it is about.
pub fn user_diagnostic(project: &Project, diagnostic: &Diagnostic) -> Option<Diagnostic> {
    let file = project.file(diagnostic.primary.span.file.0)?;
    (file.kind != FileKind::Stdlib).then(|| diagnostic.clone())
}
