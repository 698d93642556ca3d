//! The `stat` probe: `lstat` of a path, owner and group names, the SHA-256 of
//! a regular file (streamed, so size does not matter), and its content when
//! asked for, small enough and UTF-8.
//!
//! A path that does not exist (or whose parent is not a directory) is a
//! [`Stat`] with `exists: false`, not an error. A regular file that cannot be
//! read is an error: its SHA-256 is part of the answer.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;

use froyo_runner_protocol::Stat;
use sha2::{Digest, Sha256};

use crate::accounts;

pub fn stat(path: &str, content_limit: Option<u64>) -> Result<Stat, String> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if is_absent(&error) => return Ok(Stat::default()),
        Err(error) => return Err(format!("stat {path}: {error}")),
    };
    let file_type = metadata.file_type();
    let kind = if file_type.is_file() {
        "file"
    } else if file_type.is_dir() {
        "dir"
    } else if file_type.is_symlink() {
        "symlink"
    } else {
        // Sockets, fifos, devices.
        "other"
    };
    let mut stat = Stat {
        exists: true,
        kind: kind.to_owned(),
        mode: format!("{:04o}", metadata.mode() & 0o7777),
        uid: metadata.uid(),
        gid: metadata.gid(),
        owner: accounts::user_name(metadata.uid()),
        group: accounts::group_name(metadata.gid()),
        size: metadata.size(),
        sha256: None,
        content: None,
    };
    if file_type.is_file() {
        let wants_content = content_limit.is_some_and(|limit| metadata.size() <= limit);
        let (digest, content) = read_file(path, wants_content)
            .map_err(|error| format!("stat {path}: read: {error}"))?;
        stat.sha256 = Some(format!("sha256:{digest}"));
        stat.content = content;
    }
    Ok(stat)
}

/// `NotFound`, or `ENOTDIR` (a parent is a file): the path does not exist.
pub fn is_absent(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound || error.kind() == io::ErrorKind::NotADirectory
}

/// The file's SHA-256 in hex and, when `keep` and the bytes are UTF-8, its content.
fn read_file(path: &str, keep: bool) -> io::Result<(String, Option<String>)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        hasher.update(&buffer[..read]);
        if keep {
            kept.extend_from_slice(&buffer[..read]);
        }
    }
    let digest = hex(&hasher.finalize());
    let content = if keep { String::from_utf8(kept).ok() } else { None };
    Ok((digest, content))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_under_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        for path in [dir.path().join("missing"), file.join("below")] {
            assert_eq!(stat(path.to_str().unwrap(), None), Ok(Stat::default()));
        }
    }

    #[test]
    fn content_respects_limit_and_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("text");
        fs::write(&text, "héllo").unwrap();
        let binary = dir.path().join("binary");
        fs::write(&binary, [0xff, 0xfe]).unwrap();
        let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
        assert_eq!(stat(&path(&text), Some(6)).unwrap().content.as_deref(), Some("héllo"));
        assert_eq!(stat(&path(&text), Some(5)).unwrap().content, None);
        assert_eq!(stat(&path(&text), None).unwrap().content, None);
        assert_eq!(stat(&path(&binary), Some(100)).unwrap().content, None);
        let abc = dir.path().join("abc");
        fs::write(&abc, "abc").unwrap();
        assert_eq!(
            stat(&path(&abc), None).unwrap().sha256.as_deref(),
            Some("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }
}
