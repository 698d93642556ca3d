//! The file-system side of reading configuration: opening a file safely
//! (no FIFOs, bounded size, the user's files not writable by others) and
//! expanding `Include` globs.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::glob_match;

/// A configuration file larger than this is not a configuration file.
pub(super) const MAX_FILE_BYTES: u64 = 4 << 20;
/// Files one glob may expand to.
pub(super) const MAX_GLOB_MATCHES: usize = 1024;

pub(super) enum ReadError {
    Io(io::Error),
    Permissions(u32),
    TooLarge,
}

/// `Ok(None)` when the file does not exist.
pub(super) fn read_config_file(
    file: &Path,
    check_permissions: bool,
) -> Result<Option<String>, ReadError> {
    // Look before opening: opening a FIFO would block.
    let metadata = match fs::metadata(file) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(ReadError::Io(error)),
    };
    if !metadata.is_file() {
        if file == Path::new("/dev/null") {
            return Ok(Some(String::new()));
        }
        return Err(ReadError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let handle = match fs::File::open(file) {
        Ok(handle) => handle,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(ReadError::Io(error)),
    };
    let mode = metadata.permissions().mode();
    if check_permissions && mode & 0o022 != 0 {
        return Err(ReadError::Permissions(mode & 0o7777));
    }
    let mut bytes = Vec::new();
    handle.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

pub(super) fn canonical(file: &Path) -> PathBuf {
    fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())
}

/// Expands `*` and `?` in the components of `path`, sorted per directory as
/// glob(3) does; names starting with `.` match only a pattern that does.
/// A path without wildcards is returned as is (whether or not it exists).
/// The flag says whether matches were cut at [`MAX_GLOB_MATCHES`].
pub(super) fn glob(path: &Path) -> (Vec<PathBuf>, bool) {
    let mut candidates = vec![PathBuf::new()];
    let mut truncated = false;
    for component in path.components() {
        let part = component.as_os_str().to_string_lossy();
        if !part.contains(['*', '?']) {
            for candidate in &mut candidates {
                candidate.push(component.as_os_str());
            }
            continue;
        }
        let mut next = Vec::new();
        for directory in &candidates {
            let Ok(entries) = fs::read_dir(directory) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') || part.starts_with('.'))
                .filter(|name| glob_match(&part, name, false))
                .collect();
            names.sort();
            for name in names {
                if next.len() >= MAX_GLOB_MATCHES {
                    truncated = true;
                    break;
                }
                next.push(directory.join(name));
            }
        }
        candidates = next;
    }
    (candidates, truncated)
}
