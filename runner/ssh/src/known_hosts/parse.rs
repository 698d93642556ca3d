//! Reading known_hosts files: one line into a marker, host patterns (or a
//! hashed name) and a key; a whole file with a size bound and without
//! blocking on FIFOs.
//! Fields are split on spaces and tabs as OpenSSH does; keys and the
//! `|1|salt|hash` field are decoded by `ssh-key`.

use std::fs;
use std::io::Read;
use std::path::Path;

use russh::keys::PublicKey;
use russh::keys::ssh_key::known_hosts::HostPatterns;
use russh::keys::ssh_key::public::KeyData;

use super::{Hosts, MAX_FILE_BYTES, Marker};

pub(super) type ParsedLine = (Option<Marker>, Hosts, KeyData);

/// `Ok(None)` for blank lines and comments.
pub(super) fn parse_line(raw_line: &[u8]) -> Result<Option<ParsedLine>, String> {
    let Ok(line) = std::str::from_utf8(raw_line) else {
        return Err("not UTF-8".to_owned());
    };
    let line = line.trim_matches([' ', '\t', '\r']);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split([' ', '\t']).filter(|field| !field.is_empty());
    let mut next = |what: &str| fields.next().ok_or_else(|| format!("no {what}"));
    let mut hosts_field = next("host patterns")?;
    let marker = if hosts_field.starts_with('@') {
        let marker = match hosts_field {
            "@cert-authority" => Marker::CertAuthority,
            "@revoked" => Marker::Revoked,
            other => return Err(format!("unknown marker '{}'", truncate(other))),
        };
        hosts_field = next("host patterns")?;
        Some(marker)
    } else {
        None
    };
    let key_type = next("key type")?;
    let key_base64 = next("key")?;
    let hosts = parse_hosts(hosts_field)?;
    let key = PublicKey::from_openssh(&format!("{key_type} {key_base64}"))
        .map_err(|error| format!("cannot decode the {} key: {error}", truncate(key_type)))?;
    if key.algorithm().as_str() != key_type {
        return Err(format!(
            "key type '{}' does not match the key ({})",
            truncate(key_type),
            key.algorithm()
        ));
    }
    Ok(Some((marker, hosts, key.key_data().clone())))
}

fn parse_hosts(field: &str) -> Result<Hosts, String> {
    if field.starts_with("|1|") {
        return match field.parse::<HostPatterns>() {
            Ok(HostPatterns::HashedName { salt, hash }) => Ok(Hosts::Hashed { salt, hash }),
            _ => Err("malformed hashed host name".to_owned()),
        };
    }
    if field.starts_with('|') {
        return Err("unknown hashed host name format".to_owned());
    }
    let patterns: Vec<String> = field
        .split(',')
        .filter(|pattern| !pattern.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if patterns.is_empty() {
        return Err("no host patterns".to_owned());
    }
    Ok(Hosts::Patterns(patterns))
}

/// Keeps warnings short when a field is garbage.
fn truncate(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short.escape_debug().to_string()
}

/// `Ok(None)` when the file does not exist.
pub(super) fn read_limited(file: &Path) -> std::io::Result<Option<Vec<u8>>> {
    // Look before opening: opening a FIFO would block. `/dev/null` (a
    // common `UserKnownHostsFile`) is empty, as it should be.
    let metadata = match fs::metadata(file) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if !metadata.is_file() {
        if file == Path::new("/dev/null") {
            return Ok(Some(Vec::new()));
        }
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let handle = match fs::File::open(file) {
        Ok(handle) => handle,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut bytes = Vec::new();
    handle.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "larger than 64 MiB"));
    }
    Ok(Some(bytes))
}
