//! A small lexer for Starlark, for the editor's purposes: resource
//! constructor calls and their ids, `require`/`notify` lists, `load`
//! statements, the call around the cursor, and token classes for
//! highlighting. It never fails; unknown characters are punctuation.
//!
//! Running a file is `froyo-starlark`'s job; this reads text only, so it
//! works on files that do not run.

/// One Starlark token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Ident(String),
    /// A string literal: its value (escapes of quotes undone).
    Str(String),
    Number,
    Comment,
    Punct(char),
}

/// Tokens with their byte ranges; whitespace is left out.
pub fn tokenize(text: &str) -> Vec<(Token, u32, u32)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0usize;
    while index < bytes.len() {
        let start = index;
        let byte = bytes[index];
        if byte.is_ascii_whitespace() {
            index += 1;
            continue;
        }
        if byte == b'#' {
            while index < bytes.len() && bytes[index] != b'\n' {
                index += 1;
            }
            out.push((Token::Comment, start as u32, index as u32));
            continue;
        }
        if byte == b'"' || byte == b'\'' {
            let triple =
                bytes.get(index..index + 3).is_some_and(|three| three.iter().all(|b| *b == byte));
            let quote_len = if triple { 3 } else { 1 };
            index += quote_len;
            let mut value = String::new();
            let content_start = index;
            loop {
                if index >= bytes.len() {
                    break;
                }
                if bytes[index] == b'\\' {
                    index += 2;
                    continue;
                }
                if !triple && bytes[index] == b'\n' {
                    break;
                }
                if bytes[index] == byte
                    && (!triple
                        || bytes
                            .get(index..index + 3)
                            .is_some_and(|three| three.iter().all(|b| *b == byte)))
                {
                    value.push_str(&super::cue::unescape(
                        text.get(content_start..index).unwrap_or(""),
                    ));
                    index += quote_len;
                    break;
                }
                index += 1;
            }
            index = index.min(bytes.len());
            if value.is_empty() && index > content_start {
                value = super::cue::unescape(text.get(content_start..index).unwrap_or(""));
                value = value.trim_end_matches(['"', '\'']).to_string();
            }
            out.push((Token::Str(value), start as u32, index as u32));
            continue;
        }
        if byte.is_ascii_alphabetic() || byte == b'_' {
            while index < bytes.len()
                && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_')
            {
                index += 1;
            }
            out.push((Token::Ident(text[start..index].to_string()), start as u32, index as u32));
            continue;
        }
        if byte.is_ascii_digit() {
            while index < bytes.len()
                && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'.')
            {
                index += 1;
            }
            out.push((Token::Number, start as u32, index as u32));
            continue;
        }
        let character = text[index..].chars().next().unwrap_or(' ');
        index += character.len_utf8();
        out.push((Token::Punct(character), start as u32, index as u32));
    }
    out
}

/// A resource constructor call: `linux.file("id", …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `linux.file`.
    pub type_name: String,
    /// The id string's value and range (quotes included), when it is a literal.
    pub id: Option<(String, u32, u32)>,
    /// From the namespace to the closing parenthesis (or the end).
    pub start: u32,
    pub end: u32,
}

/// Every resource constructor call of a file.
pub fn calls(tokens: &[(Token, u32, u32)]) -> Vec<Call> {
    let significant: Vec<&(Token, u32, u32)> =
        tokens.iter().filter(|token| token.0 != Token::Comment).collect();
    let mut out = Vec::new();
    for (index, window) in significant.windows(4).enumerate() {
        let [
            (Token::Ident(namespace), start, _),
            (Token::Punct('.'), ..),
            (Token::Ident(function), ..),
            (Token::Punct('('), ..),
        ] = window
        else {
            continue;
        };
        let type_name = format!("{namespace}.{function}");
        if froyo_stdlib::resource_type_named(&type_name).is_none() {
            continue;
        }
        let id = match significant.get(index + 4) {
            Some((Token::Str(value), start, end)) => Some((value.clone(), *start, *end)),
            _ => None,
        };
        let mut depth = 0i32;
        let mut end = significant.last().map_or(*start, |token| token.2);
        for token in &significant[index + 3..] {
            match token.0 {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(')' | ']' | '}') => {
                    depth -= 1;
                    if depth == 0 {
                        end = token.2;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(Call { type_name, id, start: *start, end });
    }
    out
}

/// The string literals inside `require = [...]` and `notify = [...]`
/// arguments: value and range (quotes included).
pub fn dependency_strings(tokens: &[(Token, u32, u32)]) -> Vec<(String, u32, u32)> {
    let mut out = Vec::new();
    let mut index = 0;
    while index + 2 < tokens.len() {
        let is_list = matches!(&tokens[index].0, Token::Ident(name) if name == "require" || name == "notify")
            && tokens[index + 1].0 == Token::Punct('=')
            && tokens[index + 2].0 == Token::Punct('[');
        if !is_list {
            index += 1;
            continue;
        }
        index += 3;
        while let Some((token, start, end)) = tokens.get(index) {
            match token {
                Token::Punct(']') => break,
                Token::Str(value) => out.push((value.clone(), *start, *end)),
                _ => {}
            }
            index += 1;
        }
    }
    out
}

/// `load("module", …)` statements: the module string and its range.
pub fn loads(tokens: &[(Token, u32, u32)]) -> Vec<(String, u32, u32)> {
    tokens
        .windows(3)
        .filter_map(|window| match window {
            [
                (Token::Ident(name), ..),
                (Token::Punct('('), ..),
                (Token::Str(module), start, end),
            ] if name == "load" => Some((module.clone(), *start, *end)),
            _ => None,
        })
        .collect()
}

/// The innermost unclosed call before `offset`: its callee (`linux.file`,
/// or a plain name), the keyword arguments already given, and how many
/// arguments precede the cursor.
pub fn call_at(tokens: &[(Token, u32, u32)], offset: u32) -> Option<(String, Vec<String>)> {
    let before: Vec<&(Token, u32, u32)> =
        tokens.iter().filter(|token| token.2 <= offset && token.0 != Token::Comment).collect();
    let mut depth = 0i32;
    for (index, token) in before.iter().enumerate().rev() {
        match token.0 {
            Token::Punct(')' | ']' | '}') => depth += 1,
            Token::Punct('[' | '{') => depth -= 1,
            Token::Punct('(') => {
                if depth > 0 {
                    depth -= 1;
                    continue;
                }
                let callee = match (
                    index.checked_sub(3).map(|i| &before[i..index]),
                    index.checked_sub(1).map(|i| &before[i].0),
                ) {
                    (
                        Some(
                            [
                                (Token::Ident(namespace), ..),
                                (Token::Punct('.'), ..),
                                (Token::Ident(function), ..),
                            ],
                        ),
                        _,
                    ) => {
                        format!("{namespace}.{function}")
                    }
                    (_, Some(Token::Ident(name))) => name.clone(),
                    _ => return None,
                };
                let mut given = Vec::new();
                let mut nested = 0i32;
                for (inner, token) in before[index + 1..].iter().enumerate() {
                    match token.0 {
                        Token::Punct('(' | '[' | '{') => nested += 1,
                        Token::Punct(')' | ']' | '}') => nested -= 1,
                        Token::Ident(ref name)
                            if nested == 0
                                && before
                                    .get(index + 2 + inner)
                                    .is_some_and(|next| next.0 == Token::Punct('=')) =>
                        {
                            given.push(name.clone());
                        }
                        _ => {}
                    }
                }
                return Some((callee, given));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_calls_dependencies_and_loads() {
        let text = "load(\"//lib.star\", \"x\")\nlinux.file(\"motd\", path = \"/etc/motd\", require = [\"dir\", 'pkg'])  # c\n";
        let tokens = tokenize(text);
        let found = calls(&tokens);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].type_name, "linux.file");
        assert_eq!(found[0].id.as_ref().map(|id| id.0.as_str()), Some("motd"));
        let dependencies: Vec<_> = dependency_strings(&tokens).into_iter().map(|d| d.0).collect();
        assert_eq!(dependencies, vec!["dir", "pkg"]);
        assert_eq!(loads(&tokens)[0].0, "//lib.star");
        let cursor = text.find("require").unwrap() as u32;
        assert_eq!(
            call_at(&tokens, cursor),
            Some(("linux.file".to_string(), vec!["path".to_string()]))
        );
    }
}
