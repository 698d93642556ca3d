//! From evaluated CUE and Starlark to the validated resource IR, with every
//! check that can run before anything touches a host.
//!
//! The pipeline, in three steps so that the database can cache the costly
//! middle one per source file:
//!
//! 1. [`collect`] reads `hosts` and `resources` from the evaluated CUE
//!    package and takes the resources Starlark declared: each gets its type
//!    ([`registry::RESOURCE_WITHOUT_TYPE`], [`registry::UNKNOWN_RESOURCE_TYPE`]
//!    with did-you-mean), its origin span, and ids are checked for
//!    duplicates across both languages.
//! 2. [`Collected::batches`] groups the values by source file into
//!    [`schema::Batch`]es, which [`schema::validate`] checks against the
//!    standard library's schemas with the CUE evaluator.
//! 3. [`finish`] lowers the validated values into an [`froyo_ir::Ir`] and runs
//!    the checks of [`checks`]: hosts, dependencies, host selectors, cycles.
//!
//! Invariant: no IO; the caller supplies texts and evaluated data.
//! Invariant: knows nothing of salsa, Starlark's crate or the engine.

pub mod checks;
mod lower;
pub mod origins;
pub mod schema;

use std::collections::{BTreeMap, HashMap};

use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use froyo_eval::Data;
use froyo_ir::Ir;

pub use schema::{Batch, Entry, Kind};

/// A resource declared by Starlark, as the bridge returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub type_name: String,
    pub id: String,
    pub value: Data,
    pub span: Span,
}

/// Hosts and resources with their types and origins, before validation.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads hosts and resources from the evaluated package `cue` (whose files
/// are `cue_files`) and from Starlark's declarations.
pub fn collect(cue: &Data, cue_files: &[(FileId, &str)], starlark: &[Declared]) -> Collected {
    let mut collected = Collected::default();
    let fallback =
        cue_files.first().map_or(Span::new(FileId(0), 0, 0), |(file, _)| Span::new(*file, 0, 0));

    let host_origins = origins::collect(cue_files, "hosts");
    match cue.field("hosts") {
        Some(Data::Struct(hosts)) => {
            for (name, value) in hosts {
                let origin = host_origins.of(name).unwrap_or(fallback);
                if !matches!(value, Data::Struct(_)) {
                    collected.diagnostics.push(not_a_struct("host", name, value, origin));
                    continue;
                }
                collected.entries.push(Entry {
                    kind: Kind::Host,
                    name: name.clone(),
                    value: value.clone(),
                    origin,
                });
            }
        }
        Some(other) => collected.diagnostics.push(Diagnostic::new(
            &registry::INVALID_RESOURCE,
            format!("`hosts` must be a struct of hosts, not {}", other.kind_name()),
            host_origins.whole.unwrap_or(fallback),
        )),
        None => {}
    }

    let resource_origins = origins::collect(cue_files, "resources");
    let mut seen: HashMap<String, Span> = HashMap::new();
    match cue.field("resources") {
        Some(Data::Struct(resources)) => {
            for (id, value) in resources {
                let origin = resource_origins.of(id).unwrap_or(fallback);
                seen.insert(id.clone(), origin);
                if let Some(entry) = typed_entry(id, value, origin, &mut collected.diagnostics) {
                    collected.entries.push(entry);
                }
            }
        }
        Some(other) => collected.diagnostics.push(Diagnostic::new(
            &registry::INVALID_RESOURCE,
            format!("`resources` must be a struct of resources, not {}", other.kind_name()),
            resource_origins.whole.unwrap_or(fallback),
        )),
        None => {}
    }

    for declared in starlark {
        if let Some(first) = seen.get(&declared.id) {
            collected.diagnostics.push(checks::duplicate_id::diagnostic(
                &declared.id,
                *first,
                declared.span,
            ));
            continue;
        }
        seen.insert(declared.id.clone(), declared.span);
        if let Some(entry) =
            typed_entry(&declared.id, &declared.value, declared.span, &mut collected.diagnostics)
        {
            collected.entries.push(entry);
        }
    }
    collected
}

impl Collected {
    /// The entries grouped by the file that declared them, one batch per file.
    pub fn batches(&self) -> Vec<Batch> {
        let mut by_file: BTreeMap<FileId, Vec<Entry>> = BTreeMap::new();
        for entry in &self.entries {
            by_file.entry(entry.origin.file).or_default().push(entry.clone());
        }
        by_file.into_values().map(Batch::new).collect()
    }
}

/// The entry of a resource whose `type` names a known resource type.
fn typed_entry(
    id: &str,
    value: &Data,
    origin: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Entry> {
    if !matches!(value, Data::Struct(_)) {
        diagnostics.push(not_a_struct("resource", id, value, origin));
        return None;
    }
    let type_name = match value.field("type") {
        Some(Data::String(type_name)) => type_name,
        Some(other) => {
            diagnostics.push(Diagnostic::new(
                &registry::INVALID_RESOURCE,
                format!("resource `{id}` has a `type` that is {}, not a string", other.kind_name()),
                origin,
            ));
            return None;
        }
        None => {
            diagnostics.push(checks::resource_type::without_type(id, origin));
            return None;
        }
    };
    match froyo_stdlib::resource_type_named(type_name) {
        Some(resource_type) => Some(Entry {
            kind: Kind::Resource(resource_type),
            name: id.to_string(),
            value: value.clone(),
            origin,
        }),
        None => {
            diagnostics.push(checks::resource_type::unknown(id, type_name, origin));
            None
        }
    }
}

fn not_a_struct(what: &str, name: &str, value: &Data, origin: Span) -> Diagnostic {
    Diagnostic::new(
        &registry::INVALID_RESOURCE,
        format!("{what} `{name}` must be a struct, not {}", value.kind_name()),
        origin,
    )
    .with_primary_label(format!("this {what}"))
}

/// Lowers validated values into the IR and runs the checks that need the
/// whole workspace. `validated` holds every entry's value with its defaults
/// (keyed by host-or-not and name); `path_of` names files for origins and
/// `text_of` gives their text, to point at the exact id in a `require`.
pub fn finish(
    collected: &Collected,
    validated: &HashMap<(bool, String), Data>,
    path_of: &dyn Fn(FileId) -> String,
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> (Ir, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut hosts = Vec::new();
    let mut resources = Vec::new();
    let mut spans: HashMap<(bool, String), Span> = HashMap::new();
    for entry in &collected.entries {
        let is_host = entry.kind == Kind::Host;
        let Some(data) = validated.get(&(is_host, entry.name.clone())) else { continue };
        spans.insert((is_host, entry.name.clone()), entry.origin);
        let origin = lower::origin(entry.origin, &path_of(entry.origin.file));
        match entry.kind {
            Kind::Host => match lower::host(&entry.name, data, origin, entry.origin) {
                Ok(host) => hosts.push(host),
                Err(diagnostic) => diagnostics.push(diagnostic),
            },
            Kind::Resource(resource_type) => resources.push(lower::resource(
                &entry.name,
                resource_type.name,
                data,
                schema::sensitive_fields(resource_type.definition),
                origin,
            )),
        }
    }
    let ir = Ir::new(hosts, resources);
    let context = checks::Context { ir: &ir, spans: &spans, text_of };
    diagnostics.extend(checks::hosts::check(&context));
    diagnostics.extend(checks::unknown_dependency::check(&context));
    diagnostics.extend(checks::host_selector::check(&context));
    diagnostics.extend(checks::dependency_cycle::check(&context));
    (ir, diagnostics)
}

#[cfg(test)]
mod tests;
