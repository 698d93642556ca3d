//! Recording a newly trusted host key: hashed lines appended under an
//! exclusive lock, and the command a user runs to trust a host by hand.
//!
//! Appends take `flock` on the file itself (std's `File::lock`), so
//! concurrent froyo processes and threads never interleave or lose lines,
//! and OpenSSH (which rewrites the file only through a temporary file and a
//! rename) sees whole lines.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use russh::keys::PublicKey;
use russh::keys::ssh_key::known_hosts::HostPatterns;

use super::{KnownHosts, ServerKey, Verdict, host_for_port};

/// HMAC-SHA1 of `host` keyed by `salt`, as `|1|` names are hashed.
pub(super) fn hash_host(salt: &[u8], host: &str) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, salt);
    hmac::sign(&key, host.as_bytes())
}

/// `|1|salt|hash` for `host` with a fresh random salt.
fn hashed_name(host: &str) -> io::Result<String> {
    let mut salt = [0u8; 20];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| io::Error::other("no randomness for a known_hosts salt"))?;
    let tag = hash_host(&salt, host);
    let mut hash = [0u8; 20];
    if tag.as_ref().len() != hash.len() {
        return Err(io::Error::other("HMAC-SHA1 gave an unexpected length"));
    }
    hash.copy_from_slice(tag.as_ref());
    Ok(HostPatterns::HashedName { salt: salt.to_vec(), hash }.to_string())
}

/// `keytype base64`, without the key's comment.
fn key_text(key: &PublicKey) -> io::Result<String> {
    PublicKey::new(key.key_data().clone(), "")
        .to_openssh()
        .map(|text| text.trim_end().to_owned())
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error.to_string()))
}

/// Appends one hashed line (`|1|salt|hash keytype base64`) per name in
/// `names` for `port` to `file`, creating its parent directories (mode
/// 0700) and the file (mode 0600) when absent.
/// Under an exclusive lock it re-reads the file and skips names the file
/// already trusts with this key, so concurrent callers never duplicate or
/// lose lines.
/// It refuses (`InvalidData`, nothing written) when the file revokes the
/// key, or records a different key of the same type for one of the names
/// (perhaps written by another process since the caller verified): the
/// caller must then verify again rather than add a second key.
pub fn append_hashed(file: &Path, names: &[&str], port: u16, key: &PublicKey) -> io::Result<()> {
    if let Some(parent) = file.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(parent)?;
    }
    let mut handle =
        OpenOptions::new().read(true).append(true).create(true).mode(0o600).open(file)?;
    handle.lock()?;

    let mut existing = Vec::new();
    handle.seek(SeekFrom::Start(0))?;
    handle.read_to_end(&mut existing)?;
    let mut known = KnownHosts::default();
    known.add_text(file, &existing);

    let key_text = key_text(key)?;
    let mut lines = String::new();
    if existing.last().is_some_and(|&last| last != b'\n') {
        lines.push('\n');
    }
    let mut added = false;
    for name in names {
        match known.verify(&[name], port, &ServerKey::Key(key), 0) {
            Verdict::Trusted { .. } => continue,
            Verdict::Revoked { file, line } => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("refusing to record a key revoked at {}:{line}", file.display()),
                ));
            }
            Verdict::Changed { file, line, expected } => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "refusing to record a second {} key for {name}: {}:{line} records {expected}",
                        key.algorithm(),
                        file.display()
                    ),
                ));
            }
            Verdict::TrustedByAuthority { .. }
            | Verdict::CertificateRejected { .. }
            | Verdict::Unknown => {}
        }
        lines.push_str(&hashed_name(&host_for_port(name, port))?);
        lines.push(' ');
        lines.push_str(&key_text);
        lines.push('\n');
        added = true;
    }
    if added {
        // One write of whole lines, in append mode, under the lock.
        handle.write_all(lines.as_bytes())?;
        handle.sync_data()?;
    }
    handle.unlock()
}

/// The command a user runs to trust `key` for `names` at `port`, after
/// checking its fingerprint out of band: it appends exactly the key froyo
/// was shown, not whatever a later `ssh-keyscan` would fetch (an unverified
/// second look that a man in the middle would answer too).
///
/// The result, on three lines (ready to print under a message such as
/// OpenSSH's "The authenticity of host ... can't be established"):
///
/// ```text
/// # ED25519 key fingerprint is SHA256:...; compare it with the output of
/// #   ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub   (run on the host itself)
/// printf '%s\n' 'web1.example,192.0.2.10 ssh-ed25519 AAAA...' >> '/home/me/.ssh/known_hosts'
/// ```
///
/// `None` when a name cannot be written as a known_hosts pattern (it holds
/// whitespace, a comma, a wildcard, a bracket or `#`), or the key cannot be
/// encoded.
pub fn trust_command(names: &[&str], port: u16, key: &PublicKey, file: &Path) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let mut patterns = Vec::new();
    for name in names {
        let unsafe_character = |c: char| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, ',' | '*' | '?' | '!' | '[' | ']' | '#' | '|' | '@')
        };
        if name.is_empty() || name.contains(unsafe_character) {
            return None;
        }
        patterns.push(host_for_port(name, port));
    }
    let key_text = key_text(key).ok()?;
    let algorithm = key.algorithm();
    let host_key_file = match algorithm.as_str() {
        "ssh-ed25519" => "ssh_host_ed25519_key.pub",
        "ssh-rsa" => "ssh_host_rsa_key.pub",
        name if name.starts_with("ecdsa-") => "ssh_host_ecdsa_key.pub",
        _ => "ssh_host_*_key.pub",
    };
    let line = format!("{} {key_text}", patterns.join(","));
    Some(format!(
        "# {} key fingerprint is {}; compare it with the output of\n\
         #   ssh-keygen -lf /etc/ssh/{host_key_file}   (run on the host itself)\n\
         printf '%s\\n' {} >> {}",
        key_family(algorithm.as_str()),
        super::fingerprint(key),
        shell_quote(&line),
        shell_quote(&file.to_string_lossy()),
    ))
}

/// The short name `ssh` prints before "key fingerprint".
fn key_family(algorithm: &str) -> &'static str {
    match algorithm {
        "ssh-ed25519" => "ED25519",
        "ssh-rsa" => "RSA",
        name if name.starts_with("ecdsa-") => "ECDSA",
        _ => "Host",
    }
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
