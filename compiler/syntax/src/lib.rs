//! CUE syntax for froyo: a lexer, an error-recovering parser, a lossless
//! syntax tree (rowan) and a typed AST view over it.
//!
//! Parsing never fails: [`parse`] always returns a tree that covers every byte
//! of the input (whitespace and comments included, so printing the tree gives
//! back the source) plus a list of [`SyntaxError`]s. The formatter, the
//! evaluator and the language server all start from this tree.
//!
//! Start reading at [`parse`], then [`lexer`] and [`parser`]; the tree's shape
//! is documented on each [`SyntaxKind`].
//!
//! Invariant: `syntax` knows nothing of evaluation, salsa, the IR, the engine or LSP.
//! Invariant: no input makes it panic or recurse without bound (nesting is capped
//! at [`MAX_NESTING`] levels, reported as `E0009`).

pub mod ast;
mod error;
pub mod lexer;
mod parser;
mod syntax_kind;

pub use error::SyntaxError;
pub use parser::{MAX_NESTING, Parse, parse};
pub use rowan::{TextRange, TextSize};
pub use syntax_kind::{CueLanguage, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};
