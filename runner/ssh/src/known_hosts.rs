//! Host key verification against OpenSSH `known_hosts` files.
//!
//! Start at [`KnownHosts::load`] and [`KnownHosts::verify`], which answers
//! with a [`Verdict`]; new hosts are recorded with [`append_hashed`].
//! The format is the one `man sshd` describes under "SSH_KNOWN_HOSTS FILE
//! FORMAT": `[@marker] patterns keytype base64 [comment]`, patterns being a
//! comma-separated list with `*`, `?`, `!negation` and `[host]:port`, or one
//! hashed name `|1|salt|HMAC-SHA1(salt, host)`.
//! Lines are split here (OpenSSH allows tabs and keeps line numbers, which
//! `ssh_key::known_hosts` does not); keys, certificates and the hashed-name
//! field are decoded with `ssh-key`, the library russh already uses.
//!
//! Verification follows OpenSSH, and is stricter in three places, each to
//! refuse rather than trust:
//! an `@revoked` key is refused for every host, whatever the line's
//! patterns; a host certificate must name one of the host's names as a
//! principal (OpenSSH accepts a certificate with no principals at all);
//! and a certificate signed by a matching `@cert-authority` that is
//! expired, of the wrong type, for another host or with critical options is
//! [`Verdict::CertificateRejected`], never retried as a plain key.
//!
//! What it is not: it does not read `RevokedHostKeys` files or run
//! `KnownHostsCommand`.
//! Nothing here panics on what a file or a server holds.

// Files and servers are hostile input: errors are values, never panics.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing
)]

mod append;
mod parse;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::public::KeyData;
use russh::keys::{Certificate, HashAlg, PublicKey, PublicKeyOrCertificate};

use crate::config::wildcard_match;

pub use append::{append_hashed, trust_command};
use parse::{parse_line, read_limited};

/// A known_hosts file larger than this is refused (with a warning).
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Warnings kept per file; the rest are counted.
const MAX_WARNINGS_PER_FILE: usize = 20;

/// The parsed entries of some known_hosts files, each with its origin.
#[derive(Clone, Debug, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
    warnings: Vec<String>,
}

#[derive(Clone, Debug)]
struct Entry {
    marker: Option<Marker>,
    hosts: Hosts,
    key: KeyData,
    file: PathBuf,
    line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    CertAuthority,
    Revoked,
}

#[derive(Clone, Debug)]
enum Hosts {
    Patterns(Vec<String>),
    Hashed { salt: Vec<u8>, hash: [u8; 20] },
}

/// The key a server presented: a plain key or a host certificate.
#[derive(Clone, Copy, Debug)]
pub enum ServerKey<'a> {
    Key(&'a PublicKey),
    Certificate(&'a Certificate),
}

impl<'a> From<&'a PublicKeyOrCertificate> for ServerKey<'a> {
    fn from(key: &'a PublicKeyOrCertificate) -> Self {
        match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => ServerKey::Key(key),
            PublicKeyOrCertificate::Certificate(certificate) => ServerKey::Certificate(certificate),
        }
    }
}

/// What the files say about a presented key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A line for this host holds exactly this key.
    Trusted { file: PathBuf, line: usize },
    /// An `@cert-authority` line for this host holds the key that signed
    /// this valid host certificate.
    TrustedByAuthority { file: PathBuf, line: usize },
    /// An `@revoked` line holds this key, the certificate's key or its
    /// signer: always refuse.
    Revoked { file: PathBuf, line: usize },
    /// A matching `@cert-authority` signed the certificate but the
    /// certificate is not valid for this host now: refuse.
    CertificateRejected { file: PathBuf, line: usize, reason: String },
    /// A line for this host holds a different key of the same type: refuse
    /// (the host was reinstalled, or someone is in the middle).
    Changed {
        file: PathBuf,
        line: usize,
        /// Fingerprint of the recorded key.
        expected: String,
    },
    /// Nothing matches.
    Unknown,
}

/// SHA-256 fingerprint as OpenSSH prints it (`SHA256:` then unpadded base64).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn key_fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

impl KnownHosts {
    /// Loads the files in order; a missing file is fine; unreadable files
    /// and bad lines are skipped with a warning.
    pub fn load(files: &[PathBuf]) -> KnownHosts {
        let mut known_hosts = KnownHosts::default();
        for file in files {
            match read_limited(file) {
                Ok(Some(bytes)) => known_hosts.add_text(file, &bytes),
                Ok(None) => {}
                Err(error) => {
                    known_hosts.warnings.push(format!("{}: cannot read: {error}", file.display()))
                }
            }
        }
        known_hosts
    }

    /// Lines that were skipped, and why (`file:line: message`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Parses `bytes` as the contents of `file`, adding its entries.
    fn add_text(&mut self, file: &Path, bytes: &[u8]) {
        let mut skipped = 0usize;
        for (index, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_number = index + 1;
            match parse_line(raw_line) {
                Ok(None) => {}
                Ok(Some((marker, hosts, key))) => self.entries.push(Entry {
                    marker,
                    hosts,
                    key,
                    file: file.to_path_buf(),
                    line: line_number,
                }),
                Err(message) => {
                    skipped += 1;
                    if skipped <= MAX_WARNINGS_PER_FILE {
                        self.warnings.push(format!(
                            "{}:{line_number}: {message}: line skipped",
                            file.display()
                        ));
                    }
                }
            }
        }
        if skipped > MAX_WARNINGS_PER_FILE {
            self.warnings.push(format!(
                "{}: {} more bad lines skipped",
                file.display(),
                skipped - MAX_WARNINGS_PER_FILE
            ));
        }
    }

    /// What the files say about `key` presented by the host known by
    /// `names` (the name the user gave and/or its address) at `port`.
    /// Port 22 matches plain names; other ports match `[name]:port`.
    /// `now_unix` is the time a certificate must be valid at.
    pub fn verify(&self, names: &[&str], port: u16, key: &ServerKey<'_>, now_unix: u64) -> Verdict {
        let lookups: Vec<String> = names.iter().map(|name| host_for_port(name, port)).collect();
        let (plain_key, certificate) = match key {
            ServerKey::Key(key) => (key.key_data(), None),
            ServerKey::Certificate(certificate) => (certificate.public_key(), Some(*certificate)),
        };

        let revoked = self.entries.iter().find(|entry| {
            entry.marker == Some(Marker::Revoked)
                && (entry.key == *plain_key
                    || certificate.is_some_and(|c| entry.key == *c.signature_key()))
        });
        if let Some(entry) = revoked {
            return Verdict::Revoked { file: entry.file.clone(), line: entry.line };
        }

        let matching: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|entry| entry.marker != Some(Marker::Revoked))
            .filter(|entry| lookups.iter().any(|lookup| entry.hosts.matches(lookup)))
            .collect();

        if let Some(certificate) = certificate {
            let authority = matching.iter().find(|entry| {
                entry.marker == Some(Marker::CertAuthority)
                    && entry.key == *certificate.signature_key()
            });
            if let Some(entry) = authority {
                return match check_host_certificate(certificate, names, now_unix, &entry.key) {
                    Ok(()) => {
                        Verdict::TrustedByAuthority { file: entry.file.clone(), line: entry.line }
                    }
                    Err(reason) => Verdict::CertificateRejected {
                        file: entry.file.clone(),
                        line: entry.line,
                        reason,
                    },
                };
            }
            // No authority for this host signed it: like OpenSSH, fall back
            // to the certificate's own key.
        }

        let plain_entries = || matching.iter().filter(|entry| entry.marker.is_none());
        if let Some(entry) = plain_entries().find(|entry| entry.key == *plain_key) {
            return Verdict::Trusted { file: entry.file.clone(), line: entry.line };
        }
        if let Some(entry) =
            plain_entries().find(|entry| entry.key.algorithm() == plain_key.algorithm())
        {
            return Verdict::Changed {
                file: entry.file.clone(),
                line: entry.line,
                expected: key_fingerprint(&entry.key),
            };
        }
        Verdict::Unknown
    }
}

/// How a host appears in known_hosts: `name` on port 22, `[name]:port`
/// elsewhere; lowercase, as OpenSSH writes and compares names.
fn host_for_port(name: &str, port: u16) -> String {
    let name = name.to_ascii_lowercase();
    if port == 22 { name } else { format!("[{name}]:{port}") }
}

impl Hosts {
    fn matches(&self, lookup: &str) -> bool {
        match self {
            Hosts::Patterns(patterns) => {
                let mut matched = false;
                for pattern in patterns {
                    if let Some(negated) = pattern.strip_prefix('!') {
                        if wildcard_match(negated, lookup) {
                            return false;
                        }
                    } else if wildcard_match(pattern, lookup) {
                        matched = true;
                    }
                }
                matched
            }
            Hosts::Hashed { salt, hash } => {
                let computed = append::hash_host(salt, lookup);
                // Not secret: comparing in constant time is not needed.
                computed.as_ref() == hash.as_slice()
            }
        }
    }
}

/// The checks OpenSSH makes on a host certificate whose signer is trusted.
fn check_host_certificate(
    certificate: &Certificate,
    names: &[&str],
    now_unix: u64,
    authority: &KeyData,
) -> Result<(), String> {
    if certificate.cert_type() != CertType::Host {
        return Err("it is a user certificate, not a host certificate".to_owned());
    }
    let principals = certificate.valid_principals();
    let named = names
        .iter()
        .any(|name| principals.iter().any(|principal| principal.eq_ignore_ascii_case(name)));
    if !named {
        return Err(format!(
            "its principals ({}) do not name {}",
            principals.join(","),
            names.join(" or ")
        ));
    }
    if !certificate.critical_options().is_empty() {
        return Err("it has critical options, which host certificates cannot have".to_owned());
    }
    let authority_fingerprint = authority.fingerprint(HashAlg::Sha256);
    if certificate.validate_at(now_unix, [&authority_fingerprint]).is_ok() {
        return Ok(());
    }
    Err(if certificate.verify_signature().is_err() {
        "its signature does not verify".to_owned()
    } else if now_unix < certificate.valid_after() {
        format!("it is not valid before Unix time {}", certificate.valid_after())
    } else {
        format!("it expired at Unix time {}", certificate.valid_before())
    })
}
