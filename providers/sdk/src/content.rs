//! Content hashing and permission modes, as the runner reports them.
//!
//! Invariant: the formats match `froyo-runner-protocol`'s `Stat`: digests are
//! `sha256:` and lowercase hex; modes are four octal digits.

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of `content`, as a `Stat` probe reports a file's digest.
pub fn sha256(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Normalise a mode to four octal digits: `"644"` → `"0644"`.
pub fn normalize_mode(mode: &str) -> Result<String, String> {
    let ok = (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !ok {
        return Err(format!("mode {mode:?} is not three or four octal digits"));
    }
    Ok(format!("{mode:0>4}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_and_modes() {
        assert_eq!(
            sha256(b"hello\n"),
            "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(normalize_mode("644").unwrap(), "0644");
        assert_eq!(normalize_mode("4755").unwrap(), "4755");
        assert!(normalize_mode("8644").is_err());
        assert!(normalize_mode("64").is_err());
    }
}
