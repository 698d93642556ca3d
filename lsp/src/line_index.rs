//! Byte offsets ↔ LSP positions (line, character), in the position encoding
//! negotiated with the client.
//!
//! LSP counts a line's characters in UTF-16 code units unless both sides
//! agree on UTF-8 (bytes); [`Encoding`] names which. Every conversion clamps:
//! a position past the end of a line lands at its end, a line past the end of
//! the text lands at the end of the text, and an offset inside a multi-byte
//! character rounds down to its start. No input makes these functions panic.

/// How a line's characters are counted in positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8 (when the client offers `utf-8`).
    Utf8,
    /// UTF-16 code units (the default every client supports).
    Utf16,
}

/// A zero-based line and character, counted in some [`Encoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub character: u32,
}

/// Where each line of a text starts.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        LineIndex { line_starts }
    }

    /// The position of byte `offset` of `text`.
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let prefix = &text[start..offset];
        let character = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        LineCol { line: line as u32, character: character as u32 }
    }

    /// The byte offset of `position` in `text`, clamped to the line's end.
    pub fn offset(&self, text: &str, position: LineCol, encoding: Encoding) -> usize {
        let Some(start) = self.line_starts.get(position.line as usize).copied() else {
            return text.len();
        };
        let end = self
            .line_starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |next| next.saturating_sub(1));
        let line = text.get(start..end.max(start)).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut counted = 0usize;
        for (index, character) in line.char_indices() {
            if counted >= position.character as usize {
                return start + index;
            }
            counted += match encoding {
                Encoding::Utf8 => character.len_utf8(),
                Encoding::Utf16 => character.len_utf16(),
            };
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_positions_differ_between_encodings() {
        // `é` is 2 bytes and 1 UTF-16 unit; `😀` is 4 bytes and 2 units.
        let text = "a: \"é😀x\"\nb: 1\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x, Encoding::Utf8), LineCol { line: 0, character: 10 });
        assert_eq!(index.position(text, x, Encoding::Utf16), LineCol { line: 0, character: 7 });
        assert_eq!(index.offset(text, LineCol { line: 0, character: 7 }, Encoding::Utf16), x);
        assert_eq!(index.offset(text, LineCol { line: 0, character: 10 }, Encoding::Utf8), x);
        // Past the end of a line: its end; past the last line: the text's end.
        assert_eq!(index.offset(text, LineCol { line: 1, character: 99 }, Encoding::Utf16), 17);
        assert_eq!(index.offset(text, LineCol { line: 9, character: 0 }, Encoding::Utf16), 18);
        // Inside a multi-byte character: its start.
        assert_eq!(index.position(text, 5, Encoding::Utf8), LineCol { line: 0, character: 4 });
    }
}
