//! Canonical JSON and content hashes.
//!
//! Hashes decide whether a planned change still matches the host
//! (`observed_hash`) and whether a resource's desired properties changed
//! (`desired_hash`), so they must not depend on map order: objects are
//! written with keys sorted, whatever `serde_json`'s map type is.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` as compact JSON with object keys in byte order (the same bytes
/// state's keyed hashes are taken of).
pub fn to_string(value: &Value) -> String {
    froyo_state::canonical_json(value)
}

/// `sha256:` and the hex digest of `value`'s canonical JSON.
pub fn hash(value: &Value) -> String {
    hash_bytes(to_string(value).as_bytes())
}

/// `sha256:` and the hex digest of `bytes`.
pub fn hash_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a = json!({"b": 1, "a": {"y": [1, "x"], "x": null}});
        let b = json!({"a": {"x": null, "y": [1, "x"]}, "b": 1});
        assert_eq!(to_string(&a), r#"{"a":{"x":null,"y":[1,"x"]},"b":1}"#);
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(hash(&a), hash(&json!({"b": 2})));
    }
}
