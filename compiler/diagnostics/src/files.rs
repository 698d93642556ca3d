//! The file table renderers read: [`FileId`] → name and source text, and byte
//! offsets → 1-based line and column.
//!
//! Columns count Unicode scalar values (`char`s), not bytes and not display
//! width, so a column means the same thing in every renderer and in JSON.
//! Line starts are computed once per file; a lookup is a binary search.
//!
//! Offsets past the end of a file are clamped to its end, and offsets inside a
//! multi-byte character are moved back to the character's start: a renderer
//! never fails or panics because a span is slightly off.

use std::ops::Range;

use crate::diagnostic::{FileId, Span};

/// A position in a file, both parts 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineColumn {
    pub line: u32,
    /// Counted in Unicode scalar values from the start of the line.
    pub column: u32,
}

/// One source file: its display name, its text and where its lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        SourceFile { name: name.into(), text, line_starts }
    }

    /// The name shown to users, usually a path relative to the current directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The offset clamped into the text and moved back to a character boundary.
    pub fn clamp_offset(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The 0-based index of the line containing `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = self.clamp_offset(offset);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next_line) => next_line - 1,
        }
    }

    /// The byte range of a 0-based line, including its line terminator.
    /// Lines past the end are empty ranges at the end of the text.
    pub fn line_range(&self, line_index: usize) -> Range<usize> {
        let end_of_text = self.text.len();
        let start = self.line_starts.get(line_index).copied().unwrap_or(end_of_text);
        let end = self.line_starts.get(line_index + 1).copied().unwrap_or(end_of_text);
        start..end
    }

    /// The 1-based line and column of a byte offset.
    pub fn line_column(&self, offset: usize) -> LineColumn {
        let offset = self.clamp_offset(offset);
        let line_index = self.line_index(offset);
        let line_start = self.line_range(line_index).start;
        let column = self.text[line_start..offset].chars().count();
        LineColumn { line: saturate(line_index + 1), column: saturate(column + 1) }
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// All files of one run, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    /// Adds a file and returns its id. Ids are handed out in order, from 0.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(saturate(self.files.len()));
        self.files.push(SourceFile::new(name, text));
        id
    }

    pub fn get(&self, file: FileId) -> Option<&SourceFile> {
        self.files.get(file.0 as usize)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The start and end (exclusive) positions of a span, or `None` for an unknown file.
    pub fn span_range(&self, span: Span) -> Option<(LineColumn, LineColumn)> {
        let file = self.get(span.file)?;
        Some((file.line_column(span.start as usize), file.line_column(span.end as usize)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, offset: usize, expected: (u32, u32)) {
        let file = SourceFile::new("test.cue", text);
        let position = file.line_column(offset);
        assert_eq!((position.line, position.column), expected, "offset {offset} in {text:?}");
    }

    #[test]
    fn positions_are_one_based() {
        check("", 0, (1, 1));
        check("a: 1\nb: 2\n", 0, (1, 1));
        check("a: 1\nb: 2\n", 3, (1, 4));
        check("a: 1\nb: 2\n", 4, (1, 5));
        check("a: 1\nb: 2\n", 5, (2, 1));
        check("a: 1\nb: 2\n", 10, (3, 1));
    }

    #[test]
    fn columns_count_scalar_values() {
        // "é" is two bytes, "🍦" four.
        check("é🍦x", 6, (1, 3));
        check("x: \"🍦\"\ny", 9, (1, 7));
    }

    #[test]
    fn bad_offsets_are_clamped() {
        check("ab", 100, (1, 3));
        // Inside the four bytes of "🍦": moved back to its start.
        check("a🍦", 3, (1, 2));
    }

    #[test]
    fn line_ranges_include_the_terminator() {
        let file = SourceFile::new("test.cue", "a\r\nbc\nd");
        assert_eq!(file.line_range(0), 0..3);
        assert_eq!(file.line_range(1), 3..6);
        assert_eq!(file.line_range(2), 6..7);
        assert_eq!(file.line_range(3), 7..7);
    }
}
