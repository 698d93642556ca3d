//! The file-tree operations: `mkdir`, `remove`, `chmod`, `chown`, and what they
//! share (modes, owners, a symlink-safe walk).
//!
//! Modes are applied with `chmod` after creation, so the runner's umask never
//! matters; ownership changes before the mode, since a chown clears set-id bits.
//! Recursive `chmod`/`chown` act on the named path (following it when it is a
//! symlink, as `chmod -R` does), then walk the tree below without following any
//! symlink: `chmod` skips symlinks, `chown` changes the link itself.
//!
//! Invariant: every error starts with the operation and the path it concerns.

use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, lchown};
use std::path::{Path, PathBuf};

use crate::{accounts, stat};

/// Refuses a path that goes through a symbolic link someone else could have
/// planted: every link among its parents (and the final component when
/// `include_final`) must be owned by root or by the runner's user. Links
/// root owns (`/var/run`, merged-`/usr` ones) are followed as the kernel
/// would; one a user created in `/tmp` to redirect a root write is not.
pub fn check_links(path: &Path, include_final: bool) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    let me = crate::sys::effective_uid();
    let mut current = PathBuf::new();
    let components: Vec<_> = path.components().collect();
    for (index, component) in components.iter().enumerate() {
        current.push(component);
        let last = index + 1 == components.len();
        if last && !include_final {
            break;
        }
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let owner = metadata.uid();
                if owner != 0 && owner != me {
                    return Err(format!(
                        "{} is a symbolic link owned by uid {owner}; froyo follows links only \
                         when root or the runner's user owns them (replace it with the real path)",
                        current.display()
                    ));
                }
            }
            // What does not exist yet cannot redirect anything.
            Ok(_) | Err(_) => {}
        }
    }
    Ok(())
}

/// `"644"`, `"0644"`, `"4755"`: three or four octal digits.
pub fn parse_mode(mode: &str) -> Result<u32, String> {
    let digits_ok =
        (3..=4).contains(&mode.len()) && mode.bytes().all(|byte| (b'0'..=b'7').contains(&byte));
    if !digits_ok {
        return Err(format!("bad mode `{}` (expected octal like 0644)", mode.escape_debug()));
    }
    u32::from_str_radix(mode, 8).map_err(|_| format!("bad mode `{mode}`"))
}

/// Owner and group names (or numbers) as ids; unknown names are errors.
pub fn resolve_owner(
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<(Option<u32>, Option<u32>), String> {
    let uid = owner
        .map(|name| accounts::resolve_uid(name).ok_or_else(|| format!("unknown user `{name}`")))
        .transpose()?;
    let gid = group
        .map(|name| accounts::resolve_gid(name).ok_or_else(|| format!("unknown group `{name}`")))
        .transpose()?;
    Ok((uid, gid))
}

pub fn mkdir(
    path: &str,
    mode: Option<&str>,
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<(), String> {
    let fail = |detail: String| format!("mkdir {path}: {detail}");
    let mode = mode.map(parse_mode).transpose().map_err(fail)?;
    let (uid, gid) = resolve_owner(owner, group).map_err(fail)?;
    let target = Path::new(path);
    let created = match fs::metadata(target) {
        Ok(metadata) if metadata.is_dir() => false,
        Ok(_) => return Err(fail("it exists and is not a directory".to_owned())),
        Err(error) if stat::is_absent(&error) => {
            create_parents(target).map_err(fail)?;
            match fs::create_dir(target) {
                Ok(()) => true,
                // Created meanwhile by someone else: fine if it is a directory.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && target.is_dir() => {
                    false
                }
                Err(error) => return Err(fail(error.to_string())),
            }
        }
        Err(error) => return Err(fail(error.to_string())),
    };
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::chown(target, uid, gid)
            .map_err(|error| fail(format!("chown: {error}")))?;
    }
    if let Some(mode) = mode.or(created.then_some(0o755)) {
        fs::set_permissions(target, fs::Permissions::from_mode(mode))
            .map_err(|error| fail(format!("chmod: {error}")))?;
    }
    Ok(())
}

/// Creates the missing ancestors of `target` with mode 0755.
fn create_parents(target: &Path) -> Result<(), String> {
    let mut missing: Vec<&Path> = Vec::new();
    for ancestor in target.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        match fs::metadata(ancestor) {
            Ok(metadata) if metadata.is_dir() => break,
            Ok(_) => return Err(format!("{} exists and is not a directory", ancestor.display())),
            Err(error) if stat::is_absent(&error) => missing.push(ancestor),
            Err(error) => return Err(format!("{}: {error}", ancestor.display())),
        }
    }
    for directory in missing.into_iter().rev() {
        match fs::create_dir(directory) {
            Ok(()) => fs::set_permissions(directory, fs::Permissions::from_mode(0o755))
                .map_err(|error| format!("chmod {}: {error}", directory.display()))?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && directory.is_dir() => {}
            Err(error) => return Err(format!("create {}: {error}", directory.display())),
        }
    }
    Ok(())
}

pub fn remove(path: &str, recursive: bool) -> Result<(), String> {
    let fail = |detail: String| format!("remove {path}: {detail}");
    let target = Path::new(path);
    if path.is_empty() || target.parent().is_none() {
        return Err(fail("refusing to remove a file system root".to_owned()));
    }
    let metadata = match fs::symlink_metadata(target) {
        Ok(metadata) => metadata,
        Err(error) if stat::is_absent(&error) => return Ok(()),
        Err(error) => return Err(fail(error.to_string())),
    };
    let removed = if metadata.is_dir() {
        if recursive {
            fs::remove_dir_all(target)
        } else {
            fs::remove_dir(target).map_err(|error| match error.kind() {
                io::ErrorKind::DirectoryNotEmpty => io::Error::new(
                    error.kind(),
                    "the directory is not empty (and recursive is not set)",
                ),
                _ => error,
            })
        }
    } else {
        fs::remove_file(target)
    };
    match removed {
        Err(error) if !stat::is_absent(&error) => Err(fail(error.to_string())),
        _ => Ok(()),
    }
}

pub fn chmod(path: &str, mode: &str, recursive: bool) -> Result<(), String> {
    let fail = |detail: String| format!("chmod {path}: {detail}");
    let mode = parse_mode(mode).map_err(fail)?;
    let apply = |entry: &Path, metadata: &fs::Metadata, _is_root: bool| {
        if metadata.is_symlink() {
            // Symlinks have no mode of their own; following one could leave the tree.
            return Ok(());
        }
        fs::set_permissions(entry, fs::Permissions::from_mode(mode))
    };
    walk(Path::new(path), recursive, apply).map_err(|failure| fail(failure.describe(path)))
}

pub fn chown(
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
    recursive: bool,
) -> Result<(), String> {
    let fail = |detail: String| format!("chown {path}: {detail}");
    let (uid, gid) = resolve_owner(owner, group).map_err(fail)?;
    if uid.is_none() && gid.is_none() {
        return Ok(());
    }
    let apply = |entry: &Path, _metadata: &fs::Metadata, is_root: bool| {
        if is_root { std::os::unix::fs::chown(entry, uid, gid) } else { lchown(entry, uid, gid) }
    };
    walk(Path::new(path), recursive, apply).map_err(|failure| fail(failure.describe(path)))
}

/// Where a walk failed.
struct WalkFailure {
    path: PathBuf,
    error: io::Error,
}

impl WalkFailure {
    fn describe(&self, root: &str) -> String {
        if self.path.as_os_str() == root {
            self.error.to_string()
        } else {
            format!("{}: {}", self.path.display(), self.error)
        }
    }
}

/// Calls `apply(path, metadata, is_root)` on `root` (followed if a symlink)
/// and, when `recursive`, on everything below it, children before their
/// directory (so a mode without `x` does not block the walk). Symlinks below
/// the root are passed with their own metadata and never followed.
fn walk(
    root: &Path,
    recursive: bool,
    mut apply: impl FnMut(&Path, &fs::Metadata, bool) -> io::Result<()>,
) -> Result<(), WalkFailure> {
    let failure = |path: &Path| {
        let path = path.to_path_buf();
        move |error| WalkFailure { path, error }
    };
    let root_metadata = fs::metadata(root).map_err(failure(root))?;
    if !recursive || !root_metadata.is_dir() {
        return apply(root, &root_metadata, true).map_err(failure(root));
    }
    enum Step {
        Visit(PathBuf, fs::Metadata),
        Finish(PathBuf, fs::Metadata),
    }
    let mut steps = vec![Step::Visit(root.to_path_buf(), root_metadata)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Visit(path, metadata) if metadata.is_dir() => {
                let entries = fs::read_dir(&path).map_err(failure(&path))?;
                steps.push(Step::Finish(path.clone(), metadata));
                for entry in entries {
                    let entry = entry.map_err(failure(&path))?;
                    let child = entry.path();
                    let child_metadata = fs::symlink_metadata(&child).map_err(failure(&child))?;
                    steps.push(Step::Visit(child, child_metadata));
                }
            }
            Step::Visit(path, metadata) | Step::Finish(path, metadata) => {
                apply(&path, &metadata, path == root).map_err(failure(&path))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("644"), Ok(0o644));
        assert_eq!(parse_mode("0644"), Ok(0o644));
        assert_eq!(parse_mode("4755"), Ok(0o4755));
        for bad in ["", "64", "0o644", "0888", "12345", "rwx"] {
            assert!(parse_mode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn recursive_chmod_skips_symlinks_out_of_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::write(&outside, "").unwrap();
        fs::set_permissions(&outside, fs::Permissions::from_mode(0o600)).unwrap();
        let tree = dir.path().join("tree");
        fs::create_dir_all(tree.join("sub")).unwrap();
        fs::write(tree.join("sub/file"), "").unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("sub/link")).unwrap();
        chmod(tree.to_str().unwrap(), "0750", true).unwrap();
        let mode = |path: &Path| fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&tree), 0o750);
        assert_eq!(mode(&tree.join("sub")), 0o750);
        assert_eq!(mode(&tree.join("sub/file")), 0o750);
        assert_eq!(mode(&outside), 0o600);
    }

    #[test]
    fn remove_refuses_the_root() {
        assert_eq!(
            remove("/", true),
            Err("remove /: refusing to remove a file system root".to_owned())
        );
    }
}
