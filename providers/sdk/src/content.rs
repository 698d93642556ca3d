//! Content hashing, permission modes and ownership, as the runner reports them.
//!
//! Invariant: the formats match `froyo-runner-protocol`'s `Stat`: digests are
//! `sha256:` and lowercase hex; modes are four octal digits.

use froyo_provider_api::{Op, Stat};
use sha2::{Digest, Sha256};

use crate::changes::{Changes, string};

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

/// The mode, owner and group wanted of an existing path; `None` leaves that
/// attribute as it is.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    /// Four octal digits (see [`normalize_mode`]).
    pub mode: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
}

/// Which attributes differ from what the path has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Differs {
    pub mode: bool,
    pub owner: bool,
    pub group: bool,
}

impl Attributes<'_> {
    /// Compares with `stat`, recording each difference in `changes` (mode,
    /// then owner, then group).
    pub fn diff(&self, stat: &Stat, changes: &mut Changes) -> Differs {
        let mut differs = |name: &str, have: &str, want: Option<&str>| {
            want.is_some_and(|want| changes.diff(name, string(have), string(want)))
        };
        Differs {
            mode: differs("mode", &stat.mode, self.mode),
            owner: differs("owner", &stat.owner, self.owner),
            group: differs("group", &stat.group, self.group),
        }
    }

    /// The operations that fix what [`Attributes::diff`] found on `path`: a
    /// `chmod`, then one `chown` of what differs (`recursive_chown`: of
    /// everything below it too).
    pub fn fix(&self, path: &str, differs: Differs, recursive_chown: bool) -> Vec<Op> {
        let mut ops = Vec::new();
        if let Some(mode) = self.mode.filter(|_| differs.mode) {
            ops.push(Op::Chmod {
                path: path.to_string(),
                mode: mode.to_string(),
                recursive: false,
            });
        }
        if differs.owner || differs.group {
            ops.push(Op::Chown {
                path: path.to_string(),
                owner: self.owner.filter(|_| differs.owner).map(str::to_string),
                group: self.group.filter(|_| differs.group).map(str::to_string),
                recursive: recursive_chown,
            });
        }
        ops
    }
}
