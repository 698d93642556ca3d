//! Texts laid over the disk: an editor's open documents.
//!
//! An overlay entry replaces a file's text (or adds a file the disk does not
//! have yet), or hides a file the disk has (deleted in the editor, not yet
//! on disk). Everything the loader reads goes through [`Overlay::read`], so
//! discovery and reading see one view of the files. An overlay text is
//! taken as it is: it is what the user sees in the editor (and what later
//! edits replace without a reload), not a file that may be binary; the
//! compiler's own limits (`E0103`) still apply to it.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::read::{ReadError, read_file};

/// What an overlay says about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Text(String),
    Deleted,
}

/// Texts laid over the disk, by absolute path.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    entries: BTreeMap<PathBuf, Entry>,
}

impl Overlay {
    /// An overlay that changes nothing: the disk as it is.
    pub fn new() -> Overlay {
        Overlay::default()
    }

    /// Lays `text` over `path` (which need not exist on disk).
    pub fn set(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.entries.insert(path.into(), Entry::Text(text.into()));
    }

    /// Hides `path`, as if it had been deleted.
    pub fn delete(&mut self, path: impl Into<PathBuf>) {
        self.entries.insert(path.into(), Entry::Deleted);
    }

    /// Whether the overlay has a text for `path` (an open document).
    pub fn has_text(&self, path: &Path) -> bool {
        matches!(self.entries.get(path), Some(Entry::Text(_)))
    }

    /// Whether the overlay hides `path`.
    pub fn is_deleted(&self, path: &Path) -> bool {
        matches!(self.entries.get(path), Some(Entry::Deleted))
    }

    /// The paths the overlay has texts for, in path order.
    pub fn texts(&self) -> impl Iterator<Item = &Path> {
        self.entries.iter().filter_map(|(path, entry)| match entry {
            Entry::Text(_) => Some(path.as_path()),
            Entry::Deleted => None,
        })
    }

    /// The text of `path`: the overlay's, else the disk's, read with the
    /// limits of [`crate::read`].
    pub fn read(&self, path: &Path) -> Result<String, ReadError> {
        match self.entries.get(path) {
            Some(Entry::Text(text)) => Ok(text.clone()),
            Some(Entry::Deleted) => Err(ReadError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                "no such file or directory",
            ))),
            None => read_file(path),
        }
    }

    /// Whether `path` is a file in this view: laid over the disk, or a
    /// file on disk (symbolic links followed) that is not hidden.
    pub fn is_file(&self, path: &Path) -> bool {
        match self.entries.get(path) {
            Some(Entry::Text(_)) => true,
            Some(Entry::Deleted) => false,
            None => path.is_file(),
        }
    }
}
