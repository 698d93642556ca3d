//! Parsing Go templates: text and `{{actions}}` into a tree of [`Node`]s.
//!
//! The subset of Go's `text/template` syntax that `template.Execute` takes:
//! trim markers `{{-` and `-}}`, comments `{{/* … */}}`, pipelines of
//! commands joined by `|`, fields (`.a.b`), variables (`$`, `$x.a`,
//! `$x := …`, `$x = …`), string, number, `true`, `false` and `nil`
//! literals, parenthesized pipelines, and `if`/`else if`/`else`, `range`
//! (with `$i, $v :=`) and `with` blocks ending in `end`. Anything else
//! (`define`, `template`, `block`, `break`, `continue`) is an error naming
//! it. Nesting is bounded by [`MAX_DEPTH`].

use num_bigint::BigInt;

/// Deepest nesting of blocks and parentheses.
const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone)]
pub(super) enum Node {
    Text(String),
    Action(Pipeline),
    If { branches: Vec<(Pipeline, Vec<Node>)>, otherwise: Vec<Node> },
    Range { pipeline: Pipeline, body: Vec<Node>, otherwise: Vec<Node> },
    With { pipeline: Pipeline, body: Vec<Node>, otherwise: Vec<Node> },
}

#[derive(Debug, Clone)]
pub(super) struct Pipeline {
    /// Variables declared (`:=`) or assigned (`=`) by the pipeline.
    pub variables: Vec<String>,
    pub assign: bool,
    pub commands: Vec<Vec<Operand>>,
}

#[derive(Debug, Clone)]
pub(super) enum Operand {
    /// `.` followed by fields: `.a.b` is `Dot(["a", "b"])`.
    Dot(Vec<String>),
    /// `$x.a` (`$` alone is the name `$`).
    Variable(String, Vec<String>),
    Function(String),
    String(String),
    Int(BigInt),
    Float(f64),
    Bool(bool),
    Nil,
    /// `(pipeline).a.b`
    Pipeline(Box<Pipeline>, Vec<String>),
}

/// One piece of the source: text, or the inside of an action.
enum Item {
    Text(String),
    Action(String),
}

pub(super) fn parse(source: &str) -> Result<Vec<Node>, String> {
    let items = split(source)?;
    let mut parser = Parser { items, position: 0, depth: 0 };
    let (nodes, end) = parser.nodes()?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End => Err("unexpected {{end}}".to_string()),
        Stop::Else(_) => Err("unexpected {{else}}".to_string()),
    }
}

/// Splits `source` into text and actions, applying trim markers and dropping
/// comments.
fn split(source: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut rest = source;
    let mut trim_next = false;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[open + 2..];
        let (trim_before, inside_start) = match after.strip_prefix('-') {
            Some(tail) if tail.starts_with([' ', '\t', '\n', '\r']) => (true, tail),
            _ => (false, after),
        };
        if trim_before {
            text = text.trim_end();
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        let close = action_end(inside_start)?;
        let mut inside = &inside_start[..close];
        trim_next = false;
        if inside.ends_with('-') && inside[..inside.len() - 1].ends_with([' ', '\t', '\n', '\r']) {
            inside = &inside[..inside.len() - 1];
            trim_next = true;
        }
        let trimmed = inside.trim();
        if trimmed.starts_with("/*") {
            if !trimmed.ends_with("*/") || trimmed.len() < 4 {
                return Err("unclosed comment".to_string());
            }
        } else {
            items.push(Item::Action(trimmed.to_string()));
        }
        rest = &inside_start[close + 2..];
    }
    let mut text = rest;
    if trim_next {
        text = text.trim_start();
    }
    if !text.is_empty() {
        items.push(Item::Text(text.to_string()));
    }
    Ok(items)
}

/// Where the action starting at `text` ends (the index of its `}}`), past
/// quoted strings and comments.
fn action_end(text: &str) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut index = 0;
    if text.trim_start().starts_with("/*") {
        return match text.find("*/") {
            Some(end) => text[end..].find("}}").map(|close| end + close).ok_or_else(unclosed),
            None => Err("unclosed comment".to_string()),
        };
    }
    while index < bytes.len() {
        match bytes[index] {
            b'}' if bytes.get(index + 1) == Some(&b'}') => return Ok(index),
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    if bytes[index] == b'\\' {
                        index += 1;
                    }
                    index += 1;
                }
            }
            b'`' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'`' {
                    index += 1;
                }
            }
            _ => {}
        }
        index += 1;
    }
    Err(unclosed())
}

fn unclosed() -> String {
    "unclosed action".to_string()
}

/// What ended a list of nodes.
enum Stop {
    Eof,
    End,
    /// `{{else}}` or `{{else if …}}` (the words after `else`).
    Else(String),
}

struct Parser {
    items: Vec<Item>,
    position: usize,
    depth: usize,
}

impl Parser {
    /// Nodes up to the end of the source, an `{{end}}` or an `{{else}}`.
    fn nodes(&mut self) -> Result<(Vec<Node>, Stop), String> {
        let mut nodes = Vec::new();
        while self.position < self.items.len() {
            let index = self.position;
            self.position += 1;
            let action = match &self.items[index] {
                Item::Text(text) => {
                    nodes.push(Node::Text(text.clone()));
                    continue;
                }
                Item::Action(action) => action.clone(),
            };
            let (keyword, rest) = split_keyword(&action);
            match keyword {
                "end" if rest.is_empty() => return Ok((nodes, Stop::End)),
                "else" => return Ok((nodes, Stop::Else(rest.to_string()))),
                "if" => nodes.push(self.if_block(rest)?),
                "range" | "with" => {
                    let pipeline = pipeline(rest, keyword == "range")?;
                    let (body, otherwise) = self.block(keyword)?;
                    nodes.push(if keyword == "range" {
                        Node::Range { pipeline, body, otherwise }
                    } else {
                        Node::With { pipeline, body, otherwise }
                    });
                }
                "define" | "template" | "block" | "break" | "continue" | "end" => {
                    return Err(format!("{{{{{keyword}}}}} is not supported"));
                }
                _ => nodes.push(Node::Action(pipeline(&action, false)?)),
            }
        }
        Ok((nodes, Stop::Eof))
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("template nested too deeply".to_string());
        }
        Ok(())
    }

    /// The body of a `range` or `with` and its `{{else}}` part, through `{{end}}`.
    fn block(&mut self, keyword: &str) -> Result<(Vec<Node>, Vec<Node>), String> {
        self.enter()?;
        let (body, end) = self.nodes()?;
        let otherwise = match end {
            Stop::End => Vec::new(),
            Stop::Else(rest) if rest.is_empty() => match self.nodes()? {
                (otherwise, Stop::End) => otherwise,
                _ => return Err(format!("missing {{{{end}}}} of {{{{{keyword}}}}}")),
            },
            Stop::Else(rest) => return Err(format!("unexpected {{{{else {rest}}}}} in {keyword}")),
            Stop::Eof => return Err(format!("missing {{{{end}}}} of {{{{{keyword}}}}}")),
        };
        self.depth -= 1;
        Ok((body, otherwise))
    }

    fn if_block(&mut self, condition: &str) -> Result<Node, String> {
        self.enter()?;
        let mut branches = Vec::new();
        let mut condition = pipeline(condition, false)?;
        let otherwise = loop {
            let (body, end) = self.nodes()?;
            branches.push((condition, body));
            match end {
                Stop::End => break Vec::new(),
                Stop::Else(rest) if rest.is_empty() => match self.nodes()? {
                    (otherwise, Stop::End) => break otherwise,
                    _ => return Err("missing {{end}} of {{if}}".to_string()),
                },
                Stop::Else(rest) => {
                    let (keyword, next) = split_keyword(&rest);
                    if keyword != "if" {
                        return Err(format!("unexpected {{{{else {rest}}}}}"));
                    }
                    condition = pipeline(next, false)?;
                }
                Stop::Eof => return Err("missing {{end}} of {{if}}".to_string()),
            }
        };
        self.depth -= 1;
        Ok(Node::If { branches, otherwise })
    }
}

fn split_keyword(action: &str) -> (&str, &str) {
    let end = action.find(|c: char| c.is_whitespace()).unwrap_or(action.len());
    let word = &action[..end];
    match word {
        "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" | "break"
        | "continue" => (word, action[end..].trim()),
        _ => ("", action),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `.a.b` (or `.` alone: no names).
    Field(Vec<String>),
    /// `$x.a.b`
    Variable(String, Vec<String>),
    /// `.a.b` right after a `)`.
    Chain(Vec<String>),
    Identifier(String),
    String(String),
    Number(String),
    Open,
    Close,
    Pipe,
    Declare,
    Assign,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut index = 0;
    let word_end = |mut index: usize| {
        while index < chars.len() && (chars[index].is_alphanumeric() || chars[index] == '_') {
            index += 1;
        }
        index
    };
    // `.a.b.c` from `index` (at a `.`): the names and the index after them.
    let chain = |mut index: usize| {
        let mut names = Vec::new();
        while index < chars.len()
            && chars[index] == '.'
            && chars.get(index + 1).is_some_and(|c| c.is_alphabetic() || *c == '_')
        {
            let end = word_end(index + 1);
            names.push(chars[index + 1..end].iter().collect::<String>());
            index = end;
        }
        (names, index)
    };
    while index < chars.len() {
        let c = chars[index];
        match c {
            c if c.is_whitespace() => index += 1,
            '(' => {
                out.push(Token::Open);
                index += 1;
            }
            ')' => {
                out.push(Token::Close);
                let (names, end) = chain(index + 1);
                if !names.is_empty() {
                    out.push(Token::Chain(names));
                }
                index = end.max(index + 1);
            }
            '|' => {
                out.push(Token::Pipe);
                index += 1;
            }
            ',' => {
                out.push(Token::Comma);
                index += 1;
            }
            ':' if chars.get(index + 1) == Some(&'=') => {
                out.push(Token::Declare);
                index += 2;
            }
            '=' => {
                out.push(Token::Assign);
                index += 1;
            }
            '.' if !chars.get(index + 1).is_some_and(char::is_ascii_digit) => {
                let (names, end) = chain(index);
                out.push(Token::Field(names));
                index = end.max(index + 1);
            }
            '$' => {
                let end = word_end(index + 1);
                let (names, after) = chain(end);
                out.push(Token::Variable(chars[index..end].iter().collect(), names));
                index = after;
            }
            '"' => {
                let mut end = index + 1;
                while end < chars.len() && chars[end] != '"' {
                    if chars[end] == '\\' {
                        end += 1;
                    }
                    end += 1;
                }
                if end >= chars.len() {
                    return Err("unterminated quoted string".to_string());
                }
                let literal: String = chars[index..=end].iter().collect();
                out.push(Token::String(unquote(&literal)?));
                index = end + 1;
            }
            '`' => {
                let end = (index + 1..chars.len())
                    .find(|&end| chars[end] == '`')
                    .ok_or_else(|| "unterminated raw quoted string".to_string())?;
                out.push(Token::String(chars[index + 1..end].iter().collect()));
                index = end + 1;
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut end = index + 1;
                while end < chars.len()
                    && (chars[end].is_ascii_alphanumeric()
                        || matches!(chars[end], '.' | '_')
                        || (matches!(chars[end], '+' | '-') && matches!(chars[end - 1], 'e' | 'E')))
                {
                    end += 1;
                }
                out.push(Token::Number(chars[index..end].iter().collect()));
                index = end;
            }
            c if c.is_alphabetic() || c == '_' => {
                let end = word_end(index);
                out.push(Token::Identifier(chars[index..end].iter().collect()));
                index = end;
            }
            other => return Err(format!("unexpected {other:?} in action")),
        }
    }
    Ok(out)
}

/// A Go interpreted string literal's value.
fn unquote(literal: &str) -> Result<String, String> {
    let inner = &literal[1..literal.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('v') => '\u{b}',
            Some('\\') => '\\',
            Some('"') => '"',
            Some('\'') => '\'',
            Some(kind @ ('x' | 'u' | 'U')) => {
                let count = match kind {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = chars.by_ref().take(count).collect();
                u32::from_str_radix(&digits, 16)
                    .ok()
                    .filter(|_| digits.len() == count)
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid escape in {literal}"))?
            }
            _ => return Err(format!("invalid escape in {literal}")),
        };
        out.push(escaped);
    }
    Ok(out)
}

/// A pipeline, with `$i, $v :=` allowed when `two_variables` (a `range`).
fn pipeline(text: &str, two_variables: bool) -> Result<Pipeline, String> {
    let tokens = tokens(text)?;
    let mut position = 0;
    let result = parse_pipeline(&tokens, &mut position, two_variables, 0)?;
    if position != tokens.len() {
        return Err(format!("unexpected {:?} in pipeline", tokens[position]));
    }
    Ok(result)
}

fn parse_pipeline(
    tokens: &[Token],
    position: &mut usize,
    two_variables: bool,
    depth: usize,
) -> Result<Pipeline, String> {
    if depth > MAX_DEPTH {
        return Err("pipeline nested too deeply".to_string());
    }
    let mut variables = Vec::new();
    let mut assign = false;
    // `$x :=`, `$x =`, or (in a range) `$i, $v :=`.
    let declaration = match tokens.get(*position..) {
        Some([Token::Variable(name, fields), Token::Declare | Token::Assign, ..])
            if fields.is_empty() =>
        {
            Some((vec![name.clone()], 2))
        }
        Some(
            [
                Token::Variable(first, first_fields),
                Token::Comma,
                Token::Variable(second, second_fields),
                Token::Declare,
                ..,
            ],
        ) if two_variables && first_fields.is_empty() && second_fields.is_empty() => {
            Some((vec![first.clone(), second.clone()], 4))
        }
        _ => None,
    };
    if let Some((names, consumed)) = declaration {
        assign = tokens[*position + consumed - 1] == Token::Assign;
        variables = names;
        *position += consumed;
    }
    let mut commands = Vec::new();
    loop {
        let mut operands = Vec::new();
        while let Some(token) = tokens.get(*position) {
            if matches!(token, Token::Pipe | Token::Close) {
                break;
            }
            operands.push(operand(tokens, position, depth)?);
        }
        if operands.is_empty() {
            return Err("missing value for command".to_string());
        }
        commands.push(operands);
        match tokens.get(*position) {
            Some(Token::Pipe) => *position += 1,
            _ => break,
        }
    }
    Ok(Pipeline { variables, assign, commands })
}

fn operand(tokens: &[Token], position: &mut usize, depth: usize) -> Result<Operand, String> {
    let token = tokens[*position].clone();
    *position += 1;
    Ok(match token {
        Token::Field(fields) => Operand::Dot(fields),
        Token::Variable(name, fields) => Operand::Variable(name, fields),
        Token::Identifier(name) => match name.as_str() {
            "true" => Operand::Bool(true),
            "false" => Operand::Bool(false),
            "nil" => Operand::Nil,
            _ => Operand::Function(name),
        },
        Token::String(text) => Operand::String(text),
        Token::Number(text) => number(&text)?,
        Token::Open => {
            let inner = parse_pipeline(tokens, position, false, depth + 1)?;
            if tokens.get(*position) != Some(&Token::Close) {
                return Err("unclosed left paren".to_string());
            }
            *position += 1;
            let fields = match tokens.get(*position) {
                Some(Token::Chain(fields)) => {
                    *position += 1;
                    fields.clone()
                }
                _ => Vec::new(),
            };
            Operand::Pipeline(Box::new(inner), fields)
        }
        other => return Err(format!("unexpected {other:?} in operand")),
    })
}

fn number(text: &str) -> Result<Operand, String> {
    let cleaned = text.replace('_', "");
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, cleaned.trim_start_matches('+').to_string()),
    };
    let integer = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X"))
    {
        BigInt::parse_bytes(hex.as_bytes(), 16)
    } else if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        BigInt::parse_bytes(digits.as_bytes(), 10)
    } else {
        None
    };
    if let Some(value) = integer {
        return Ok(Operand::Int(if negative { -value } else { value }));
    }
    match digits.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Operand::Float(if negative { -value } else { value })),
        _ => Err(format!("bad number syntax: {text:?}")),
    }
}
