//! The workspace compile as every host sees it: [`compile_workspace`] is
//! the pipeline's result (`workspace.rs`) with each diagnostic at the place
//! the compiler decides it belongs and with its fix
//! (`froyo_check::place`), so that `froyo check` and the editor report the
//! same locations and the editor's quick fixes come from `Diagnostic::fix`.

use froyo_check::place::{self, DeclaredFile};
use froyo_diagnostics::FileId;

use crate::declarations::{cue_declarations, starlark_declarations};
use crate::workspace::{self, Compiled, Workspace};

/// The workspace's diagnostics (warnings too) at their places, and whether
/// there is an error. The declarations are read only when a diagnostic
/// needs placing, so an edit that changes no diagnostic re-runs nothing here.
#[salsa::tracked(returns(ref))]
pub fn compile_workspace(db: &dyn salsa::Database, workspace: Workspace) -> Compiled {
    let compiled = workspace::compile_workspace(db, workspace);
    let package = *workspace.package(db);
    let imported: usize = package.imports(db).iter().map(|(_, files)| files.len()).sum();
    let stdlib_start = (package.files(db).len() + imported) as u32;
    let starlark_start = workspace::first_starlark_id(db, workspace);
    let is_stdlib = |file: FileId| (stdlib_start..starlark_start).contains(&file.0);
    if !compiled.diagnostics.iter().any(|diagnostic| place::needs_placing(diagnostic, &is_stdlib)) {
        return compiled.clone();
    }
    let cue = package.files(db).iter().enumerate().map(|(index, file)| {
        (FileId(index as u32), cue_declarations(db, *file), false, file.text(db).as_str())
    });
    let starlark = workspace.starlark(db).iter().enumerate().map(|(index, file)| {
        let id = FileId(starlark_start + index as u32);
        (id, starlark_declarations(db, *file), true, file.text(db).as_str())
    });
    let files: Vec<DeclaredFile<'_>> = cue
        .chain(starlark)
        .map(|(id, index, starlark, text)| DeclaredFile { id, index, starlark, text })
        .collect();
    let diagnostics = compiled
        .diagnostics
        .iter()
        .map(|diagnostic| {
            if place::needs_placing(diagnostic, &is_stdlib) {
                place::place(diagnostic.clone(), &files, &is_stdlib)
            } else {
                diagnostic.clone()
            }
        })
        .collect();
    Compiled { diagnostics, has_errors: compiled.has_errors }
}
