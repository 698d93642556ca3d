//! Formatting: a CUE file in the layout of `cue fmt`, as one edit over the
//! whole file; Starlark files and files with syntax errors are left alone.

use crate::{Context, FileRange};

/// Replace `range` with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: FileRange,
    pub text: String,
}

/// The edits that format the context's file: none when it is formatted
/// already, `None` when it cannot be formatted (Starlark, syntax errors).
pub fn formatting(context: &Context<'_>) -> Option<Vec<Edit>> {
    if context.project.file(context.file)?.kind == crate::FileKind::Starlark {
        return None;
    }
    let formatted = froyo_fmt::format(context.text).ok()?;
    if formatted == context.text {
        return Some(Vec::new());
    }
    Some(vec![Edit {
        range: FileRange { file: context.file, start: 0, end: context.text.len() as u32 },
        text: formatted,
    }])
}
