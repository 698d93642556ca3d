//! A CUE module's `cue.mod/module.cue`, as today's CUE writes it:
//!
//! ```cue
//! module: "mod.example/site@v0"
//! language: version: "v0.10.0"
//! source: kind: "self"
//! deps: "dep.example/lib@v0": v: "v0.3.1"
//! ```
//!
//! The file is evaluated (it is CUE); `module` is required, the rest is
//! optional. The module path's major version (`@v0`) is not part of import
//! paths' directories. Dependencies are read from vendored copies only
//! (`cue.mod/pkg`, `cue.mod/gen`, `cue.mod/usr`): froyo does not download
//! modules from registries, and [`Module::dependency_of`] lets an error say
//! that a missing import is a dependency that was not vendored.

use std::path::{Path, PathBuf};

use froyo_eval::Data;

use froyo_eval::import_path::strip_major_version;

/// The directories vendored dependencies are read from, in CUE's order.
pub const VENDOR_DIRECTORIES: [&str; 3] = ["cue.mod/pkg", "cue.mod/gen", "cue.mod/usr"];

/// The vendor directories of a module root that exist (most modules have
/// none, and then no lookup costs anything).
pub struct Vendors {
    directories: Vec<PathBuf>,
}

impl Vendors {
    pub fn of(root: &Path) -> Vendors {
        let directories = VENDOR_DIRECTORIES
            .iter()
            .map(|vendor| root.join(vendor))
            .filter(|directory| directory.is_dir())
            .collect();
        Vendors { directories }
    }

    /// The directories holding the package `path` (without major version),
    /// in [`VENDOR_DIRECTORIES`] order; none for a path with an empty, `.`
    /// or `..` element.
    pub fn find(&self, path: &str) -> Vec<PathBuf> {
        if self.directories.is_empty()
            || path
                .split('/')
                .any(|element| element.is_empty() || element == "." || element == "..")
        {
            return Vec::new();
        }
        self.directories
            .iter()
            .map(|vendor| vendor.join(path))
            .filter(|directory| directory.is_dir())
            .collect()
    }
}

/// What `cue.mod/module.cue` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The directory holding `cue.mod/`.
    pub root: PathBuf,
    /// The module path without its major version.
    pub path: String,
    /// `language.version`, when given.
    pub language_version: Option<String>,
    /// `source.kind`, when given.
    pub source_kind: Option<String>,
    /// The module paths of `deps`, as written (with their major versions).
    pub dependencies: Vec<String>,
}

impl Module {
    /// The module of the nearest `cue.mod/module.cue` at or above `start`
    /// that declares a module path.
    pub fn find(start: &Path) -> Option<Module> {
        let root = crate::find_root(start)?;
        let text = crate::read_file(&root.join("cue.mod").join("module.cue")).ok()?;
        Module::parse(root, &text)
    }

    /// Reads `text`; falls back to the `module:` field alone when the file
    /// does not evaluate (its errors are `froyo check`'s to report).
    pub fn parse(root: PathBuf, text: &str) -> Option<Module> {
        let database = froyo_db::Database::default();
        let file = froyo_db::SourceFile::new(
            &database,
            "cue.mod/module.cue".to_string(),
            text.to_string(),
        );
        let package = froyo_db::Package::new(&database, vec![file], None, Vec::new());
        let data = froyo_db::export_package(&database, package).as_ref().ok().cloned();
        let field = |data: &Data, name: &str| -> Option<Data> {
            match data {
                Data::Struct(fields) => {
                    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
                }
                _ => None,
            }
        };
        let string = |data: Option<Data>| match data {
            Some(Data::String(text)) => Some(text),
            _ => None,
        };
        let (path, language_version, source_kind, dependencies) = match &data {
            Some(data) => (
                string(field(data, "module")),
                string(field(data, "language").and_then(|language| field(&language, "version"))),
                string(field(data, "source").and_then(|source| field(&source, "kind"))),
                match field(data, "deps") {
                    Some(Data::Struct(deps)) => deps.iter().map(|(key, _)| key.clone()).collect(),
                    _ => Vec::new(),
                },
            ),
            None => (crate::scan::module_path(text), None, None, Vec::new()),
        };
        let path = strip_major_version(&path?).to_string();
        Some(Module { root, path, language_version, source_kind, dependencies })
    }

    /// `path` (without major version) relative to the module root, when it is
    /// in this module: `""` for the module itself.
    pub fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(self.path.as_str())?;
        if rest.is_empty() { Some("") } else { rest.strip_prefix('/') }
    }

    /// The vendored directories holding the package `path` (without major
    /// version), in [`VENDOR_DIRECTORIES`] order.
    pub fn vendored(&self, path: &str) -> Vec<PathBuf> {
        Vendors::of(&self.root).find(path)
    }

    /// The dependency of `deps` whose module holds `path`, if one does.
    pub fn dependency_of(&self, path: &str) -> Option<String> {
        self.dependencies
            .iter()
            .filter(|dependency| {
                let module = strip_major_version(dependency);
                path == module
                    || path.strip_prefix(module).is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|dependency| dependency.len())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_s_module_files_are_read() {
        let module = Module::parse(
            PathBuf::from("/m"),
            "module: \"mod.example/site@v0\"\nlanguage: version: \"v0.10.0\"\nsource: kind: \"self\"\n\
             deps: {\n\t\"dep.example/lib@v0\": v: \"v0.3.1\"\n\t\"dep.example/lib/deeper@v1\": {v: \"v1.0.0\", default: true}\n}\n",
        )
        .unwrap();
        assert_eq!(module.path, "mod.example/site");
        assert_eq!(module.language_version.as_deref(), Some("v0.10.0"));
        assert_eq!(module.source_kind.as_deref(), Some("self"));
        assert_eq!(module.relative("mod.example/site/a/b"), Some("a/b"));
        assert_eq!(module.relative("mod.example/site"), Some(""));
        assert_eq!(module.relative("mod.example/siteother/a"), None);
        assert_eq!(
            module.dependency_of("dep.example/lib/x").as_deref(),
            Some("dep.example/lib@v0")
        );
        assert_eq!(
            module.dependency_of("dep.example/lib/deeper/y").as_deref(),
            Some("dep.example/lib/deeper@v1")
        );
        assert_eq!(module.dependency_of("dep.example/library"), None);
        assert!(module.vendored("../escape").is_empty());
        // v0.4's form, and a file that does not evaluate: the module path still counts.
        let old = Module::parse(PathBuf::from("/m"), "module: \"example.com/old\"\n").unwrap();
        assert_eq!((old.path.as_str(), old.dependencies.len()), ("example.com/old", 0));
        let broken =
            Module::parse(PathBuf::from("/m"), "module: \"example.com/b\"\nx: 1 & 2\n").unwrap();
        assert_eq!(broken.path, "example.com/b");
        assert_eq!(Module::parse(PathBuf::from("/m"), "language: version: \"v0.9.0\"\n"), None);
    }
}
