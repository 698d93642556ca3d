//! The CUE parser: tokens to a lossless rowan tree, recovering from errors.
//!
//! A hand-written recursive-descent parser with precedence climbing for binary
//! operators. It builds the green tree directly, attaching trivia as it goes:
//! trivia before a token that starts a node are placed outside that node.
//!
//! Automatic commas follow the CUE specification: a newline ends a
//! declaration or list element when the last token of the line is an
//! identifier, a literal, `null`/`true`/`false`, `_|_`, an attribute, `...`,
//! `?`, or one of `)`, `]`, `}`. The parser reads that as a separator without
//! a token in the tree.
//!
//! Recovery: every loop consumes at least one token per iteration; a token
//! that fits nowhere is wrapped in an `ERROR` node with one diagnostic, and
//! parsing resumes at the next declaration. Nesting is capped at
//! [`MAX_NESTING`], past which the rest of the nested region is skipped.

mod grammar;

use froyo_diagnostics::{Code, registry};
use rowan::{Checkpoint, GreenNode, GreenNodeBuilder, TextRange, TextSize};

use crate::{
    SyntaxError, SyntaxKind,
    SyntaxKind::*,
    SyntaxNode,
    lexer::{self, Token},
};

/// How deep brackets, unary operators and operator chains may nest.
pub const MAX_NESTING: u32 = 512;

/// The result of parsing: a tree that always covers the whole input, and the
/// errors found on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parse {
    green: GreenNode,
    errors: Vec<SyntaxError>,
}

impl Parse {
    /// The root `SOURCE_FILE` node.
    pub fn syntax_node(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    pub fn green(&self) -> &GreenNode {
        &self.green
    }

    /// Lexical and syntax errors, in source order.
    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }

    /// The typed root.
    pub fn tree(&self) -> crate::ast::SourceFile {
        crate::ast::SourceFile { syntax: self.syntax_node() }
    }

    /// A readable dump of the tree and its errors, for tests.
    pub fn debug_dump(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let mut depth = 0usize;
        for event in self.syntax_node().preorder_with_tokens() {
            match event {
                rowan::WalkEvent::Enter(element) => {
                    let _ = write!(out, "{:indent$}", "", indent = depth * 2);
                    match element {
                        rowan::NodeOrToken::Node(node) => {
                            let _ = writeln!(out, "{:?}@{:?}", node.kind(), node.text_range());
                            depth += 1;
                        }
                        rowan::NodeOrToken::Token(token) => {
                            let _ = writeln!(
                                out,
                                "{:?}@{:?} {:?}",
                                token.kind(),
                                token.text_range(),
                                token.text()
                            );
                        }
                    }
                }
                rowan::WalkEvent::Leave(rowan::NodeOrToken::Node(_)) => depth -= 1,
                rowan::WalkEvent::Leave(rowan::NodeOrToken::Token(_)) => {}
            }
        }
        for error in &self.errors {
            let _ = writeln!(out, "error {:?} {}: {}", error.range, error.code.code, error.message);
        }
        out
    }
}

/// Parses a CUE source file. Never fails; see [`Parse::errors`].
pub fn parse(text: &str) -> Parse {
    let (tokens, lex_errors) = lexer::tokenize(text);
    let mut parser = Parser::new(text, &tokens);
    grammar::source_file(&mut parser);
    let (green, mut errors) = parser.finish();
    errors.extend(lex_errors);
    errors.sort_by_key(|error| (error.range.start(), error.range.end()));
    Parse { green, errors }
}

/// Marks the end of input in lookahead.
const EOF: SyntaxKind = SyntaxKind::__LAST;

/// A significant (non-trivia) token as the parser sees it.
#[derive(Clone, Copy)]
struct Significant {
    kind: SyntaxKind,
    /// Index into the full token list.
    raw: u32,
    start: u32,
    end: u32,
    /// A newline separates this token from the previous significant one, and
    /// that token allows an automatic comma after it.
    implicit_comma_before: bool,
}

fn allows_comma_after(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        IDENT
            | INT_NUMBER
            | FLOAT_NUMBER
            | STRING
            | INTERP_END
            | BOTTOM
            | NULL_KW
            | TRUE_KW
            | FALSE_KW
            | R_PAREN
            | R_BRACK
            | R_CURLY
            | QUESTION
            | ELLIPSIS
            | ATTRIBUTE
    )
}

pub(crate) struct Parser<'t> {
    text: &'t str,
    tokens: &'t [Token],
    /// Start offsets of every raw token.
    offsets: Vec<u32>,
    significant: Vec<Significant>,
    /// The next significant token.
    pos: usize,
    /// The next raw token not yet added to the tree.
    raw: usize,
    builder: GreenNodeBuilder<'static>,
    errors: Vec<SyntaxError>,
    depth: u32,
    /// Whether the nesting error was reported already (once per file).
    reported_nesting: bool,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str, tokens: &'t [Token]) -> Parser<'t> {
        let mut offsets = Vec::with_capacity(tokens.len() + 1);
        let mut significant: Vec<Significant> = Vec::with_capacity(tokens.len() / 2 + 1);
        let mut offset = 0u32;
        let mut newline_seen = false;
        for (index, token) in tokens.iter().enumerate() {
            offsets.push(offset);
            let end = offset + token.len;
            // Invalid characters were reported by the lexer; the grammar
            // skips them like trivia so one stray byte gives one diagnostic.
            if token.kind.is_trivia() || token.kind == ERROR_TOKEN {
                if token.kind == WHITESPACE
                    && text.as_bytes()[offset as usize..end as usize].contains(&b'\n')
                {
                    newline_seen = true;
                }
            } else {
                let implicit_comma_before = newline_seen
                    && significant.last().is_some_and(|previous| allows_comma_after(previous.kind));
                significant.push(Significant {
                    kind: token.kind,
                    raw: index as u32,
                    start: offset,
                    end,
                    implicit_comma_before,
                });
                newline_seen = false;
            }
            offset = end;
        }
        offsets.push(offset);
        Parser {
            text,
            tokens,
            offsets,
            significant,
            pos: 0,
            raw: 0,
            builder: GreenNodeBuilder::new(),
            errors: Vec::new(),
            depth: 0,
            reported_nesting: false,
        }
    }

    fn finish(self) -> (GreenNode, Vec<SyntaxError>) {
        (self.builder.finish(), self.errors)
    }

    // ---- lookahead

    pub(crate) fn nth(&self, n: usize) -> SyntaxKind {
        self.significant.get(self.pos + n).map_or(EOF, |token| token.kind)
    }

    pub(crate) fn current(&self) -> SyntaxKind {
        self.nth(0)
    }

    pub(crate) fn at(&self, kind: SyntaxKind) -> bool {
        self.current() == kind
    }

    pub(crate) fn at_eof(&self) -> bool {
        self.pos >= self.significant.len()
    }

    /// The text of the `n`th significant token ahead.
    pub(crate) fn nth_text(&self, n: usize) -> &'t str {
        self.significant
            .get(self.pos + n)
            .map_or("", |token| &self.text[token.start as usize..token.end as usize])
    }

    /// Whether a newline before the current token acts as a comma.
    pub(crate) fn at_implicit_comma(&self) -> bool {
        self.significant.get(self.pos).is_some_and(|token| token.implicit_comma_before)
    }

    /// Whether the current token ends an element: `,`, an automatic comma,
    /// the end of input, or one of `closers`.
    pub(crate) fn at_separator(&self, closers: &[SyntaxKind]) -> bool {
        self.at(COMMA)
            || self.at_eof()
            || self.at_implicit_comma()
            || closers.contains(&self.current())
    }

    /// The kind of the `n`th significant token from absolute index `index`.
    pub(crate) fn kind_at(&self, index: usize) -> SyntaxKind {
        self.significant.get(index).map_or(EOF, |token| token.kind)
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn current_range(&self) -> TextRange {
        match self.significant.get(self.pos) {
            Some(token) => TextRange::new(TextSize::from(token.start), TextSize::from(token.end)),
            None => {
                let end = TextSize::from(self.text.len() as u32);
                TextRange::new(end, end)
            }
        }
    }

    /// Where an "expected …" error points: at the current token if it is on
    /// the same line, else just after the previous token.
    pub(crate) fn expected_range(&self) -> TextRange {
        let on_new_line = self.at_eof() || self.significant[self.pos].implicit_comma_before;
        match (on_new_line, self.pos.checked_sub(1).and_then(|i| self.significant.get(i))) {
            (true, Some(previous)) => {
                let end = TextSize::from(previous.end);
                TextRange::new(end, end)
            }
            _ => self.current_range(),
        }
    }

    // ---- building

    /// Adds the trivia before the current significant token to the tree.
    fn flush_trivia(&mut self) {
        let until =
            self.significant.get(self.pos).map_or(self.tokens.len(), |token| token.raw as usize);
        while self.raw < until {
            self.push_raw(None);
        }
    }

    fn push_raw(&mut self, remap: Option<SyntaxKind>) {
        let token = self.tokens[self.raw];
        let start = self.offsets[self.raw] as usize;
        let text = &self.text[start..start + token.len as usize];
        self.builder.token(remap.unwrap_or(token.kind).into(), text);
        self.raw += 1;
    }

    /// Adds all remaining tokens, trivia included (at the end of the file).
    pub(crate) fn flush_all(&mut self) {
        while self.raw < self.tokens.len() {
            self.push_raw(None);
        }
    }

    pub(crate) fn bump(&mut self) {
        self.bump_as(None);
    }

    pub(crate) fn bump_remap(&mut self, kind: SyntaxKind) {
        self.bump_as(Some(kind));
    }

    fn bump_as(&mut self, remap: Option<SyntaxKind>) {
        if self.at_eof() {
            return;
        }
        self.flush_trivia();
        self.push_raw(remap);
        self.pos += 1;
    }

    pub(crate) fn eat(&mut self, kind: SyntaxKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Starts the root node, before any trivia.
    pub(crate) fn start_root(&mut self) {
        self.builder.start_node(SOURCE_FILE.into());
    }

    pub(crate) fn start(&mut self, kind: SyntaxKind) {
        self.flush_trivia();
        self.builder.start_node(kind.into());
    }

    pub(crate) fn finish_node(&mut self) {
        self.builder.finish_node();
    }

    pub(crate) fn checkpoint(&mut self) -> Checkpoint {
        self.flush_trivia();
        self.builder.checkpoint()
    }

    pub(crate) fn start_at(&mut self, checkpoint: Checkpoint, kind: SyntaxKind) {
        self.builder.start_node_at(checkpoint, kind.into());
    }

    // ---- errors

    pub(crate) fn last_error_mut(&mut self) -> Option<&mut SyntaxError> {
        self.errors.last_mut()
    }

    pub(crate) fn push_error(&mut self, error: SyntaxError) {
        self.errors.push(error);
    }

    /// Reports that `what` was expected at the current position.
    pub(crate) fn error_expected(&mut self, what: &str) {
        let found = if self.at_eof() {
            "end of file".to_string()
        } else if self.at_implicit_comma() {
            "newline".to_string()
        } else {
            self.found_description()
        };
        let range = self.expected_range();
        self.push_error(SyntaxError::new(
            &registry::UNEXPECTED_TOKEN,
            format!("expected {what}, found {found}"),
            range,
        ));
    }

    pub(crate) fn found_description(&self) -> String {
        let kind = self.current();
        match kind {
            IDENT => format!("identifier '{}'", self.nth_text(0)),
            INT_NUMBER | FLOAT_NUMBER | STRING => {
                format!("{} {}", kind.describe(), truncate(self.nth_text(0)))
            }
            EOF => "end of file".to_string(),
            _ => kind.describe().to_string(),
        }
    }

    /// Reports an error at the current token and wraps it in an `ERROR` node.
    pub(crate) fn error_and_bump(&mut self, code: &'static Code, message: String) {
        let range = self.current_range();
        self.push_error(SyntaxError::new(code, message, range));
        if self.at_eof() {
            return;
        }
        self.start(ERROR);
        self.bump_balanced();
        self.finish_node();
    }

    /// Bumps one token; an opening bracket takes everything up to its match.
    pub(crate) fn bump_balanced(&mut self) {
        let mut stack: Vec<SyntaxKind> = Vec::new();
        loop {
            match self.current() {
                L_CURLY | L_BRACK | L_PAREN | INTERP_START => stack.push(self.current()),
                R_CURLY | R_BRACK | R_PAREN | INTERP_END => {
                    stack.pop();
                }
                EOF => return,
                _ => {}
            }
            self.bump();
            if stack.is_empty() {
                return;
            }
        }
    }

    /// Enters one nesting level. Returns false (after reporting once) when the
    /// cap is reached; the caller must then skip instead of recursing.
    pub(crate) fn enter(&mut self) -> bool {
        if self.depth >= MAX_NESTING {
            if !self.reported_nesting {
                self.reported_nesting = true;
                let range = self.current_range();
                self.push_error(
                    SyntaxError::new(
                        &registry::NESTING_TOO_DEEP,
                        format!("nesting deeper than {MAX_NESTING} levels"),
                        range,
                    )
                    .with_help("name inner values as separate fields to flatten the structure"),
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn sub_depth(&mut self, levels: u32) {
        self.depth = self.depth.saturating_sub(levels);
    }
}

fn truncate(text: &str) -> String {
    let mut shown: String = text.chars().take(24).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests;
