//! The canonical CUE formatter behind `froyo fmt`.
//!
//! [`format`] lays a file out the way the reference `cue fmt` (CUE
//! v0.4.0-beta.1) does: tab indentation, one space after `:`, values of
//! consecutive single-line fields aligned, trailing comments aligned, blank
//! lines collapsed to one, commas only where a list or struct stays on one
//! line. It never changes meaning and never drops a comment; a file with
//! syntax errors is refused.
//!
//! It works in one pass over the lossless syntax tree: [`layout`] walks the
//! tree and feeds tokens and whitespace requests to the [`printer`], which
//! writes a layout stream with cell and block markers; [`tabwriter`] then
//! aligns the cells (elastic tabstops) into the final text.
//!
//! Start reading at [`format`], then `layout.rs`.

mod layout;
mod printer;
mod tabwriter;

use std::fmt;

/// Why a source could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The source has syntax errors; formatting it could change its meaning.
    SyntaxErrors(Vec<froyo_syntax::SyntaxError>),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::SyntaxErrors(errors) => write!(f, "{} syntax error(s)", errors.len()),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats a CUE source file.
pub fn format(source: &str) -> Result<String, FormatError> {
    let parse = froyo_syntax::parse(source);
    if !parse.errors().is_empty() {
        return Err(FormatError::SyntaxErrors(parse.errors().to_vec()));
    }
    let root = parse.syntax_node();
    let mut layout = layout::Layout::new(source);
    layout.source_file(&root);
    layout.finish(root.text_range().end());
    Ok(tabwriter::align(&layout.p.out))
}
