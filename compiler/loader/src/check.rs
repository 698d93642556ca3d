//! What `froyo check` reports, in one call: the syntax errors of every CUE
//! file read, then, for each workspace the files belong to, its compile
//! (evaluation, Starlark, schemas, ids, dependencies, selectors, cycles) and
//! its check-time policies, all in one file table.
//!
//! The command line parses its arguments, reads the files they name
//! ([`crate::read_sources`]) and prints what this returns.

use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, Files};
use froyo_policy::diagnostics::Allowance;

use crate::table::{load_workspace_over, move_diagnostics, sort_diagnostics};
use crate::{Overlay, Sources};

/// What a check found: every diagnostic, sorted by file and position, and
/// the file table they point into.
pub struct Checked {
    pub files: Files,
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were checked (read or not).
    pub file_count: usize,
}

/// Checks the files of `sources` and the workspaces at `roots` (see
/// [`crate::workspace_roots`]). A denying policy's finding is an error
/// unless `allowances` allow it. Syntax errors are reported once, and so
/// are files that could not be read.
pub fn check(
    database: &mut froyo_db::Database,
    current_dir: &Path,
    sources: Sources,
    roots: &[PathBuf],
    allowances: &[Allowance],
) -> Checked {
    let mut diagnostics = sources.diagnostics.clone();
    for file in &sources.loaded {
        // What a workspace compile refuses to evaluate is not parsed either.
        let size = sources.text(file).len();
        if size > froyo_db::MAX_COMPILED_FILE_BYTES {
            diagnostics.push(froyo_db::too_large(sources.name(file), size, file.id));
            continue;
        }
        let input = froyo_db::SourceFile::new(
            database,
            sources.name(file).to_string(),
            sources.text(file).to_string(),
        );
        diagnostics.extend(froyo_db::syntax_diagnostics_in(database, input, file.id));
    }
    // The workspaces' files that were read already are not read again.
    let mut read = Overlay::new();
    for file in &sources.loaded {
        read.set(file.path.clone(), sources.text(file));
    }
    let mut files = sources.files;
    let mut file_count = sources.file_count;
    for root in roots {
        let loaded = load_workspace_over(database, current_dir, root, &read);
        file_count += loaded.starlark_files;
        let mut found = loaded.diagnostics.clone();
        found.extend(
            froyo_db::compile_workspace(database, loaded.input).diagnostics.iter().cloned(),
        );
        let mut policies = froyo_db::policy_diagnostics(database, loaded.input, loaded.policies);
        froyo_policy::diagnostics::allow(&mut policies, allowances);
        found.extend(policies);
        // Syntax errors of CUE files were reported above.
        let found = found.into_iter().filter(|diagnostic| !diagnostic.code.code.starts_with("E00"));
        // Files that could not be read were reported by the first step too.
        for diagnostic in move_diagnostics(&loaded.files, &mut files, found.collect()) {
            let known = diagnostics.iter().any(|existing| {
                existing.code == diagnostic.code
                    && existing.message == diagnostic.message
                    && existing.primary.span == diagnostic.primary.span
            });
            if !known {
                diagnostics.push(diagnostic);
            }
        }
    }
    sort_diagnostics(&mut diagnostics);
    Checked { files, diagnostics, file_count }
}
