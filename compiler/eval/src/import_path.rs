//! Import paths as today's CUE writes them: `mod.example/m/p`, with an
//! optional major version (`mod.example/m/p@v0`) and an optional package
//! name (`mod.example/m/p:q`, split off by the callers). One reading of them
//! for the evaluator, the checker and the loader.

/// `mod.example/p@v0` → `mod.example/p`; anything that is not a major
/// version after `@` (`@latest`, `@v`) stays.
pub fn strip_major_version(path: &str) -> &str {
    match path.rsplit_once('@') {
        Some((base, version))
            if version.strip_prefix('v').is_some_and(|digits| {
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
            }) =>
        {
            base
        }
        _ => path,
    }
}

/// The package name an import path gives when it names none: its last
/// element, without a major version (`mod.example/m/p@v0` → `p`).
pub fn default_package_name(path: &str) -> &str {
    let path = strip_major_version(path);
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions_are_stripped_only_when_they_are_one() {
        assert_eq!(strip_major_version("a.example/p@v0"), "a.example/p");
        assert_eq!(strip_major_version("a.example/p@v12"), "a.example/p");
        assert_eq!(strip_major_version("a.example/p@latest"), "a.example/p@latest");
        assert_eq!(strip_major_version("a.example/p@v"), "a.example/p@v");
        assert_eq!(strip_major_version("a.example/p"), "a.example/p");
        assert_eq!(default_package_name("a.example/m/p@v0"), "p");
        assert_eq!(default_package_name("strings"), "strings");
        assert_eq!(default_package_name("a.example/m/p"), "p");
    }
}
