//! Every kind of token and node in the CUE syntax tree.
//!
//! Tokens come first (trivia, literals, keywords, punctuation), then nodes.
//! Each node kind's doc comment gives the children it holds, in order; `?`
//! marks optional children and `*` repeated ones. Trivia (whitespace and
//! comments) may appear between any two tokens: before a node starts they are
//! placed outside it, so a comment at the end of a field's line belongs to the
//! enclosing struct, between that field and the next declaration.

/// The kind of a token or node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum SyntaxKind {
    // Trivia.
    /// Spaces, tabs, carriage returns and newlines.
    WHITESPACE = 0,
    /// `// …` up to, not including, the end of the line.
    COMMENT,

    // Literals and names.
    /// An identifier: `a`, `#Def`, `_hidden`, `_#hiddenDef`, `$x`. Keywords in
    /// label position are remapped to `IDENT`.
    IDENT,
    /// `42`, `0x2A`, `0o52`, `0b101010`, `1_000`, `1Ki`, `1.5M`.
    INT_NUMBER,
    /// `1.5`, `1e3`, `.5`, `1.`.
    FLOAT_NUMBER,
    /// A complete string or bytes literal without interpolation, with its
    /// quotes and `#`s: `"a"`, `'b'`, `"""…"""`, `#"…"#`.
    STRING,
    /// The start of an interpolated string, up to and including the first `\(`.
    INTERP_START,
    /// Between two interpolations: from `)` to the next `\(`, both included.
    INTERP_MID,
    /// From the `)` closing the last interpolation to the end of the string.
    INTERP_END,
    /// A whole attribute: `@name(…)`.
    ATTRIBUTE,
    /// `_|_`.
    BOTTOM,

    // Keywords.
    PACKAGE_KW,
    IMPORT_KW,
    FOR_KW,
    IN_KW,
    IF_KW,
    LET_KW,
    NULL_KW,
    TRUE_KW,
    FALSE_KW,
    /// `div` used as an infix operator (the lexer says `IDENT`; the parser remaps).
    DIV_KW,
    /// `mod` as an infix operator.
    MOD_KW,
    /// `quo` as an infix operator.
    QUO_KW,
    /// `rem` as an infix operator.
    REM_KW,

    // Punctuation and operators.
    L_CURLY,
    R_CURLY,
    L_BRACK,
    R_BRACK,
    L_PAREN,
    R_PAREN,
    COMMA,
    COLON,
    DOT,
    /// `...`
    ELLIPSIS,
    /// `=`
    EQ,
    /// `?`
    QUESTION,
    /// `!`
    BANG,
    PLUS,
    MINUS,
    STAR,
    SLASH,
    /// `&`
    AMP,
    /// `|`
    PIPE,
    /// `&&`
    AMP2,
    /// `||`
    PIPE2,
    /// `==`
    EQ2,
    /// `!=`
    NEQ,
    LT,
    LTEQ,
    GT,
    GTEQ,
    /// `=~`
    MATCH,
    /// `!~`
    NOT_MATCH,
    /// A character that starts no token.
    ERROR_TOKEN,

    // Nodes.
    /// The root: `ATTRIBUTE_DECL* PACKAGE_CLAUSE? IMPORT_DECL* decl*`, with
    /// `COMMA` tokens between declarations where the source has them.
    SOURCE_FILE,
    /// `PACKAGE_KW IDENT`
    PACKAGE_CLAUSE,
    /// `IMPORT_KW (IMPORT_SPEC | L_PAREN (IMPORT_SPEC COMMA?)* R_PAREN)`
    IMPORT_DECL,
    /// `IDENT? STRING` — an optional package alias and the import path.
    IMPORT_SPEC,
    /// A file- or struct-level attribute: `ATTRIBUTE`.
    ATTRIBUTE_DECL,
    /// `LABEL COLON value ATTRIBUTE*` where `value` is an expression node or,
    /// for the shorthand `a: b: 1`, another `FIELD`.
    FIELD,
    /// `(IDENT EQ)? name (QUESTION | BANG)?` where `name` is `IDENT`, `STRING`,
    /// `INTERPOLATION`, `PAREN_LABEL` or `PATTERN_LABEL` (a pattern takes no marker).
    LABEL,
    /// `L_PAREN expr R_PAREN` — a dynamic label `(expr): v`.
    PAREN_LABEL,
    /// `L_BRACK (ALIAS_EXPR | expr) R_BRACK` — a pattern constraint label `[expr]: v`.
    PATTERN_LABEL,
    /// An expression used as a declaration (an embedding): `expr` or `ALIAS_EXPR`.
    EMBEDDING,
    /// `ELLIPSIS expr?` — in structs and at the end of lists.
    ELLIPSIS_DECL,
    /// `LET_KW IDENT EQ expr` — as a declaration and as a comprehension clause.
    LET_CLAUSE,
    /// `(FOR_CLAUSE | IF_CLAUSE) ((COMMA)? (FOR_CLAUSE | IF_CLAUSE | LET_CLAUSE))* STRUCT_LIT`
    COMPREHENSION,
    /// `FOR_KW IDENT (COMMA IDENT)? IN_KW expr`
    FOR_CLAUSE,
    /// `IF_KW expr`
    IF_CLAUSE,
    /// `IDENT EQ expr` — an alias on a value (`X=expr`), in embeddings, list
    /// elements and pattern labels.
    ALIAS_EXPR,

    // Expressions.
    /// `L_CURLY (decl COMMA?)* R_CURLY`
    STRUCT_LIT,
    /// `L_BRACK (element COMMA?)* R_BRACK` where `element` is an expression,
    /// `ALIAS_EXPR`, `COMPREHENSION` or `ELLIPSIS_DECL`.
    LIST_LIT,
    /// One token: `INT_NUMBER`, `FLOAT_NUMBER`, `STRING`, `NULL_KW`, `TRUE_KW`,
    /// `FALSE_KW` or `BOTTOM`.
    LITERAL,
    /// `INTERP_START expr (INTERP_MID expr)* INTERP_END`
    INTERPOLATION,
    /// `IDENT` — a reference.
    NAME_REF,
    /// `L_PAREN expr R_PAREN`
    PAREN_EXPR,
    /// `expr DOT (IDENT | STRING)`
    SELECTOR_EXPR,
    /// `expr L_BRACK expr R_BRACK`
    INDEX_EXPR,
    /// `expr L_BRACK expr? COLON expr? R_BRACK`
    SLICE_EXPR,
    /// `expr ARG_LIST`
    CALL_EXPR,
    /// `L_PAREN (expr COMMA?)* R_PAREN`
    ARG_LIST,
    /// `op expr` where `op` is one of `+ - ! * != < <= > >= =~ !~`.
    UNARY_EXPR,
    /// `expr op expr`
    BINARY_EXPR,
    /// Tokens the parser could not place; a diagnostic explains why.
    ERROR,

    #[doc(hidden)]
    __LAST,
}

use SyntaxKind::*;

impl SyntaxKind {
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | COMMENT)
    }

    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            PACKAGE_KW | IMPORT_KW | FOR_KW | IN_KW | IF_KW | LET_KW | NULL_KW | TRUE_KW | FALSE_KW
        )
    }

    /// Whether this is a token (as opposed to a node) kind.
    pub fn is_token(self) -> bool {
        (self as u16) < (SOURCE_FILE as u16)
    }

    /// The keyword kind for an identifier's text, if it is one.
    pub fn from_keyword(text: &str) -> Option<SyntaxKind> {
        Some(match text {
            "package" => PACKAGE_KW,
            "import" => IMPORT_KW,
            "for" => FOR_KW,
            "in" => IN_KW,
            "if" => IF_KW,
            "let" => LET_KW,
            "null" => NULL_KW,
            "true" => TRUE_KW,
            "false" => FALSE_KW,
            _ => return None,
        })
    }

    /// The fixed text of punctuation and keyword tokens, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            WHITESPACE => "whitespace",
            COMMENT => "comment",
            IDENT => "identifier",
            INT_NUMBER => "integer",
            FLOAT_NUMBER => "number",
            STRING => "string",
            INTERP_START | INTERP_MID | INTERP_END => "interpolated string",
            ATTRIBUTE => "attribute",
            BOTTOM => "'_|_'",
            PACKAGE_KW => "'package'",
            IMPORT_KW => "'import'",
            FOR_KW => "'for'",
            IN_KW => "'in'",
            IF_KW => "'if'",
            LET_KW => "'let'",
            NULL_KW => "'null'",
            TRUE_KW => "'true'",
            FALSE_KW => "'false'",
            DIV_KW => "'div'",
            MOD_KW => "'mod'",
            QUO_KW => "'quo'",
            REM_KW => "'rem'",
            L_CURLY => "'{'",
            R_CURLY => "'}'",
            L_BRACK => "'['",
            R_BRACK => "']'",
            L_PAREN => "'('",
            R_PAREN => "')'",
            COMMA => "','",
            COLON => "':'",
            DOT => "'.'",
            ELLIPSIS => "'...'",
            EQ => "'='",
            QUESTION => "'?'",
            BANG => "'!'",
            PLUS => "'+'",
            MINUS => "'-'",
            STAR => "'*'",
            SLASH => "'/'",
            AMP => "'&'",
            PIPE => "'|'",
            AMP2 => "'&&'",
            PIPE2 => "'||'",
            EQ2 => "'=='",
            NEQ => "'!='",
            LT => "'<'",
            LTEQ => "'<='",
            GT => "'>'",
            GTEQ => "'>='",
            MATCH => "'=~'",
            NOT_MATCH => "'!~'",
            ERROR_TOKEN => "invalid character",
            _ => "syntax node",
        }
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        rowan::SyntaxKind(kind as u16)
    }
}

/// The rowan language tag for CUE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CueLanguage {}

impl rowan::Language for CueLanguage {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        let clamped = raw.0.min(SyntaxKind::__LAST as u16 - 1);
        // SAFETY-free conversion: SyntaxKind is a dense `repr(u16)` enum, and
        // `clamped` is below `__LAST`, so a lookup table is exact.
        KINDS[clamped as usize]
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

/// All kinds in discriminant order, for [`rowan::Language::kind_from_raw`].
static KINDS: &[SyntaxKind] = &[
    WHITESPACE,
    COMMENT,
    IDENT,
    INT_NUMBER,
    FLOAT_NUMBER,
    STRING,
    INTERP_START,
    INTERP_MID,
    INTERP_END,
    ATTRIBUTE,
    BOTTOM,
    PACKAGE_KW,
    IMPORT_KW,
    FOR_KW,
    IN_KW,
    IF_KW,
    LET_KW,
    NULL_KW,
    TRUE_KW,
    FALSE_KW,
    DIV_KW,
    MOD_KW,
    QUO_KW,
    REM_KW,
    L_CURLY,
    R_CURLY,
    L_BRACK,
    R_BRACK,
    L_PAREN,
    R_PAREN,
    COMMA,
    COLON,
    DOT,
    ELLIPSIS,
    EQ,
    QUESTION,
    BANG,
    PLUS,
    MINUS,
    STAR,
    SLASH,
    AMP,
    PIPE,
    AMP2,
    PIPE2,
    EQ2,
    NEQ,
    LT,
    LTEQ,
    GT,
    GTEQ,
    MATCH,
    NOT_MATCH,
    ERROR_TOKEN,
    SOURCE_FILE,
    PACKAGE_CLAUSE,
    IMPORT_DECL,
    IMPORT_SPEC,
    ATTRIBUTE_DECL,
    FIELD,
    LABEL,
    PAREN_LABEL,
    PATTERN_LABEL,
    EMBEDDING,
    ELLIPSIS_DECL,
    LET_CLAUSE,
    COMPREHENSION,
    FOR_CLAUSE,
    IF_CLAUSE,
    ALIAS_EXPR,
    STRUCT_LIT,
    LIST_LIT,
    LITERAL,
    INTERPOLATION,
    NAME_REF,
    PAREN_EXPR,
    SELECTOR_EXPR,
    INDEX_EXPR,
    SLICE_EXPR,
    CALL_EXPR,
    ARG_LIST,
    UNARY_EXPR,
    BINARY_EXPR,
    ERROR,
];

pub type SyntaxNode = rowan::SyntaxNode<CueLanguage>;
pub type SyntaxToken = rowan::SyntaxToken<CueLanguage>;
pub type SyntaxElement = rowan::SyntaxElement<CueLanguage>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_table_matches_discriminants() {
        assert_eq!(KINDS.len(), SyntaxKind::__LAST as usize);
        for (index, kind) in KINDS.iter().enumerate() {
            assert_eq!(*kind as usize, index, "{kind:?}");
        }
    }
}
