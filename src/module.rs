//! CUE modules: finding `cue.mod/module.cue` and the module packages a
//! package imports.
//!
//! An import path under the module's path names a directory of the module
//! (`example.com/site/schemas` → `<root>/schemas`); the package there is the
//! one named by the last path element, or by `path:name`. Imports are
//! followed transitively; a package is loaded once. Paths outside the module
//! are left to the evaluator (built-in packages, or an error when used).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use froyo_syntax::{SyntaxKind, lexer};

/// A module package: its import path and files (path and text), in name order.
pub struct ModulePackage {
    pub import_path: String,
    pub files: Vec<(PathBuf, String)>,
}

/// The nearest directory at or above `start` with a `cue.mod/module.cue`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("cue.mod").join("module.cue").is_file())
        .map(Path::to_path_buf)
}

/// The `module: "…"` path declared by `cue.mod/module.cue`.
pub fn module_path(root: &Path) -> Option<String> {
    let text = fs::read_to_string(root.join("cue.mod").join("module.cue")).ok()?;
    let tokens = significant_tokens(&text);
    tokens.windows(3).find_map(|window| match window {
        [(SyntaxKind::IDENT, "module"), (SyntaxKind::COLON, _), (SyntaxKind::STRING, literal)] => {
            literal.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).map(str::to_string)
        }
        _ => None,
    })
}

fn significant_tokens(text: &str) -> Vec<(SyntaxKind, &str)> {
    let (tokens, _) = lexer::tokenize(head(text));
    let mut offset = 0usize;
    let mut out = Vec::new();
    for token in tokens {
        let end = offset + token.len as usize;
        if !token.kind.is_trivia() {
            out.push((token.kind, &text[offset..end]));
        }
        offset = end;
    }
    out
}

/// The start of a file, where its package clause and imports are: lexing a
/// large data file whole only to find them costs seconds and gigabytes.
/// Cut at a line end, so that tokens before the cut are whole.
pub fn head(text: &str) -> &str {
    const HEAD_BYTES: usize = 256 << 10;
    if text.len() <= HEAD_BYTES {
        return text;
    }
    let mut cut = HEAD_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    match text[..cut].rfind('\n') {
        Some(line_end) => &text[..=line_end],
        None => &text[..cut],
    }
}

/// The import paths a file declares (read with the lexer).
pub fn import_paths(text: &str) -> Vec<String> {
    let tokens = significant_tokens(text);
    let mut paths = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        if tokens[index].0 == SyntaxKind::IMPORT_KW
            && tokens.get(index + 1).map(|t| t.0) != Some(SyntaxKind::COLON)
        {
            index += 1;
            let grouped = tokens.get(index).map(|t| t.0) == Some(SyntaxKind::L_PAREN);
            loop {
                match tokens.get(index) {
                    Some((SyntaxKind::STRING, literal)) => {
                        if let Some(path) =
                            literal.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'))
                        {
                            paths.push(path.to_string());
                        }
                        if !grouped {
                            break;
                        }
                    }
                    Some((SyntaxKind::R_PAREN, _)) | None => break,
                    _ => {}
                }
                index += 1;
            }
        }
        index += 1;
    }
    paths
}

/// The module packages `texts` import, transitively, in a stable order.
pub fn resolve_imports(
    root: &Path,
    texts: &[String],
) -> Result<Vec<ModulePackage>, Vec<Diagnostic>> {
    let Some(module) = module_path(root) else { return Ok(Vec::new()) };
    let mut pending: Vec<String> = texts.iter().flat_map(|text| import_paths(text)).collect();
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    while let Some(import) = pending.pop() {
        let (path, explicit_name) = match import.split_once(':') {
            Some((path, name)) => (path.to_string(), Some(name.to_string())),
            None => (import.clone(), None),
        };
        let Some(relative) = path.strip_prefix(&module).and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        if !seen.insert(path.clone()) {
            continue;
        }
        let name =
            explicit_name.unwrap_or_else(|| path.rsplit('/').next().unwrap_or(&path).to_string());
        let directory = root.join(relative);
        let mut files = Vec::new();
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) => {
                return Err(vec![Diagnostic::new(
                    &registry::UNKNOWN_IMPORT,
                    format!("cannot find package \"{path}\": {}: {error}", directory.display()),
                    Span::new(FileId(0), 0, 0),
                )]);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|e| e == "cue") && p.is_file())
            .collect();
        paths.sort();
        for file in paths {
            let Ok(text) = fs::read_to_string(&file) else { continue };
            if package_name(&text).as_deref() != Some(name.as_str()) {
                continue;
            }
            pending.extend(import_paths(&text));
            files.push((file, text));
        }
        packages.push(ModulePackage { import_path: path, files });
    }
    Ok(packages)
}

fn package_name(text: &str) -> Option<String> {
    let tokens = significant_tokens(text);
    let start = tokens.iter().position(|t| t.0 != SyntaxKind::ATTRIBUTE)?;
    match &tokens[start..] {
        [(SyntaxKind::PACKAGE_KW, _), (SyntaxKind::IDENT, name), ..] => Some(name.to_string()),
        _ => None,
    }
}
