//! The one scanner of Starlark text, for what froyo needs to know of a file
//! without running it: the database's `load`s and `config` reads (so that a
//! file re-runs only when what it reads changes, [`reads`]), and the
//! editor's resource constructor calls and their ids, `require`/`notify`
//! lists, `load` statements, the call around the cursor and token classes
//! for highlighting. It never fails; unknown characters are punctuation.
//!
//! Running a file is [`crate::run()`]'s job; this reads text only, so it
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
                    value.push_str(&unescape(text.get(content_start..index).unwrap_or("")));
                    index += quote_len;
                    break;
                }
                index += 1;
            }
            index = index.min(bytes.len());
            if value.is_empty() && index > content_start {
                value = unescape(text.get(content_start..index).unwrap_or(""));
                value = value.trim_end_matches(['"', '\'']).to_string();
            }
            out.push((Token::Str(value), start as u32, index as u32));
            continue;
        }
        let character = text[index..].chars().next().unwrap_or(' ');
        if character.is_alphabetic() || character == '_' {
            let length: usize = text[index..]
                .chars()
                .take_while(|next| next.is_alphanumeric() || *next == '_')
                .map(char::len_utf8)
                .sum();
            index += length;
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
    let significant = significant(tokens);
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

/// The text of a string literal's body with its backslash escapes undone:
/// `\n` and `\t`, and any other escaped character as itself (enough for ids,
/// paths and labels, in CUE and Starlark alike).
pub fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(character) = chars.next() {
        if character == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(character);
        }
    }
    out
}

/// What a file loads and which top-level `config` fields it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reads {
    pub loads: Vec<String>,
    pub config_names: Vec<String>,
}

/// What `text` loads and which `config` fields it reads, or `None` when it
/// uses `config` in a way that does not name its fields.
///
/// Strings and comments are skipped. Every `config` identifier must be
/// followed by `.name` or `["name"]`; any other use (passing `config` along,
/// `config[key]`, `dir(config)`) means the file may read anything, and the
/// scan gives up (the caller then gives it all of `config`).
pub fn reads(text: &str) -> Option<Reads> {
    let all = tokenize(text);
    let tokens = significant(&all);
    let mut result = Reads { loads: Vec::new(), config_names: Vec::new() };
    for index in 0..tokens.len() {
        if let [(Token::Ident(word), ..), (Token::Punct('('), ..), (Token::Str(path), ..), ..] =
            &tokens[index..]
            && word == "load"
        {
            result.loads.push(path.clone());
        }
        match config_use(&tokens, index) {
            ConfigUse::NotConfig => {}
            ConfigUse::Field(name, ..) => result.config_names.push(name),
            ConfigUse::Other => return None,
        }
    }
    Some(result)
}

/// Every `config.name` and `config["name"]` of a file, in the order they
/// appear: the field's name and the range of the whole expression. Other
/// uses of `config` are left out.
pub fn config_reads(tokens: &[(Token, u32, u32)]) -> Vec<(String, u32, u32)> {
    let tokens = significant(tokens);
    (0..tokens.len())
        .filter_map(|index| match config_use(&tokens, index) {
            ConfigUse::Field(name, start, end) => Some((name, start, end)),
            ConfigUse::NotConfig | ConfigUse::Other => None,
        })
        .collect()
}

/// The tokens without comments.
fn significant(tokens: &[(Token, u32, u32)]) -> Vec<&(Token, u32, u32)> {
    tokens.iter().filter(|token| token.0 != Token::Comment).collect()
}

enum ConfigUse {
    /// The token is not the workspace's `config`.
    NotConfig,
    /// `config.name` or `config["name"]`, with the expression's range.
    Field(String, u32, u32),
    /// Any other use: `f(config)`, `config[key]`, `for k in config`.
    Other,
}

/// What the token at `index` (of tokens without comments) is, as a use of
/// `config`.
fn config_use(tokens: &[&(Token, u32, u32)], index: usize) -> ConfigUse {
    let (Token::Ident(word), start, _) = tokens[index] else { return ConfigUse::NotConfig };
    // An attribute of something else (`x.config`) is not ours.
    if word != "config" || (index > 0 && tokens[index - 1].0 == Token::Punct('.')) {
        return ConfigUse::NotConfig;
    }
    match &tokens[index + 1..] {
        [(Token::Punct('.'), ..), (Token::Ident(name), _, end), ..] => {
            ConfigUse::Field(name.clone(), *start, *end)
        }
        [(Token::Punct('['), ..), (Token::Str(name), ..), (Token::Punct(']'), _, end), ..] => {
            ConfigUse::Field(name.clone(), *start, *end)
        }
        _ => ConfigUse::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_loads() {
        let scan = reads(
            "load(\"//lib/x.star\", \"f\")\n# config is fine in comments\nx = config.apps\ny = config[\"hosts\"]\nz = \"config\"\nw = a.config\n",
        )
        .unwrap();
        assert_eq!(scan.loads, ["//lib/x.star"]);
        assert_eq!(scan.config_names, ["apps", "hosts"]);
    }

    #[test]
    fn other_uses_give_up() {
        assert!(reads("f(config)\n").is_none());
        assert!(reads("config[key]\n").is_none());
        assert!(reads("for k in config:\n    pass\n").is_none());
    }

    #[test]
    fn config_reads_have_ranges_and_skip_comments_and_strings() {
        let text = "# config.apps in a comment\ns = \"config.apps\"\nx = config.apps\ny = config[\"hosts\"]\nf(config)\n";
        let reads = config_reads(&tokenize(text));
        let spelled: Vec<(&str, &str)> = reads
            .iter()
            .map(|(name, start, end)| (name.as_str(), &text[*start as usize..*end as usize]))
            .collect();
        assert_eq!(spelled, [("apps", "config.apps"), ("hosts", "config[\"hosts\"]")]);
        assert_eq!(reads[0].1 as usize, text.find("x = ").unwrap() + 4);
    }

    #[test]
    fn identifiers_may_be_unicode() {
        let scan = reads("x = config.größe\n").unwrap();
        assert_eq!(scan.config_names, ["größe"]);
    }

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
