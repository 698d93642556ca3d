//! Code actions: the quick fixes of the diagnostics that touch a range of
//! a file, each the `Diagnostic::fix` the compiler attached.

use froyo_diagnostics::Applicability;

use crate::format::Edit;
use crate::{Context, FileRange};

/// A quick fix: a title and the edits that make it, in any project files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    /// Whether the editor may apply it without asking (one obvious fix).
    pub preferred: bool,
    pub edits: Vec<Edit>,
}

/// The quick fixes of the diagnostics whose primary span touches
/// `start..end` of the context's file.
pub fn code_actions(context: &Context<'_>, start: u32, end: u32) -> Vec<Action> {
    let compiled = froyo_db::compile_workspace(context.db, context.project.input);
    let mut actions = Vec::new();
    for diagnostic in &compiled.diagnostics {
        let Some(diagnostic) = crate::user_diagnostic(context.project, diagnostic) else {
            continue;
        };
        let span = diagnostic.primary.span;
        if span.file.0 != context.file || span.end < start || span.start > end {
            continue;
        }
        let Some(fix) = &diagnostic.fix else { continue };
        let edits = fix
            .edits
            .iter()
            .map(|edit| Edit {
                range: FileRange {
                    file: edit.span.file.0,
                    start: edit.span.start,
                    end: edit.span.end,
                },
                text: edit.replacement.clone(),
            })
            .collect();
        actions.push(Action {
            title: fix.title.clone(),
            preferred: fix.applicability == Applicability::MachineApplicable,
            edits,
        });
    }
    actions
}
