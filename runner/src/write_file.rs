//! The `write_file` operation: replace a file atomically.
//!
//! Steps: create `.<name>.froyo-<pid>-<n>` beside the path (`O_EXCL`, mode
//! 0600, so nobody reads a half-written or wrongly-permitted file), write the
//! content, chown (given owner/group; else, when root, the replaced file's
//! owner), chmod (given mode; else the replaced file's; else 0644) — chown
//! first, because a chown clears set-id bits —, fsync, rename over the path,
//! fsync the directory.
//!
//! Invariant: on any failure before the rename the temporary file is removed;
//! the path is never left half-written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::files::{parse_mode, resolve_owner};
use crate::{stat, sys};

/// Temporary file names end in this process's id and this counter.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
/// Longest part of the target's name kept in the temporary name (NAME_MAX is 255).
const TEMP_NAME_PREFIX_LIMIT: usize = 200;

pub fn write_file(
    path: &str,
    content: &str,
    mode: Option<&str>,
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<(), String> {
    write(path, content, mode, owner, group)
        .map_err(|detail| format!("write_file {path}: {detail}"))
}

fn write(
    path: &str,
    content: &str,
    mode: Option<&str>,
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<(), String> {
    let mode = mode.map(parse_mode).transpose()?;
    let (uid, gid) = resolve_owner(owner, group)?;
    let target = Path::new(path);
    let Some(name) = target.file_name() else {
        return Err("not a path to a file".to_owned());
    };
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let existing = match fs::symlink_metadata(target) {
        Ok(metadata) if metadata.is_dir() => return Err("it is a directory".to_owned()),
        Ok(metadata) => Some(metadata).filter(|metadata| metadata.is_file()),
        Err(error) if stat::is_absent(&error) => None,
        Err(error) => return Err(error.to_string()),
    };
    let mode = mode
        .or_else(|| existing.as_ref().map(|metadata| metadata.mode() & 0o7777))
        .unwrap_or(0o644);
    let keep_owner = sys::effective_uid() == 0;
    let uid = uid.or_else(|| existing.as_ref().filter(|_| keep_owner).map(MetadataExt::uid));
    let gid = gid.or_else(|| existing.as_ref().filter(|_| keep_owner).map(MetadataExt::gid));

    let name_bytes = name.as_bytes();
    let kept_name = &name_bytes[..name_bytes.len().min(TEMP_NAME_PREFIX_LIMIT)];
    let mut temp_name = b".".to_vec();
    temp_name.extend_from_slice(kept_name);
    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    temp_name.extend_from_slice(format!(".froyo-{}-{counter}", std::process::id()).as_bytes());
    let temp_path = directory.join(std::ffi::OsStr::from_bytes(&temp_name));

    let file =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp_path).map_err(
            |error| match error.kind() {
                io::ErrorKind::NotFound => {
                    format!("the directory {} does not exist", directory.display())
                }
                _ => format!("create {}: {error}", temp_path.display()),
            },
        )?;
    let written = fill(file, content, mode, uid, gid).and_then(|()| {
        fs::rename(&temp_path, target)
            .map_err(|error| format!("rename {} over it: {error}", temp_path.display()))
    });
    if let Err(message) = written {
        let _ = fs::remove_file(&temp_path);
        return Err(message);
    }
    sync_directory(&directory)
}

fn fill(
    mut file: File,
    content: &str,
    mode: u32,
    uid: Option<u32>,
    gid: Option<u32>,
) -> Result<(), String> {
    file.write_all(content.as_bytes()).map_err(|error| format!("write: {error}"))?;
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::fchown(&file, uid, gid).map_err(|error| format!("chown: {error}"))?;
    }
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|error| format!("chmod: {error}"))?;
    file.sync_all().map_err(|error| format!("fsync: {error}"))
}

/// Makes the rename durable. File systems that cannot fsync a directory say
/// `EINVAL`; that is not a failure of the write.
pub fn sync_directory(directory: &Path) -> Result<(), String> {
    let synced = File::open(directory).and_then(|handle| handle.sync_all());
    match synced {
        Err(error)
            if !matches!(
                error.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) =>
        {
            Err(format!("fsync {}: {error}", directory.display()))
        }
        _ => Ok(()),
    }
}
