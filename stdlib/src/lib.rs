//! froyo's standard library, as data embedded in the binary.
//!
//! The CUE packages users import without any download (`froyo.dev/inventory`,
//! `froyo.dev/linux`, `froyo.dev/probe`), and the table of resource types:
//! which schema definition describes each `type` a resource can have, and what
//! the Starlark prelude calls its constructor.
//!
//! This crate is data only: it does not parse or evaluate anything. The
//! compiler reads these texts as it reads a user's files; doc comments on
//! every field are what an editor shows on hover, and fields marked
//! `@sensitive()` are redacted wherever froyo prints or stores values.
//!
//! The built-in Rego policies (`stdlib/policies/`, [`POLICIES`]) are data
//! too: each file opens with its documentation (what it reports, why, how to
//! fix it) and has its tests beside it in a `_test.rego` file.
//!
//! Start at [`PACKAGES`], [`RESOURCE_TYPES`] and [`POLICIES`].

/// One embedded CUE file.
#[derive(Debug)]
pub struct File {
    /// The path shown in diagnostics: the import path, then the file name.
    pub name: &'static str,
    pub text: &'static str,
}

/// One embedded CUE package.
#[derive(Debug)]
pub struct Package {
    /// What a user writes in `import`.
    pub import_path: &'static str,
    /// Its files, in name order.
    pub files: &'static [File],
}

/// A resource type: its name (the value of a resource's `type` field), and
/// the definition of the schema that describes it.
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// Such as `linux.file`; also the Starlark constructor's name.
    pub name: &'static str,
    /// The import path of the package holding the schema.
    pub package: &'static str,
    /// The package's short name, as CUE and Starlark code refer to it.
    pub package_name: &'static str,
    /// The schema definition, such as `#File`.
    pub definition: &'static str,
}

/// The schema hosts are checked against.
pub const HOST_SCHEMA: (&str, &str) = ("froyo.dev/inventory", "#Host");

macro_rules! cue_file {
    ($package:literal, $name:literal) => {
        File { name: concat!($package, "/", $name), text: include_str!(concat!("../cue/", $name)) }
    };
}

/// Every embedded package.
pub static PACKAGES: &[Package] = &[
    Package {
        import_path: "froyo.dev/inventory",
        files: &[cue_file!("froyo.dev", "inventory/host.cue")],
    },
    Package {
        import_path: "froyo.dev/linux",
        files: &[
            cue_file!("froyo.dev", "linux/directory.cue"),
            cue_file!("froyo.dev", "linux/exec.cue"),
            cue_file!("froyo.dev", "linux/file.cue"),
            cue_file!("froyo.dev", "linux/group.cue"),
            cue_file!("froyo.dev", "linux/package.cue"),
            cue_file!("froyo.dev", "linux/resource.cue"),
            cue_file!("froyo.dev", "linux/service.cue"),
            cue_file!("froyo.dev", "linux/user.cue"),
        ],
    },
    Package { import_path: "froyo.dev/probe", files: &[cue_file!("froyo.dev", "probe/http.cue")] },
];

/// Every resource type, by name.
pub static RESOURCE_TYPES: &[ResourceType] = &[
    resource_type("linux.directory", "froyo.dev/linux", "linux", "#Directory"),
    resource_type("linux.exec", "froyo.dev/linux", "linux", "#Exec"),
    resource_type("linux.file", "froyo.dev/linux", "linux", "#File"),
    resource_type("linux.group", "froyo.dev/linux", "linux", "#Group"),
    resource_type("linux.package", "froyo.dev/linux", "linux", "#Package"),
    resource_type("linux.service", "froyo.dev/linux", "linux", "#Service"),
    resource_type("linux.user", "froyo.dev/linux", "linux", "#User"),
    resource_type("probe.http", "froyo.dev/probe", "probe", "#HTTP"),
];

const fn resource_type(
    name: &'static str,
    package: &'static str,
    package_name: &'static str,
    definition: &'static str,
) -> ResourceType {
    ResourceType { name, package, package_name, definition }
}

/// One embedded Rego file: a built-in policy or its tests.
#[derive(Debug)]
pub struct PolicyFile {
    /// The path shown in diagnostics, such as `froyo.dev/policies/world_writable.rego`.
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! policy_file {
    ($name:literal) => {
        PolicyFile {
            name: concat!("froyo.dev/policies/", $name),
            text: include_str!(concat!("../policies/", $name)),
        }
    };
}

/// The built-in policies, each followed by its tests, in name order.
pub static POLICIES: &[PolicyFile] = &[
    policy_file!("destroy.rego"),
    policy_file!("destroy_test.rego"),
    policy_file!("exec_guard.rego"),
    policy_file!("exec_guard_test.rego"),
    policy_file!("host_owner.rego"),
    policy_file!("host_owner_test.rego"),
    policy_file!("package_lists.rego"),
    policy_file!("package_lists_test.rego"),
    policy_file!("secrets.rego"),
    policy_file!("secrets_test.rego"),
    policy_file!("setuid.rego"),
    policy_file!("setuid_test.rego"),
    policy_file!("world_writable.rego"),
    policy_file!("world_writable_test.rego"),
];

/// The embedded package imported as `import_path`.
pub fn package(import_path: &str) -> Option<&'static Package> {
    PACKAGES.iter().find(|package| package.import_path == import_path)
}

/// The resource type called `name`.
pub fn resource_type_named(name: &str) -> Option<&'static ResourceType> {
    RESOURCE_TYPES.iter().find(|resource_type| resource_type.name == name)
}

/// Whether `import_path` is one of the standard library's (`froyo.dev/…`).
pub fn is_stdlib_import(import_path: &str) -> bool {
    import_path.starts_with("froyo.dev/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_type_names_an_embedded_package_and_definition() {
        for resource_type in RESOURCE_TYPES {
            let package = package(resource_type.package).expect(resource_type.name);
            assert!(package.import_path.ends_with(resource_type.package_name));
            let declaration = format!("{}: {{", resource_type.definition);
            assert!(
                package.files.iter().any(|file| file.text.contains(&declaration)),
                "{} declares no {}",
                resource_type.package,
                resource_type.definition
            );
            let type_field = format!("type: \"{}\"", resource_type.name);
            assert!(
                package.files.iter().any(|file| file.text.contains(&type_field)),
                "{} never sets `{type_field}`",
                resource_type.definition
            );
        }
    }

    #[test]
    fn every_policy_file_on_disk_is_embedded_and_has_tests() {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
        let mut on_disk: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = POLICIES
            .iter()
            .map(|file| file.name.strip_prefix("froyo.dev/policies/").unwrap())
            .collect();
        assert_eq!(on_disk, embedded);
        for file in POLICIES.iter().filter(|file| !file.name.ends_with("_test.rego")) {
            let tests = file.name.replace(".rego", "_test.rego");
            assert!(POLICIES.iter().any(|other| other.name == tests), "{} has no tests", file.name);
            assert!(file.text.starts_with("# "), "{} opens with no documentation", file.name);
        }
    }

    #[test]
    fn every_file_declares_its_package() {
        for package in PACKAGES {
            let short = package.import_path.rsplit('/').next().unwrap();
            for file in package.files {
                assert!(file.text.contains(&format!("package {short}\n")), "{}", file.name);
            }
        }
    }
}
