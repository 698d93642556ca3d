//! A light scan of Starlark source for what the database needs before
//! running it: the paths it loads, and the top-level `config` fields it
//! reads, so that a file re-runs only when those change.
//!
//! Strings and comments are skipped. Every `config` identifier must be
//! followed by `.name` or `["name"]`; any other use (passing `config` along,
//! `config[key]`, `dir(config)`) means the file may read anything, and the
//! scan gives up (the caller then gives it all of `config`).

/// What a file loads and which `config` fields it names.
pub struct Scan {
    pub loads: Vec<String>,
    pub config_names: Vec<String>,
}

/// The scan of `text`, or `None` when `config` is used in a way that does
/// not name its fields.
pub fn scan(text: &str) -> Option<Scan> {
    let tokens = tokens(text);
    let mut result = Scan { loads: Vec::new(), config_names: Vec::new() };
    let mut index = 0;
    while index < tokens.len() {
        match &tokens[index] {
            Token::Word(word) if word == "load" => {
                if let (Some(Token::Punct('(')), Some(Token::Str(path))) =
                    (tokens.get(index + 1), tokens.get(index + 2))
                {
                    result.loads.push(path.clone());
                }
            }
            Token::Word(word) if word == "config" => {
                // An attribute of something else (`x.config`) is not ours.
                let after_dot = index > 0 && matches!(tokens[index - 1], Token::Punct('.'));
                if !after_dot {
                    match (tokens.get(index + 1), tokens.get(index + 2), tokens.get(index + 3)) {
                        (Some(Token::Punct('.')), Some(Token::Word(name)), _) => {
                            result.config_names.push(name.clone())
                        }
                        (
                            Some(Token::Punct('[')),
                            Some(Token::Str(name)),
                            Some(Token::Punct(']')),
                        ) => result.config_names.push(name.clone()),
                        _ => return None,
                    }
                }
            }
            _ => {}
        }
        index += 1;
    }
    Some(result)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Punct(char),
}

/// Words, string literals (their plain text; escapes are kept as written)
/// and punctuation; comments and whitespace dropped.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let character = chars[index];
        if character == '#' {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if character == '"' || character == '\'' {
            let triple = index + 2 < chars.len()
                && chars[index + 1] == character
                && chars[index + 2] == character;
            let quote_length = if triple { 3 } else { 1 };
            index += quote_length;
            let start = index;
            loop {
                if index >= chars.len() {
                    break;
                }
                if chars[index] == '\\' {
                    index += 2;
                    continue;
                }
                if chars[index] == character
                    && (!triple
                        || (index + 2 < chars.len()
                            && chars[index + 1] == character
                            && chars[index + 2] == character))
                {
                    break;
                }
                if !triple && chars[index] == '\n' {
                    break;
                }
                index += 1;
            }
            let end = index.min(chars.len());
            tokens.push(Token::Str(chars[start..end].iter().collect()));
            index = end + quote_length;
        } else if character.is_alphanumeric() || character == '_' {
            let start = index;
            while index < chars.len() && (chars[index].is_alphanumeric() || chars[index] == '_') {
                index += 1;
            }
            tokens.push(Token::Word(chars[start..index].iter().collect()));
        } else {
            if !character.is_whitespace() {
                tokens.push(Token::Punct(character));
            }
            index += 1;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_loads() {
        let scan = scan(
            "load(\"//lib/x.star\", \"f\")\n# config is fine in comments\nx = config.apps\ny = config[\"hosts\"]\nz = \"config\"\nw = a.config\n",
        )
        .unwrap();
        assert_eq!(scan.loads, ["//lib/x.star"]);
        assert_eq!(scan.config_names, ["apps", "hosts"]);
    }

    #[test]
    fn other_uses_give_up() {
        assert!(scan("f(config)\n").is_none());
        assert!(scan("config[key]\n").is_none());
        assert!(scan("for k in config:\n    pass\n").is_none());
    }
}
