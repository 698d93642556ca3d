//! The CUE lexer: source text to a flat list of tokens, trivia included.
//!
//! Every byte of the input belongs to exactly one token, so concatenating the
//! tokens' texts gives the input back. Lexical errors (an unterminated string,
//! a malformed number, an unknown escape) are reported as [`SyntaxError`]s and
//! the lexer carries on; it never fails.
//!
//! Interpolated strings are split around their expressions: `"a\(x)b"` is
//! `INTERP_START("a\(")`, `IDENT(x)`, `INTERP_END(")b"`)`. A stack of open
//! interpolations (with their quote, `#` count and paren depth) lets strings
//! nest inside interpolations to any depth.
//!
//! Automatic commas are not tokens here: the parser derives them from the
//! newlines in the trivia (see `parser::input`).

use froyo_diagnostics::registry;
use rowan::{TextRange, TextSize};

use crate::{SyntaxError, SyntaxKind, SyntaxKind::*};

/// One token: its kind and its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: SyntaxKind,
    pub len: u32,
}

/// Splits `text` into tokens. The lengths add up to `text.len()`.
pub fn tokenize(text: &str) -> (Vec<Token>, Vec<SyntaxError>) {
    let mut lexer = Lexer {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        tokens: Vec::with_capacity(text.len() / 3),
        errors: Vec::new(),
        interpolations: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.errors)
}

/// How a string literal is delimited.
#[derive(Debug, Clone, Copy)]
struct Quote {
    /// `b'"'` or `b'\''`.
    quote: u8,
    /// The number of `#` around the string.
    hashes: usize,
    multiline: bool,
}

/// An interpolation `\(` that is still open.
struct OpenInterpolation {
    quote: Quote,
    /// Unclosed `(` inside the interpolation's expression.
    paren_depth: u32,
}

struct Lexer<'t> {
    bytes: &'t [u8],
    text: &'t str,
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<SyntaxError>,
    interpolations: Vec<OpenInterpolation>,
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b'$'
}

fn is_ident_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$'
}

fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32))
}

impl<'t> Lexer<'t> {
    fn peek(&self, offset: usize) -> u8 {
        self.bytes.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: SyntaxKind, start: usize) {
        self.tokens.push(Token { kind, len: (self.pos - start) as u32 });
    }

    fn error(
        &mut self,
        code: &'static froyo_diagnostics::Code,
        message: String,
        start: usize,
        end: usize,
    ) {
        self.errors.push(SyntaxError::new(code, message, range(start, end)));
    }

    /// The Unicode character at the current position (the input is UTF-8 and
    /// the lexer only stops on character boundaries).
    fn current_char(&self) -> char {
        self.text[self.pos..].chars().next().unwrap_or('\0')
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let kind = self.next_token(start);
            if let Some(kind) = kind {
                self.push(kind, start);
            }
        }
        if let Some(open) = self.interpolations.last() {
            let _ = open;
            let end = self.bytes.len();
            self.error(
                &registry::UNTERMINATED_STRING,
                "interpolation is not closed before the end of the file".to_string(),
                end,
                end,
            );
        }
    }

    /// Lexes one token starting at `start`. Returns `None` when the token was
    /// already pushed (string fragments push themselves).
    fn next_token(&mut self, start: usize) -> Option<SyntaxKind> {
        let byte = self.bytes[self.pos];
        let kind = match byte {
            b' ' | b'\t' | b'\r' | b'\n' => {
                while matches!(self.peek(0), b' ' | b'\t' | b'\r' | b'\n') {
                    self.pos += 1;
                }
                WHITESPACE
            }
            b'/' if self.peek(1) == b'/' => {
                while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                    self.pos += 1;
                }
                COMMENT
            }
            b'"' | b'\'' => {
                self.string(start, 0);
                return None;
            }
            b'#' => {
                let mut hashes = 0;
                while self.peek(hashes) == b'#' {
                    hashes += 1;
                }
                match self.peek(hashes) {
                    b'"' | b'\'' => {
                        self.pos += hashes;
                        self.string(start, hashes);
                        return None;
                    }
                    _ => self.identifier(),
                }
            }
            b'_' if self.peek(1) == b'|' && self.peek(2) == b'_' => {
                self.pos += 3;
                BOTTOM
            }
            b'0'..=b'9' => self.number(start),
            b'.' if self.peek(1).is_ascii_digit() => self.number(start),
            b'.' if self.peek(1) == b'.' && self.peek(2) == b'.' => {
                self.pos += 3;
                ELLIPSIS
            }
            b'@' => self.attribute(start),
            b'(' => {
                if let Some(open) = self.interpolations.last_mut() {
                    open.paren_depth += 1;
                }
                self.pos += 1;
                L_PAREN
            }
            b')' => {
                if let Some(open) = self.interpolations.last_mut() {
                    if open.paren_depth == 0 {
                        let quote = open.quote;
                        self.interpolations.pop();
                        self.pos += 1;
                        self.string_body(start, quote, INTERP_MID, INTERP_END);
                        return None;
                    }
                    open.paren_depth -= 1;
                }
                self.pos += 1;
                R_PAREN
            }
            _ if is_ident_start(byte) => self.identifier(),
            _ => {
                let (kind, len) = self.punctuation(byte);
                self.pos += len;
                kind
            }
        };
        Some(kind)
    }

    fn punctuation(&mut self, byte: u8) -> (SyntaxKind, usize) {
        let next = self.peek(1);
        match byte {
            b'{' => (L_CURLY, 1),
            b'}' => (R_CURLY, 1),
            b'[' => (L_BRACK, 1),
            b']' => (R_BRACK, 1),
            b',' => (COMMA, 1),
            b':' => (COLON, 1),
            b'.' => (DOT, 1),
            b'?' => (QUESTION, 1),
            b'+' => (PLUS, 1),
            b'-' => (MINUS, 1),
            b'*' => (STAR, 1),
            b'/' => (SLASH, 1),
            b'&' if next == b'&' => (AMP2, 2),
            b'&' => (AMP, 1),
            b'|' if next == b'|' => (PIPE2, 2),
            b'|' => (PIPE, 1),
            b'=' if next == b'=' => (EQ2, 2),
            b'=' if next == b'~' => (MATCH, 2),
            b'=' => (EQ, 1),
            b'!' if next == b'=' => (NEQ, 2),
            b'!' if next == b'~' => (NOT_MATCH, 2),
            b'!' => (BANG, 1),
            b'<' if next == b'=' => (LTEQ, 2),
            b'<' => (LT, 1),
            b'>' if next == b'=' => (GTEQ, 2),
            b'>' => (GT, 1),
            _ => {
                let start = self.pos;
                let character = self.current_char();
                if character.is_alphabetic() {
                    // A Unicode letter starts an identifier.
                    self.identifier();
                    let len = self.pos - start;
                    self.pos = start;
                    return (IDENT, len);
                }
                let len = character.len_utf8().max(1);
                let shown = if character.is_control() || character == '\u{fffd}' {
                    format!("{:#x}", character as u32)
                } else {
                    format!("'{character}'")
                };
                let message = if start == 0 && character == '\u{feff}' {
                    "byte order mark at the start of the file".to_string()
                } else {
                    format!("invalid character {shown} in source")
                };
                self.error(&registry::INVALID_CHARACTER, message, start, start + len);
                (ERROR_TOKEN, len)
            }
        }
    }

    fn identifier(&mut self) -> SyntaxKind {
        let start = self.pos;
        // Leading `#` or `_#` of definitions.
        while matches!(self.peek(0), b'#' | b'_') {
            self.pos += 1;
        }
        loop {
            let byte = self.peek(0);
            if is_ident_continue(byte) {
                self.pos += 1;
            } else if byte >= 0x80 {
                let character = self.current_char();
                if character.is_alphanumeric() {
                    self.pos += character.len_utf8();
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        let text = &self.text[start..self.pos];
        if text == "#" || text.bytes().all(|b| b == b'#') {
            self.error(
                &registry::INVALID_CHARACTER,
                "'#' must start a definition name or a raw string".to_string(),
                start,
                self.pos,
            );
            return ERROR_TOKEN;
        }
        SyntaxKind::from_keyword(text).unwrap_or(IDENT)
    }

    fn digits(&mut self, is_digit: fn(u8) -> bool, start: usize) -> usize {
        let mut count = 0;
        loop {
            let byte = self.peek(0);
            if is_digit(byte) {
                count += 1;
                self.pos += 1;
            } else if byte == b'_' {
                let previous = if self.pos > start { self.bytes[self.pos - 1] } else { 0 };
                let already_reported = previous == b'_';
                if !already_reported && (!is_digit(previous) || !is_digit(self.peek(1))) {
                    self.error(
                        &registry::INVALID_NUMBER,
                        "illegal '_' in number: '_' must separate two digits".to_string(),
                        self.pos,
                        self.pos + 1,
                    );
                }
                self.pos += 1;
            } else {
                return count;
            }
        }
    }

    fn number(&mut self, start: usize) -> SyntaxKind {
        let mut kind = INT_NUMBER;
        let radix_prefix = if self.peek(0) == b'0' {
            match self.peek(1) {
                b'x' | b'X' => {
                    Some(("hexadecimal", (|b: u8| b.is_ascii_hexdigit()) as fn(u8) -> bool))
                }
                b'o' | b'O' => {
                    Some(("octal", (|b: u8| (b'0'..=b'7').contains(&b)) as fn(u8) -> bool))
                }
                b'b' | b'B' => Some(("binary", (|b: u8| b == b'0' || b == b'1') as fn(u8) -> bool)),
                _ => None,
            }
        } else {
            None
        };
        if let Some((base, is_digit)) = radix_prefix {
            self.pos += 2;
            let digits_start = self.pos;
            if self.digits(is_digit, digits_start) == 0 {
                self.error(
                    &registry::INVALID_NUMBER,
                    format!("{base} literal has no digits"),
                    start,
                    self.pos,
                );
            }
        } else {
            let integer_start = self.pos;
            let integer_digits = self.digits(|b| b.is_ascii_digit(), integer_start);
            if integer_digits > 1
                && self.bytes[integer_start] == b'0'
                && !matches!(self.peek(0), b'.' | b'e' | b'E')
            {
                self.error(
                    &registry::INVALID_NUMBER,
                    "illegal integer number: a leading zero is only allowed in '0', write octal numbers as 0o…".to_string(),
                    start,
                    self.pos,
                );
            }
            if self.peek(0) == b'.' && self.peek(1) != b'.' && !is_ident_start(self.peek(1)) {
                kind = FLOAT_NUMBER;
                self.pos += 1;
                let fraction_start = self.pos;
                if self.peek(0) == b'_' {
                    self.error(
                        &registry::INVALID_NUMBER,
                        "illegal '_' in number: '_' must separate two digits".to_string(),
                        self.pos,
                        self.pos + 1,
                    );
                }
                self.digits(|b| b.is_ascii_digit(), fraction_start);
            }
            if matches!(self.peek(0), b'e' | b'E') {
                let exponent_start = self.pos;
                self.pos += 1;
                if matches!(self.peek(0), b'+' | b'-') {
                    self.pos += 1;
                }
                let digits_start = self.pos;
                if self.digits(|b| b.is_ascii_digit(), digits_start) == 0 {
                    self.error(
                        &registry::INVALID_NUMBER,
                        "exponent has no digits".to_string(),
                        exponent_start,
                        self.pos,
                    );
                }
                kind = FLOAT_NUMBER;
            }
            if matches!(self.peek(0), b'K' | b'M' | b'G' | b'T' | b'P') {
                self.pos += 1;
                if self.peek(0) == b'i' {
                    self.pos += 1;
                }
                kind = INT_NUMBER;
            }
        }
        // Letters glued to a number (`12abc`, `1Ki2`) make the whole run invalid.
        let suffix_start = self.pos;
        while is_ident_continue(self.peek(0)) {
            self.pos += 1;
        }
        if self.pos > suffix_start {
            self.error(
                &registry::INVALID_NUMBER,
                format!(
                    "invalid number: unexpected '{}' after digits",
                    &self.text[suffix_start..self.pos]
                ),
                start,
                self.pos,
            );
        }
        kind
    }

    fn attribute(&mut self, start: usize) -> SyntaxKind {
        self.pos += 1;
        let name_start = self.pos;
        while is_ident_continue(self.peek(0)) || self.peek(0) == b'#' {
            self.pos += 1;
        }
        if self.pos == name_start {
            self.error(
                &registry::INVALID_ATTRIBUTE,
                "'@' must be followed by an attribute name".to_string(),
                start,
                self.pos,
            );
            return ATTRIBUTE;
        }
        if self.peek(0) != b'(' {
            self.error(
                &registry::INVALID_ATTRIBUTE,
                "attribute name must be followed by '('".to_string(),
                start,
                self.pos,
            );
            return ATTRIBUTE;
        }
        // Balanced brackets; strings inside may hold any bracket.
        let mut stack: Vec<u8> = Vec::new();
        while self.pos < self.bytes.len() {
            let byte = self.bytes[self.pos];
            match byte {
                b'(' | b'[' | b'{' => stack.push(byte),
                b')' | b']' | b'}' => {
                    let open = match byte {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    if stack.last() == Some(&open) {
                        stack.pop();
                    }
                    if stack.is_empty() {
                        self.pos += 1;
                        return ATTRIBUTE;
                    }
                }
                b'"' | b'\'' => {
                    self.pos += 1;
                    while self.pos < self.bytes.len()
                        && self.bytes[self.pos] != byte
                        && self.bytes[self.pos] != b'\n'
                    {
                        if self.bytes[self.pos] == b'\\' {
                            self.pos += 1;
                        }
                        self.pos += 1;
                    }
                }
                b'\n' => break,
                _ => {}
            }
            self.pos = (self.pos + 1).min(self.bytes.len());
        }
        // Keep the character boundary: we may have stopped inside nothing but ASCII bookkeeping.
        while !self.text.is_char_boundary(self.pos) {
            self.pos += 1;
        }
        self.error(
            &registry::INVALID_ATTRIBUTE,
            "attribute is not closed: expected ')'".to_string(),
            start,
            self.pos,
        );
        ATTRIBUTE
    }

    /// Lexes a string literal whose opening `#`s (if any) are consumed; the
    /// current byte is the quote.
    fn string(&mut self, start: usize, hashes: usize) {
        let quote = self.bytes[self.pos];
        let multiline = self.peek(1) == quote && self.peek(2) == quote;
        if multiline {
            self.pos += 3;
            // The opening quotes must end their line.
            let mut look = self.pos;
            while matches!(self.bytes.get(look), Some(b' ' | b'\t' | b'\r')) {
                look += 1;
            }
            if !matches!(self.bytes.get(look), Some(b'\n')) {
                self.error(
                    &registry::UNTERMINATED_STRING,
                    "a multi-line string must start with a newline after its opening quotes"
                        .to_string(),
                    start,
                    self.pos,
                );
            }
        } else {
            self.pos += 1;
        }
        self.string_body(start, Quote { quote, hashes, multiline }, INTERP_START, STRING);
    }

    /// Lexes string content up to the closing quote or an interpolation.
    /// Pushes `interp_kind` if an interpolation `\(` starts, else `end_kind`.
    fn string_body(
        &mut self,
        start: usize,
        quote: Quote,
        interp_kind: SyntaxKind,
        end_kind: SyntaxKind,
    ) {
        loop {
            if self.pos >= self.bytes.len() {
                self.error(
                    &registry::UNTERMINATED_STRING,
                    "string literal not terminated".to_string(),
                    start,
                    self.pos,
                );
                self.push(end_kind, start);
                return;
            }
            let byte = self.bytes[self.pos];
            if byte == b'\n' && !quote.multiline {
                self.error(
                    &registry::UNTERMINATED_STRING,
                    "string literal not terminated: it must end on the line it starts".to_string(),
                    start,
                    self.pos,
                );
                self.push(end_kind, start);
                return;
            }
            if byte == quote.quote && self.closes(quote) {
                self.pos += if quote.multiline { 3 } else { 1 } + quote.hashes;
                self.push(end_kind, start);
                return;
            }
            if byte == b'\\' && (1..=quote.hashes).all(|i| self.peek(i) == b'#') {
                let escape_start = self.pos;
                self.pos += 1 + quote.hashes;
                let escaped = self.peek(0);
                if escaped == b'(' {
                    self.pos += 1;
                    self.push(interp_kind, start);
                    self.interpolations.push(OpenInterpolation { quote, paren_depth: 0 });
                    return;
                }
                self.escape(escape_start, escaped, quote);
                continue;
            }
            // Advance by whole characters to keep offsets on boundaries.
            self.pos += utf8_len(byte);
        }
    }

    fn closes(&self, quote: Quote) -> bool {
        let quotes = if quote.multiline { 3 } else { 1 };
        (0..quotes).all(|i| self.peek(i) == quote.quote)
            && (0..quote.hashes).all(|i| self.peek(quotes + i) == b'#')
    }

    fn escape(&mut self, escape_start: usize, escaped: u8, quote: Quote) {
        let hex = |lexer: &mut Lexer<'_>, count: usize| -> bool {
            let ok = (1..=count).all(|i| lexer.peek(i).is_ascii_hexdigit());
            if ok {
                lexer.pos += count + 1;
            } else {
                lexer.pos += 1;
            }
            ok
        };
        let valid = match escaped {
            b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' | b'/' => {
                self.pos += 1;
                true
            }
            b'"' | b'\'' => {
                self.pos += 1;
                escaped == quote.quote
            }
            b'u' => hex(self, 4),
            b'U' => hex(self, 8),
            // `\x` and octal escapes lex in strings too; the literal's decoder
            // rejects them there (as the reference does, at evaluation).
            b'x' => hex(self, 2),
            b'0'..=b'7' => {
                let ok = (1..3).all(|i| (b'0'..=b'7').contains(&self.peek(i)));
                self.pos += if ok { 3 } else { 1 };
                ok
            }
            b'\n' | 0 => false,
            other => {
                self.pos += utf8_len(other);
                false
            }
        };
        if !valid {
            let end = self.pos.min(self.bytes.len());
            let shown = self.text.get(escape_start..end).unwrap_or("\\");
            let message = format!("unknown escape sequence '{shown}'");
            self.errors.push(
                SyntaxError::new(
                    &registry::INVALID_ESCAPE,
                    message,
                    range(escape_start, end.max(escape_start + 1)),
                )
                .with_help("write '\\\\' for a backslash, or use a raw string such as #\"…\"#"),
            );
        }
    }
}

fn utf8_len(first_byte: u8) -> usize {
    match first_byte {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    fn check(input: &str, expected: &str) {
        let (tokens, errors) = tokenize(input);
        let mut out = String::new();
        let mut offset = 0usize;
        for token in &tokens {
            let text = &input[offset..offset + token.len as usize];
            offset += token.len as usize;
            if token.kind != WHITESPACE {
                let _ = writeln!(out, "{:?} {:?}", token.kind, text);
            }
        }
        for error in &errors {
            let _ = writeln!(out, "error {:?}: {}", error.range, error.message);
        }
        assert_eq!(offset, input.len());
        assert_eq!(out.trim_end(), expected.trim(), "\n{out}");
    }

    #[test]
    fn numbers() {
        check(
            "1 0x1F 0o17 0b101 1_000 1Ki 1.5M 1.5 1e3 .5e2 1. 0",
            r##"
INT_NUMBER "1"
INT_NUMBER "0x1F"
INT_NUMBER "0o17"
INT_NUMBER "0b101"
INT_NUMBER "1_000"
INT_NUMBER "1Ki"
INT_NUMBER "1.5M"
FLOAT_NUMBER "1.5"
FLOAT_NUMBER "1e3"
FLOAT_NUMBER ".5e2"
FLOAT_NUMBER "1."
INT_NUMBER "0"
"##,
        );
    }

    #[test]
    fn bad_numbers() {
        check(
            "1__0 1_ 0x 12ab",
            r##"
INT_NUMBER "1__0"
INT_NUMBER "1_"
INT_NUMBER "0x"
INT_NUMBER "12ab"
error 1..2: illegal '_' in number: '_' must separate two digits
error 6..7: illegal '_' in number: '_' must separate two digits
error 8..10: hexadecimal literal has no digits
error 11..15: invalid number: unexpected 'ab' after digits
"##,
        );
    }

    #[test]
    fn strings_and_interpolation() {
        check(
            r##"a: "x\(y + "\(z)")w" #"r\(x)\#(y)"# 'b\x00'"##,
            r##"
IDENT "a"
COLON ":"
INTERP_START "\"x\\("
IDENT "y"
PLUS "+"
INTERP_START "\"\\("
IDENT "z"
INTERP_END ")\""
INTERP_END ")w\""
INTERP_START "#\"r\\(x)\\#("
IDENT "y"
INTERP_END ")\"#"
STRING "'b\\x00'"
"##,
        );
    }

    #[test]
    fn multiline_string() {
        check(
            "x: \"\"\"\n\ta \"quoted\"\n\t\"\"\"\ny: 1",
            r##"
IDENT "x"
COLON ":"
STRING "\"\"\"\n\ta \"quoted\"\n\t\"\"\""
IDENT "y"
COLON ":"
INT_NUMBER "1"
"##,
        );
    }

    #[test]
    fn errors_in_strings() {
        check(
            "a: \"open\nb: \"\\q\\x41\"",
            r##"
IDENT "a"
COLON ":"
STRING "\"open"
IDENT "b"
COLON ":"
STRING "\"\\q\\x41\""
error 3..8: string literal not terminated: it must end on the line it starts
error 13..15: unknown escape sequence '\q'
"##,
        );
    }

    #[test]
    fn identifiers_keywords_operators() {
        check(
            "#A _#b _c $d for _|_ @go(a,\"b)\") ... =~ !~ != ! <= && || é",
            r##"
IDENT "#A"
IDENT "_#b"
IDENT "_c"
IDENT "$d"
FOR_KW "for"
BOTTOM "_|_"
ATTRIBUTE "@go(a,\"b)\")"
ELLIPSIS "..."
MATCH "=~"
NOT_MATCH "!~"
NEQ "!="
BANG "!"
LTEQ "<="
AMP2 "&&"
PIPE2 "||"
IDENT "é"
"##,
        );
    }

    #[test]
    fn invalid_characters() {
        check(
            "a ` \u{1}",
            r##"
IDENT "a"
ERROR_TOKEN "`"
ERROR_TOKEN "\u{1}"
error 2..3: invalid character '`' in source
error 4..5: invalid character 0x1 in source
"##,
        );
    }
}
