//! Readings of CUE syntax for the features: those the checks share
//! (`froyo_check::cue`), and the token at the cursor.

use froyo_syntax::{SyntaxKind, SyntaxNode, SyntaxToken, TextSize};

pub use froyo_check::cue::*;

/// The token at `offset`, preferring the one that ends there (the word being
/// typed) over the one that starts there.
pub fn token_before(root: &SyntaxNode, offset: u32) -> Option<SyntaxToken> {
    let size = TextSize::from(offset.min(u32::from(root.text_range().end())));
    match root.token_at_offset(size) {
        rowan::TokenAtOffset::None => None,
        rowan::TokenAtOffset::Single(token) => Some(token),
        rowan::TokenAtOffset::Between(left, right) => {
            if left.kind().is_trivia()
                || matches!(
                    left.kind(),
                    SyntaxKind::L_CURLY
                        | SyntaxKind::COMMA
                        | SyntaxKind::L_BRACK
                        | SyntaxKind::COLON
                )
            {
                Some(right)
            } else {
                Some(left)
            }
        }
    }
}
