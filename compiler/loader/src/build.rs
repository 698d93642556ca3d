//! Compiling the workspace at a root for the commands that need its IR
//! (`froyo build`, `froyo graph`, `froyo plan`, `froyo apply`), in one
//! call: its loading problems, compile and (when asked) check-time
//! policies, in one file table, with the IR when there is no error.

use std::path::Path;
use std::sync::Arc;

use froyo_diagnostics::{Diagnostic, Files, Severity};
use froyo_policy::PolicySet;
use froyo_policy::diagnostics::Allowance;

use crate::table::{load_workspace, sort_diagnostics};

/// A compiled workspace: what it reports and, without errors, its IR.
pub struct Built {
    pub files: Files,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The IR, when nothing reported is an error.
    pub ir: Option<froyo_ir::Ir>,
    /// The built-in and workspace policies, loaded with `policy_data`
    /// (with the IR).
    pub policies: Option<Arc<PolicySet>>,
    /// Findings of denying check-time policies that `allowances` allowed.
    pub allowed: Vec<Diagnostic>,
}

/// Loads and compiles the workspace at `root`, naming files relative to
/// `current_dir`. With `policy`, the check-time policies run too, and a
/// denying policy's finding is an error unless it is allowed.
pub fn build(
    database: &mut froyo_db::Database,
    current_dir: &Path,
    root: &Path,
    policy: Option<&[Allowance]>,
) -> Built {
    let loaded = load_workspace(database, current_dir, root);
    let compiled = froyo_db::compile_workspace(database, loaded.input);
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(compiled.diagnostics.iter().cloned());
    let mut allowed = Vec::new();
    if let Some(allowances) = policy {
        let mut found = froyo_db::policy_diagnostics(database, loaded.input, loaded.policies);
        froyo_policy::diagnostics::allow(&mut found, allowances);
        allowed.extend(found.iter().filter(|diagnostic| was_allowed(diagnostic)).cloned());
        diagnostics.extend(found);
    }
    sort_diagnostics(&mut diagnostics);
    let errors = diagnostics.iter().any(|diagnostic| diagnostic.severity == Severity::Error);
    let ir = froyo_db::workspace_ir(database, loaded.input).clone().filter(|_| !errors);
    let policies = ir
        .is_some()
        .then(|| froyo_db::policy_set(database, loaded.input, loaded.policies).set.clone());
    Built { files: loaded.files, diagnostics, ir, policies, allowed }
}

/// Whether `allow` lowered this diagnostic (it says so in its first note).
pub fn was_allowed(diagnostic: &Diagnostic) -> bool {
    diagnostic.notes.first().is_some_and(|note| note.starts_with("allowed by --allow-policy"))
}

/// The policies of the workspace at `root`, for judging a saved plan, or
/// the problems that stop them from loading cleanly (in the file table
/// returned with them).
pub fn workspace_policies(
    database: &mut froyo_db::Database,
    current_dir: &Path,
    root: &Path,
) -> Result<Arc<PolicySet>, (Files, Vec<Diagnostic>)> {
    let loaded = load_workspace(database, current_dir, root);
    let set = froyo_db::policy_set(database, loaded.input, loaded.policies).set.clone();
    if set.problems.is_empty() {
        return Ok(set);
    }
    let mut problems = froyo_db::policy_diagnostics(database, loaded.input, loaded.policies);
    problems.retain(|diagnostic| !froyo_policy::diagnostics::is_finding(diagnostic));
    Err((loaded.files, problems))
}
