//! Reading the files that `@embed` attributes name (see
//! [`froyo_eval::embed`] for the attribute itself).
//!
//! For each attribute of a CUE file, the file or the glob's matches are
//! found relative to the CUE file's directory, checked to lie inside the
//! module (symbolic links resolved: a link that leads out of the module's
//! directory is refused, as is a file inside a nested module), read with a
//! bound of [`MAX_EMBEDDED_BYTES`], and decoded into CUE text: JSON, YAML
//! and TOML by the data-file decoders of [`crate::data`], text as a string
//! literal, binary as a bytes literal. Every failure is an
//! [`EmbedError`] with its code, reported by the evaluator at the attribute.
//!
//! froyo runs as root on inputs it does not trust: the attribute's path
//! rules (relative, clean, no `..`) are checked before any file is touched,
//! and nothing outside the module root is read, whatever links say.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use froyo_diagnostics::registry;
use froyo_eval::embed::{EmbedError, FileType, Spec, Target, element_matches, has_meta};

use crate::data::{self, DataKind};
use crate::overlay::Overlay;

/// The largest file froyo embeds: 4 MiB, as much as it compiles of one CUE file.
pub const MAX_EMBEDDED_BYTES: u64 = 4 << 20;

/// The most files one glob embeds.
pub const MAX_GLOB_FILES: usize = 10_000;

/// One file read for an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedRead {
    /// Its path relative to the CUE file's directory, with `/`.
    pub key: String,
    /// Its path on disk (under the CUE file's directory).
    pub path: PathBuf,
    /// How it was decoded.
    pub file_type: FileType,
    /// Its value as CUE text.
    pub text: String,
}

/// What was found for one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Byte offset of the attribute in its CUE file.
    pub offset: u32,
    pub found: Result<Vec<EmbeddedRead>, EmbedError>,
    /// For a glob: the directory it is matched in and the pattern, so that
    /// a long-lived host can tell when the matches change.
    pub glob: Option<(PathBuf, String)>,
    /// For a file: the path it names (which may not exist yet).
    pub file: Option<PathBuf>,
}

/// Finds and reads what the `@embed` attributes of the CUE file `cue_file`
/// (with text `text`) name. `module_root` is the directory of the module
/// the file belongs to, `None` outside a module (then every attribute is an
/// error). Attributes that are malformed are left to the evaluator.
pub fn resolve(
    cue_file: &Path,
    text: &str,
    module_root: Option<&Path>,
    overlay: &Overlay,
) -> Vec<Resolved> {
    if !text.contains("@embed(") {
        return Vec::new();
    }
    let parse = froyo_syntax::parse(text);
    let root = parse.syntax_node();
    if !froyo_eval::embed::enabled(&root) {
        return Vec::new();
    }
    let directory = cue_file.parent().unwrap_or(Path::new(""));
    let canonical_root = module_root.and_then(|root| fs::canonicalize(root).ok());
    froyo_eval::embed::attributes(&root)
        .into_iter()
        .filter_map(|attribute| {
            let spec = attribute.spec.ok()?;
            let (glob, file) = match &spec.target {
                Target::Glob(pattern) => (Some((directory.to_path_buf(), pattern.clone())), None),
                Target::File(name) => (None, Some(join(directory, name))),
            };
            let found = match (&canonical_root, module_root) {
                (Some(root), Some(_)) => read_spec(directory, root, &spec, overlay),
                _ => Err(EmbedError::new(
                    &registry::EMBED_OUTSIDE_MODULE,
                    "cannot embed files outside a CUE module",
                )
                .with_help(
                    "embedding reads only files of the CUE file's module: put it in a directory with cue.mod/module.cue (see `froyo init`)",
                )),
            };
            Some(Resolved { offset: attribute.offset, found, glob, file })
        })
        .collect()
}

/// Whether the glob `pattern` of an attribute in `directory` matches
/// `path` (by name only: nothing is read).
pub fn glob_matches_path(directory: &Path, pattern: &str, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(directory) else { return false };
    let names: Vec<&str> = relative
        .components()
        .map(|component| component.as_os_str().to_str().unwrap_or("\0"))
        .collect();
    let elements: Vec<&str> = pattern.split('/').collect();
    names.len() == elements.len()
        && elements.iter().zip(&names).all(|(element, name)| element_matches(element, name))
}

/// `directory` joined with a relative `/`-separated path.
pub(crate) fn join(directory: &Path, relative: &str) -> PathBuf {
    relative.split('/').fold(directory.to_path_buf(), |path, element| path.join(element))
}

fn read_spec(
    directory: &Path,
    canonical_root: &Path,
    spec: &Spec,
    overlay: &Overlay,
) -> Result<Vec<EmbeddedRead>, EmbedError> {
    let keys = match &spec.target {
        Target::File(name) => vec![name.clone()],
        Target::Glob(pattern) => {
            let keys = glob(directory, pattern, overlay, Some(canonical_root))?;
            if keys.is_empty() && !spec.allow_empty_glob {
                return Err(EmbedError::new(
                    &registry::EMBEDDED_FILE_NOT_FOUND,
                    format!("no file matches the glob {pattern:?}"),
                )
                .with_help("check the pattern (relative to the CUE file's directory), or add allowEmptyGlob"));
            }
            if keys.len() > MAX_GLOB_FILES {
                return Err(EmbedError::new(
                    &registry::UNDECODABLE_EMBEDDED_FILE,
                    format!(
                        "the glob {pattern:?} matches {} files, more than the {MAX_GLOB_FILES} froyo embeds",
                        keys.len()
                    ),
                ));
            }
            keys
        }
    };
    keys.into_iter()
        .map(|key| {
            let path = join(directory, &key);
            let file_type = spec
                .file_type_of(&key)
                .map_err(|message| EmbedError::new(&registry::INVALID_EMBED_ATTRIBUTE, message))?;
            nested_module(directory, &key)?;
            let bytes = read_inside(&path, &key, canonical_root, overlay)?;
            let text = decode(&key, file_type, bytes)?;
            Ok(EmbeddedRead { key, path, file_type, text })
        })
        .collect()
}

/// An error when a directory between the CUE file's and the file `key` is
/// the root of another module.
fn nested_module(directory: &Path, key: &str) -> Result<(), EmbedError> {
    let elements: Vec<&str> = key.split('/').collect();
    for depth in 1..elements.len() {
        let parent = join(directory, &elements[..depth].join("/"));
        if parent.join("cue.mod").exists() {
            return Err(EmbedError::new(
                &registry::EMBED_OUTSIDE_MODULE,
                format!(
                    "cannot embed {key:?}: `{}` is another module (it has its own cue.mod)",
                    elements[..depth].join("/")
                ),
            )
            .with_help("only files of the CUE file's own module can be embedded"));
        }
    }
    Ok(())
}

/// The bytes of `path`, refused when it does not resolve (links followed)
/// to a regular file inside `canonical_root` or is too large.
fn read_inside(
    path: &Path,
    key: &str,
    canonical_root: &Path,
    overlay: &Overlay,
) -> Result<Vec<u8>, EmbedError> {
    let not_found = || {
        EmbedError::new(
            &registry::EMBEDDED_FILE_NOT_FOUND,
            format!("cannot embed {key:?}: no such file"),
        )
        .with_help("the path is relative to the directory of the CUE file that embeds it")
    };
    if overlay.is_deleted(path) {
        return Err(not_found());
    }
    // An open document: the editor's text is the file.
    if overlay.has_text(path) {
        let text = overlay.read(path).map_err(|_| not_found())?;
        return check_size(key, text.len() as u64).map(|()| text.into_bytes());
    }
    let canonical = fs::canonicalize(path).map_err(|_| not_found())?;
    if !canonical.starts_with(canonical_root) {
        return Err(leads_outside(key));
    }
    let io_error = |error: std::io::Error| {
        EmbedError::new(
            &registry::EMBEDDED_FILE_NOT_FOUND,
            format!("cannot read {key:?}: {}", crate::describe_io_error(&error)),
        )
    };
    // The resolved path: a link changed after the check is not followed again.
    let file = fs::File::open(&canonical).map_err(io_error)?;
    // And what was opened is where the check said: a directory of the path
    // replaced by a link in between is caught here.
    if let Some(opened) = opened_path(&file)
        && !opened.starts_with(canonical_root)
    {
        return Err(leads_outside(key));
    }
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        return Err(EmbedError::new(
            &registry::EMBEDDED_FILE_NOT_FOUND,
            format!("cannot embed {key:?}: it is not a regular file"),
        ));
    }
    check_size(key, metadata.len())?;
    let mut bytes = Vec::new();
    file.take(MAX_EMBEDDED_BYTES + 1).read_to_end(&mut bytes).map_err(io_error)?;
    check_size(key, bytes.len() as u64)?;
    Ok(bytes)
}

fn leads_outside(key: &str) -> EmbedError {
    EmbedError::new(
        &registry::EMBED_OUTSIDE_MODULE,
        format!("cannot embed {key:?}: it leads outside the module (through a symbolic link)"),
    )
    .with_help("copy the file into the module, and embed the copy")
}

/// The path an open file has, as the kernel says (Linux); `None` elsewhere.
fn opened_path(file: &fs::File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd as _;
    fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

fn check_size(key: &str, bytes: u64) -> Result<(), EmbedError> {
    if bytes > MAX_EMBEDDED_BYTES {
        return Err(EmbedError::new(
            &registry::UNDECODABLE_EMBEDDED_FILE,
            format!("{key:?} is {bytes} bytes or more, larger than the 4 MiB froyo embeds"),
        )
        .with_help("keep large data out of the configuration, or split the file"));
    }
    Ok(())
}

/// The CUE text of a file's value.
fn decode(key: &str, file_type: FileType, bytes: Vec<u8>) -> Result<String, EmbedError> {
    if file_type == FileType::Binary {
        return Ok(bytes_literal(&bytes));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let (line, column) = line_column(&String::from_utf8_lossy(valid), valid.len());
        EmbedError::new(
            &registry::UNDECODABLE_EMBEDDED_FILE,
            format!("{key:?} is not UTF-8 text (line {line}, column {column})"),
        )
        .with_help("embed it with type=binary")
    })?;
    let kind = match file_type {
        FileType::Text => return Ok(data::string_literal(&text)),
        FileType::Json => DataKind::Json,
        FileType::Yaml => DataKind::Yaml,
        FileType::Toml => DataKind::Toml,
        FileType::Binary => return Ok(bytes_literal(text.as_bytes())),
    };
    let decoded = data::decode(kind, &text).map_err(|error| {
        let (line, column) = line_column(&text, error.range.start);
        EmbedError::new(
            &registry::UNDECODABLE_EMBEDDED_FILE,
            format!(
                "{key:?} is not valid {}: line {line}, column {column}: {}",
                kind.name(),
                error.message
            ),
        )
        .with_help(format!("fix the {} there, or embed the file with type=text", kind.name()))
    })?;
    if decoded.values.len() != 1 {
        return Err(EmbedError::new(
            &registry::UNDECODABLE_EMBEDDED_FILE,
            format!(
                "{key:?} holds {} {} documents; a file of several values cannot be embedded",
                decoded.values.len(),
                kind.name()
            ),
        )
        .with_help("embed it with type=text, or split it into one file per document"));
    }
    Ok(decoded.text)
}

/// The 1-based line and column of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let prefix = &text[..offset];
    let line = prefix.matches('\n').count() + 1;
    let start = prefix.rfind('\n').map_or(0, |newline| newline + 1);
    (line, prefix[start..].chars().count() + 1)
}

/// A CUE bytes literal holding `bytes`.
fn bytes_literal(bytes: &[u8]) -> String {
    let mut literal = String::with_capacity(bytes.len() + 2);
    literal.push('\'');
    for byte in bytes {
        match byte {
            b'\'' => literal.push_str("\\'"),
            b'\\' => literal.push_str("\\\\"),
            0x20..=0x7e => literal.push(*byte as char),
            _ => literal.push_str(&format!("\\x{byte:02x}")),
        }
    }
    literal.push('\'');
    literal
}

/// The files a glob matches below `directory`: their keys (relative paths
/// with `/`), sorted. Each element is matched in one directory level, as
/// Go's `fs.Glob` does; names starting with `.` match only an element that
/// starts with `.`; directories are not matches. With `canonical_root`, a
/// directory that leads outside it (through a link) is an error before it
/// is listed; what a matched file leads to is checked when it is read.
pub fn glob(
    directory: &Path,
    pattern: &str,
    overlay: &Overlay,
    canonical_root: Option<&Path>,
) -> Result<Vec<String>, EmbedError> {
    let elements: Vec<&str> = pattern.split('/').collect();
    // (key so far, directory on disk)
    let mut current: Vec<(String, PathBuf)> = vec![(String::new(), directory.to_path_buf())];
    for (index, element) in elements.iter().enumerate() {
        let last = index + 1 == elements.len();
        let mut next = Vec::new();
        for (key, path) in current {
            if let Some(root) = canonical_root
                && !key.is_empty()
                && !fs::canonicalize(&path).is_ok_and(|resolved| resolved.starts_with(root))
            {
                return Err(leads_outside(&key));
            }
            let prefix = if key.is_empty() { String::new() } else { format!("{key}/") };
            if !has_meta(element) {
                let candidate = path.join(element);
                let wanted = if last { overlay.is_file(&candidate) } else { candidate.is_dir() };
                if wanted {
                    next.push((format!("{prefix}{element}"), candidate));
                }
                continue;
            }
            let mut names: Vec<String> = match fs::read_dir(&path) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
                    .collect(),
                Err(_) => Vec::new(),
            };
            // Open documents not yet on disk.
            if last {
                for open in overlay.texts() {
                    if open.parent() == Some(path.as_path())
                        && let Some(name) = open.file_name().and_then(|name| name.to_str())
                        && !names.iter().any(|known| known == name)
                    {
                        names.push(name.to_string());
                    }
                }
            }
            names.sort();
            for name in names {
                if !element_matches(element, &name) {
                    continue;
                }
                let candidate = path.join(&name);
                let wanted = if last { overlay.is_file(&candidate) } else { candidate.is_dir() };
                if wanted {
                    next.push((format!("{prefix}{name}"), candidate));
                }
            }
            if next.len() > MAX_GLOB_FILES {
                return Err(EmbedError::new(
                    &registry::UNDECODABLE_EMBEDDED_FILE,
                    format!(
                        "the glob {pattern:?} matches more than the {MAX_GLOB_FILES} files froyo embeds"
                    ),
                ));
            }
        }
        current = next;
    }
    let mut keys: Vec<String> = current.into_iter().map(|(key, _)| key).collect();
    keys.sort();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_text_literals_are_cue() {
        assert_eq!(bytes_literal(b"a'\\\x00\xff"), "'a\\'\\\\\\x00\\xff'");
        let parse = froyo_syntax::parse(&bytes_literal(&(0..=255).collect::<Vec<u8>>()));
        assert!(parse.errors().is_empty());
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncé:x", 7), (2, 4));
        assert_eq!(line_column("", 5), (1, 1));
    }
}
