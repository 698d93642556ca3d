//! What the path arguments of `froyo export` and `froyo eval` name, as
//! today's `cue` reads them:
//!
//! - a file (`site.cue`, `values.yaml`) or a directory (`site`, `./site`);
//! - a directory with a package qualifier: `.:pkg` (package `pkg` in the
//!   current directory), `./sub:pkg`; the qualifier chooses among several
//!   packages in one directory;
//! - an import path of the module (`mod.example/m/p`, `mod.example/m/p:q`,
//!   `mod.example/m/p@v0`): the directory under the module root, and the
//!   package named by the last path element unless qualified;
//! - an import path of a dependency vendored under `cue.mod/pkg`,
//!   `cue.mod/gen` or `cue.mod/usr` (their files are merged, as CUE does).
//!
//! A path that exists on disk, or names a `.cue` or data file, is a path, as
//! before (`froyo export site`); an import path must not start with `.` or `/`. Files of `cue.mod/` named
//! directly are refused: that directory holds the module's configuration and
//! dependencies, not a package to evaluate. Modules are never downloaded:
//! a dependency that is not vendored is an error that says so.

use std::path::{Path, PathBuf};

use froyo_eval::import_path::{default_package_name, strip_major_version};

use crate::module::Module;

/// What one argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Argument {
    /// A file, taken as given.
    File(PathBuf),
    /// The package of one or more directories (several for a vendored
    /// dependency spread over `cue.mod/pkg`, `gen` and `usr`): `package`
    /// names it when given or implied by an import path.
    Package { directories: Vec<PathBuf>, package: Option<String> },
}

/// Resolves `argument` against `current_dir`; the error says what is wrong
/// and what to do.
pub fn resolve(current_dir: &Path, argument: &Path) -> Result<Argument, String> {
    let Some(text) = argument.to_str() else {
        return as_path(current_dir, argument, None);
    };
    let (location, package) = split_qualifier(text);
    let location = if location.is_empty() { "." } else { location };
    let on_disk = crate::absolute(current_dir, Path::new(location));
    let named_file = Path::new(location).extension().is_some_and(|extension| extension == "cue")
        || crate::data::DataKind::of(Path::new(location)).is_some();
    if location.starts_with('.') || location.starts_with('/') || on_disk.exists() || named_file {
        return as_path(current_dir, Path::new(location), package);
    }
    import_path(current_dir, location, package)
}

/// `location:pkg` → (`location`, `pkg`) when `pkg` is an identifier.
fn split_qualifier(text: &str) -> (&str, Option<String>) {
    match text.rsplit_once(':') {
        Some((location, package)) if is_identifier(package) && !location.ends_with('/') => {
            (location, Some(package.to_string()))
        }
        _ => (text, None),
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '#')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn as_path(
    current_dir: &Path,
    location: &Path,
    package: Option<String>,
) -> Result<Argument, String> {
    let path = crate::absolute(current_dir, location);
    if path.components().any(|component| component.as_os_str() == "cue.mod") {
        return Err(format!(
            "{} is inside cue.mod/, which holds the module's configuration and its dependencies, not a package to evaluate; name a package of the module, or import the dependency from one",
            location.display()
        ));
    }
    if path.is_dir() {
        return Ok(Argument::Package { directories: vec![path], package });
    }
    if package.is_some() {
        return Err(format!(
            "{}: a package qualifier (`:name`) needs a directory, and this is not one",
            location.display()
        ));
    }
    Ok(Argument::File(path))
}

fn import_path(
    current_dir: &Path,
    location: &str,
    package: Option<String>,
) -> Result<Argument, String> {
    let Some(module) = Module::find(current_dir) else {
        return Err(format!(
            "cannot find `{location}`: it is not a file or directory here, and there is no cue.mod/module.cue above this directory to read it as an import path of"
        ));
    };
    let path = strip_major_version(location);
    let default_name = default_package_name(location).to_string();
    let package = package.or(Some(default_name));
    if let Some(relative) = module.relative(path) {
        let directory = module.root.join(relative);
        if directory.is_dir() {
            return Ok(Argument::Package { directories: vec![directory], package });
        }
        return Err(format!(
            "cannot find package `{location}`: {} does not exist in the module `{}`",
            display(&module.root, &directory),
            module.path
        ));
    }
    let directories = module.vendored(path);
    if !directories.is_empty() {
        return Ok(Argument::Package { directories, package });
    }
    let listed = module
        .dependency_of(path)
        .map(|dependency| {
            format!(
                " `{dependency}` is a dependency in cue.mod/module.cue, but froyo does not download modules from registries: vendor it into cue.mod/pkg/{}",
                strip_major_version(&dependency)
            )
        })
        .unwrap_or_default();
    Err(format!(
        "cannot find package `{location}`: it is not under the module `{}` and not vendored in cue.mod/pkg, cue.mod/gen or cue.mod/usr.{listed}",
        module.path
    ))
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let directory = tempfile::tempdir().unwrap();
        for file in files {
            let path = directory.path().join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            let text = if file.ends_with("module.cue") {
                "module: \"mod.example/m@v0\"\nlanguage: version: \"v0.10.0\"\ndeps: \"dep.example/lib@v0\": v: \"v0.1.0\"\n"
            } else {
                "package x\n"
            };
            fs::write(path, text).unwrap();
        }
        directory
    }

    fn show(root: &Path, result: Result<Argument, String>) -> String {
        match result {
            Ok(Argument::File(path)) => format!("file {}", display(root, &path)),
            Ok(Argument::Package { directories, package }) => format!(
                "package {:?} in {}",
                package,
                directories.iter().map(|d| display(root, d)).collect::<Vec<_>>().join(", ")
            ),
            Err(message) => format!("error: {message}"),
        }
    }

    #[test]
    fn arguments_are_paths_qualified_paths_or_import_paths() {
        let dir = tree(&[
            "cue.mod/module.cue",
            "site/a.cue",
            "lib/p/p.cue",
            "cue.mod/pkg/other.example/x/x.cue",
            "cue.mod/usr/other.example/x/extra.cue",
            "cue.mod/gen/gen.example/g/g.cue",
        ]);
        let root = dir.path();
        let run = |argument: &str| show(root, resolve(root, Path::new(argument)));
        let cases = [
            "site",
            "./site",
            ".:site",
            "./site:q",
            "site/a.cue",
            "site/a.cue:x",
            "missing.cue",
            "missing/values.yaml",
            "mod.example/m/lib/p",
            "mod.example/m/lib/p@v0",
            "mod.example/m/lib/p:q",
            "mod.example/m/nowhere",
            "other.example/x",
            "gen.example/g@v0",
            "dep.example/lib/sub",
            "unknown.example/z",
            "cue.mod/pkg/other.example/x",
        ];
        let shown: Vec<String> =
            cases.iter().map(|case| format!("{case} → {}", run(case))).collect();
        expect_test::expect![[r#"
            site → package None in site
            ./site → package None in site
            .:site → package Some("site") in 
            ./site:q → package Some("q") in site
            site/a.cue → file site/a.cue
            site/a.cue:x → error: site/a.cue: a package qualifier (`:name`) needs a directory, and this is not one
            missing.cue → file missing.cue
            missing/values.yaml → file missing/values.yaml
            mod.example/m/lib/p → package Some("p") in lib/p
            mod.example/m/lib/p@v0 → package Some("p") in lib/p
            mod.example/m/lib/p:q → package Some("q") in lib/p
            mod.example/m/nowhere → error: cannot find package `mod.example/m/nowhere`: nowhere does not exist in the module `mod.example/m`
            other.example/x → package Some("x") in cue.mod/pkg/other.example/x, cue.mod/usr/other.example/x
            gen.example/g@v0 → package Some("g") in cue.mod/gen/gen.example/g
            dep.example/lib/sub → error: cannot find package `dep.example/lib/sub`: it is not under the module `mod.example/m` and not vendored in cue.mod/pkg, cue.mod/gen or cue.mod/usr. `dep.example/lib@v0` is a dependency in cue.mod/module.cue, but froyo does not download modules from registries: vendor it into cue.mod/pkg/dep.example/lib
            unknown.example/z → error: cannot find package `unknown.example/z`: it is not under the module `mod.example/m` and not vendored in cue.mod/pkg, cue.mod/gen or cue.mod/usr.
            cue.mod/pkg/other.example/x → error: cue.mod/pkg/other.example/x is inside cue.mod/, which holds the module's configuration and its dependencies, not a package to evaluate; name a package of the module, or import the dependency from one"#]]
        .assert_eq(&shown.join("\n"));
    }
}
