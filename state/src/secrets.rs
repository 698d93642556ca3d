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

    /// The team's key for a shared (PostgreSQL) state: 64 hex digits, from
    /// `file`, else the file `FROYO_STATE_KEY_FILE` names (readable only by its owner),
    /// else from `FROYO_STATE_KEY`. Why not, as a sentence, when neither
    /// gives one.
    pub(crate) fn team_key(file: Option<&Path>) -> Result<SecretKey, String> {
        let file = file.map(Path::to_path_buf).or_else(|| {
            std::env::var_os("FROYO_STATE_KEY_FILE")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from)
        });
        let (text, origin) = match file {
            Some(path) => {
                let metadata = std::fs::metadata(&path)
                    .map_err(|error| format!("FROYO_STATE_KEY_FILE {}: {error}", path.display()))?;
                let mode = metadata.permissions().mode();
                if !metadata.is_file() || mode & 0o077 != 0 {
                    return Err(format!(
                        "FROYO_STATE_KEY_FILE {}: it must be a regular file readable only by \
                         its owner (mode {:o}); run `chmod 600` on it",
                        path.display(),
                        mode & 0o7777
                    ));
                }
                let mut text = String::new();
                std::fs::File::open(&path)
                    .and_then(|file| file.take(1024).read_to_string(&mut text))
                    .map_err(|error| format!("FROYO_STATE_KEY_FILE {}: {error}", path.display()))?;
                (text, format!("FROYO_STATE_KEY_FILE {}", path.display()))
            }
            _ => match std::env::var("FROYO_STATE_KEY") {
                Ok(text) if !text.is_empty() => (text, "FROYO_STATE_KEY".to_string()),
                _ => return Err("no team key is configured".to_string()),
            },
        };
        let bytes = from_hex(text.trim()).ok_or_else(|| {
            format!("{origin} does not hold a key: a key is 64 hex digits (`openssl rand -hex 32`)")
        })?;
        Ok(SecretKey { bytes })
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
        let mut mac = self.mac();
        let mut canonical = String::new();
        write_canonical(value, &mut canonical);
        mac.update(canonical.as_bytes());
        hex_tag(&mac.finalize().into_bytes())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl SecretKey {
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; KEY_LENGTH]) -> SecretKey {
        SecretKey { bytes }
    }

    /// A key for one `purpose` only: HMAC-SHA256 of the purpose, keyed with
    /// this key. Keys for different purposes are unrelated, and none of them
    /// reveals the secret key or lets anyone forge a protected value.
    pub(crate) fn derive(&self, purpose: &str) -> DerivedKey {
        let mut mac = self.mac();
        mac.update(purpose.as_bytes());
        DerivedKey { bytes: mac.finalize().into_bytes().into() }
    }

    /// HMAC keyed with this key. Padding to the block size with zeros is
    /// what HMAC does to a short key, and the fixed-size constructor cannot fail.
    fn mac(&self) -> Hmac<Sha256> {
        let mut padded = [0u8; BLOCK_LENGTH];
        padded[..KEY_LENGTH].copy_from_slice(&self.bytes);
        <Hmac<Sha256> as KeyInit>::new(&padded.into())
    }
}

/// A key derived from a workspace's secret key for one purpose (see
/// [`crate::State::derive_key`]): it authenticates data with HMAC-SHA256.
/// Its bytes never leave it.
pub struct DerivedKey {
    bytes: [u8; KEY_LENGTH],
}

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey(..)")
    }
}

impl DerivedKey {
    /// The key itself, for a cipher inside this crate (the work queue's sealing).
    pub(crate) fn bytes(&self) -> &[u8; KEY_LENGTH] {
        &self.bytes
    }

    fn mac(&self) -> Hmac<Sha256> {
        let mut padded = [0u8; BLOCK_LENGTH];
        padded[..KEY_LENGTH].copy_from_slice(&self.bytes);
        <Hmac<Sha256> as KeyInit>::new(&padded.into())
    }

    /// `hmac-sha256:<64 hex digits>` of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(message);
        hex_tag(&mac.finalize().into_bytes())
    }

    /// Whether `tag` is [`DerivedKey::sign`]'s answer for `message`, compared
    /// in constant time. Anything else (another prefix, a wrong length, not
    /// hex) is simply not a match.
    pub fn verify(&self, message: &[u8], tag: &str) -> bool {
        let Some(digits) = tag.strip_prefix(PROTECTED_PREFIX) else {
            return false;
        };
        let Some(expected) = from_hex(digits) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(message);
        mac.verify_slice(&expected).is_ok()
    }
}

fn hex_tag(digest: &[u8]) -> String {
    let mut text = String::with_capacity(PROTECTED_PREFIX.len() + 2 * digest.len());
    text.push_str(PROTECTED_PREFIX);
    for byte in digest {
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 0xf)] as char);
    }
    text
}

/// 64 lowercase hex digits as 32 bytes; `None` for anything else.
fn from_hex(digits: &str) -> Option<[u8; 32]> {
    let digits = digits.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (index, pair) in digits.chunks_exact(2).enumerate() {
        out[index] = (value(pair[0])? << 4) | value(pair[1])?;
    }
    Some(out)
}

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
    fn derived_keys_sign_and_verify_for_their_purpose_only() {
        let key = SecretKey { bytes: [7; KEY_LENGTH] };
        let plans = key.derive("froyo saved plan v1");
        let tag = plans.sign(b"message");
        assert!(tag.starts_with(PROTECTED_PREFIX) && tag.len() == PROTECTED_PREFIX.len() + 64);
        assert!(plans.verify(b"message", &tag));
        assert!(!plans.verify(b"messagf", &tag));
        assert!(!key.derive("another purpose").verify(b"message", &tag));
        assert!(
            !SecretKey { bytes: [8; KEY_LENGTH] }
                .derive("froyo saved plan v1")
                .verify(b"message", &tag)
        );
        // The derived key is HMAC(secret key, purpose), not the secret key itself.
        let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&[7; KEY_LENGTH])
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        reference.update(b"froyo saved plan v1");
        let derived: [u8; KEY_LENGTH] = reference.finalize().into_bytes().into();
        assert_eq!(plans.bytes, derived);
        assert_ne!(plans.bytes, key.bytes);
        // Garbled tags are no match, never a panic.
        for garbled in [
            "",
            "hmac-sha256:",
            &tag[..tag.len() - 1],
            &format!("{tag}0"),
            &tag.replace("hmac-sha256:", "sha256:"),
            &tag.to_uppercase(),
            "hmac-sha256:zz00000000000000000000000000000000000000000000000000000000000000",
            "hmac-sha256:ééé",
        ] {
            assert!(!plans.verify(b"message", garbled), "{garbled}");
        }
        assert_eq!(format!("{plans:?}"), "DerivedKey(..)");
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
