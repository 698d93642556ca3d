//! `text/tabwriter`: `Write` aligns tab-separated cells into columns, as Go's
//! `text/tabwriter` does with the reference's settings (no minimum width,
//! one space of padding, padded with spaces, no flags).
//!
//! A cell ends at a tab; the text after a line's last tab is not part of
//! any column. A column is a run of consecutive lines that have a cell in
//! it, as wide as its widest cell plus the padding. A line without a tab
//! ends all columns above it. Widths count characters. A list of strings
//! is written one string a line.

use super::{Builtin, arg, function, string};
use crate::data::Data;

const PADDING: usize = 1;

pub(super) const FUNCTIONS: &[Builtin] = &[function("text/tabwriter", "Write", 1, |a| {
    let text = match arg(a, 0)? {
        Data::String(text) => text.clone(),
        Data::List(items) => {
            let mut text = String::new();
            for (index, item) in items.iter().enumerate() {
                let Data::String(line) = item else {
                    return Err(format!(
                        "invalid list element {index} in argument 0 to call: cannot use value {} ({}) as string",
                        super::cue_text(item),
                        item.kind_name()
                    ));
                };
                text.push_str(line);
                text.push('\n');
            }
            text
        }
        _ => return Err(super::arg_error(a, 0, "string or list of strings")),
    };
    Ok(string(write(&text)))
})];

struct Cell {
    text: String,
    width: usize,
}

/// Lines of cells; the last line is the one being read.
struct Table {
    lines: Vec<Vec<Cell>>,
}

fn write(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut table = Table { lines: vec![Vec::new()] };
    let mut cell = String::new();
    for character in input.chars() {
        match character {
            '\t' | '\u{b}' | '\n' | '\u{c}' => {
                let text = std::mem::take(&mut cell);
                let width = text.chars().count();
                if let Some(line) = table.lines.last_mut() {
                    line.push(Cell { text, width });
                }
                if character == '\n' || character == '\u{c}' {
                    let cells = table.lines.last().map_or(0, Vec::len);
                    table.lines.push(Vec::new());
                    // A line without a tab cannot widen a column: write what is buffered.
                    if character == '\u{c}' || cells == 1 {
                        table.flush(&mut out);
                    }
                }
            }
            other => cell.push(other),
        }
    }
    if !cell.is_empty() {
        let width = cell.chars().count();
        if let Some(line) = table.lines.last_mut() {
            line.push(Cell { text: cell, width });
        }
    }
    table.flush(&mut out);
    out
}

impl Table {
    fn flush(&mut self, out: &mut String) {
        let mut widths = Vec::new();
        self.format(out, &mut widths, 0, self.lines.len());
        self.lines = vec![Vec::new()];
    }

    /// Writes lines `first..end`, whose columns before `widths.len()` are
    /// decided, finding the blocks of the next column.
    fn format(&self, out: &mut String, widths: &mut Vec<usize>, first: usize, end: usize) {
        let column = widths.len();
        let has_cell = |line: &Vec<Cell>| column + 1 < line.len();
        let mut start = first;
        let mut index = first;
        while index < end {
            if !has_cell(&self.lines[index]) {
                index += 1;
                continue;
            }
            self.write_lines(out, widths, start, index);
            start = index;
            let mut width = 0;
            while index < end && has_cell(&self.lines[index]) {
                width = width.max(self.lines[index][column].width + PADDING);
                index += 1;
            }
            widths.push(width);
            self.format(out, widths, start, index);
            widths.pop();
            start = index;
        }
        self.write_lines(out, widths, start, end);
    }

    fn write_lines(&self, out: &mut String, widths: &[usize], first: usize, end: usize) {
        for index in first..end {
            for (column, cell) in self.lines[index].iter().enumerate() {
                out.push_str(&cell.text);
                if let Some(&width) = widths.get(column) {
                    for _ in cell.width..width {
                        out.push(' ');
                    }
                }
            }
            if index + 1 < self.lines.len() {
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(args: Vec<crate::data::Data>) -> String {
        text(call("text/tabwriter", "Write", args))
    }

    #[test]
    fn columns_like_go() {
        assert_eq!(t(vec![s("a\tb\nccc\td\n")]), r#""a   b\nccc d\n""#);
        assert_eq!(t(vec![s("a\tb")]), r#""a b""#);
        assert_eq!(t(vec![s("\tx\n\t\ty\n")]), r#"" x\n  y\n""#);
        // A line without a tab ends the columns above it.
        assert_eq!(
            t(vec![list(vec![s("a\tb\tc"), s("dddddd\te\tf"), s("x"), s("gg\th")])]),
            r#""a      b c\ndddddd e f\nx\ngg h\n""#
        );
        assert_eq!(t(vec![s("é\tx\nab\ty")]), r#""é  x\nab y""#);
        assert_eq!(
            t(vec![n("1")]),
            "error: cannot use 1 (type int) as string or list of strings in argument 1 to text/tabwriter.Write"
        );
    }
}
