//! The whitespace machine between the layout walk and the tab aligner.
//!
//! The walk asks for whitespace with flags ([`Ws`]) and prints tokens; the
//! printer merges the requests with the spacing the token had in the source
//! (its [`Rel`]ative position) and writes the strongest one: a blank line, a
//! block-ending line break (`\f`), a line break, `, `, nothing, an alignment
//! cell break (`\v`) or a space. Indentation is written as `\t` cells after
//! each line break. The result is a layout stream for [`crate::tabwriter`].

use crate::tabwriter::ESCAPE;

/// Whitespace request flags; several may be pending at once.
pub(crate) type Ws = u32;
pub(crate) const BLANK: Ws = 1 << 0;
pub(crate) const VTAB: Ws = 1 << 1;
pub(crate) const NOBLANK: Ws = 1 << 2;
/// The next token's source spacing does not override the pending request.
pub(crate) const NOOVERRIDE: Ws = 1 << 3;
/// A comma, unless `TRAILCOMMA` is set and no line break follows.
pub(crate) const COMMA_WS: Ws = 1 << 4;
pub(crate) const TRAILCOMMA: Ws = 1 << 5;
/// `, ` between declarations that end up on one line.
pub(crate) const DECLCOMMA: Ws = 1 << 6;
pub(crate) const NEWLINE: Ws = 1 << 7;
/// A line break that also ends the current alignment block.
pub(crate) const FORMFEED: Ws = 1 << 8;
/// A blank line.
pub(crate) const NEWSECTION: Ws = 1 << 9;
pub(crate) const INDENT: Ws = 1 << 10;
pub(crate) const UNINDENT: Ws = 1 << 11;
const INDENTED: Ws = 1 << 12;

const BREAKS: Ws = NEWLINE | NEWSECTION | FORMFEED;

/// The spacing before a token in the source.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Rel {
    None,
    NoSpace,
    Blank,
    Newline,
    NewSection,
}

/// What was printed last, as far as token spacing cares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Last {
    Other,
    RCurly,
    RBrack,
    Plus,
    Minus,
    Slash,
    Int,
    Comment,
}

pub(crate) struct Printer {
    pub(crate) out: Vec<u8>,
    pub(crate) allowed: Ws,
    indent_stack: Vec<Ws>,
    indent: usize,
    /// Line breaks written so far (not counting those inside literals).
    pub(crate) lineout: usize,
    space_before: bool,
    pub(crate) last: Last,
}

impl Printer {
    pub(crate) fn new(capacity: usize) -> Printer {
        Printer {
            out: Vec::with_capacity(capacity),
            allowed: 0,
            indent_stack: Vec::new(),
            indent: 0,
            lineout: 0,
            space_before: false,
            last: Last::Other,
        }
    }

    pub(crate) fn ws(&mut self, flags: Ws) {
        self.allowed |= flags;
    }

    /// Applies the source spacing of the token about to be printed.
    pub(crate) fn rel(&mut self, rel: Rel) {
        if rel == Rel::None || self.allowed & NOOVERRIDE != 0 {
            return;
        }
        let mut requested = self.allowed;
        match rel {
            Rel::NoSpace => requested &= !BREAKS,
            Rel::Blank => {
                requested |= BLANK;
                requested &= !BREAKS;
            }
            Rel::Newline => requested |= NEWLINE,
            Rel::NewSection => requested |= NEWSECTION,
            Rel::None => {}
        }
        self.write_whitespace(requested);
        self.allowed = 0;
    }

    /// Prints text (a token, label or comment).
    pub(crate) fn text(&mut self, text: &str, literal: bool, last: Last) {
        self.write_whitespace(self.allowed);
        self.allowed = 0;
        self.write_text(text, literal);
        self.last = last;
    }

    /// Prints a keyword-like token that must be separated by blanks from its neighbours.
    pub(crate) fn keyword(&mut self, text: &str) {
        if !self.space_before {
            self.allowed |= BLANK;
        }
        self.text(text, false, Last::Other);
        self.allowed = BLANK;
    }

    /// Prints an operator token, keeping `++`, `--` and `/*` apart.
    pub(crate) fn operator(&mut self, text: &str, last: Last) {
        let first = text.as_bytes().first().copied().unwrap_or(b' ');
        let clash = matches!(
            (self.last, first),
            (Last::Plus, b'+') | (Last::Minus, b'-') | (Last::Slash, b'*')
        );
        if clash && !self.space_before {
            self.allowed |= BLANK;
        }
        self.text(text, false, last);
    }

    pub(crate) fn eof(&mut self) {
        self.allowed = NEWLINE;
        self.write_whitespace(self.allowed);
        self.allowed = 0;
    }

    pub(crate) fn mark_unindent_line(&mut self) {
        if let Some(top) = self.indent_stack.pop()
            && top & INDENTED != 0
        {
            self.indent = self.indent.saturating_sub(1);
        }
    }

    fn maybe_indent_line(&mut self, ws: Ws) {
        if ws & UNINDENT == 0
            && let Some(top) = self.indent_stack.last_mut()
        {
            if *top & INDENTED != 0 || *top & INDENT == 0 {
                return;
            }
            *top |= INDENTED;
            self.indent += 1;
        }
    }

    fn write_whitespace(&mut self, ws: Ws) {
        if ws & COMMA_WS != 0 && (ws & BREAKS != 0 || ws & TRAILCOMMA == 0) {
            self.out.push(b',');
        }
        if ws & INDENT != 0 {
            self.indent_stack.push(ws);
        }
        if ws & UNINDENT != 0 {
            self.mark_unindent_line();
        }
        if ws & NEWSECTION != 0 {
            self.maybe_indent_line(ws);
            self.line_break(b'\x0c', 2);
            self.lineout += 2;
        } else if ws & FORMFEED != 0 {
            self.maybe_indent_line(ws);
            self.line_break(b'\x0c', 1);
            self.lineout += 1;
        } else if ws & NEWLINE != 0 {
            self.maybe_indent_line(ws);
            self.line_break(b'\n', 1);
            self.lineout += 1;
        } else if ws & DECLCOMMA != 0 {
            self.out.extend_from_slice(b", ");
            self.space_before = true;
        } else if ws & NOBLANK != 0 {
        } else if ws & VTAB != 0 {
            self.out.push(b'\x0b');
            self.space_before = true;
        } else if ws & BLANK != 0 {
            self.out.push(b' ');
            self.space_before = true;
        }
    }

    fn line_break(&mut self, byte: u8, count: usize) {
        for _ in 0..count {
            self.out.push(byte);
        }
        for _ in 0..self.indent {
            self.out.push(b'\t');
        }
        self.space_before = true;
    }

    fn write_text(&mut self, text: &str, literal: bool) {
        if text.is_empty() {
            return;
        }
        self.space_before = false;
        if literal {
            self.out.push(ESCAPE);
            self.out.extend_from_slice(text.as_bytes());
            self.out.push(ESCAPE);
        } else {
            self.out.extend_from_slice(text.as_bytes());
        }
    }

    pub(crate) fn indent_level(&self) -> usize {
        self.indent
    }
}
