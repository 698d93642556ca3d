//! Reading source files, with one set of limits, every failure a diagnostic.
//!
//! A file is refused, with a diagnostic and no panic, when it is larger than
//! [`MAX_SOURCE_BYTES`] (`E0101`), is not UTF-8 or contains a NUL byte, as
//! binary files do (`E0100`), or cannot be read (`E0102`).
//! [`read_sources`] reads what a search found into a
//! [`Files`] table for the commands that work file by file (`froyo check`'s
//! syntax pass, `froyo fmt`); refused files are still added to the table,
//! without text, so that their diagnostics have a file to point at.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, FileId, Files, Span, registry};

use crate::paths::display_path;
use crate::walk::Discovery;

/// The largest source file froyo reads: 64 MiB.
pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file's text could not be had.
#[derive(Debug)]
pub enum ReadError {
    TooLarge { bytes: u64 },
    InvalidUtf8 { line: usize, column: usize },
    NulByte { line: usize, column: usize },
    Io(io::Error),
}

/// Reads a source file, refusing what is too large or not text.
pub fn read_file(path: &Path) -> Result<String, ReadError> {
    let file = fs::File::open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if metadata.is_dir() {
        return Err(ReadError::Io(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
    }
    if metadata.len() > MAX_SOURCE_BYTES {
        return Err(ReadError::TooLarge { bytes: metadata.len() });
    }
    read_limited(file)
}

/// Reads standard input as a source text, with the same limits as a file.
pub fn read_stdin() -> Result<String, ReadError> {
    read_limited(io::stdin().lock())
}

fn read_limited(reader: impl Read) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    // One byte more than the limit tells a file that grew (or a pipe) is too large.
    reader.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(ReadError::TooLarge { bytes: bytes.len() as u64 });
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let (line, column) = line_column(std::str::from_utf8(valid).unwrap_or_default());
        ReadError::InvalidUtf8 { line, column }
    })?;
    if let Some(nul) = text.find('\0') {
        let (line, column) = line_column(&text[..nul]);
        return Err(ReadError::NulByte { line, column });
    }
    Ok(text)
}

/// The 1-based line and column just after `prefix`.
fn line_column(prefix: &str) -> (usize, usize) {
    let line = prefix.matches('\n').count() + 1;
    let line_start = prefix.rfind('\n').map_or(0, |newline| newline + 1);
    (line, prefix[line_start..].chars().count() + 1)
}

/// The diagnostic for a file that could not be read; it names the file in its message.
pub fn read_error_diagnostic(file: FileId, name: &str, error: &ReadError) -> Diagnostic {
    let span = Span::new(file, 0, 0);
    match error {
        ReadError::TooLarge { bytes } => Diagnostic::new(
            &registry::FILE_TOO_LARGE,
            format!("`{name}` is {bytes} bytes, more than the 64 MiB froyo reads"),
            span,
        )
        .with_help("split the file, or keep generated data as JSON and import it"),
        ReadError::InvalidUtf8 { line, column } => Diagnostic::new(
            &registry::INVALID_ENCODING,
            format!(
                "`{name}` is not valid UTF-8 (first invalid byte at line {line}, column {column})"
            ),
            span,
        )
        .with_help("convert the file to UTF-8, or rename it if it is not CUE"),
        ReadError::NulByte { line, column } => Diagnostic::new(
            &registry::INVALID_ENCODING,
            format!("`{name}` looks like a binary file (NUL byte at line {line}, column {column})"),
            span,
        )
        .with_help("rename the file if it is not CUE"),
        ReadError::Io(error) => Diagnostic::new(
            &registry::IO_ERROR,
            format!("cannot read `{name}`: {}", describe_io_error(error)),
            span,
        ),
    }
}

/// An operating-system error in words, without the platform's error number.
pub fn describe_io_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => error.to_string(),
    }
}

/// Files read for one command.
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Files,
    /// The files that were read, in path order.
    pub loaded: Vec<LoadedFile>,
    /// Files that could not be read and paths that could not be searched.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were found, read or not.
    pub file_count: usize,
}

/// A file whose text is in [`Sources::files`].
#[derive(Debug)]
pub struct LoadedFile {
    pub id: FileId,
    /// Absolute path.
    pub path: PathBuf,
}

impl Sources {
    /// The text of a loaded file.
    pub fn text(&self, file: &LoadedFile) -> &str {
        self.files.get(file.id).map_or("", |source| source.text())
    }

    /// The display name of a loaded file.
    pub fn name(&self, file: &LoadedFile) -> &str {
        self.files.get(file.id).map_or("", |source| source.name())
    }
}

/// Reads every discovered file, named relative to `display_base`; search
/// errors become diagnostics too.
pub fn read_sources(display_base: &Path, discovery: Discovery) -> Sources {
    let mut sources = Sources::default();
    let mut entries: Vec<(PathBuf, Option<io::Error>)> = discovery
        .files
        .into_iter()
        .map(|path| (path, None))
        .chain(discovery.errors.into_iter().map(|(path, error)| (path, Some(error))))
        .collect();
    entries.sort_by(|left, right| left.0.cmp(&right.0));
    for (path, search_error) in entries {
        let name = display_path(display_base, &path);
        if let Some(error) = search_error {
            let file = sources.files.add(name.clone(), "");
            sources.diagnostics.push(read_error_diagnostic(file, &name, &ReadError::Io(error)));
            continue;
        }
        sources.file_count += 1;
        match read_file(&path) {
            Ok(text) => {
                let id = sources.files.add(name, text);
                sources.loaded.push(LoadedFile { id, path });
            }
            Err(error) => {
                let file = sources.files.add(name.clone(), "");
                sources.diagnostics.push(read_error_diagnostic(file, &name, &error));
            }
        }
    }
    sources
}

/// A problem found while loading, about one file or directory.
///
/// The diagnostic's spans index into `text` (what was read of the file,
/// empty when nothing could be) with [`FileId`] 0; a host moves it to the
/// id its file table gives `path` with [`Problem::diagnostic_in`].
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: PathBuf,
    pub text: String,
    pub diagnostic: Diagnostic,
}

impl Problem {
    /// The problem of a file or directory that could not be read, named
    /// relative to `display_base` in its message.
    pub fn unreadable(display_base: &Path, path: &Path, error: &ReadError) -> Problem {
        let name = display_path(display_base, path);
        Problem {
            path: path.to_path_buf(),
            text: String::new(),
            diagnostic: read_error_diagnostic(FileId(0), &name, error),
        }
    }

    /// The diagnostic with its spans moved to `file`.
    pub fn diagnostic_in(&self, file: FileId) -> Diagnostic {
        let mut diagnostic = self.diagnostic.clone();
        diagnostic.primary.span.file = file;
        for label in &mut diagnostic.secondary {
            label.span.file = file;
        }
        if let Some(fix) = &mut diagnostic.fix {
            for edit in &mut fix.edits {
                edit.span.file = file;
            }
        }
        diagnostic
    }
}
