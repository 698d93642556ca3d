//! The canonical CUE formatter (placeholder until the layout engine lands).

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

/// Formats a CUE source file.
pub fn format(source: &str) -> Result<String, FormatError> {
    let parse = froyo_syntax::parse(source);
    if !parse.errors().is_empty() {
        return Err(FormatError::SyntaxErrors(parse.errors().to_vec()));
    }
    Ok(source.to_string())
}
