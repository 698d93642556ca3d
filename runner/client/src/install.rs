//! The embedded runner binary and its installation on this machine.
//!
//! `build.rs` builds `froyo-runner` for `x86_64-unknown-linux-musl` and puts
//! the bytes and their SHA-256 in `OUT_DIR`; this module embeds both and
//! writes the binary once to a per-user directory, named by its hash:
//! `$XDG_RUNTIME_DIR/froyo/runner-<16 hex>`, else
//! `$HOME/.cache/froyo/runner/runner-<16 hex>`, else the temp dir's
//! `froyo-runner-<uid>/`. A file already there is reused when its size and
//! hash match (checked once per process). `FROYO_RUNNER=/path` overrides it all.
//!
//! Invariant: a runner is only installed into, or reused from, a directory
//! owned by the current user and writable by nobody else, and only through a
//! temporary file renamed into place, so no other user can swap the binary and
//! no reader ever sees a half-written one.

use std::env;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::ClientError;

static RUNNER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/froyo-runner"));
const RUNNER_SHA256: &str = include_str!(concat!(env!("OUT_DIR"), "/runner_sha256.txt"));

/// The environment variable that points at a runner binary to use instead of the embedded one.
pub const RUNNER_OVERRIDE_VAR: &str = "FROYO_RUNNER";

/// The static `x86_64-unknown-linux-musl` runner this crate was built with.
pub fn runner_binary() -> &'static [u8] {
    RUNNER
}

/// The SHA-256 of [`runner_binary`], lower-case hex.
pub fn runner_sha256() -> &'static str {
    RUNNER_SHA256
}

/// The file name the runner is installed under: `runner-<first 16 hex digits of its hash>`.
pub fn runner_file_name() -> String {
    format!("runner-{}", RUNNER_SHA256.get(..16).unwrap_or(RUNNER_SHA256))
}

/// Writes the embedded runner to a per-user directory once (or finds it
/// there) and returns its path; `FROYO_RUNNER` overrides it.
pub fn install_runner() -> Result<PathBuf, ClientError> {
    if let Some(path) = env::var_os(RUNNER_OVERRIDE_VAR).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        return match fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => Ok(path),
            Ok(_) => Err(ClientError::io(
                format!("{RUNNER_OVERRIDE_VAR}={}", path.display()),
                io::Error::new(io::ErrorKind::InvalidInput, "not a file"),
            )),
            Err(error) => {
                Err(ClientError::io(format!("{RUNNER_OVERRIDE_VAR}={}", path.display()), error))
            }
        };
    }
    static INSTALLED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(path) = installed.as_ref()
        && fs::metadata(path).is_ok_and(|metadata| metadata.len() == RUNNER.len() as u64)
    {
        return Ok(path.clone());
    }
    let mut failures = Vec::new();
    let mut last_error = None;
    for directory in candidate_directories() {
        match install_into(&directory) {
            Ok(path) => {
                *installed = Some(path.clone());
                return Ok(path);
            }
            Err(error) => {
                failures.push(format!("{}: {error}", directory.display()));
                last_error = Some(error);
            }
        }
    }
    Err(ClientError::io(
        format!("cannot install the runner (tried {})", failures.join("; ")),
        last_error.unwrap_or_else(|| io::Error::other("no directory to install into")),
    ))
}

fn candidate_directories() -> Vec<PathBuf> {
    let absolute_var =
        |name: &str| env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
    let mut directories = Vec::new();
    if let Some(runtime) = absolute_var("XDG_RUNTIME_DIR") {
        directories.push(runtime.join("froyo"));
    }
    if let Some(home) = absolute_var("HOME") {
        directories.push(home.join(".cache").join("froyo").join("runner"));
    }
    directories.push(env::temp_dir().join(format!("froyo-runner-{}", effective_uid())));
    directories
}

fn install_into(directory: &Path) -> io::Result<PathBuf> {
    DirBuilder::new().recursive(true).mode(0o700).create(directory)?;
    check_private(directory, true)?;
    let path = directory.join(runner_file_name());
    if let Ok(metadata) = fs::symlink_metadata(&path)
        && metadata.is_file()
        && metadata.len() == RUNNER.len() as u64
        && check_private(&path, false).is_ok()
        && sha256_of(&path).is_ok_and(|digest| digest == RUNNER_SHA256)
    {
        return Ok(path);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let temporary = directory.join(format!(
        ".{}.{}-{}.tmp",
        runner_file_name(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_executable(&temporary).and_then(|()| fs::rename(&temporary, &path));
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    Ok(path)
}

fn write_executable(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o700).open(path)?;
    file.write_all(RUNNER)?;
    file.set_permissions(fs::Permissions::from_mode(0o755))?;
    file.sync_all()
}

/// Owned by us and writable by nobody else (a directory must also be one).
fn check_private(path: &Path, directory: bool) -> io::Result<()> {
    let metadata = fs::symlink_metadata(path)?;
    let problem = if directory && !metadata.is_dir() {
        Some("is not a directory".to_owned())
    } else if metadata.uid() != effective_uid() {
        Some(format!("is owned by uid {}, not by us", metadata.uid()))
    } else if metadata.mode() & 0o022 != 0 {
        Some(format!("is writable by others (mode {:04o})", metadata.mode() & 0o7777))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(io::Error::new(io::ErrorKind::PermissionDenied, problem)),
        None => Ok(()),
    }
}

fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
}

#[allow(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: `geteuid` takes no arguments, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_hash_matches_the_bytes() {
        let digest: String =
            Sha256::digest(runner_binary()).iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(digest, runner_sha256());
        assert_eq!(runner_file_name().len(), "runner-".len() + 16);
    }

    #[test]
    fn installs_once_and_repairs_a_damaged_copy() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("froyo");
        let path = install_into(&target).unwrap();
        assert_eq!(fs::read(&path).unwrap(), runner_binary());
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o755);
        let inode = fs::metadata(&path).unwrap().ino();
        // A good copy is reused as is.
        assert_eq!(install_into(&target).unwrap(), path);
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode);
        // A damaged copy of the same size is replaced.
        let mut damaged = runner_binary().to_vec();
        damaged[1000] ^= 0xff;
        fs::write(&path, &damaged).unwrap();
        install_into(&target).unwrap();
        assert_eq!(fs::read(&path).unwrap(), runner_binary());
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&target).unwrap().count(), 1);
    }

    #[test]
    fn refuses_a_directory_others_can_write() {
        let directory = tempfile::tempdir().unwrap();
        let shared = directory.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
        let error = install_into(&shared).unwrap_err();
        assert_eq!(error.to_string(), "is writable by others (mode 0777)");
    }
}
