//! Semantic tokens: a class for each token of a CUE or Starlark file
//! (keywords, strings, numbers, comments, field labels, definitions,
//! references, functions and parameters).

use froyo_syntax::SyntaxKind;
use froyo_syntax::ast::AstNode as _;

use super::starlark;

/// The token types, in the order of the legend the server announces.
pub const TOKEN_TYPES: &[&str] = &[
    "comment",
    "string",
    "number",
    "keyword",
    "property",
    "type",
    "variable",
    "function",
    "parameter",
    "namespace",
];

const COMMENT: u32 = 0;
const STRING: u32 = 1;
const NUMBER: u32 = 2;
const KEYWORD: u32 = 3;
const PROPERTY: u32 = 4;
const TYPE: u32 = 5;
const VARIABLE: u32 = 6;
const FUNCTION: u32 = 7;
const PARAMETER: u32 = 8;
const NAMESPACE: u32 = 9;

/// (start, end, token type) for each classified token, in order.
pub fn semantic_tokens(text: &str, is_starlark: bool) -> Vec<(u32, u32, u32)> {
    if is_starlark { starlark_tokens(text) } else { cue_tokens(text) }
}

fn cue_tokens(text: &str) -> Vec<(u32, u32, u32)> {
    let parse = froyo_syntax::parse(text);
    let aliases: Vec<String> = froyo_syntax::ast::SourceFile::cast(parse.syntax_node())
        .map(|file| super::cue::imports(&file).into_iter().map(|import| import.0).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for token in
        parse.syntax_node().descendants_with_tokens().filter_map(|element| element.into_token())
    {
        let range = token.text_range();
        let kind = token.kind();
        let class = match kind {
            SyntaxKind::COMMENT => COMMENT,
            SyntaxKind::STRING => STRING,
            SyntaxKind::INT_NUMBER | SyntaxKind::FLOAT_NUMBER => NUMBER,
            SyntaxKind::ATTRIBUTE => KEYWORD,
            SyntaxKind::IDENT => {
                let parent = token.parent().map(|node| node.kind());
                if token.text().starts_with('#') {
                    TYPE
                } else if matches!(parent, Some(SyntaxKind::LABEL | SyntaxKind::SELECTOR_EXPR)) {
                    PROPERTY
                } else if matches!(
                    parent,
                    Some(SyntaxKind::IMPORT_SPEC | SyntaxKind::PACKAGE_CLAUSE)
                ) || (parent == Some(SyntaxKind::NAME_REF)
                    && aliases.iter().any(|alias| alias == token.text()))
                {
                    NAMESPACE
                } else {
                    VARIABLE
                }
            }
            _ if kind.is_keyword() => KEYWORD,
            _ => continue,
        };
        out.push((range.start().into(), range.end().into(), class));
    }
    out
}

const STARLARK_KEYWORDS: &[&str] = &[
    "and", "break", "continue", "def", "elif", "else", "for", "if", "in", "lambda", "load", "not",
    "or", "pass", "return", "None", "True", "False",
];

fn starlark_tokens(text: &str) -> Vec<(u32, u32, u32)> {
    let tokens = starlark::tokenize(text);
    let mut out = Vec::new();
    for (index, (token, start, end)) in tokens.iter().enumerate() {
        let next = tokens.get(index + 1).map(|token| &token.0);
        let class = match token {
            starlark::Token::Comment => COMMENT,
            starlark::Token::Str(_) => STRING,
            starlark::Token::Number => NUMBER,
            starlark::Token::Ident(name) if STARLARK_KEYWORDS.contains(&name.as_str()) => KEYWORD,
            starlark::Token::Ident(name)
                if matches!(name.as_str(), "linux" | "probe")
                    && next == Some(&starlark::Token::Punct('.')) =>
            {
                NAMESPACE
            }
            starlark::Token::Ident(_) if next == Some(&starlark::Token::Punct('(')) => FUNCTION,
            starlark::Token::Ident(_)
                if next == Some(&starlark::Token::Punct('='))
                    && tokens
                        .get(index + 2)
                        .is_none_or(|after| after.0 != starlark::Token::Punct('=')) =>
            {
                // `name = value` inside a call is a keyword argument.
                if starlark::call_at(&tokens, *start).is_some() { PARAMETER } else { VARIABLE }
            }
            starlark::Token::Ident(_) => VARIABLE,
            starlark::Token::Punct(_) => continue,
        };
        out.push((*start, *end, class));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn import_aliases_are_namespaces() {
        let text = "package site\n\nimport \"froyo.dev/linux\"\n\nx: linux.#File & {path: \"/\"}\n";
        let tokens = super::semantic_tokens(text, false);
        let classes: Vec<String> = tokens
            .iter()
            .map(|(start, end, class)| {
                format!(
                    "{}={}",
                    &text[*start as usize..*end as usize],
                    super::TOKEN_TYPES[*class as usize]
                )
            })
            .collect();
        assert_eq!(
            classes.join(" "),
            "package=keyword site=namespace import=keyword \"froyo.dev/linux\"=string x=property linux=namespace #File=type path=property \"/\"=string"
        );
    }
}
