//! From evaluated CUE and Starlark to the validated resource IR, with every
//! check that can run before anything touches a host.
//!
//! The pipeline, in three steps so that the database can cache the costly
//! middle one per source file:
//!
//! 1. [`collect_cue`] reads `hosts` and `resources` from the evaluated CUE
//!    package, [`collect_starlark`] takes the resources one Starlark file
//!    declared: each gets its type ([`registry::RESOURCE_WITHOUT_TYPE`],
//!    [`registry::UNKNOWN_RESOURCE_TYPE`] with did-you-mean) and its origin
//!    span.
//! 2. Per source file, [`Collected::batch_of`] writes the values as a
//!    [`schema::Batch`], which [`schema::validate`] checks against the
//!    standard library's schemas with the CUE evaluator, and [`lower`] turns
//!    the validated values into IR hosts and resources.
//! 3. [`check`] runs the checks that need the whole workspace on the files'
//!    values together ([`checks`]: duplicate ids across files and languages,
//!    hosts, dependencies, host selectors, cycles), and [`assemble`] puts
//!    them into an [`froyo_ir::Ir`]; [`by_file`] runs the same checks in
//!    pieces that a caller can cache per file, with the same result.
//!
//! Shared with the editor's features: the one declaration index of a CUE
//! file ([`declarations`]), the one reader of the standard library's
//! schemas ([`definitions`]), small readings of CUE syntax ([`cue`]), and
//! where a diagnostic belongs with its fix ([`place`]).
//!
//! Invariant: no IO; the caller supplies texts and evaluated data.
//! Invariant: knows nothing of salsa, Starlark's crate or the engine.

pub mod by_file;
pub mod checks;
pub mod cue;
pub mod declarations;
pub mod definitions;
pub mod locate;
mod lower;
pub mod origins;
pub mod place;
pub mod schema;

use std::collections::HashMap;

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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collected {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads hosts and resources from the evaluated package `cue`, whose files
/// are `cue_files`.
pub fn collect_cue(cue: &Data, cue_files: &[(FileId, &str)]) -> Collected {
    let trees: Vec<(FileId, froyo_syntax::SyntaxNode)> = cue_files
        .iter()
        .map(|(file, text)| (*file, froyo_syntax::parse(text).syntax_node()))
        .collect();
    collect_cue_in(cue, &trees)
}

/// [`collect_cue`] for files already parsed: each file's id and syntax tree.
pub fn collect_cue_in(cue: &Data, cue_files: &[(FileId, froyo_syntax::SyntaxNode)]) -> Collected {
    let mut collected = Collected::default();
    let fallback =
        cue_files.first().map_or(Span::new(FileId(0), 0, 0), |(file, _)| Span::new(*file, 0, 0));

    // Each file's syntax is read once, for both fields.
    let [host_origins, resource_origins] = origins::collect_each(cue_files, ["hosts", "resources"]);
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

    match cue.field("resources") {
        Some(Data::Struct(resources)) => {
            for (id, value) in resources {
                let origin = resource_origins.of(id).unwrap_or(fallback);
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
    collected
}

/// Types the resources one Starlark file declared.
pub fn collect_starlark(declared: &[Declared]) -> Collected {
    let mut collected = Collected::default();
    for declared in declared {
        if let Some(entry) =
            typed_entry(&declared.id, &declared.value, declared.span, &mut collected.diagnostics)
        {
            collected.entries.push(entry);
        }
    }
    collected
}

impl Collected {
    /// The batch of the entries declared in `file`.
    pub fn batch_of(&self, file: FileId) -> Batch {
        Batch::new(self.entries.iter().filter(|entry| entry.origin.file == file).cloned().collect())
    }
}

/// The hosts and resources of one source file, validated and lowered, each
/// with its declaration's span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lowered {
    pub hosts: Vec<(froyo_ir::Host, Span)>,
    pub resources: Vec<(froyo_ir::Resource, Span)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers the validated values of `batch`'s entries.
pub fn lower(
    batch: &Batch,
    validated: &HashMap<(bool, String), Data>,
    path_of: &dyn Fn(FileId) -> String,
) -> Lowered {
    let mut lowered = Lowered::default();
    for entry in batch.entries() {
        let is_host = entry.kind == Kind::Host;
        let Some(data) = validated.get(&(is_host, entry.name.clone())) else { continue };
        let origin = lower::origin(entry.origin, &path_of(entry.origin.file));
        match entry.kind {
            Kind::Host => match lower::host(&entry.name, data, origin, entry.origin) {
                Ok(host) => lowered.hosts.push((host, entry.origin)),
                Err(diagnostic) => lowered.diagnostics.push(*diagnostic),
            },
            Kind::Resource(resource_type) => lowered.resources.push((
                lower::resource(
                    &entry.name,
                    resource_type.name,
                    data,
                    schema::sensitive_fields(resource_type.definition),
                    origin,
                ),
                entry.origin,
            )),
        }
    }
    lowered
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

/// Checks the files' lowered hosts and resources together, in the order
/// given (an id declared again in a later file is a duplicate): duplicate
/// ids, hosts, dependencies, host selectors and cycles. `text_of` gives file
/// texts, to point at the exact id in a `require`. The IR is not built here
/// ([`assemble`] does), so that a re-check copies nothing.
pub fn check(files: &[&Lowered], text_of: &dyn Fn(FileId) -> Option<String>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut hosts = Vec::new();
    let mut resources = Vec::new();
    let mut spans: HashMap<(bool, String), Span> = HashMap::new();
    for lowered in files {
        for (host, span) in &lowered.hosts {
            spans.insert((true, host.name.clone()), *span);
            hosts.push(host);
        }
        for (resource, span) in &lowered.resources {
            match spans.entry((false, resource.id.clone())) {
                std::collections::hash_map::Entry::Occupied(first) => diagnostics
                    .push(checks::duplicate_id::diagnostic(&resource.id, *first.get(), *span)),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(*span);
                    resources.push(resource);
                }
            }
        }
    }
    let context =
        checks::Context { ir: checks::View::new(hosts, resources), spans: &spans, text_of };
    diagnostics.extend(checks::hosts::check(&context));
    diagnostics.extend(checks::unknown_dependency::check(&context));
    diagnostics.extend(checks::host_selector::check(&context));
    diagnostics.extend(checks::dependency_cycle::check(&context));
    diagnostics
}

/// The IR of the files' lowered hosts and resources (the first declaration
/// of an id wins; [`check`] reports the others).
pub fn assemble(files: &[&Lowered]) -> Ir {
    let mut seen = std::collections::HashSet::new();
    let hosts =
        files.iter().flat_map(|lowered| &lowered.hosts).map(|(host, _)| host.clone()).collect();
    let resources = files
        .iter()
        .flat_map(|lowered| &lowered.resources)
        .filter(|(resource, _)| seen.insert(resource.id.as_str()))
        .map(|(resource, _)| resource.clone())
        .collect();
    Ir::new(hosts, resources)
}

#[cfg(test)]
mod tests;
