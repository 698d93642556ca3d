//! The CUE grammar, one function per production.
//!
//! The productions follow the CUE specification's "Declarations and scopes",
//! "Expressions" and "Comprehensions" sections. Each function documents the
//! node it builds; see `SyntaxKind` for the children of each node.

use froyo_diagnostics::registry;

use super::{EOF, Parser};
use crate::{SyntaxError, SyntaxKind, SyntaxKind::*};

pub(super) fn source_file(p: &mut Parser<'_>) {
    p.start_root();
    let mut seen_package = false;
    let mut seen_import = false;
    let mut seen_declaration = false;
    while !p.at_eof() {
        if p.at(COMMA) {
            p.error_and_bump(
                &registry::UNEXPECTED_TOKEN,
                "unexpected ',' with no declaration before it".to_string(),
            );
            continue;
        }
        if p.at(PACKAGE_KW) && !at_field(p) {
            if seen_package || seen_import || seen_declaration {
                let what = if seen_package {
                    "a file has at most one package clause"
                } else {
                    "the package clause must come before imports and declarations"
                };
                let range = p.current_range();
                p.push_error(SyntaxError::new(
                    &registry::MISPLACED_CLAUSE,
                    what.to_string(),
                    range,
                ));
            }
            seen_package = true;
            package_clause(p);
        } else if p.at(IMPORT_KW) && !at_field(p) {
            if seen_declaration {
                let range = p.current_range();
                p.push_error(SyntaxError::new(
                    &registry::MISPLACED_CLAUSE,
                    "imports must come before declarations".to_string(),
                    range,
                ));
            }
            seen_import = true;
            import_decl(p);
        } else {
            if !p.at(ATTRIBUTE) || seen_package || seen_import {
                seen_declaration = true;
            }
            declaration(p);
        }
        separator(p, R_CURLY, "a newline or ',' after the declaration");
    }
    p.flush_all();
    p.finish_node();
}

/// After an element: a `,`, an automatic comma, the closer or the end of input.
/// Anything else is skipped up to the next separator with one diagnostic.
fn separator(p: &mut Parser<'_>, closer: SyntaxKind, expected: &str) {
    if p.eat(COMMA) || p.at_eof() || p.at_implicit_comma() || p.at(closer) {
        return;
    }
    if matches!(p.current(), R_CURLY | R_BRACK | R_PAREN) {
        // Another bracket's closer: the enclosing construct reports it.
        return;
    }
    p.error_expected(expected);
    p.start(ERROR);
    while !p.at_separator(&[closer]) {
        p.bump_balanced();
    }
    p.finish_node();
    p.eat(COMMA);
}

/// `PACKAGE_CLAUSE`: `package name`.
fn package_clause(p: &mut Parser<'_>) {
    p.start(PACKAGE_CLAUSE);
    p.bump();
    if p.at(IDENT) && !p.at_implicit_comma() {
        p.bump();
    } else {
        p.error_expected("a package name");
    }
    p.finish_node();
}

/// `IMPORT_DECL`: `import "path"`, `import name "path"` or a group `import ( … )`.
fn import_decl(p: &mut Parser<'_>) {
    p.start(IMPORT_DECL);
    p.bump();
    if p.at(L_PAREN) {
        let open = p.current_range();
        p.bump();
        while !p.at(R_PAREN) && !p.at_eof() {
            if p.at(STRING) || (p.at(IDENT) && p.nth(1) == STRING) {
                import_spec(p);
            } else {
                // Not an import: the group was left open.
                break;
            }
            separator(p, R_PAREN, "a newline or ',' after the import");
        }
        expect_closer(p, R_PAREN, open);
    } else if p.at(STRING) || p.at(IDENT) {
        import_spec(p);
    } else {
        p.error_expected("an import path");
    }
    p.finish_node();
}

/// `IMPORT_SPEC`: `[name] "path"`.
fn import_spec(p: &mut Parser<'_>) {
    p.start(IMPORT_SPEC);
    p.eat(IDENT);
    if p.at(STRING) {
        p.bump();
    } else if p.at(INTERP_START) {
        let range = p.current_range();
        p.push_error(SyntaxError::new(
            &registry::UNEXPECTED_TOKEN,
            "an import path must be a plain string, without interpolation".to_string(),
            range,
        ));
        p.bump_balanced();
    } else {
        p.error_expected("an import path string");
    }
    p.finish_node();
}

/// Expects `closer`, reporting an unclosed delimiter that points back at `open`.
fn expect_closer(p: &mut Parser<'_>, closer: SyntaxKind, open: rowan::TextRange) {
    expect_closer_with(p, closer, open, closer != R_BRACK);
}

/// Like [`expect_closer`]; `skip_junk` skips tokens on the same line up to the
/// closer (right for parentheses, wrong for lists whose closer went missing).
fn expect_closer_with(
    p: &mut Parser<'_>,
    closer: SyntaxKind,
    open: rowan::TextRange,
    skip_junk: bool,
) {
    if p.eat(closer) {
        return;
    }
    let other_closer =
        |kind: SyntaxKind| matches!(kind, R_CURLY | R_BRACK | R_PAREN) && kind != closer;
    if skip_junk && !p.at_eof() && !p.at_implicit_comma() && !other_closer(p.current()) {
        // Junk before the closer on the same line: skip it, keep the closer.
        let found = p.found_description();
        let range = p.current_range();
        p.push_error(SyntaxError::new(
            &registry::UNEXPECTED_TOKEN,
            format!("expected {}, found {found}", closer.describe()),
            range,
        ));
        p.start(ERROR);
        while !(p.at(closer) || p.at_eof() || p.at_implicit_comma() || other_closer(p.current())) {
            p.bump_balanced();
        }
        p.finish_node();
        p.eat(closer);
        return;
    }
    let found = if p.at_eof() { "end of file".to_string() } else { p.found_description() };
    let opener = match closer {
        R_CURLY => "'{'",
        R_BRACK => "'['",
        _ => "'('",
    };
    let range = p.expected_range();
    if p.at_eof() {
        // Several brackets left open at the end of the file: one diagnostic
        // pointing at each of them.
        if let Some(last) = p
            .last_error_mut()
            .filter(|e| e.code == &registry::UNCLOSED_DELIMITER && e.range == range)
        {
            // The innermost few are enough to find the place.
            if last.related.len() < 3 {
                last.related.push((open, format!("unclosed {opener} opened here")));
            }
            return;
        }
    }
    p.push_error(
        SyntaxError::new(
            &registry::UNCLOSED_DELIMITER,
            format!("expected {}, found {found}", closer.describe()),
            range,
        )
        .with_related(open, format!("unclosed {opener} opened here")),
    );
}

/// Whether a keyword at the current position is used as a label (`if: 1`).
fn at_field(p: &Parser<'_>) -> bool {
    label_end(p, p.position()).is_some()
}

/// If a label starts at significant index `index` and is followed by `:`
/// (after an optional `?` or `!`), the index of that `:`.
fn label_end(p: &Parser<'_>, index: usize) -> Option<usize> {
    let mut index = index;
    // Label alias `X=`.
    if p.kind_at(index) == IDENT && p.kind_at(index + 1) == EQ {
        index += 2;
    }
    match p.kind_at(index) {
        IDENT | STRING | BOTTOM => index += 1,
        kind if kind.is_keyword() => index += 1,
        L_PAREN | L_BRACK | INTERP_START => index = skip_balanced(p, index)?,
        _ => return None,
    }
    if matches!(p.kind_at(index), QUESTION | BANG) {
        index += 1;
    }
    (p.kind_at(index) == COLON).then_some(index)
}

/// The index after the bracket group that starts at `index`.
fn skip_balanced(p: &Parser<'_>, mut index: usize) -> Option<usize> {
    let mut depth = 0u32;
    loop {
        match p.kind_at(index) {
            L_CURLY | L_BRACK | L_PAREN | INTERP_START => depth += 1,
            R_CURLY | R_BRACK | R_PAREN | INTERP_END => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index + 1);
                }
            }
            EOF => return None,
            _ => {}
        }
        index += 1;
    }
}

fn at_clause_start(p: &Parser<'_>) -> bool {
    matches!(p.current(), FOR_KW | IF_KW) && !at_field(p)
}

/// One declaration in a struct or file: a field, an embedding, `let`, a
/// comprehension, `...` or an attribute.
fn declaration(p: &mut Parser<'_>) {
    match p.current() {
        ATTRIBUTE => {
            p.start(ATTRIBUTE_DECL);
            p.bump();
            p.finish_node();
        }
        ELLIPSIS => ellipsis(p, &[R_CURLY]),
        LET_KW if !at_field(p) => let_clause(p),
        FOR_KW | IF_KW if !at_field(p) => comprehension(p),
        _ if at_field(p) => field(p),
        kind if can_start_expression(kind) => {
            p.start(EMBEDDING);
            alias_or_expression(p);
            p.finish_node();
        }
        _ => {
            let found = p.found_description();
            skip_to_separator(
                p,
                R_CURLY,
                format!("expected a field or declaration, found {found}"),
            );
        }
    }
}

/// Reports `message` at the current token, then wraps it and everything up
/// to the next separator in one `ERROR` node.
fn skip_to_separator(p: &mut Parser<'_>, closer: SyntaxKind, message: String) {
    let range = p.current_range();
    p.push_error(SyntaxError::new(&registry::UNEXPECTED_TOKEN, message, range));
    p.start(ERROR);
    p.bump_balanced();
    while !p.at_separator(&[closer]) {
        p.bump_balanced();
    }
    p.finish_node();
}

/// `FIELD`: `label: value`, where the value may be another field (`a: b: 1`).
fn field(p: &mut Parser<'_>) {
    p.start(FIELD);
    label(p);
    p.eat(COLON);
    if at_field(p) {
        if p.enter() {
            field(p);
            p.leave();
        } else {
            skip_nested(p);
        }
    } else if can_start_expression(p.current()) && !p.at_implicit_comma() {
        alias_or_expression(p);
    } else {
        p.error_expected("a value after ':'");
    }
    while p.at(ATTRIBUTE) && !p.at_implicit_comma() {
        p.bump();
    }
    p.finish_node();
}

/// `LABEL`: `[X=] name [?|!]`.
fn label(p: &mut Parser<'_>) {
    p.start(LABEL);
    if p.at(IDENT) && p.nth(1) == EQ {
        p.bump();
        p.bump();
    }
    match p.current() {
        IDENT | STRING | BOTTOM => p.bump(),
        kind if kind.is_keyword() => p.bump_remap(IDENT),
        INTERP_START => interpolation(p),
        L_PAREN => {
            p.start(PAREN_LABEL);
            let open = p.current_range();
            p.bump();
            expression(p);
            expect_closer(p, R_PAREN, open);
            p.finish_node();
        }
        L_BRACK => {
            p.start(PATTERN_LABEL);
            let open = p.current_range();
            p.bump();
            alias_or_expression(p);
            expect_closer_with(p, R_BRACK, open, true);
            p.finish_node();
        }
        _ => p.error_expected("a label"),
    }
    if matches!(p.current(), QUESTION | BANG) {
        p.bump();
    }
    p.finish_node();
}

/// `ELLIPSIS_DECL`: `...` with an optional type.
fn ellipsis(p: &mut Parser<'_>, closers: &[SyntaxKind]) {
    p.start(ELLIPSIS_DECL);
    p.bump();
    if !p.at_separator(closers) && can_start_expression(p.current()) {
        expression(p);
    }
    p.finish_node();
}

/// `LET_CLAUSE`: `let name = value`.
fn let_clause(p: &mut Parser<'_>) {
    p.start(LET_CLAUSE);
    p.bump();
    if p.at(IDENT) {
        p.bump();
    } else if p.current().is_keyword() {
        p.bump_remap(IDENT);
    } else {
        p.error_expected("a name after 'let'");
    }
    if p.eat(EQ) {
        expression(p);
    } else {
        p.error_expected("'='");
    }
    p.finish_node();
}

/// `COMPREHENSION`: clauses, then a struct.
fn comprehension(p: &mut Parser<'_>) {
    p.start(COMPREHENSION);
    clause(p);
    loop {
        if p.at(COMMA) && matches!(p.nth(1), FOR_KW | IF_KW | LET_KW) {
            p.bump();
        }
        match p.current() {
            FOR_KW | IF_KW | LET_KW => clause(p),
            _ => break,
        }
    }
    if p.at(L_CURLY) {
        struct_lit(p);
    } else {
        p.error_expected("'{' to start the body of the comprehension");
    }
    p.finish_node();
}

fn clause(p: &mut Parser<'_>) {
    match p.current() {
        FOR_KW => {
            p.start(FOR_CLAUSE);
            p.bump();
            binding_name(p);
            if p.eat(COMMA) {
                binding_name(p);
            }
            if p.at(IN_KW) {
                p.bump();
                expression(p);
            } else {
                p.error_expected("'in'");
            }
            p.finish_node();
        }
        IF_KW => {
            p.start(IF_CLAUSE);
            p.bump();
            expression(p);
            p.finish_node();
        }
        _ => let_clause(p),
    }
}

fn binding_name(p: &mut Parser<'_>) {
    if p.at(IDENT) {
        p.bump();
    } else {
        p.error_expected("a name");
    }
}

/// `ALIAS_EXPR` (`X=expr`) or a plain expression.
fn alias_or_expression(p: &mut Parser<'_>) {
    if p.at(IDENT) && p.nth(1) == EQ {
        p.start(ALIAS_EXPR);
        p.bump();
        p.bump();
        expression(p);
        p.finish_node();
    } else {
        expression(p);
    }
}

fn can_start_expression(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        IDENT
            | INT_NUMBER
            | FLOAT_NUMBER
            | STRING
            | INTERP_START
            | BOTTOM
            | NULL_KW
            | TRUE_KW
            | FALSE_KW
            | L_CURLY
            | L_BRACK
            | L_PAREN
    ) || unary_operator(kind)
}

fn unary_operator(kind: SyntaxKind) -> bool {
    matches!(kind, PLUS | MINUS | BANG | STAR | NEQ | LT | LTEQ | GT | GTEQ | MATCH | NOT_MATCH)
}

/// The binary operator at the current token and its precedence (higher binds tighter).
fn binary_operator(p: &Parser<'_>) -> Option<(u8, Option<SyntaxKind>)> {
    let precedence = match p.current() {
        PIPE => 1,
        AMP => 2,
        PIPE2 => 3,
        AMP2 => 4,
        EQ2 | NEQ | LT | LTEQ | GT | GTEQ | MATCH | NOT_MATCH => 5,
        PLUS | MINUS => 6,
        STAR | SLASH => 7,
        IDENT => {
            let remap = match p.nth_text(0) {
                "div" => DIV_KW,
                "mod" => MOD_KW,
                "quo" => QUO_KW,
                "rem" => REM_KW,
                _ => return None,
            };
            return Some((7, Some(remap)));
        }
        _ => return None,
    };
    Some((precedence, None))
}

pub(super) fn expression(p: &mut Parser<'_>) {
    binary_expression(p, 1);
}

/// Precedence climbing; operators of one level associate to the left.
fn binary_expression(p: &mut Parser<'_>, min_precedence: u8) {
    let checkpoint = p.checkpoint();
    unary_expression(p);
    let mut chain = 0u32;
    loop {
        if p.at_implicit_comma() {
            break;
        }
        let Some((precedence, remap)) = binary_operator(p) else { break };
        if precedence < min_precedence {
            break;
        }
        if !p.enter() {
            skip_nested(p);
            break;
        }
        chain += 1;
        p.start_at(checkpoint, BINARY_EXPR);
        match remap {
            Some(kind) => p.bump_remap(kind),
            None => p.bump(),
        }
        if p.at_implicit_comma() || !can_start_expression(p.current()) {
            p.error_expected("an operand after the operator");
        } else {
            binary_expression(p, precedence + 1);
        }
        p.finish_node();
    }
    p.sub_depth(chain);
}

fn unary_expression(p: &mut Parser<'_>) {
    if unary_operator(p.current()) {
        if !p.enter() {
            skip_nested(p);
            return;
        }
        p.start(UNARY_EXPR);
        p.bump();
        if can_start_expression(p.current()) && !p.at_implicit_comma() {
            unary_expression(p);
        } else {
            p.error_expected("an operand after the operator");
        }
        p.finish_node();
        p.leave();
    } else {
        postfix_expression(p);
    }
}

/// Selectors, indexes, slices and calls after an operand.
fn postfix_expression(p: &mut Parser<'_>) {
    let checkpoint = p.checkpoint();
    primary_expression(p);
    let mut chain = 0u32;
    loop {
        if p.at_implicit_comma() || !matches!(p.current(), DOT | L_BRACK | L_PAREN) {
            break;
        }
        if !p.enter() {
            skip_nested(p);
            break;
        }
        chain += 1;
        match p.current() {
            DOT => {
                p.bump();
                match p.current() {
                    IDENT | STRING => p.bump(),
                    kind if kind.is_keyword() => p.bump_remap(IDENT),
                    _ => p.error_expected("a field name after '.'"),
                }
                p.start_at(checkpoint, SELECTOR_EXPR);
                p.finish_node();
            }
            L_BRACK => {
                let open = p.current_range();
                p.bump();
                let mut kind = INDEX_EXPR;
                if !p.at(COLON) {
                    expression(p);
                }
                if p.eat(COLON) {
                    kind = SLICE_EXPR;
                    if !p.at(R_BRACK) {
                        expression(p);
                    }
                }
                expect_closer_with(p, R_BRACK, open, true);
                p.start_at(checkpoint, kind);
                p.finish_node();
            }
            _ => {
                p.start_at(checkpoint, CALL_EXPR);
                argument_list(p);
                p.finish_node();
            }
        }
    }
    p.sub_depth(chain);
}

/// `ARG_LIST`: `( a, b )`.
fn argument_list(p: &mut Parser<'_>) {
    p.start(ARG_LIST);
    let open = p.current_range();
    p.bump();
    while !p.at(R_PAREN) && !p.at_eof() {
        if p.at(COMMA) {
            p.error_and_bump(
                &registry::UNEXPECTED_TOKEN,
                "expected an argument, found ','".to_string(),
            );
            continue;
        }
        if !can_start_expression(p.current()) || (p.at_implicit_comma() && at_field(p)) {
            break;
        }
        expression(p);
        separator(p, R_PAREN, "',' or ')' after the argument");
    }
    expect_closer(p, R_PAREN, open);
    p.finish_node();
}

fn primary_expression(p: &mut Parser<'_>) {
    match p.current() {
        INT_NUMBER | FLOAT_NUMBER | STRING | BOTTOM | NULL_KW | TRUE_KW | FALSE_KW => {
            p.start(LITERAL);
            p.bump();
            p.finish_node();
        }
        INTERP_START => interpolation(p),
        IDENT => {
            p.start(NAME_REF);
            p.bump();
            p.finish_node();
        }
        L_PAREN => {
            if !p.enter() {
                skip_nested(p);
                return;
            }
            p.start(PAREN_EXPR);
            let open = p.current_range();
            p.bump();
            expression(p);
            expect_closer(p, R_PAREN, open);
            p.finish_node();
            p.leave();
        }
        L_CURLY => struct_lit(p),
        L_BRACK => list_lit(p),
        _ => {
            p.error_expected("an expression");
            // Consume the token unless it can end the enclosing construct.
            if !p.at_eof()
                && !p.at_implicit_comma()
                && !matches!(
                    p.current(),
                    R_CURLY | R_BRACK | R_PAREN | COMMA | COLON | INTERP_MID | INTERP_END
                )
            {
                p.start(ERROR);
                p.bump_balanced();
                p.finish_node();
            }
        }
    }
}

/// `INTERPOLATION`: string fragments around expressions.
fn interpolation(p: &mut Parser<'_>) {
    p.start(INTERPOLATION);
    p.bump();
    loop {
        if !matches!(p.current(), INTERP_MID | INTERP_END) {
            expression(p);
        }
        if !matches!(p.current(), INTERP_MID | INTERP_END | EOF) {
            let range = p.current_range();
            p.push_error(SyntaxError::new(
                &registry::UNEXPECTED_TOKEN,
                format!("expected ')' to end the interpolation, found {}", p.found_description()),
                range,
            ));
            p.start(ERROR);
            while !matches!(p.current(), INTERP_MID | INTERP_END | EOF) {
                p.bump_balanced();
            }
            p.finish_node();
        }
        match p.current() {
            INTERP_MID => p.bump(),
            INTERP_END => {
                p.bump();
                break;
            }
            _ => break,
        }
    }
    p.finish_node();
}

/// `STRUCT_LIT`: `{ declarations }`.
fn struct_lit(p: &mut Parser<'_>) {
    if !p.enter() {
        skip_nested(p);
        return;
    }
    p.start(STRUCT_LIT);
    let open = p.current_range();
    p.bump();
    while !p.at(R_CURLY) && !p.at_eof() {
        if p.at(COMMA) {
            p.error_and_bump(
                &registry::UNEXPECTED_TOKEN,
                "unexpected ',' with no declaration before it".to_string(),
            );
            continue;
        }
        declaration(p);
        separator(p, R_CURLY, "a newline or ',' after the declaration");
    }
    expect_closer(p, R_CURLY, open);
    p.finish_node();
    p.leave();
}

/// `LIST_LIT`: `[ elements ]`.
fn list_lit(p: &mut Parser<'_>) {
    if !p.enter() {
        skip_nested(p);
        return;
    }
    p.start(LIST_LIT);
    let open = p.current_range();
    p.bump();
    while !p.at(R_BRACK) && !p.at_eof() {
        if at_field(p) || (p.at(COMMA) && label_end(p, p.position() + 1).is_some()) {
            // A list holds no fields: `a: [1, 2` followed by a field means
            // the list was left open.
            break;
        }
        match p.current() {
            COMMA => {
                p.error_and_bump(
                    &registry::UNEXPECTED_TOKEN,
                    "unexpected ',' with no element before it".to_string(),
                );
                continue;
            }
            ELLIPSIS => ellipsis(p, &[R_BRACK]),
            FOR_KW | IF_KW if at_clause_start(p) => comprehension(p),
            kind if can_start_expression(kind) => alias_or_expression(p),
            R_CURLY | R_PAREN => break,
            _ => {
                let found = p.found_description();
                skip_to_separator(p, R_BRACK, format!("expected a list element, found {found}"));
            }
        }
        separator(p, R_BRACK, "',' or ']' after the list element");
    }
    expect_closer(p, R_BRACK, open);
    p.finish_node();
    p.leave();
}

/// Past the nesting cap: wraps the rest of the current bracketed region in
/// an `ERROR` node without recursing.
fn skip_nested(p: &mut Parser<'_>) {
    p.start(ERROR);
    let mut depth = 0u32;
    let mut skipped_any = false;
    loop {
        match p.current() {
            L_CURLY | L_BRACK | L_PAREN | INTERP_START => depth += 1,
            R_CURLY | R_BRACK | R_PAREN | INTERP_END => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            COMMA if depth == 0 => break,
            EOF => break,
            _ if depth == 0 && skipped_any && p.at_implicit_comma() => break,
            _ => {}
        }
        p.bump();
        skipped_any = true;
    }
    p.finish_node();
}
