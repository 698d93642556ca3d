//! Syntax errors: data, not failure.

use froyo_diagnostics::{Code, Diagnostic, FileId, Span};
use rowan::TextRange;

/// One problem found while lexing or parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub code: &'static Code,
    pub message: String,
    pub range: TextRange,
    /// Other places involved, such as the bracket an unclosed block opened with.
    pub related: Vec<(TextRange, String)>,
    pub help: Option<String>,
}

impl SyntaxError {
    pub fn new(code: &'static Code, message: impl Into<String>, range: TextRange) -> SyntaxError {
        SyntaxError { code, message: message.into(), range, related: Vec::new(), help: None }
    }

    pub(crate) fn with_related(mut self, range: TextRange, message: impl Into<String>) -> Self {
        self.related.push((range, message.into()));
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The diagnostic for this error in `file`.
    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let span = |range: TextRange| Span::new(file, range.start().into(), range.end().into());
        let mut diagnostic = Diagnostic::new(self.code, self.message.clone(), span(self.range));
        for (range, message) in &self.related {
            diagnostic = diagnostic.with_secondary(span(*range), message.clone());
        }
        if let Some(help) = &self.help {
            diagnostic = diagnostic.with_help(help.clone());
        }
        diagnostic
    }
}
