//! Sensitive values: replaced by a keyed hash before they reach the database.
//!
//! The key is 32 random bytes in `state.key`, next to the database, created
//! with mode 0600 from `/dev/urandom` the first time a workspace's state is
//! opened. It is never written to the database, so a copied `state.db` alone
//! does not let anyone test guesses against the hashes.
//! A protected value is `hmac-sha256:<64 hex digits>` over the value's
//! canonical JSON (object keys sorted, no whitespace): the same value gives
//! the same text, so drift detection compares protected values directly.
//!
//! Invariants: the key file is created atomically (written aside, then linked
//! into place without replacing), so two processes opening a new workspace at
//! once agree on one key; an existing key is never overwritten, and one of the
//! wrong size or readable by others is refused.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::error::StateError;

/// The prefix of every protected value.
pub const PROTECTED_PREFIX: &str = "hmac-sha256:";

const KEY_LENGTH: usize = 32;
/// SHA-256's block size: HMAC pads shorter keys with zeros to it.
const BLOCK_LENGTH: usize = 64;

/// The secret key of one workspace's state.
pub(crate) struct SecretKey {
    bytes: [u8; KEY_LENGTH],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// Reads `path`, or creates it with fresh random bytes when it does not exist.
    pub(crate) fn load_or_create(path: &Path) -> Result<SecretKey, StateError> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => SecretKey::read(path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => SecretKey::create(path),
            Err(error) => Err(StateError::io(path, "read the state key", error)),
        }
    }

    /// Reads `path`; `None` when it does not exist.
    pub(crate) fn load(path: &Path) -> Result<Option<SecretKey>, StateError> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => SecretKey::read(path).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StateError::io(path, "read the state key", error)),
        }
    }

    /// What the database records to recognise its key, which says nothing
    /// about the key: `hmac-sha256:<hex>` of a fixed label.
    pub(crate) fn fingerprint(&self) -> String {
        self.protect_value(&Value::String("froyo state key check v1".to_string()))
    }

    fn read(path: &Path) -> Result<SecretKey, StateError> {
        let mut file = std::fs::File::open(path)
            .map_err(|error| StateError::io(path, "open the state key", error))?;
        let metadata =
            file.metadata().map_err(|error| StateError::io(path, "read the state key", error))?;
        let mode = metadata.permissions().mode();
        if !metadata.is_file() || mode & 0o077 != 0 {
            return Err(StateError::io(
                path,
                "use the state key",
                std::io::Error::other(format!(
                    "it must be a regular file readable only by its owner (mode {:o}); \
                     run `chmod 600` on it",
                    mode & 0o7777
                )),
            ));
        }
        let mut bytes = Vec::with_capacity(KEY_LENGTH + 1);
        Read::by_ref(&mut file)
            .take(KEY_LENGTH as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| StateError::io(path, "read the state key", error))?;
        let bytes: [u8; KEY_LENGTH] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            StateError::io(
                path,
                "use the state key",
                std::io::Error::other(format!(
                    "it holds {} bytes, a key is {KEY_LENGTH}{}",
                    bytes.len(),
                    if bytes.len() > KEY_LENGTH { " (or more)" } else { "" }
                )),
            )
        })?;
        Ok(SecretKey { bytes })
    }

    fn create(path: &Path) -> Result<SecretKey, StateError> {
        let mut bytes = [0u8; KEY_LENGTH];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut random| random.read_exact(&mut bytes))
            .map_err(|error| {
                StateError::io(Path::new("/dev/urandom"), "read random bytes", error)
            })?;
        let aside = aside_path(path);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&aside)
            .map_err(|error| StateError::io(&aside, "write the state key", error))?;
        if let Err(error) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
            let _ = std::fs::remove_file(&aside);
            return Err(StateError::io(&aside, "write the state key", error));
        }
        // A hard link never replaces: if another process linked its key first, use that one.
        let linked = std::fs::hard_link(&aside, path);
        let _ = std::fs::remove_file(&aside);
        match linked {
            Ok(()) => Ok(SecretKey { bytes }),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                SecretKey::read(path)
            }
            Err(error) => Err(StateError::io(path, "create the state key", error)),
        }
    }

    /// `hmac-sha256:<hex>` of `value`'s canonical JSON.
    pub(crate) fn protect_value(&self, value: &Value) -> String {
        let mut padded = [0u8; BLOCK_LENGTH];
        padded[..KEY_LENGTH].copy_from_slice(&self.bytes);
        // Padding to the block size with zeros is what HMAC does to a short key,
        // and the fixed-size constructor cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&padded.into());
        let mut canonical = String::new();
        write_canonical(value, &mut canonical);
        mac.update(canonical.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut text = String::with_capacity(PROTECTED_PREFIX.len() + 64);
        text.push_str(PROTECTED_PREFIX);
        for byte in digest {
            text.push(HEX[usize::from(byte >> 4)] as char);
            text.push(HEX[usize::from(byte & 0xf)] as char);
        }
        text
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Replaces each property named in `sensitive` by its protected form.
pub(crate) fn protect(
    key: &SecretKey,
    properties: &Map<String, Value>,
    sensitive: &[String],
) -> Map<String, Value> {
    let mut protected = properties.clone();
    for name in sensitive {
        if let Some(value) = protected.get_mut(name) {
            *value = Value::String(key.protect_value(value));
        }
    }
    protected
}

/// Where a new key is written before it is linked into place: unique to
/// this call, so concurrent openers never touch each other's file.
fn aside_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{}.new", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    path.with_file_name(name)
}

/// `value` as JSON with object keys in byte order and no whitespace, whatever
/// order the map keeps (serde_json's `preserve_order` may be on in the
/// build): the bytes keyed hashes and content hashes are taken of.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|left, right| left.0.cmp(right.0));
            out.push('{');
            for (index, (name, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value = serde_json::json!({"b": [1, {"z": null, "a": "x\"y"}], "a": true});
        let mut out = String::new();
        write_canonical(&value, &mut out);
        assert_eq!(out, r#"{"a":true,"b":[1,{"a":"x\"y","z":null}]}"#);
    }

    #[test]
    fn padded_key_gives_the_standard_hmac() {
        // RFC 4231, test case 2 uses a 4-byte key; a 32-byte key exercises our padding.
        let key = SecretKey { bytes: [0x0b; KEY_LENGTH] };
        let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&[0x0b; KEY_LENGTH])
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        reference.update(b"\"Hi There\"");
        let expected: String =
            reference.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(
            key.protect_value(&Value::String("Hi There".into())),
            format!("{PROTECTED_PREFIX}{expected}")
        );
    }
}
