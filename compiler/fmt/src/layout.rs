//! The layout walk: one pass over the syntax tree that prints every token
//! through the [`Printer`], deciding spacing, line breaks, indentation and
//! which lines take part in alignment, the way `cue fmt` lays out CUE.
//!
//! Comments are printed when the walk reaches them: a comment on the same line
//! as the previous token stays there as a trailing comment (aligned in its own
//! column); a comment on its own line keeps its own line and any blank line
//! before it.

// This walks user-shaped trees: never panic on them.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable)]

use froyo_syntax::{SyntaxElement, SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken, TextSize};

use crate::printer::*;

const LOWEST_PREC: u8 = 0;
const UNARY_PREC: u8 = 8;
const HIGHEST_PREC: u8 = 9;

pub(crate) struct Layout<'a> {
    pub(crate) p: Printer,
    source: &'a str,
    /// Source offset up to which comments and tokens have been handled.
    cursor: TextSize,
    last_was_line_comment: bool,
    /// Inside a one-line struct with at most one declaration: separators are blanks.
    sep_blank: bool,
    /// Memoized [`walk_binary`] results by node range, so long operator chains stay linear.
    walk_cache: std::collections::HashMap<(u32, u32), (bool, bool, bool, u8)>,
}

fn significant(node: &SyntaxNode) -> impl Iterator<Item = SyntaxElement> {
    node.children_with_tokens().filter(|element| !element.kind().is_trivia())
}

fn first_token_kind(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|element| element.into_token())
        .find(|token| token.kind() == kind)
}

/// The spacing before the token starting at `offset`, as the CUE scanner records it:
/// a blank line, a line break, spaces, or nothing.
fn rel_before(source: &[u8], offset: usize) -> Rel {
    let (mut newlines, mut spaces) = (0, 0);
    let mut index = offset.min(source.len());
    while index > 0 {
        match source[index - 1] {
            b'\n' => newlines += 1,
            b' ' | b'\t' => spaces += 1,
            b'\r' => {}
            _ => break,
        }
        index -= 1;
    }
    match (newlines, spaces) {
        (0, 0) => Rel::NoSpace,
        (0, _) => Rel::Blank,
        (1, _) => Rel::Newline,
        _ => Rel::NewSection,
    }
}

fn precedence(kind: SyntaxKind) -> u8 {
    match kind {
        PIPE => 1,
        AMP => 2,
        PIPE2 => 3,
        AMP2 => 4,
        EQ2 | NEQ | LT | LTEQ | GT | GTEQ | MATCH | NOT_MATCH => 5,
        PLUS | MINUS => 6,
        STAR | SLASH | DIV_KW | MOD_KW | QUO_KW | REM_KW => 7,
        _ => 0,
    }
}

fn last_of(kind: SyntaxKind) -> Last {
    match kind {
        PLUS => Last::Plus,
        MINUS => Last::Minus,
        SLASH => Last::Slash,
        _ => Last::Other,
    }
}

/// The operator and operands of a binary expression.
fn binary_parts(node: &SyntaxNode) -> Option<(SyntaxNode, SyntaxToken, SyntaxNode)> {
    let mut operands = node.children();
    let left = operands.next()?;
    let right = operands.next()?;
    let op = node
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !t.kind().is_trivia())?;
    Some((left, op, right))
}

/// The value of a field: the expression or nested field after the colon.
fn field_value(field: &SyntaxNode) -> Option<SyntaxNode> {
    field.children().find(|child| child.kind() != LABEL)
}

fn nest_depth(field: &SyntaxNode) -> usize {
    let mut depth = 1;
    match field_value(field) {
        Some(value) if value.kind() == FIELD => depth += nest_depth(&value),
        Some(value) if value.kind() == STRUCT_LIT => {
            let decls: Vec<SyntaxNode> = value.children().collect();
            if decls.len() != 1 {
                depth = 0;
            } else if decls[0].kind() == FIELD {
                depth += nest_depth(&decls[0]);
            }
        }
        _ => {}
    }
    depth
}

fn is_multiline_string(node: &SyntaxNode) -> bool {
    node.kind() == LITERAL
        && node.first_token().is_some_and(|t| t.kind() == STRING && t.text().contains('\n'))
}

fn is_definition_label(field: &SyntaxNode) -> bool {
    field
        .children()
        .find(|c| c.kind() == LABEL)
        .and_then(|label| {
            label
                .children_with_tokens()
                .filter_map(|e| e.into_token())
                .filter(|t| t.kind() == IDENT)
                .last()
        })
        .is_some_and(|ident| ident.text().starts_with('#') || ident.text().starts_with("_#"))
}

impl<'a> Layout<'a> {
    pub(crate) fn new(source: &'a str) -> Layout<'a> {
        Layout {
            p: Printer::new(source.len() + source.len() / 4),
            source,
            cursor: TextSize::from(0),
            last_was_line_comment: false,
            sep_blank: false,
            walk_cache: std::collections::HashMap::new(),
        }
    }

    /// The spacing before `token` in the source.
    fn rel(&self, token: &SyntaxToken) -> Rel {
        rel_before(self.source.as_bytes(), usize::from(token.text_range().start()))
    }

    fn node_rel(&self, node: &SyntaxNode) -> Rel {
        rel_before(self.source.as_bytes(), usize::from(node.text_range().start()))
    }

    // ----- comments -----------------------------------------------------

    /// Whether a declaration has comments: a comment group on the line(s)
    /// directly above it, or a comment after it on its last line.
    fn has_comments(&self, node: &SyntaxNode) -> bool {
        let bytes = self.source.as_bytes();
        let range = node.text_range();
        let mut index = usize::from(range.start());
        let mut newlines = 0;
        while index > 0 && matches!(bytes[index - 1], b' ' | b'\t' | b'\r' | b'\n') {
            if bytes[index - 1] == b'\n' {
                newlines += 1;
            }
            index -= 1;
        }
        if newlines == 1 {
            let line_start = bytes[..index].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            if self.source[line_start..index].trim_start().starts_with("//") {
                return true;
            }
        }
        let mut index = usize::from(range.end());
        while index < bytes.len() && matches!(bytes[index], b' ' | b'\t' | b'\r' | b',') {
            index += 1;
        }
        bytes[index..].starts_with(b"//")
    }

    /// Prints the comments between the cursor and `until` (a token start), and
    /// moves the cursor there. Only whitespace, commas and comments lie between.
    fn flush_comments(&mut self, until: TextSize, closer_follows: bool) {
        let bytes = self.source.as_bytes();
        let mut index = usize::from(self.cursor);
        let until_index = usize::from(until).min(bytes.len());
        while index < until_index {
            if bytes[index] == b'/' && bytes.get(index + 1) == Some(&b'/') {
                let end = bytes[index..until_index]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(until_index, |p| index + p);
                self.comment(index, end, closer_follows);
                index = end;
            } else {
                index += 1;
            }
        }
        if self.cursor < until {
            self.cursor = until;
        }
    }

    fn comment(&mut self, start: usize, end: usize, closer_follows: bool) {
        let source = self.source;
        let text = source[start..end].trim_end_matches('\r');
        let rel = rel_before(source.as_bytes(), start);
        if rel <= Rel::Blank && !self.p.out.is_empty() {
            // A trailing comment on the line of the previous token.
            let keep = self.p.allowed & (NEWLINE | FORMFEED | NEWSECTION);
            self.p.allowed |= BLANK;
            self.p.allowed &= !(NEWLINE | NEWSECTION | FORMFEED | DECLCOMMA);
            self.p.ws(VTAB);
            self.p.rel(Rel::Blank);
            self.p.text(text, false, Last::Comment);
            self.p.ws(NEWLINE | keep);
            self.last_was_line_comment = true;
        } else {
            if closer_follows && self.last_was_line_comment {
                self.p.ws(NEWSECTION);
            }
            if !self.p.out.is_empty() {
                self.p.ws(NEWLINE);
            }
            self.p.rel(rel);
            self.p.text(text, false, Last::Comment);
            self.p.ws(NEWLINE);
            self.last_was_line_comment = false;
        }
    }

    /// Prints comments on the same line after the element just printed.
    fn trailing_comments(&mut self) {
        let bytes = self.source.as_bytes();
        let mut index = usize::from(self.cursor);
        while index < bytes.len() && matches!(bytes[index], b' ' | b'\t' | b'\r' | b',') {
            index += 1;
        }
        if bytes[index..].starts_with(b"//") {
            let end =
                bytes[index..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| index + p);
            self.flush_comments(TextSize::from(end as u32), false);
        }
    }

    /// Prints a source token with its source spacing.
    fn tok(&mut self, token: &SyntaxToken) {
        self.before_token(token);
        self.p.rel(self.rel(token));
        let last = match token.kind() {
            R_CURLY => Last::RCurly,
            R_BRACK => Last::RBrack,
            INT_NUMBER => Last::Int,
            kind => last_of(kind),
        };
        self.p.text(token.text(), false, last);
    }

    fn before_token(&mut self, token: &SyntaxToken) {
        let closer = matches!(token.kind(), R_CURLY | R_BRACK | R_PAREN);
        self.flush_comments(token.text_range().start(), closer);
        self.advance_past(token);
        self.last_was_line_comment = false;
    }

    pub(crate) fn finish(&mut self, end: TextSize) {
        self.flush_comments(end + TextSize::from(1), true);
        self.p.eof();
    }

    // ----- declarations ---------------------------------------------------

    pub(crate) fn source_file(&mut self, file: &SyntaxNode) {
        let decls: Vec<SyntaxNode> = file.children().collect();
        self.decl_list(&decls, false);
    }

    fn decl_list(&mut self, decls: &[SyntaxNode], sep_blank: bool) {
        let formfeed = if sep_blank { BLANK } else { FORMFEED };
        let parent_sep = if sep_blank { BLANK } else { NEWLINE };
        let mut depth = 0;
        let mut next_depth = 0;
        for (index, decl) in decls.iter().enumerate() {
            if index == 0 {
                next_depth = if decl.kind() == FIELD { nest_depth(decl) } else { 0 };
            }
            if index > 0 {
                self.p.ws(DECLCOMMA);
                next_depth = if decl.kind() == FIELD { nest_depth(decl) } else { 0 };
                if !sep_blank && (depth == 0 || next_depth != depth) {
                    self.p.ws(formfeed);
                }
                if self.has_comments(decl) {
                    let previous = &decls[index - 1];
                    if previous.kind() != FIELD || is_definition_label(previous) {
                        self.p.ws(NEWSECTION);
                    }
                }
            }
            self.decl(decl);
            self.trailing_comments();
            depth = next_depth;
            if let Some(next) = decls.get(index + 1)
                && next.kind() == FIELD
                && field_value(next).is_some_and(|v| matches!(v.kind(), STRUCT_LIT | LIST_LIT))
            {
                self.p.ws(formfeed);
                continue;
            }
            self.p.ws(parent_sep);
        }
    }

    fn decl(&mut self, decl: &SyntaxNode) {
        match decl.kind() {
            FIELD => self.field(decl),
            PACKAGE_CLAUSE => {
                for element in significant(decl) {
                    match element {
                        SyntaxElement::Token(token) if token.kind() == PACKAGE_KW => {
                            self.tok(&token)
                        }
                        SyntaxElement::Token(token) => {
                            self.p.ws(BLANK);
                            self.tok(&token);
                        }
                        SyntaxElement::Node(node) => {
                            self.p.ws(BLANK);
                            self.expr(&node);
                        }
                    }
                }
                self.p.ws(NEWSECTION | NOOVERRIDE);
            }
            IMPORT_DECL => self.import_decl(decl),
            ATTRIBUTE_DECL => {
                for element in significant(decl) {
                    if let SyntaxElement::Token(token) = element {
                        self.tok(&token);
                    }
                }
            }
            LET_CLAUSE => {
                if self.node_rel(decl) >= Rel::Newline {
                    self.p.ws(FORMFEED);
                }
                self.let_clause(decl, false);
                self.p.ws(DECLCOMMA);
            }
            EMBEDDING => {
                if self.node_rel(decl) >= Rel::Newline {
                    self.p.ws(FORMFEED);
                }
                for element in significant(decl) {
                    if let SyntaxElement::Node(node) = element {
                        self.list_element(&node);
                    }
                }
                self.p.ws(NEWLINE | NOBLANK);
            }
            COMPREHENSION => {
                if self.node_rel(decl) >= Rel::Newline {
                    self.p.ws(FORMFEED);
                }
                self.comprehension(decl);
            }
            ELLIPSIS_DECL => self.ellipsis(decl),
            _ => self.raw(decl),
        }
    }

    /// Prints a node's tokens with their source spacing (fallback).
    fn raw(&mut self, node: &SyntaxNode) {
        for element in significant(node) {
            match element {
                SyntaxElement::Token(token) => self.tok(&token),
                SyntaxElement::Node(child) => self.raw(&child),
            }
        }
    }

    fn import_decl(&mut self, decl: &SyntaxNode) {
        let specs: Vec<SyntaxNode> = decl.children().filter(|c| c.kind() == IMPORT_SPEC).collect();
        let lparen = first_token_kind(decl, L_PAREN);
        let rparen = first_token_kind(decl, R_PAREN);
        if let Some(keyword) = first_token_kind(decl, IMPORT_KW) {
            self.tok(&keyword);
        }
        let single_comment = specs.len() == 1 && self.has_comments(&specs[0]);
        if specs.len() == 1 && !single_comment && lparen.is_none() {
            self.p.ws(BLANK);
            self.import_spec(&specs[0]);
        } else {
            self.p.ws(BLANK);
            match &lparen {
                Some(token) => self.tok(token),
                None => self.p.text("(", false, Last::Other),
            }
            self.p.ws(NEWLINE | INDENT);
            for spec in &specs {
                self.import_spec(spec);
                self.trailing_comments();
            }
            self.p.ws(UNINDENT | NEWLINE);
            match &rparen {
                Some(token) => self.tok(token),
                None => self.p.text(")", false, Last::Other),
            }
            self.p.ws(NEWLINE);
        }
        self.p.ws(NEWSECTION | NOOVERRIDE);
    }

    fn import_spec(&mut self, spec: &SyntaxNode) {
        for element in significant(spec) {
            if let SyntaxElement::Token(token) = element {
                if token.kind() == IDENT {
                    self.tok(&token);
                    self.p.ws(BLANK);
                } else {
                    self.tok_literal(&token);
                }
            }
        }
        self.p.ws(NEWLINE);
    }

    fn field(&mut self, field: &SyntaxNode) {
        let mut value = None;
        let mut attributes = Vec::new();
        for element in significant(field) {
            match element {
                SyntaxElement::Node(node) if node.kind() == LABEL => self.label(&node),
                SyntaxElement::Node(node) => value = Some(node),
                SyntaxElement::Token(token) if token.kind() == COLON => {
                    self.p.ws(NOBLANK | NOOVERRIDE);
                    self.tok(&token);
                }
                SyntaxElement::Token(token) if token.kind() == ATTRIBUTE => attributes.push(token),
                SyntaxElement::Token(token) => self.tok(&token),
            }
        }
        let Some(value) = value else { return };
        if value.kind() == FIELD && attributes.is_empty() {
            if self.node_rel(&value) >= Rel::Newline {
                self.p.ws(INDENT | FORMFEED);
                self.field(&value);
                self.p.mark_unindent_line();
            } else {
                self.p.ws(BLANK | NOOVERRIDE);
                self.field(&value);
            }
            return;
        }
        let next_formfeed =
            matches!(value.kind(), STRUCT_LIT | LIST_LIT) || is_multiline_string(&value);
        let tab = if next_formfeed { BLANK } else { VTAB };
        self.p.ws(tab);
        if matches!(value.kind(), STRUCT_LIT | LIST_LIT) {
            self.expr(&value);
        } else {
            self.p.ws(INDENT);
            self.expr(&value);
            self.p.mark_unindent_line();
        }
        let mut space = tab;
        for attribute in &attributes {
            self.p.ws(space);
            self.tok_literal(attribute);
            space = BLANK;
        }
        if next_formfeed {
            self.p.ws(FORMFEED);
        }
    }

    fn label(&mut self, label: &SyntaxNode) {
        for element in significant(label) {
            match element {
                SyntaxElement::Token(token) => match token.kind() {
                    QUESTION | BANG => {
                        self.before_token(&token);
                        self.p.text(token.text(), false, Last::Other);
                    }
                    STRING => self.tok_literal(&token),
                    _ => self.tok(&token),
                },
                SyntaxElement::Node(node) => match node.kind() {
                    PATTERN_LABEL => self.list(&node),
                    _ => self.expr(&node),
                },
            }
        }
    }

    fn ellipsis(&mut self, node: &SyntaxNode) {
        for element in significant(node) {
            match element {
                SyntaxElement::Token(token) => self.tok(&token),
                SyntaxElement::Node(child) => {
                    let is_top = child.kind() == NAME_REF && child.text() == "_";
                    if !is_top {
                        self.expr(&child);
                    } else {
                        self.skip(&child);
                    }
                }
            }
        }
    }

    /// Passes over a node without printing it (its comments still print).
    fn skip(&mut self, node: &SyntaxNode) {
        if let Some(last) = node.last_token() {
            self.flush_comments(node.text_range().start(), false);
            self.advance_past(&last);
        }
    }

    fn let_clause(&mut self, clause: &SyntaxNode, in_comprehension: bool) {
        for element in significant(clause) {
            match element {
                SyntaxElement::Token(token) => match token.kind() {
                    LET_KW => {
                        self.before_token(&token);
                        self.p.rel(self.rel(&token));
                        self.p.keyword("let");
                        self.p.ws(BLANK | NOOVERRIDE);
                        if in_comprehension {
                            self.p.ws(INDENT);
                        }
                    }
                    IDENT => self.tok(&token),
                    EQ => {
                        self.p.ws(BLANK | NOOVERRIDE);
                        self.tok(&token);
                        self.p.ws(BLANK);
                    }
                    _ => self.tok(&token),
                },
                SyntaxElement::Node(node) => self.expr(&node),
            }
        }
        if in_comprehension {
            self.p.mark_unindent_line();
        }
    }

    fn comprehension(&mut self, node: &SyntaxNode) {
        for element in significant(node) {
            match element {
                SyntaxElement::Node(child) => match child.kind() {
                    FOR_CLAUSE | IF_CLAUSE | LET_CLAUSE => {
                        self.p.ws(BLANK);
                        self.clause(&child);
                    }
                    _ => {
                        self.p.ws(BLANK | NOOVERRIDE);
                        self.expr(&child);
                    }
                },
                SyntaxElement::Token(token) => {
                    // An optional comma between clauses is dropped.
                    self.skip_token(&token);
                }
            }
        }
    }

    fn skip_token(&mut self, token: &SyntaxToken) {
        self.flush_comments(token.text_range().start(), false);
        self.advance_past(token);
    }

    /// Moves the cursor past `token` unless it is already beyond it.
    fn advance_past(&mut self, token: &SyntaxToken) {
        if token.text_range().end() > self.cursor {
            self.cursor = token.text_range().end();
        }
    }

    fn clause(&mut self, clause: &SyntaxNode) {
        match clause.kind() {
            LET_CLAUSE => self.let_clause(clause, true),
            _ => {
                let mut after_keyword = false;
                for element in significant(clause) {
                    match element {
                        SyntaxElement::Token(token) => match token.kind() {
                            FOR_KW | IF_KW => {
                                self.tok(&token);
                                self.p.ws(BLANK | INDENT);
                                after_keyword = true;
                            }
                            COMMA => {
                                self.tok(&token);
                                self.p.ws(BLANK);
                            }
                            IN_KW => {
                                self.p.ws(BLANK);
                                self.tok(&token);
                                self.p.ws(BLANK);
                            }
                            _ => self.tok(&token),
                        },
                        SyntaxElement::Node(node) => self.expr(&node),
                    }
                }
                if after_keyword {
                    self.p.mark_unindent_line();
                }
            }
        }
    }

    // ----- expressions ------------------------------------------------------

    fn expr(&mut self, node: &SyntaxNode) {
        self.expr_prec(node, LOWEST_PREC, 1);
    }

    fn expr_prec(&mut self, node: &SyntaxNode, prec1: u8, depth: usize) {
        match node.kind() {
            BINARY_EXPR => {
                let depth = depth.max(1);
                let cut = self.cutoff(node, depth);
                self.binary(node, prec1, cut, depth);
            }
            UNARY_EXPR => {
                for element in significant(node) {
                    match element {
                        SyntaxElement::Token(token) => {
                            self.before_token(&token);
                            self.p.rel(self.rel(&token));
                            self.p.operator(token.text(), last_of(token.kind()));
                            self.p.ws(NOOVERRIDE);
                        }
                        SyntaxElement::Node(child) => self.expr_prec(&child, UNARY_PREC, depth),
                    }
                }
            }
            LITERAL => {
                if let Some(token) = node.first_token() {
                    self.tok_literal(&token);
                }
            }
            NAME_REF => self.raw(node),
            INTERPOLATION => {
                for element in significant(node) {
                    match element {
                        SyntaxElement::Token(token) => self.tok_literal(&token),
                        SyntaxElement::Node(child) => {
                            self.expr_prec(&child, LOWEST_PREC, depth + 1)
                        }
                    }
                }
            }
            PAREN_EXPR | PAREN_LABEL => {
                let inner = node.children().next();
                if node.kind() == PAREN_EXPR
                    && let Some(inner) = &inner
                    && inner.kind() == PAREN_EXPR
                {
                    // Doubled parentheses lose one pair.
                    for element in significant(node) {
                        match element {
                            SyntaxElement::Token(token) => self.skip_token(&token),
                            SyntaxElement::Node(child) => {
                                self.expr_prec(&child, LOWEST_PREC, depth)
                            }
                        }
                    }
                    return;
                }
                for element in significant(node) {
                    match element {
                        SyntaxElement::Token(token) => self.tok(&token),
                        SyntaxElement::Node(child) => {
                            self.expr_prec(&child, LOWEST_PREC, depth.saturating_sub(1).max(1))
                        }
                    }
                }
            }
            SELECTOR_EXPR => {
                self.selector(node, depth);
            }
            INDEX_EXPR => {
                let mut first = true;
                for element in significant(node) {
                    match element {
                        SyntaxElement::Token(token) => self.tok(&token),
                        SyntaxElement::Node(child) => {
                            if first {
                                self.expr_prec(&child, HIGHEST_PREC, 1);
                            } else {
                                self.expr_prec(&child, LOWEST_PREC, depth + 1);
                            }
                            first = false;
                        }
                    }
                }
            }
            SLICE_EXPR => self.slice(node, depth),
            CALL_EXPR => {
                let args = node.children().find(|c| c.kind() == ARG_LIST);
                let arg_count = args.as_ref().map_or(0, |a| a.children().count());
                let depth = if arg_count > 1 { depth + 1 } else { depth };
                let mut was_indented = false;
                if let Some(function) = node.children().next() {
                    if function.kind() == SELECTOR_EXPR {
                        was_indented = self.selector(&function, depth);
                    } else {
                        self.expr_prec(&function, HIGHEST_PREC, depth);
                    }
                }
                if let Some(args) = args {
                    for element in significant(&args) {
                        match element {
                            SyntaxElement::Token(token) => match token.kind() {
                                L_PAREN => self.tok(&token),
                                R_PAREN => {
                                    self.p.ws(TRAILCOMMA | NOBLANK);
                                    self.tok(&token);
                                }
                                _ => self.skip_token(&token),
                            },
                            SyntaxElement::Node(child) => {
                                self.expr_prec(&child, LOWEST_PREC, depth);
                                self.p.ws(COMMA_WS | BLANK);
                                self.trailing_comments();
                            }
                        }
                    }
                }
                if was_indented {
                    self.p.ws(UNINDENT);
                }
            }
            STRUCT_LIT => self.struct_lit(node, false),
            LIST_LIT => self.list(node),
            ALIAS_EXPR => {
                for element in significant(node) {
                    match element {
                        SyntaxElement::Token(token) => self.tok(&token),
                        SyntaxElement::Node(child) => self.expr(&child),
                    }
                }
            }
            ELLIPSIS_DECL => self.ellipsis(node),
            COMPREHENSION => self.comprehension(node),
            _ => self.raw(node),
        }
    }

    /// Prints a literal token (strings and numbers are normalized as `cue fmt` does).
    fn tok_literal(&mut self, token: &SyntaxToken) {
        self.before_token(token);
        self.p.rel(self.rel(token));
        let text = token.text();
        match token.kind() {
            STRING | INTERP_START | INTERP_MID | INTERP_END => {
                if token.kind() == STRING && text.contains('\n') && self.p.indent_level() < 6 {
                    let indented = indent_tabs(text, self.p.indent_level() + 1);
                    self.p.text(&indented, true, Last::Other);
                } else {
                    self.p.text(text, true, Last::Other);
                }
            }
            INT_NUMBER => {
                let normalized = normalize_int(text);
                self.p.text(&normalized, true, Last::Int);
            }
            FLOAT_NUMBER => {
                let normalized = normalize_float(text);
                self.p.text(&normalized, true, Last::Other);
            }
            ATTRIBUTE => self.p.text(text, false, Last::Other),
            _ => self.p.text(text, false, Last::Other),
        }
    }

    fn selector(&mut self, node: &SyntaxNode, depth: usize) -> bool {
        let mut indented = false;
        for element in significant(node) {
            match element {
                SyntaxElement::Node(child) => self.expr_prec(&child, HIGHEST_PREC, depth),
                SyntaxElement::Token(token) if token.kind() == DOT => {
                    self.before_token(&token);
                    self.p.text(".", false, Last::Other);
                }
                SyntaxElement::Token(token) => {
                    if self.rel(&token) >= Rel::Newline {
                        self.p.ws(INDENT | FORMFEED);
                        self.tok(&token);
                        self.p.ws(UNINDENT);
                        indented = true;
                    } else {
                        self.p.ws(NOBLANK);
                        self.tok(&token);
                    }
                }
            }
        }
        indented
    }

    fn slice(&mut self, node: &SyntaxNode, depth: usize) {
        let mut operands: Vec<Option<SyntaxNode>> = Vec::new();
        let mut seen_bracket = false;
        let mut current: Option<SyntaxNode> = None;
        for element in significant(node) {
            match element {
                SyntaxElement::Node(child) => current = Some(child),
                SyntaxElement::Token(token) => match token.kind() {
                    L_BRACK if !seen_bracket => {
                        seen_bracket = true;
                        current = None;
                    }
                    COLON | R_BRACK => operands.push(current.take()),
                    _ => {}
                },
            }
        }
        let low = operands.first().cloned().flatten();
        let high = operands.get(1).cloned().flatten();
        for element in significant(node) {
            match element {
                SyntaxElement::Node(child) => {
                    if node.first_child().as_ref() == Some(&child) {
                        self.expr_prec(&child, HIGHEST_PREC, 1);
                    } else {
                        self.expr_prec(&child, LOWEST_PREC, depth + 1);
                    }
                }
                SyntaxElement::Token(token) => match token.kind() {
                    COLON => {
                        let spaced = depth <= 1
                            && low.is_some()
                            && high.is_some()
                            && (low.as_ref().is_some_and(|n| n.kind() == BINARY_EXPR)
                                || high.as_ref().is_some_and(|n| n.kind() == BINARY_EXPR));
                        self.before_token(&token);
                        if spaced {
                            self.p.ws(BLANK);
                            self.p.text(":", false, Last::Other);
                            self.p.ws(BLANK);
                        } else {
                            self.p.text(":", false, Last::Other);
                        }
                    }
                    _ => self.tok(&token),
                },
            }
        }
    }

    fn binary(&mut self, node: &SyntaxNode, prec1: u8, cut: u8, depth: usize) {
        let Some((left, op, right)) = binary_parts(node) else {
            self.raw(node);
            return;
        };
        let prec = precedence(op.kind());
        let _ = prec1;
        let mut print_blank = prec < cut;
        let left_depth = depth
            + usize::from(
                !(left.kind() == BINARY_EXPR
                    && binary_parts(&left).is_some_and(|(_, o, _)| precedence(o.kind()) == prec)),
            );
        self.expr_operand(&left, prec, left_depth, cut);
        self.p.ws(NOOVERRIDE);
        if print_blank {
            self.p.ws(BLANK);
        }
        self.before_token(&op);
        self.p.rel(self.rel(&op));
        if matches!(op.kind(), DIV_KW | MOD_KW | QUO_KW | REM_KW) {
            self.p.keyword(op.text());
        } else {
            self.p.operator(op.text(), last_of(op.kind()));
        }
        if self.node_rel(&right) >= Rel::Newline {
            self.p.ws(FORMFEED);
            print_blank = false;
        } else {
            self.p.ws(NOOVERRIDE);
        }
        if print_blank {
            self.p.ws(BLANK);
        }
        self.expr_operand(&right, prec + 1, depth + 1, cut);
    }

    fn expr_operand(&mut self, node: &SyntaxNode, prec: u8, depth: usize, _cut: u8) {
        self.expr_prec(node, prec, depth);
    }

    fn struct_lit(&mut self, node: &SyntaxNode, inherited_blank: bool) {
        let decls: Vec<SyntaxNode> = node.children().collect();
        let range = node.text_range();
        let one_line =
            !self.source[usize::from(range.start())..usize::from(range.end())].contains('\n');
        let sep_blank = inherited_blank || self.sep_blank || (decls.len() <= 1 && one_line);
        let lbrace = first_token_kind(node, L_CURLY);
        let rbrace = node.last_token().filter(|t| t.kind() == R_CURLY);
        let mut formfeed = if sep_blank { BLANK } else { FORMFEED };
        if decls.is_empty() {
            // An empty body on one line collapses.
            let has_inner_comment = node.children_with_tokens().any(|e| e.kind() == COMMENT);
            if !has_inner_comment && rbrace.is_none() {
                formfeed = BLANK | NOOVERRIDE;
            }
        }
        if let Some(lbrace) = &lbrace {
            self.tok(lbrace);
        }
        let line = self.p.lineout;
        self.p.ws(NOBLANK | formfeed | INDENT);
        let saved = self.sep_blank;
        self.sep_blank = sep_blank;
        self.decl_list(&decls, sep_blank);
        self.sep_blank = saved;
        if let Some(rbrace) = &rbrace {
            self.flush_comments(rbrace.text_range().start(), true);
        }
        self.p.ws(UNINDENT);
        let mut ws = NOBLANK;
        if self.p.lineout != line {
            ws |= NEWLINE;
            if self.p.last != Last::RCurly && self.p.last != Last::RBrack {
                ws |= NOOVERRIDE;
            }
        }
        self.p.ws(ws);
        if let Some(rbrace) = &rbrace {
            self.tok(rbrace);
        }
    }

    fn list(&mut self, node: &SyntaxNode) {
        for element in significant(node) {
            match element {
                SyntaxElement::Token(token) => match token.kind() {
                    L_BRACK => {
                        self.tok(&token);
                        self.p.ws(INDENT);
                    }
                    R_BRACK => {
                        self.p.ws(TRAILCOMMA | NOBLANK);
                        self.flush_comments(token.text_range().start(), true);
                        self.p.ws(UNINDENT | NOBLANK);
                        self.tok(&token);
                    }
                    _ => self.skip_token(&token),
                },
                SyntaxElement::Node(child) => {
                    self.list_element(&child);
                    self.p.ws(COMMA_WS | BLANK);
                    self.trailing_comments();
                }
            }
        }
    }

    fn list_element(&mut self, node: &SyntaxNode) {
        match node.kind() {
            COMPREHENSION => self.comprehension(node),
            ELLIPSIS_DECL => self.ellipsis(node),
            _ => self.expr(node),
        }
    }

    /// Whether spaces go around operators of precedence 6 and 7 (see `cutoff`).
    fn walk_binary(&mut self, node: &SyntaxNode) -> (bool, bool, bool, u8) {
        // Only chains (a binary operand that is itself binary) are worth remembering.
        let chained = node.children().any(|child| child.kind() == BINARY_EXPR);
        if !chained {
            return self.walk_binary_uncached(node);
        }
        let range = node.text_range();
        let key = (u32::from(range.start()), u32::from(range.end()));
        if let Some(result) = self.walk_cache.get(&key) {
            return *result;
        }
        let result = self.walk_binary_uncached(node);
        self.walk_cache.insert(key, result);
        result
    }

    fn walk_binary_uncached(&mut self, node: &SyntaxNode) -> (bool, bool, bool, u8) {
        let (mut has6, mut has7, mut has8, mut max_problem) = (false, false, false, 0u8);
        let Some((left, op, right)) = binary_parts(node) else { return (false, false, false, 0) };
        let prec = precedence(op.kind());
        match prec {
            6 => has6 = true,
            7 => has7 = true,
            8 => has8 = true,
            _ => {}
        }
        if left.kind() == BINARY_EXPR
            && let Some((_, left_op, _)) = binary_parts(&left)
            && precedence(left_op.kind()) >= prec
        {
            let (h6, h7, h8, problem) = self.walk_binary(&left);
            has6 |= h6;
            has7 |= h7;
            has8 |= h8;
            max_problem = max_problem.max(problem);
        }
        match right.kind() {
            BINARY_EXPR => {
                if let Some((_, right_op, _)) = binary_parts(&right)
                    && precedence(right_op.kind()) > prec
                {
                    let (h6, h7, h8, problem) = self.walk_binary(&right);
                    has6 |= h6;
                    has7 |= h7;
                    has8 |= h8;
                    max_problem = max_problem.max(problem);
                }
            }
            UNARY_EXPR => {
                let unary_op = right
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| !t.kind().is_trivia());
                if let Some(unary_op) = unary_op {
                    match (op.kind(), unary_op.kind()) {
                        (SLASH, STAR) => max_problem = 8,
                        (PLUS, PLUS) | (MINUS, MINUS) => max_problem = max_problem.max(6),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        (has6, has7, has8, max_problem)
    }

    fn cutoff(&mut self, node: &SyntaxNode, depth: usize) -> u8 {
        let (has6, has7, has8, max_problem) = self.walk_binary(node);
        if max_problem > 0 {
            return max_problem + 1;
        }
        if (has6 || has7) && has8 {
            if depth == 1 {
                return 8;
            }
            if has7 {
                return 7;
            }
            return 6;
        }
        if has6 && has7 {
            if depth == 1 {
                return 7;
            }
            return 6;
        }
        if depth == 1 {
            return 8;
        }
        6
    }
}

/// Re-indents a multi-line string literal to `level` tabs, as `cue fmt` does.
fn indent_tabs(text: &str, level: usize) -> String {
    let Some(last_newline) = text.rfind('\n') else { return text.to_string() };
    let whitespace = &text[last_newline + 1..];
    let whitespace_len = whitespace.len() - whitespace.trim_start_matches([' ', '\t']).len();
    let whitespace = &whitespace[..whitespace_len];
    let closing = &text[last_newline + 1 + whitespace_len..];
    let is_multiline_close = closing.trim_start_matches('#').starts_with("\"\"\"")
        || closing.trim_start_matches('#').starts_with("'''");
    let opening = text.trim_start_matches('#');
    if !is_multiline_close || !(opening.starts_with("\"\"\"") || opening.starts_with("'''")) {
        return text.to_string();
    }
    let tabs = "\t".repeat(level);
    if whitespace == tabs {
        return text.to_string();
    }
    let search = format!("\n{whitespace}");
    let replace = format!("\n{tabs}");
    text.replace(&search, &replace)
}

fn normalize_int(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut data = text.to_string();
    if bytes.len() > 1 && bytes[0] == b'0' && bytes[1].is_ascii_digit() {
        data = format!("0o{}", &text[1..]);
    }
    if let Some(dot) = data.find('.')
        && data.as_bytes().get(dot + 1).is_some_and(|&b| b > b'9')
    {
        data.insert(dot + 1, '0');
    }
    if let Some(e) = data.find('E')
        && e < data.len() - 1
    {
        data = data.to_lowercase();
    }
    data
}

fn normalize_float(text: &str) -> String {
    let mut data = text.to_string();
    if let Some(dot) = data.find('.') {
        if dot == 0 {
            data.insert(0, '0');
        } else if dot == data.len() - 1 {
            data.push('0');
        } else if data.as_bytes()[dot + 1] > b'9' {
            data.insert(dot + 1, '0');
        }
    }
    if data.contains('E') {
        data = data.to_lowercase();
    }
    data
}
