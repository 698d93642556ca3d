//! Missing parent directories: the plan warns about a new `linux.file` whose
//! directory does not exist on the host, since writing it would fail at
//! apply time (the runner writes a file into its directory; it creates
//! directories only for `linux.directory`, parents included).
//!
//! The parents are stat'ed in the plan's probe batch, beside the providers'
//! own probes (no extra round trip), and kept out of the instances' probes,
//! so a saved plan's staleness does not depend on them. A parent counts as
//! created when a `linux.directory` on the same host makes it (its path, or
//! a path below it) and the file requires that directory, directly or not;
//! a directory that would make it but is not required gets a warning of its
//! own. When something the file requires installs a package, runs a
//! command, creates a user or starts a service, that may create the
//! directory, and nothing is said.

use std::collections::BTreeSet;
use std::path::Path;

use froyo_provider_api::{Action, Probe};
use serde_json::Value as Json;

use crate::engine::changes_host;
use crate::plan::PlannedInstance;

/// Resource types whose changes may create directories as a side effect.
const MAY_CREATE_DIRECTORIES: &[&str] =
    &["linux.package", "linux.exec", "linux.user", "linux.service"];

/// The parent directories to stat: one per `linux.file` that is to be
/// present, as (instance index, host, probe).
pub(crate) fn probes(instances: &[PlannedInstance]) -> Vec<(usize, String, Probe)> {
    instances
        .iter()
        .enumerate()
        .filter(|(_, instance)| instance.error.is_none() && instance.resource_type == "linux.file")
        .filter(|(_, instance)| string(instance, "state") != Some("absent"))
        .filter_map(|(index, instance)| {
            let parent = parent_of(string(instance, "path")?)?;
            Some((
                index,
                instance.key.host.clone(),
                Probe::Stat { path: parent.to_string(), content_limit: None },
            ))
        })
        .collect()
}

/// Adds a warning to each file to be created whose parent directory is
/// `missing` (instance index, directory) and that nothing before it creates.
pub(crate) fn warn(instances: &mut [PlannedInstance], missing: &[(usize, String)]) {
    for (index, directory) in missing {
        let Some(instance) = instances.get(*index) else { continue };
        if instance.error.is_some() || instance.action != Action::Create {
            continue;
        }
        let before = predecessors(instances, *index);
        let creators: Vec<usize> = (0..instances.len())
            .filter(|&other| creates(&instances[other], &instance.key.host, directory))
            .collect();
        let warning = if creators.iter().any(|creator| before.contains(creator)) {
            continue;
        } else if let Some(&creator) = creators.first() {
            let id = &instances[creator].key.resource;
            format!(
                "its directory {directory} does not exist yet; {} creates it, but this file does \
                 not require it, so they may apply in either order: add `require: [\"{id}\"]`",
                instances[creator].address
            )
        } else if before.iter().any(|&other| {
            let other = &instances[other];
            changes_host(other.action)
                && MAY_CREATE_DIRECTORIES.contains(&other.resource_type.as_str())
        }) {
            continue;
        } else {
            format!(
                "its directory {directory} does not exist on the host and nothing in this plan \
                 creates it, so writing the file will fail: add a linux.#Directory for \
                 {directory} and require it"
            )
        };
        if let Some(instance) = instances.get_mut(*index) {
            instance.warnings.push(warning);
        }
    }
}

/// Whether `instance` is a `linux.directory` on `host` that creates `directory`
/// (the runner creates a directory's missing parents too).
fn creates(instance: &PlannedInstance, host: &str, directory: &str) -> bool {
    instance.key.host == host
        && instance.error.is_none()
        && instance.resource_type == "linux.directory"
        && string(instance, "state") != Some("absent")
        && string(instance, "path").is_some_and(|path| Path::new(path).starts_with(directory))
}

/// Every instance applied before `index`, directly or through others.
fn predecessors(instances: &[PlannedInstance], index: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = instances.get(index).map_or_else(Vec::new, |i| i.after.clone());
    while let Some(next) = stack.pop() {
        if seen.insert(next)
            && let Some(instance) = instances.get(next)
        {
            stack.extend(instance.after.iter().copied());
        }
    }
    seen
}

fn string<'a>(instance: &'a PlannedInstance, property: &str) -> Option<&'a str> {
    instance.properties.get(property).and_then(Json::as_str)
}

/// The directory of an absolute path, unless it is the root.
fn parent_of(path: &str) -> Option<&str> {
    let parent = Path::new(path).parent()?.to_str()?;
    (path.starts_with('/') && parent != "/" && !parent.is_empty()).then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_of_paths() {
        assert_eq!(parent_of("/etc/motd"), Some("/etc"));
        assert_eq!(parent_of("/a/b/c"), Some("/a/b"));
        assert_eq!(parent_of("/motd"), None);
        assert_eq!(parent_of("/"), None);
        assert_eq!(parent_of("relative/x"), None);
    }
}
