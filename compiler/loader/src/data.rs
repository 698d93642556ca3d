//! Data files given to `froyo export` and `froyo eval` beside CUE: JSON,
//! JSON Lines, YAML and TOML, as `cue export schema.cue data.yaml` takes them.
//!
//! Each file is decoded here and turned into CUE text that the evaluator
//! unifies with the package like any other file. The text is **line-aligned**
//! with the file: every value starts on the line it starts on in the file,
//! so an evaluation error in the data (a value the schema refuses) is
//! reported at the data's own line. JSON and JSON Lines are CUE already and
//! are passed through byte for byte (after a strict JSON check, since CUE
//! accepts more than JSON does).
//!
//! A file may hold several values (JSON Lines, YAML documents separated by
//! `---`): [`DataFile::values`] are their byte ranges in [`DataFile::text`],
//! and [`DataFile::value_text`] is the text of one of them with every other
//! byte blanked (newlines kept), so that offsets stay those of the whole text.
//!
//! YAML is read with the YAML 1.2 core schema: `true`/`false`, `null`/`~`,
//! decimal, `0o` octal and `0x` hexadecimal integers and decimal floats are
//! resolved; everything else (`yes`, `on`, `1m`, `2001-12-14`) is a string.
//! `.inf` and `.nan` (YAML and TOML) have no CUE value and are errors.
//! TOML dates and times become strings.
//!
//! Invariant: no input makes this module panic; every error has the byte
//! range in the original file where it was found.

use std::ops::Range;
use std::path::Path;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The formats read as data, by file name extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// `.json`
    Json,
    /// `.jsonl`, `.ndjson`, `.ldjson`: one JSON value after another.
    JsonLines,
    /// `.yaml`, `.yml`: one value per document.
    Yaml,
    /// `.toml`
    Toml,
}

impl DataKind {
    /// The kind of data `path` holds, by its extension; `None` for CUE and anything else.
    pub fn of(path: &Path) -> Option<DataKind> {
        let extension = path.extension()?.to_str()?;
        Some(match extension.to_ascii_lowercase().as_str() {
            "json" => DataKind::Json,
            "jsonl" | "ndjson" | "ldjson" => DataKind::JsonLines,
            "yaml" | "yml" => DataKind::Yaml,
            "toml" => DataKind::Toml,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DataKind::Json => "JSON",
            DataKind::JsonLines => "JSON Lines",
            DataKind::Yaml => "YAML",
            DataKind::Toml => "TOML",
        }
    }
}

/// A decoded data file: its values as CUE text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// CUE text of every value, line-aligned with the file.
    pub text: String,
    /// The byte range of each value in `text`, in file order; at least one.
    pub values: Vec<Range<usize>>,
}

impl DataFile {
    /// The text of value `index` alone: every byte of `text` outside its
    /// range replaced by a space, newlines kept (offsets and lines stay).
    pub fn value_text(&self, index: usize) -> String {
        let Some(range) = self.values.get(index) else { return String::new() };
        if self.values.len() == 1 {
            return self.text.clone();
        }
        let mut text = String::with_capacity(self.text.len());
        for (offset, c) in self.text.char_indices() {
            if range.contains(&offset) || c == '\n' {
                text.push(c);
            } else {
                // As many bytes as the character: offsets stay.
                text.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        text
    }
}

/// The values of a file that holds one, at `range`.
fn one_value(range: Range<usize>) -> Vec<Range<usize>> {
    std::iter::once(range).collect()
}

/// Why a data file could not be read, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub message: String,
    /// Byte range in the file's own text.
    pub range: Range<usize>,
}

/// Decodes `text` as `kind`.
pub fn decode(kind: DataKind, text: &str) -> Result<DataFile, DataError> {
    match kind {
        DataKind::Json => json(text),
        DataKind::JsonLines => json_lines(text),
        DataKind::Yaml => yaml(text),
        DataKind::Toml => toml(text),
    }
}

// --- JSON ----------------------------------------------------------------------

fn json_error(text: &str, error: &serde_json::Error) -> DataError {
    let offset = offset_of(text, error.line(), error.column().saturating_sub(1));
    // serde_json says "… at line L column C": the position is shown apart.
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    DataError { message, range: point(text, offset) }
}

/// The range of the character at byte `offset` of `text` (empty at its end).
fn point(text: &str, offset: usize) -> Range<usize> {
    let start = clamp_boundary(text, offset);
    let end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
    start..end
}

fn json(text: &str) -> Result<DataFile, DataError> {
    use serde::Deserialize as _;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde::de::IgnoredAny::deserialize(&mut deserializer)
        .and_then(|_| deserializer.end())
        .map_err(|error| json_error(text, &error))?;
    Ok(DataFile { text: text.to_string(), values: one_value(0..text.len()) })
}

fn json_lines(text: &str) -> Result<DataFile, DataError> {
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut end = 0;
    while let Some(next) = stream.next() {
        next.map_err(|error| json_error(text, &error))?;
        let start = end + text[end..].len() - text[end..].trim_start().len();
        end = stream.byte_offset();
        values.push(start..end);
    }
    if values.is_empty() {
        // No value at all: nothing to unify (as an empty struct would be).
        return Ok(DataFile { text: " ".repeat(text.len()), values: one_value(0..0) });
    }
    Ok(DataFile { text: text.to_string(), values })
}

/// The byte offset of (1-based `line`, 0-based byte `column`) in `text`, clamped.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let column = column.min(content.trim_end_matches('\n').len());
            let mut at = offset + column;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return at;
        }
        offset += content.len();
    }
    text.len()
}

// --- Writing line-aligned CUE ---------------------------------------------------

/// CUE text written value by value, each placed on the line (and, when the
/// line is new, the column) where it starts in the data file.
struct Aligned {
    text: String,
    /// 0-based line the text ends on.
    line: usize,
}

impl Aligned {
    fn new() -> Aligned {
        Aligned { text: String::new(), line: 0 }
    }

    /// Moves to 0-based `line`/`column` when that is forward.
    fn go_to(&mut self, line: usize, column: usize) {
        if line > self.line {
            for _ in self.line..line {
                self.text.push('\n');
            }
            self.line = line;
            for _ in 0..column.min(256) {
                self.text.push(' ');
            }
        }
    }

    fn push(&mut self, text: &str) {
        self.line += text.matches('\n').count();
        self.text.push_str(text);
    }
}

/// A CUE string literal for `value` (JSON's escapes are CUE's).
pub(crate) fn string_literal(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string())
}

// --- YAML ------------------------------------------------------------------------

/// One open collection while reading YAML events.
enum Open {
    Sequence {
        first: bool,
    },
    /// `key` is true while the next node is a key.
    Mapping {
        first: bool,
        key: bool,
    },
}

struct YamlWriter<'t> {
    source: &'t str,
    out: Aligned,
    open: Vec<Open>,
    /// Anchor id → the CUE text of its node (on one line).
    anchors: Vec<(usize, String)>,
    /// For each open node with an anchor: (anchor, start in `out.text`).
    anchoring: Vec<(usize, usize)>,
    /// For each open collection, its anchor (0: none).
    collection_anchors: Vec<usize>,
    /// Start of the current document in `out.text`.
    document_start: Option<usize>,
    values: Vec<Range<usize>>,
    error: Option<DataError>,
}

impl YamlWriter<'_> {
    fn fail(&mut self, message: impl Into<String>, mark: Marker) {
        if self.error.is_none() {
            let at = offset_of(self.source, mark.line(), mark.col());
            let at = char_offset(self.source, mark.index()).unwrap_or(at);
            self.error = Some(DataError { message: message.into(), range: point(self.source, at) });
        }
    }

    /// Writes what comes before a node at `mark`: a separator, and a key's
    /// `: ` or a value's place. Returns false when the node is a mapping key
    /// that is not a scalar.
    fn before_node(&mut self, mark: Marker, is_scalar: bool) -> bool {
        self.before_node_at(mark, is_scalar, true)
    }

    /// As [`Self::before_node`]; `moves`: whether the node starts where
    /// `mark` is (an empty scalar's mark is the next token's).
    fn before_node_at(&mut self, mark: Marker, is_scalar: bool, moves: bool) -> bool {
        let line = if moves { mark.line().saturating_sub(1) } else { 0 };
        match self.open.last_mut() {
            Some(Open::Sequence { first }) => {
                let separator = !*first;
                *first = false;
                if separator {
                    self.out.push(",");
                }
                self.out.go_to(line, mark.col());
            }
            Some(Open::Mapping { first, key: true }) => {
                if !is_scalar {
                    return false;
                }
                let separator = !*first;
                *first = false;
                if separator {
                    self.out.push(",");
                }
                self.out.go_to(line, mark.col());
            }
            Some(Open::Mapping { key: false, .. }) | None => self.out.go_to(line, mark.col()),
        }
        true
    }

    /// After a complete node: a key is followed by its value, a value by the next key.
    fn after_node(&mut self) {
        if let Some(Open::Mapping { key, .. }) = self.open.last_mut() {
            if *key {
                self.out.push(": ");
            }
            *key = !*key;
        }
    }

    fn in_key(&self) -> bool {
        matches!(self.open.last(), Some(Open::Mapping { key: true, .. }))
    }

    fn begin_anchor(&mut self, anchor: usize) {
        if anchor > 0 {
            self.anchoring.push((anchor, self.out.text.len()));
        }
    }

    fn end_anchor(&mut self, anchor: usize) {
        if anchor > 0
            && let Some(position) = self.anchoring.iter().rposition(|(id, _)| *id == anchor)
        {
            let (_, start) = self.anchoring.remove(position);
            let text: String =
                self.out.text[start..].chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
            self.anchors.push((anchor, text.trim().to_string()));
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<String>,
        mark: Marker,
    ) {
        let empty = value.is_empty() && style == TScalarStyle::Plain;
        if !self.before_node_at(mark, true, !empty) {
            return;
        }
        self.begin_anchor(anchor);
        let key = self.in_key();
        let text = if key {
            string_literal(&value)
        } else {
            match resolve_scalar(&value, style, tag.as_deref()) {
                Ok(text) => text,
                Err(message) => {
                    self.fail(message, mark);
                    return;
                }
            }
        };
        self.out.push(&text);
        self.end_anchor(anchor);
        self.after_node();
    }
}

/// The tag's suffix after YAML's standard prefix (`!!str` → `str`).
fn standard_tag(handle: &str, suffix: &str) -> Option<String> {
    match handle {
        "!!" | "tag:yaml.org,2002:" => Some(suffix.to_string()),
        _ => None,
    }
}

/// The CUE text of a YAML scalar's value under the core schema.
fn resolve_scalar(value: &str, style: TScalarStyle, tag: Option<&str>) -> Result<String, String> {
    match tag {
        Some("str") => return Ok(string_literal(value)),
        Some("null") => return Ok("null".to_string()),
        Some("bool") | Some("int") | Some("float") => {
            return resolve_plain(value)
                .filter(|resolved| kind_matches(tag, resolved))
                .ok_or_else(|| format!("`{value}` is not a valid !!{}", tag.unwrap_or_default()))
                .and_then(|resolved| resolved);
        }
        Some(other) if !other.is_empty() => {
            return Err(format!("unsupported YAML tag `{other}`"));
        }
        _ => {}
    }
    if style != TScalarStyle::Plain {
        return Ok(string_literal(value));
    }
    resolve_plain(value).unwrap_or_else(|| Ok(string_literal(value)))
}

fn kind_matches(tag: Option<&str>, resolved: &Result<String, String>) -> bool {
    let Ok(text) = resolved else { return true };
    match tag {
        Some("bool") => text == "true" || text == "false",
        Some("int") => {
            !text.contains(['.', 'e', 'E']) && text != "null" && text != "true" && text != "false"
        }
        Some("float") => text != "null" && text != "true" && text != "false",
        _ => true,
    }
}

/// A plain scalar's value under the YAML 1.2 core schema, as CUE text; None
/// for a string. `Some(Err)` for values CUE cannot hold (`.inf`, `.nan`).
fn resolve_plain(value: &str) -> Option<Result<String, String>> {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Ok("null".to_string())),
        "true" | "True" | "TRUE" => return Some(Ok("true".to_string())),
        "false" | "False" | "FALSE" => return Some(Ok("false".to_string())),
        _ => {}
    }
    let (sign, digits) = match value.as_bytes().first() {
        Some(b'-') => ("-", &value[1..]),
        Some(b'+') => ("", &value[1..]),
        _ => ("", value),
    };
    let lower = digits.to_ascii_lowercase();
    if lower == ".inf" || (lower == ".nan" && sign.is_empty() && digits.len() == value.len()) {
        return Some(Err(format!("`{value}` has no CUE value (CUE numbers are finite)")));
    }
    if sign.is_empty() && digits.len() == value.len() {
        if let Some(octal) = value.strip_prefix("0o")
            && !octal.is_empty()
            && octal.bytes().all(|b| (b'0'..=b'7').contains(&b))
        {
            return Some(Ok(format!("0o{octal}")));
        }
        if let Some(hex) = value.strip_prefix("0x")
            && !hex.is_empty()
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Some(Ok(format!("0x{hex}")));
        }
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = digits.trim_start_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        let sign = if trimmed == "0" { "" } else { sign };
        return Some(Ok(format!("{sign}{trimmed}")));
    }
    decimal_float(digits).map(|float| Ok(format!("{sign}{float}")))
}

/// `[0-9]+ (\. [0-9]*)? | \. [0-9]+`, then an optional exponent: the CUE
/// text of that float (`1.` → `1.0`, `.5` → `0.5`).
fn decimal_float(text: &str) -> Option<String> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !fraction.is_none_or(digits) {
        return None;
    }
    if whole.is_empty() && fraction.is_none_or(str::is_empty) {
        return None;
    }
    if fraction.is_none() && exponent.is_none() {
        return None;
    }
    let exponent = match exponent {
        None => String::new(),
        Some(exponent) => {
            let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if unsigned.is_empty() || !digits(unsigned) {
                return None;
            }
            format!("e{exponent}")
        }
    };
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = match fraction {
        Some("") | None => "0",
        Some(fraction) => fraction,
    };
    Some(format!("{whole}.{fraction}{exponent}"))
}

/// The byte offset of the `index`th character of `text`.
fn char_offset(text: &str, index: usize) -> Option<usize> {
    text.char_indices()
        .nth(index)
        .map(|(offset, _)| offset)
        .or((index == text.chars().count()).then_some(text.len()))
}

impl MarkedEventReceiver for YamlWriter<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::DocumentStart => {
                self.out.go_to(mark.line().saturating_sub(1), 0);
                self.document_start = Some(self.out.text.len());
            }
            Event::DocumentEnd => {
                if let Some(start) = self.document_start.take() {
                    if self.out.text[start..].trim().is_empty() {
                        // An empty document is null.
                        self.out.push("null");
                    }
                    self.values.push(start..self.out.text.len());
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.and_then(|tag| {
                    standard_tag(&tag.handle, &tag.suffix)
                        .or_else(|| Some(format!("{}{}", tag.handle, tag.suffix)))
                });
                self.scalar(value, style, anchor, tag, mark);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let mapping = matches!(event, Event::MappingStart(..));
                if !self.before_node(mark, false) {
                    self.fail(
                        "a YAML mapping key must be a scalar (CUE field names are strings)",
                        mark,
                    );
                    return;
                }
                self.begin_anchor(anchor);
                self.out.push(if mapping { "{" } else { "[" });
                self.open.push(if mapping {
                    Open::Mapping { first: true, key: true }
                } else {
                    Open::Sequence { first: true }
                });
                self.collection_anchors.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let close = match self.open.pop() {
                    Some(Open::Mapping { .. }) => "}",
                    _ => "]",
                };
                self.out.push(close);
                let anchor = self.collection_anchors.pop().unwrap_or(0);
                self.end_anchor(anchor);
                self.after_node();
            }
            Event::Alias(id) => {
                let Some(text) = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, text)| text.clone())
                else {
                    self.fail("an alias of an anchor not defined before it", mark);
                    return;
                };
                let in_key = self.in_key();
                if !self.before_node(mark, true) {
                    return;
                }
                if in_key && !text.starts_with('"') {
                    self.fail("an alias used as a mapping key must name a string", mark);
                    return;
                }
                self.out.push(&text);
                self.after_node();
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
    }
}

fn yaml(text: &str) -> Result<DataFile, DataError> {
    let mut writer = YamlWriter {
        source: text,
        out: Aligned::new(),
        open: Vec::new(),
        anchors: Vec::new(),
        anchoring: Vec::new(),
        collection_anchors: Vec::new(),
        document_start: None,
        values: Vec::new(),
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(error) = parser.load(&mut writer, true) {
        let mark = error.marker();
        let at = char_offset(text, mark.index())
            .unwrap_or_else(|| offset_of(text, mark.line(), mark.col()));
        return Err(DataError { message: error.info().to_string(), range: point(text, at) });
    }
    if let Some(error) = writer.error {
        return Err(error);
    }
    let mut values = writer.values;
    let mut out = writer.out.text;
    if values.is_empty() {
        // No document at all: null, as an empty document.
        values.push(out.len()..out.len() + 4);
        out.push_str("null");
    }
    Ok(DataFile { text: out, values })
}

// --- TOML ------------------------------------------------------------------------

/// Where offsets of a text are: 0-based line and column.
struct Lines<'t> {
    text: &'t str,
}

impl Lines<'_> {
    fn line(&self, offset: usize) -> usize {
        let offset = clamp_boundary(self.text, offset);
        self.text[..offset].matches('\n').count()
    }

    fn column(&self, offset: usize) -> usize {
        let offset = clamp_boundary(self.text, offset);
        offset - self.text[..offset].rfind('\n').map_or(0, |at| at + 1)
    }
}

fn clamp_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn toml(text: &str) -> Result<DataFile, DataError> {
    let table = toml::de::DeTable::parse(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        let start = clamp_boundary(text, span.start);
        let end = clamp_boundary(text, span.end).max(start);
        DataError { message: error.message().trim().to_string(), range: start..end }
    })?;
    let lines = Lines { text };
    let mut out = Aligned::new();
    toml_value(&lines, &mut out, &toml::de::DeValue::Table(table.into_inner()), 0..0)?;
    let end = out.text.len();
    Ok(DataFile { text: out.text, values: one_value(0..end) })
}

fn toml_value(
    lines: &Lines<'_>,
    out: &mut Aligned,
    value: &toml::de::DeValue<'_>,
    at: Range<usize>,
) -> Result<(), DataError> {
    use toml::de::DeValue;
    match value {
        DeValue::String(string) => out.push(&string_literal(string)),
        DeValue::Boolean(boolean) => out.push(if *boolean { "true" } else { "false" }),
        DeValue::Datetime(datetime) => out.push(&string_literal(&datetime.to_string())),
        DeValue::Integer(integer) => {
            let raw: String = integer.as_str().chars().filter(|c| *c != '_').collect();
            let (sign, unsigned) = match raw.as_bytes().first() {
                Some(b'-') => ("-", &raw[1..]),
                Some(b'+') => ("", &raw[1..]),
                _ => ("", raw.as_str()),
            };
            let prefix = match integer.radix() {
                16 => "0x",
                8 => "0o",
                2 => "0b",
                _ => "",
            };
            let digits = unsigned.strip_prefix(prefix).unwrap_or(unsigned);
            out.push(&format!("{sign}{prefix}{digits}"));
        }
        DeValue::Float(float) => {
            let raw: String = float.as_str().chars().filter(|c| *c != '_').collect();
            let (sign, unsigned) = match raw.as_bytes().first() {
                Some(b'-') => ("-", &raw[1..]),
                Some(b'+') => ("", &raw[1..]),
                _ => ("", raw.as_str()),
            };
            let Some(float) = decimal_float(unsigned) else {
                return Err(DataError {
                    message: format!("`{raw}` has no CUE value (CUE numbers are finite)"),
                    range: at,
                });
            };
            out.push(&format!("{sign}{float}"));
        }
        DeValue::Array(items) => {
            out.push("[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(",");
                }
                let start = item.span().start;
                out.go_to(lines.line(start), lines.column(start));
                toml_value(lines, out, item.get_ref(), item.span())?;
            }
            out.push("]");
        }
        DeValue::Table(table) => {
            out.push("{");
            for (index, (key, item)) in table.iter().enumerate() {
                if index > 0 {
                    out.push(",");
                }
                let start = key.span().start;
                out.go_to(lines.line(start), lines.column(start));
                out.push(&string_literal(key.get_ref()));
                out.push(": ");
                toml_value(lines, out, item.get_ref(), item.span())?;
            }
            out.push("}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(kind: DataKind, text: &str, expected: Expect) {
        let shown = match decode(kind, text) {
            Ok(file) => {
                let mut shown = file.text.clone();
                for (index, range) in file.values.iter().enumerate() {
                    shown.push_str(&format!("\n--- value {index}: {range:?}"));
                }
                shown
            }
            Err(error) => format!("error at {:?}: {}", error.range, error.message),
        };
        expected.assert_eq(&shown);
    }

    #[test]
    fn json_passes_through_and_is_checked_strictly() {
        check(
            DataKind::Json,
            "{\"a\": [1, 2.5e3, \"x\"]}\n",
            expect![[r#"
            {"a": [1, 2.5e3, "x"]}

            --- value 0: 0..23"#]],
        );
        check(DataKind::Json, "{\"a\": 1,}\n", expect!["error at 8..9: key must be a string"]);
        check(
            DataKind::Json,
            "{\"a\": 1}\n{\"b\": 2}\n",
            expect![[r#"error at 9..10: trailing characters"#]],
        );
        check(DataKind::Json, "// comment\n{}", expect![[r#"error at 0..1: expected value"#]]);
        check(DataKind::Json, "", expect![[r#"error at 0..0: EOF while parsing a value"#]]);
    }

    #[test]
    fn json_lines_are_values_in_place() {
        let text = "{\"a\": 1}\n\n{\"a\": 2}\n";
        check(
            DataKind::JsonLines,
            text,
            expect![[r#"
            {"a": 1}

            {"a": 2}

            --- value 0: 0..8
            --- value 1: 10..18"#]],
        );
        let file = decode(DataKind::JsonLines, text).unwrap();
        assert_eq!(file.value_text(1), "        \n\n{\"a\": 2}\n");
        assert_eq!(file.value_text(1).len(), text.len());
        check(
            DataKind::JsonLines,
            "{\"a\": 1}\n{\"a\" 2}\n",
            expect![[r#"error at 14..15: expected `:`"#]],
        );
    }

    #[test]
    fn yaml_core_schema_and_lines() {
        check(
            DataKind::Yaml,
            "name: web\nport: 8080\nratio: .5\nbig: 1e3\noctal: 0o17\nhex: 0x1F\nzeros: 007\n\
             on: yes\nwhen: 1m\nday: 2001-12-14\nnothing: ~\nempty:\nflag: True\nquoted: \"80\"\n\
             text: !!str 12\nlist:\n  - a\n  - b: 1\n",
            expect![[r#"
                {"name": "web",
                "port": 8080,
                "ratio": 0.5,
                "big": 1.0e3,
                "octal": 0o17,
                "hex": 0x1F,
                "zeros": 7,
                "on": "yes",
                "when": "1m",
                "day": "2001-12-14",
                "nothing": null,
                "empty": null,
                "flag": true,
                "quoted": "80",
                "text": "12",
                "list": 
                  ["a",
                     {"b": 1}]}
                --- value 0: 0..254"#]],
        );
    }

    #[test]
    fn yaml_documents_anchors_and_errors() {
        check(
            DataKind::Yaml,
            "a: &x {k: 1}\nb: *x\n---\n- 1\n---\n",
            expect![[r#"
            {"a": {"k": 1},
            "b": {"k": 1}}

            [1]
            null
            --- value 0: 0..30
            --- value 1: 31..35
            --- value 2: 36..40"#]],
        );
        check(
            DataKind::Yaml,
            "",
            expect![[r#"
            null
            --- value 0: 0..4"#]],
        );
        check(
            DataKind::Yaml,
            "a: .inf\n",
            expect![[r#"error at 3..4: `.inf` has no CUE value (CUE numbers are finite)"#]],
        );
        check(
            DataKind::Yaml,
            "? [a]\n: 1\n",
            expect![[
                r#"error at 2..3: a YAML mapping key must be a scalar (CUE field names are strings)"#
            ]],
        );
        check(
            DataKind::Yaml,
            "a: [1\nb: 2\n",
            expect!["error at 7..8: illegal placement of ':' indicator"],
        );
        check(
            DataKind::Yaml,
            "a: !custom 1\n",
            expect![[r#"error at 11..12: unsupported YAML tag `!custom`"#]],
        );
        check(
            DataKind::Yaml,
            "a: *nope\n",
            expect![[r#"error at 3..4: while parsing node, found unknown anchor"#]],
        );
    }

    #[test]
    fn toml_tables_arrays_and_times() {
        check(
            DataKind::Toml,
            "title = \"x\"\nport = 0x1F\nbig = 1_000\nratio = 1e3\nwhen = 1979-05-27T07:32:00Z\n\n[server]\nhosts = [\"a\", \"b\"]\n",
            expect![[r#"
                {"title": "x",
                "port": 0x1F,
                "big": 1000,
                "ratio": 1.0e3,
                "when": "1979-05-27T07:32:00Z",

                 "server": {
                "hosts": ["a","b"]}}
                --- value 0: 0..124"#]],
        );
        check(
            DataKind::Toml,
            "a = inf\n",
            expect!["error at 4..7: `inf` has no CUE value (CUE numbers are finite)"],
        );
        check(
            DataKind::Toml,
            "a = \n",
            expect![[r#"error at 4..4: string values must be quoted, expected literal string"#]],
        );
    }

    #[test]
    fn kinds_come_from_extensions() {
        let kind = |name: &str| DataKind::of(Path::new(name));
        assert_eq!(kind("a.json"), Some(DataKind::Json));
        assert_eq!(kind("a.YAML"), Some(DataKind::Yaml));
        assert_eq!(kind("a.yml"), Some(DataKind::Yaml));
        assert_eq!(kind("a.ndjson"), Some(DataKind::JsonLines));
        assert_eq!(kind("a.toml"), Some(DataKind::Toml));
        assert_eq!(kind("a.cue"), None);
        assert_eq!(kind("json"), None);
    }
}
