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
    /// What cannot be validated but still takes part in the workspace checks.
    pub unchecked: Vec<Unchecked>,
}

/// A host or resource that is not validated: its value has an error that
/// was reported already (by the CUE evaluation, a schema, or its type), so
/// validating it again would only repeat or guess. What the workspace checks
/// read of it (its name, host selector, edges, labels) comes from what of
/// its value is known, so that the checks see every declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct Unchecked {
    pub is_host: bool,
    /// Host name or resource id.
    pub name: String,
    /// What is known of the value: `None` when nothing is.
    pub value: Option<Data>,
    pub origin: Span,
}

impl Unchecked {
    /// An entry that failed validation, with its value as declared.
    pub fn of_entry(entry: &Entry) -> Unchecked {
        Unchecked {
            is_host: entry.kind == Kind::Host,
            name: entry.name.clone(),
            value: Some(entry.value.clone()),
            origin: entry.origin,
        }
    }
}

/// Where a CUE package's evaluation errors are: the labels of each
/// erroneous field from the package root ([`froyo_eval::Partial`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorPaths<'a>(pub &'a [Vec<String>]);

impl ErrorPaths<'_> {
    /// Whether the member `name` of the top-level field `top` has an error.
    fn member_broken(&self, top: &str, name: &str) -> bool {
        self.0.iter().any(|path| path.len() >= 2 && path[0] == top && path[1] == name)
    }

    /// Whether the top-level field `top` (or the whole package) has an
    /// error of its own, so that none of its members is known.
    fn whole_broken(&self, top: &str) -> bool {
        self.0.iter().any(|path| path.is_empty() || (path.len() == 1 && path[0] == top))
    }
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
    collect_cue_partial(Some(cue), cue_files, ErrorPaths::default())
}

/// [`collect_cue_in`] for a package that evaluated only in part: `cue` is
/// its value without the fields that have errors (`None` when nothing
/// evaluated), `errors` where those are. A host or resource with an error
/// is [`Unchecked`], with what of its value is known; one whose value is
/// unknown altogether still has its name and declaration, from the syntax.
pub fn collect_cue_partial(
    cue: Option<&Data>,
    cue_files: &[(FileId, froyo_syntax::SyntaxNode)],
    errors: ErrorPaths<'_>,
) -> Collected {
    let mut collected = Collected::default();
    let empty = Data::Struct(Vec::new());
    let whole_package_broken = cue.is_none();
    let cue = cue.unwrap_or(&empty);
    let fallback =
        cue_files.first().map_or(Span::new(FileId(0), 0, 0), |(file, _)| Span::new(*file, 0, 0));

    // Each file's syntax is read once, for both fields.
    let [host_origins, resource_origins] = origins::collect_each(cue_files, ["hosts", "resources"]);
    match cue.field("hosts") {
        Some(Data::Struct(hosts)) => {
            for (name, value) in hosts {
                let origin = host_origins.of(name).unwrap_or(fallback);
                if errors.member_broken("hosts", name) {
                    // Which of its labels are missing is not known: none of
                    // it is used.
                    collected.unchecked.push(Unchecked {
                        is_host: true,
                        name: name.clone(),
                        value: None,
                        origin,
                    });
                    continue;
                }
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
                if errors.member_broken("resources", id) {
                    // Its type is a problem of its own.
                    if let Some(Data::String(type_name)) = value.field("type")
                        && froyo_stdlib::resource_type_named(type_name).is_none()
                    {
                        collected
                            .diagnostics
                            .push(checks::resource_type::unknown(id, type_name, origin));
                    }
                    collected.unchecked.push(Unchecked {
                        is_host: false,
                        name: id.clone(),
                        value: Some(value.clone()),
                        origin,
                    });
                    continue;
                }
                collected.add_resource(id, value, origin);
            }
        }
        Some(other) => collected.diagnostics.push(Diagnostic::new(
            &registry::INVALID_RESOURCE,
            format!("`resources` must be a struct of resources, not {}", other.kind_name()),
            resource_origins.whole.unwrap_or(fallback),
        )),
        None => {}
    }

    // Declarations whose whole value has an error are not in the data.
    for (top, origins, is_host) in
        [("hosts", &host_origins, true), ("resources", &resource_origins, false)]
    {
        let whole = whole_package_broken || errors.whole_broken(top);
        let known = |name: &str| {
            collected
                .unchecked
                .iter()
                .any(|unchecked| unchecked.is_host == is_host && unchecked.name == name)
                || match cue.field(top) {
                    Some(Data::Struct(members)) => members.iter().any(|(member, _)| member == name),
                    _ => false,
                }
        };
        let mut missing: Vec<(&String, &Span)> = origins
            .members
            .iter()
            .filter(|(name, _)| (whole || errors.member_broken(top, name)) && !known(name))
            .collect();
        missing.sort_by_key(|(name, span)| (span.file, span.start, name.as_str()));
        let missing: Vec<Unchecked> = missing
            .into_iter()
            .map(|(name, span)| Unchecked {
                is_host,
                name: name.clone(),
                value: None,
                origin: *span,
            })
            .collect();
        collected.unchecked.extend(missing);
    }
    collected
}

/// Types the resources one Starlark file declared.
pub fn collect_starlark(declared: &[Declared]) -> Collected {
    let mut collected = Collected::default();
    for declared in declared {
        collected.add_resource(&declared.id, &declared.value, declared.span);
    }
    collected
}

impl Collected {
    /// The batch of the entries declared in `file`.
    pub fn batch_of(&self, file: FileId) -> Batch {
        Batch::new(self.entries.iter().filter(|entry| entry.origin.file == file).cloned().collect())
    }

    /// The unchecked hosts and resources declared in `file`.
    pub fn unchecked_of(&self, file: FileId) -> Vec<Unchecked> {
        self.unchecked.iter().filter(|unchecked| unchecked.origin.file == file).cloned().collect()
    }

    /// A resource as an entry when its type is known, else as unchecked
    /// (its type's problem reported).
    fn add_resource(&mut self, id: &str, value: &Data, origin: Span) {
        match typed_entry(id, value, origin, &mut self.diagnostics) {
            Some(entry) => self.entries.push(entry),
            None => self.unchecked.push(Unchecked {
                is_host: false,
                name: id.to_string(),
                value: matches!(value, Data::Struct(_)).then(|| value.clone()),
                origin,
            }),
        }
    }
}

/// The hosts and resources of one source file, validated and lowered, each
/// with its declaration's span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lowered {
    pub hosts: Vec<(froyo_ir::Host, Span)>,
    pub resources: Vec<(froyo_ir::Resource, Span)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Resources that could not be validated ([`Unchecked`]): only their
    /// id, host selector and edges, for the workspace checks. Never part of
    /// the IR or of what policies read.
    pub unchecked: Vec<(froyo_ir::Resource, Span)>,
    /// Hosts that could not be validated: only their labels count, so that
    /// host selectors are matched against every declared host.
    pub unchecked_hosts: Vec<froyo_ir::Host>,
    /// Whether a host's labels are not known (its value, or its `labels`,
    /// has an error): no selector is then said to match no host.
    pub hosts_unknown: bool,
    /// The file's path when it stopped before declaring all it would have
    /// (a Starlark error, a CUE file that does not evaluate at all): an id
    /// that looks unknown may be one it did not get to.
    pub incomplete: Option<String>,
}

impl Lowered {
    /// Every resource the workspace checks read: the validated ones, then
    /// the unchecked ones. Positions in a [`by_file::Declaration`] count in
    /// this order.
    pub fn checked_resources(&self) -> impl Iterator<Item = &(froyo_ir::Resource, Span)> {
        self.resources.iter().chain(&self.unchecked)
    }

    /// The resource at `position` of [`Lowered::checked_resources`].
    pub fn resource_at(&self, position: u32) -> Option<&(froyo_ir::Resource, Span)> {
        let position = position as usize;
        match self.resources.get(position) {
            Some(resource) => Some(resource),
            None => self.unchecked.get(position - self.resources.len()),
        }
    }

    /// Lowers what is known of unchecked hosts and resources.
    pub fn add_unchecked(&mut self, unchecked: &[Unchecked], path_of: &dyn Fn(FileId) -> String) {
        let empty = Data::Struct(Vec::new());
        for item in unchecked {
            let data = item.value.as_ref().unwrap_or(&empty);
            let origin = lower::origin(item.origin, &path_of(item.origin.file));
            if item.is_host {
                match lower::host(&item.name, data, origin, item.origin) {
                    Ok(host) if data.field("labels").is_some() => self.unchecked_hosts.push(host),
                    _ => self.hosts_unknown = true,
                }
                continue;
            }
            let type_name = match data.field("type") {
                Some(Data::String(type_name)) => type_name.as_str(),
                _ => "",
            };
            let mut resource = lower::resource(&item.name, type_name, data, &[], origin);
            // Not validated: nothing of its properties is trusted.
            resource.properties.clear();
            self.unchecked.push((resource, item.origin));
        }
    }
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
        for (resource, span) in lowered.checked_resources() {
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
    // Hosts that were not validated are not checked, but their labels count
    // for host selectors.
    diagnostics.extend(checks::hosts::of_hosts(
        &hosts,
        &|name| spans.get(&(true, name.to_string())).copied().unwrap_or(Span::new(FileId(0), 0, 0)),
        text_of,
    ));
    hosts.extend(files.iter().flat_map(|lowered| &lowered.unchecked_hosts));
    let incomplete: Vec<String> =
        files.iter().filter_map(|lowered| lowered.incomplete.clone()).collect();
    let context =
        checks::Context { ir: checks::View::new(hosts, resources), spans: &spans, text_of };
    diagnostics.extend(checks::unknown_dependency::check(&context, &incomplete));
    if !files.iter().any(|lowered| lowered.hosts_unknown) {
        diagnostics.extend(checks::host_selector::check(&context));
    }
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
