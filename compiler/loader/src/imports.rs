//! The module packages a package imports, transitively.
//!
//! An import path under the module's path names a directory of the module
//! (`example.com/site/schemas` → `<root>/schemas`); the package there is the
//! one named by the last path element, or by `path:name`. Its files are the
//! directory's `*.cue` files (overlay included) whose package clause names
//! it; a file that cannot be read joins with no text and a [`Problem`].
//! Imports are followed transitively; a package is loaded once. A major
//! version (`@v0`, today's module paths) is not part of the directory.
//! Paths outside the module are read from vendored copies
//! (`cue.mod/pkg`, `cue.mod/gen`, `cue.mod/usr`, merged as CUE merges them);
//! anything else, and directories that do not exist, are left to the
//! evaluator, which reports an unknown import at the import itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::module::Vendors;
use crate::overlay::Overlay;
use crate::read::Problem;
use crate::scan;
use crate::walk::directory_files;
use froyo_eval::import_path::{default_package_name, strip_major_version};

/// A module package: its import path and files (path and text), in path order.
#[derive(Debug, Clone)]
pub struct ModulePackage {
    pub import_path: String,
    pub files: Vec<(PathBuf, String)>,
}

/// The module packages that `texts` import, transitively, in a stable order.
pub fn resolve(
    root: &Path,
    module: &str,
    texts: &[&str],
    overlay: &Overlay,
    display_base: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<ModulePackage> {
    let imports = texts.iter().flat_map(|text| scan::import_paths(text)).collect();
    resolve_paths(root, module, imports, overlay, display_base, problems)
}

/// Like [`resolve`], from the import paths the package's files declare.
pub fn resolve_paths(
    root: &Path,
    module: &str,
    imports: Vec<String>,
    overlay: &Overlay,
    display_base: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<ModulePackage> {
    let module = strip_major_version(module);
    let vendors = Vendors::of(root);
    // Import paths found in no vendor directory, not looked up again.
    let mut missing = BTreeSet::new();
    let mut pending = imports;
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    while let Some(import) = pending.pop() {
        let (path, explicit_name) = match import.split_once(':') {
            Some((path, name)) => (path.to_string(), Some(name.to_string())),
            None => (import.clone(), None),
        };
        let bare = strip_major_version(&path);
        let directories: Vec<PathBuf> =
            match bare.strip_prefix(module).and_then(|rest| rest.strip_prefix('/')) {
                Some(relative) => vec![root.join(relative)],
                None if !missing.contains(bare) => {
                    let found = vendors.find(bare);
                    if found.is_empty() {
                        missing.insert(bare.to_string());
                    }
                    found
                }
                None => Vec::new(),
            };
        if directories.is_empty() || !seen.insert(path.clone()) {
            continue;
        }
        let name = explicit_name.unwrap_or_else(|| default_package_name(&path).to_string());
        // A directory that does not exist is no package: the evaluator
        // reports the import as not found.
        let listed: Vec<Vec<PathBuf>> = directories
            .iter()
            .filter_map(|directory| directory_files(directory, "cue", overlay).ok())
            .collect();
        if listed.is_empty() {
            continue;
        }
        let paths: Vec<PathBuf> = listed.into_iter().flatten().collect();
        let mut files = Vec::new();
        for file in paths {
            match overlay.read(&file) {
                Ok(text) => {
                    let header = scan::header(&text);
                    if header.clause.is_none_or(|clause| clause.name != name) {
                        continue;
                    }
                    pending.extend(header.imports);
                    files.push((file, text));
                }
                Err(error) => {
                    problems.push(Problem::unreadable(display_base, &file, &error));
                    files.push((file, String::new()));
                }
            }
        }
        packages.push(ModulePackage { import_path: path, files });
    }
    packages
}
