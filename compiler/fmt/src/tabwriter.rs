//! Elastic tabstops: aligns the cells of consecutive lines.
//!
//! The layout pass writes cells terminated by `\t` (indentation, never
//! discarded) or `\v` (alignment, discarded when the whole column is empty),
//! lines ended by `\n`, and `\f` for a line end that also ends every column
//! block. Text between two [`ESCAPE`] bytes is copied verbatim and never splits
//! cells or lines (multi-line string literals). This follows the semantics of
//! Go's `text/tabwriter` with the settings `cue fmt` uses (minimum width 0,
//! tab width 8, padding 1, space padding, tab indentation, empty columns
//! discarded), so alignment matches the reference byte for byte.

/// Marks the start and end of verbatim text in the layout stream.
pub(crate) const ESCAPE: u8 = 0xff;

const TAB_WIDTH: usize = 8;
const PADDING: usize = 1;

#[derive(Clone, Copy)]
struct Cell {
    /// Byte range of the cell's text in the stripped buffer.
    start: usize,
    end: usize,
    /// Display width (characters).
    width: usize,
    /// Terminated by a hard tab (not discardable).
    htab: bool,
}

/// Runs the elastic-tabstop pass over a whole layout stream.
pub(crate) fn align(stream: &[u8]) -> String {
    let mut writer = Writer {
        text: Vec::with_capacity(stream.len()),
        cells: Vec::new(),
        line_starts: vec![0],
        widths: Vec::new(),
        out: Vec::with_capacity(stream.len() + stream.len() / 8),
    };
    let mut cell_start = 0usize;
    let mut cell_width = 0usize;
    let mut index = 0;
    while index < stream.len() {
        let byte = stream[index];
        match byte {
            ESCAPE => {
                let rest = &stream[index + 1..];
                let len = rest.iter().position(|&b| b == ESCAPE).unwrap_or(rest.len());
                let literal = &rest[..len];
                writer.text.extend_from_slice(literal);
                cell_width += char_count(literal);
                index += len + 2;
                continue;
            }
            b'\t' | b'\x0b' | b'\n' | b'\x0c' => {
                let end = writer.text.len();
                writer.cells.push(Cell {
                    start: cell_start,
                    end,
                    width: cell_width,
                    htab: byte == b'\t',
                });
                cell_start = end;
                cell_width = 0;
                if byte == b'\n' || byte == b'\x0c' {
                    let cells_in_line =
                        writer.cells.len() - writer.line_starts[writer.line_starts.len() - 1];
                    writer.line_starts.push(writer.cells.len());
                    if byte == b'\x0c' || cells_in_line == 1 {
                        writer.flush(true);
                        writer.text.clear();
                        cell_start = 0;
                    }
                }
            }
            _ => {
                writer.text.push(byte);
                if byte & 0xC0 != 0x80 {
                    cell_width += 1;
                }
            }
        }
        index += 1;
    }
    // The unterminated last line.
    let end = writer.text.len();
    if end > cell_start {
        writer.cells.push(Cell { start: cell_start, end, width: cell_width, htab: false });
    }
    writer.flush(false);
    String::from_utf8(writer.out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

struct Writer {
    text: Vec<u8>,
    cells: Vec<Cell>,
    /// Index into `cells` where each line starts; the last entry starts the open line.
    line_starts: Vec<usize>,
    widths: Vec<usize>,
    out: Vec<u8>,
}

impl Writer {
    fn line(&self, line: usize) -> &[Cell] {
        let start = self.line_starts[line];
        let end = self.line_starts.get(line + 1).copied().unwrap_or(self.cells.len());
        &self.cells[start..end]
    }

    /// Formats all complete lines (and, at the end, the open one).
    fn flush(&mut self, only_complete: bool) {
        let complete = self.line_starts.len() - 1;
        let lines = if only_complete { complete } else { self.line_starts.len() };
        self.format(0, lines, complete);
        let open_start = self.line_starts[self.line_starts.len() - 1];
        self.cells.drain(..open_start);
        self.line_starts.clear();
        self.line_starts.push(0);
    }

    fn format(&mut self, mut line0: usize, line1: usize, complete: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.line(this).len() {
                this += 1;
                continue;
            }
            self.write_lines(line0, this, complete);
            line0 = this;
            let mut width = 0;
            let mut discardable = true;
            while this < line1 {
                let line = self.line(this);
                if column + 1 >= line.len() {
                    break;
                }
                let cell = line[column];
                width = width.max(cell.width + PADDING);
                if cell.width > 0 || cell.htab {
                    discardable = false;
                }
                this += 1;
            }
            if discardable {
                width = 0;
            }
            self.widths.push(width);
            self.format(line0, this, complete);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1, complete);
    }

    fn write_lines(&mut self, line0: usize, line1: usize, complete: usize) {
        for line_index in line0..line1 {
            let start = self.line_starts[line_index];
            let end = self.line_starts.get(line_index + 1).copied().unwrap_or(self.cells.len());
            let mut use_tabs = true;
            for cell_index in start..end {
                let cell = self.cells[cell_index];
                let column = cell_index - start;
                if cell.end == cell.start {
                    if column < self.widths.len() {
                        self.pad(cell.width, self.widths[column], use_tabs);
                    }
                } else {
                    use_tabs = false;
                    self.out.extend_from_slice(&self.text[cell.start..cell.end]);
                    if column < self.widths.len() {
                        self.pad(cell.width, self.widths[column], false);
                    }
                }
            }
            if line_index < complete {
                self.out.push(b'\n');
            }
        }
    }

    fn pad(&mut self, text_width: usize, cell_width: usize, use_tabs: bool) {
        if use_tabs {
            let cell_width = cell_width.div_ceil(TAB_WIDTH) * TAB_WIDTH;
            let n = cell_width.saturating_sub(text_width);
            for _ in 0..n.div_ceil(TAB_WIDTH) {
                self.out.push(b'\t');
            }
        } else {
            for _ in text_width..cell_width {
                self.out.push(b' ');
            }
        }
    }
}
