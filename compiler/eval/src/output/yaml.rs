//! YAML as `gopkg.in/yaml.v3` (at the commit CUE v0.4.0-beta.1 pins) emits
//! the nodes CUE's encoder builds, with an indent of two: a port of the parts
//! of the emitter (`emitterc.go`) that concrete data reaches — block mappings
//! and sequences, empty flow collections, scalar analysis and style
//! selection, and the plain, quoted and literal writers with folding at
//! column 80. Names follow the Go code so the two can be read side by side.

use super::json::base64;
use super::yaml_resolve::resolves_to_non_string;
use crate::data::Data;

/// The YAML text of `data`, with a trailing newline.
pub fn to_yaml(data: &Data) -> String {
    let mut emitter = Emitter::new();
    emitter.emit_document(data);
    emitter.out
}

/// Base64 broken into lines of 70 characters, each ending in a newline, when
/// it is longer than one line (yaml.v3's `encodeBase64`).
fn yaml_base64(bytes: &[u8]) -> String {
    const LINE_LENGTH: usize = 70;
    let encoded = base64(bytes);
    if encoded.len() < LINE_LENGTH {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE_LENGTH + 1);
    for line in encoded.as_bytes().chunks(LINE_LENGTH) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// A scalar as the encoder hands it to the emitter.
struct Scalar {
    value: String,
    /// `Some("binary")` for `!!binary`; strings and numbers carry no tag.
    tag_suffix: Option<&'static str>,
    style: ScalarStyle,
}

impl Scalar {
    fn plain(value: String) -> Scalar {
        Scalar { value, tag_suffix: None, style: ScalarStyle::Plain }
    }

    /// A string through yaml.v3's `Node.SetString` and the encoder's tag logic.
    fn string(value: &str) -> Scalar {
        let style = if value.contains('\n') {
            ScalarStyle::Literal
        } else if resolves_to_non_string(value) {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::Plain
        };
        Scalar { value: value.to_string(), tag_suffix: None, style }
    }

    fn bytes(bytes: &[u8]) -> Scalar {
        match std::str::from_utf8(bytes) {
            Ok(text) => Scalar::string(text),
            Err(_) => {
                let value = yaml_base64(bytes);
                let style =
                    if value.contains('\n') { ScalarStyle::Literal } else { ScalarStyle::Plain };
                Scalar { value, tag_suffix: Some("binary"), style }
            }
        }
    }
}

/// What the emitter's analysis of a scalar allows.
#[derive(Debug, Clone, Copy)]
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// The state of yaml.v3's emitter that concrete data reaches.
struct Emitter {
    out: String,
    best_indent: i64,
    best_width: usize,
    indent: i64,
    indents: Vec<i64>,
    flow_level: usize,
    /// Characters (not bytes) since the last line break.
    column: usize,
    whitespace: bool,
    indention: bool,
    mapping_context: bool,
    simple_key_context: bool,
}

impl Emitter {
    fn new() -> Emitter {
        Emitter {
            out: String::new(),
            best_indent: 2,
            best_width: 80,
            indent: -1,
            indents: Vec::new(),
            flow_level: 0,
            column: 0,
            whitespace: true,
            indention: true,
            mapping_context: false,
            simple_key_context: false,
        }
    }

    /// An implicit document (no `---`), its root node, and the closing line break.
    fn emit_document(&mut self, data: &Data) {
        self.emit_node(data, false, false);
        self.write_indent();
    }

    fn emit_node(&mut self, data: &Data, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match data {
            Data::Null => self.emit_scalar(&Scalar::plain("null".to_string())),
            Data::Bool(value) => self.emit_scalar(&Scalar::plain(value.to_string())),
            Data::Number(number) => self.emit_scalar(&Scalar::plain(number.to_string())),
            Data::String(text) => self.emit_scalar(&Scalar::string(text)),
            Data::Bytes(bytes) => self.emit_scalar(&Scalar::bytes(bytes)),
            Data::List(items) => {
                if self.flow_level > 0 || items.is_empty() {
                    self.emit_empty_flow_collection('[', ']');
                } else {
                    self.emit_block_sequence(items);
                }
            }
            Data::Struct(fields) => {
                if self.flow_level > 0 || fields.is_empty() {
                    self.emit_empty_flow_collection('{', '}');
                } else {
                    self.emit_block_mapping(fields);
                }
            }
        }
    }

    /// `[]` or `{}`: the only flow collections concrete data produces (yaml.v3
    /// writes an empty collection in flow style, and nothing else is flow).
    fn emit_empty_flow_collection(&mut self, open: char, close: char) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        if close == ']' && self.column == 0 {
            self.write_indent();
        }
        self.write_indicator(close, false, false, false);
    }

    fn emit_block_sequence(&mut self, items: &[Data]) {
        let indentless =
            self.best_indent == 2 && self.mapping_context && (self.column == 0 || !self.indention);
        let original = self.indent;
        self.increase_indent(false, indentless);
        if self.indent > original + 2 {
            self.indent -= 2;
        }
        for item in items {
            self.write_indent();
            self.write_indicator('-', true, false, true);
            self.emit_node(item, false, false);
        }
        self.pop_indent();
    }

    fn emit_block_mapping(&mut self, fields: &[(String, Data)]) {
        self.increase_indent(false, false);
        for (name, value) in fields {
            let key = Scalar::string(name);
            let analysis = analyze_scalar(key.value.as_bytes());
            self.write_indent();
            if !analysis.multiline && key.value.len() <= 128 {
                self.mapping_context = true;
                self.simple_key_context = true;
                self.emit_analyzed_scalar(&key, analysis);
                self.write_indicator(':', false, false, false);
            } else {
                self.write_indicator('?', true, false, true);
                self.mapping_context = true;
                self.simple_key_context = false;
                self.emit_analyzed_scalar(&key, analysis);
                self.write_indent();
                self.write_indicator(':', true, false, true);
            }
            self.emit_node(value, true, false);
        }
        self.pop_indent();
    }

    fn emit_scalar(&mut self, scalar: &Scalar) {
        let analysis = analyze_scalar(scalar.value.as_bytes());
        self.emit_analyzed_scalar(scalar, analysis);
    }

    fn emit_analyzed_scalar(&mut self, scalar: &Scalar, analysis: Analysis) {
        let style = self.select_style(scalar, analysis);
        if let Some(suffix) = scalar.tag_suffix {
            if !self.whitespace {
                self.put(' ');
            }
            self.write_str("!!");
            self.write_str(suffix);
            self.whitespace = false;
            self.indention = false;
        }
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        let value = scalar.value.as_bytes();
        match style {
            ScalarStyle::Plain => self.write_plain(value, allow_breaks),
            ScalarStyle::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            ScalarStyle::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            ScalarStyle::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    /// `yaml_emitter_select_scalar_style`.
    fn select_style(&self, scalar: &Scalar, analysis: Analysis) -> ScalarStyle {
        let mut style = scalar.style;
        if self.simple_key_context && analysis.multiline {
            style = ScalarStyle::DoubleQuoted;
        }
        if style == ScalarStyle::Plain {
            if (self.flow_level > 0 && !analysis.flow_plain_allowed)
                || (self.flow_level == 0 && !analysis.block_plain_allowed)
            {
                style = ScalarStyle::SingleQuoted;
            }
            if scalar.value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = ScalarStyle::SingleQuoted;
            }
        }
        if style == ScalarStyle::SingleQuoted && !analysis.single_quoted_allowed {
            style = ScalarStyle::DoubleQuoted;
        }
        if style == ScalarStyle::Literal
            && (!analysis.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = ScalarStyle::DoubleQuoted;
        }
        style
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            self.indent += self.best_indent;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, character: char) {
        self.out.push(character);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.indention = true;
    }

    /// Copies the character at `*index` and moves past it.
    fn write(&mut self, value: &[u8], index: &mut usize) {
        let width = width(value[*index]).min(value.len() - *index);
        self.out
            .push_str(std::str::from_utf8(&value[*index..*index + width]).unwrap_or("\u{fffd}"));
        self.column += 1;
        *index += width;
    }

    fn write_str(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            self.write(bytes, &mut index);
        }
    }

    fn write_break(&mut self, value: &[u8], index: &mut usize) {
        if value[*index] == b'\n' {
            self.put_break();
            *index += 1;
        } else {
            self.write(value, index);
            self.column = 0;
            self.indention = true;
        }
    }

    fn write_indent(&mut self) {
        let indent = usize::try_from(self.indent.max(0)).unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
    }

    fn write_indicator(
        &mut self,
        indicator: char,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.put(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, value: &[u8], allow_breaks: bool) {
        if !value.is_empty() && !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut index = 0;
        while index < value.len() {
            if is_space(value, index) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && !is_space(value, index + 1)
                {
                    self.write_indent();
                    index += 1;
                } else {
                    self.write(value, &mut index);
                }
                spaces = true;
            } else if is_break(value, index) {
                if !breaks && value[index] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut index);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut index);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator('\'', true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut index = 0;
        while index < value.len() {
            if is_space(value, index) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && index > 0
                    && index < value.len() - 1
                    && !is_space(value, index + 1)
                {
                    self.write_indent();
                    index += 1;
                } else {
                    self.write(value, &mut index);
                }
                spaces = true;
            } else if is_break(value, index) {
                if !breaks && value[index] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut index);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[index] == b'\'' {
                    self.put('\'');
                }
                self.write(value, &mut index);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator('\'', false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &[u8], allow_breaks: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.write_indicator('"', true, false, false);
        let mut spaces = false;
        let mut index = 0;
        while index < value.len() {
            if !is_printable(value, index)
                || is_bom(value)
                || is_break(value, index)
                || value[index] == b'"'
                || value[index] == b'\\'
            {
                let width = width(value[index]).clamp(1, value.len() - index);
                let code = std::str::from_utf8(&value[index..index + width])
                    .ok()
                    .and_then(|text| text.chars().next())
                    .map_or(u32::from(value[index]), u32::from);
                index += width;
                self.put('\\');
                let short = match code {
                    0x00 => Some('0'),
                    0x07 => Some('a'),
                    0x08 => Some('b'),
                    0x09 => Some('t'),
                    0x0a => Some('n'),
                    0x0b => Some('v'),
                    0x0c => Some('f'),
                    0x0d => Some('r'),
                    0x1b => Some('e'),
                    0x22 => Some('"'),
                    0x5c => Some('\\'),
                    0x85 => Some('N'),
                    0xa0 => Some('_'),
                    0x2028 => Some('L'),
                    0x2029 => Some('P'),
                    _ => None,
                };
                if let Some(short) = short {
                    self.put(short);
                } else {
                    let (letter, digits) = if code <= 0xff {
                        ('x', 2)
                    } else if code <= 0xffff {
                        ('u', 4)
                    } else {
                        ('U', 8)
                    };
                    self.put(letter);
                    for digit in (0..digits).rev() {
                        self.put(char::from(HEX[((code >> (digit * 4)) & 0xf) as usize]));
                    }
                }
                spaces = false;
            } else if is_space(value, index) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && index > 0
                    && index < value.len() - 1
                {
                    self.write_indent();
                    if is_space(value, index + 1) {
                        self.put('\\');
                    }
                    index += 1;
                } else {
                    self.write(value, &mut index);
                }
                spaces = true;
            } else {
                self.write(value, &mut index);
                spaces = false;
            }
        }
        self.write_indicator('"', false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &[u8]) {
        self.write_indicator('|', true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.whitespace = true;
        let mut breaks = true;
        let mut index = 0;
        while index < value.len() {
            if is_break(value, index) {
                self.write_break(value, &mut index);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut index);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// The indentation indicator (when the text starts with a space or a
    /// break) and the chomping indicator (`-` strip, `+` keep) of a block scalar.
    fn write_block_scalar_hints(&mut self, value: &[u8]) {
        if is_space(value, 0) || is_break(value, 0) {
            let digit = char::from(b'0' + u8::try_from(self.best_indent).unwrap_or(2));
            self.write_indicator(digit, false, false, false);
        }
        let chomp = if value.is_empty() {
            Some('-')
        } else {
            let last = last_char_start(value, value.len());
            if !is_break(value, last) {
                Some('-')
            } else if last == 0 {
                Some('+')
            } else {
                let previous = last_char_start(value, last);
                if is_break(value, previous) { Some('+') } else { None }
            }
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
    }
}

/// The start of the character that ends just before `end`.
fn last_char_start(value: &[u8], end: usize) -> usize {
    let mut index = end.saturating_sub(1);
    while index > 0 && value[index] & 0xc0 == 0x80 {
        index -= 1;
    }
    index
}

/// `yaml_emitter_analyze_scalar`: which styles can write `value` faithfully.
fn analyze_scalar(value: &[u8]) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut tab_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.starts_with(b"---") || value.starts_with(b"...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut index = 0;
    while index < value.len() {
        let character_width = width(value[index]).max(1);
        let followed_by_whitespace =
            index + character_width >= value.len() || is_blank(value, index + character_width);
        if index == 0 {
            match value[index] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                b'?' | b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match value[index] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }

        if value[index] == b'\t' {
            tab_characters = true;
        } else if !is_printable(value, index) {
            special_characters = true;
        }
        if is_space(value, index) {
            if index == 0 {
                leading_space = true;
            }
            if index + character_width == value.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(value, index) {
            line_breaks = true;
            if index == 0 {
                leading_break = true;
            }
            if index + character_width == value.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace =
            is_blank(value, index) || is_break(value, index) || value[index] == 0;
        index += character_width;
    }

    let mut analysis = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        analysis.flow_plain_allowed = false;
        analysis.block_plain_allowed = false;
    }
    if trailing_space {
        analysis.block_allowed = false;
    }
    if break_space {
        analysis.flow_plain_allowed = false;
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
    }
    if space_break || tab_characters || special_characters {
        analysis.flow_plain_allowed = false;
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        analysis.block_allowed = false;
    }
    if line_breaks {
        analysis.flow_plain_allowed = false;
        analysis.block_plain_allowed = false;
    }
    if flow_indicators {
        analysis.flow_plain_allowed = false;
    }
    if block_indicators {
        analysis.block_plain_allowed = false;
    }
    analysis
}

/// The byte length of the UTF-8 sequence that starts with `first`.
fn width(first: u8) -> usize {
    if first & 0x80 == 0x00 {
        1
    } else if first & 0xe0 == 0xc0 {
        2
    } else if first & 0xf0 == 0xe0 {
        3
    } else if first & 0xf8 == 0xf0 {
        4
    } else {
        1
    }
}

fn byte_at(value: &[u8], index: usize) -> u8 {
    value.get(index).copied().unwrap_or(0)
}

fn is_space(value: &[u8], index: usize) -> bool {
    byte_at(value, index) == b' '
}

fn is_blank(value: &[u8], index: usize) -> bool {
    matches!(byte_at(value, index), b' ' | b'\t')
}

/// Line breaks as YAML knows them: CR, LF, NEL, LS and PS.
fn is_break(value: &[u8], index: usize) -> bool {
    let first = byte_at(value, index);
    let second = byte_at(value, index + 1);
    let third = byte_at(value, index + 2);
    first == b'\r'
        || first == b'\n'
        || (first == 0xc2 && second == 0x85)
        || (first == 0xe2 && second == 0x80 && (third == 0xa8 || third == 0xa9))
}

/// yaml.v3's `is_bom` looks at the start of the value whatever the index, so a
/// string that starts with a byte-order mark has every character escaped.
fn is_bom(value: &[u8]) -> bool {
    value.starts_with(&[0xef, 0xbb, 0xbf])
}

/// yaml.v3's `is_printable`: characters outside it force double quotes and
/// are escaped there. Tabs and every character beyond the BMP count as not
/// printable.
fn is_printable(value: &[u8], index: usize) -> bool {
    let first = byte_at(value, index);
    let second = byte_at(value, index + 1);
    let third = byte_at(value, index + 2);
    first == 0x0a
        || (0x20..=0x7e).contains(&first)
        || (first == 0xc2 && second >= 0xa0)
        || (first > 0xc2 && first < 0xed)
        || (first == 0xed && second < 0xa0)
        || first == 0xee
        || (first == 0xef
            && !(second == 0xbb && third == 0xbf)
            && !(second == 0xbf && (third == 0xbe || third == 0xbf)))
}
