//! The workspace-wide checks of [`crate::check`], split so that a caller can
//! cache them per source file: after an edit, only the edited file's
//! resources are checked again, and the parts that read every file run
//! again only when what they read changed.
//!
//! The pieces:
//! - [`Outline`]: what the workspace checks read of one file, without spans
//!   or properties (ids, edges, hosts), so that it stays equal when an edit
//!   changes a value or moves text;
//! - [`Index`]: every file's outline together (where each id is first
//!   declared, every host), from which [`dependency_cycle::find`] finds
//!   cycles and [`crate::checks::did_you_mean`] suggests ids;
//! - [`check_file`]: one file's duplicate ids, unknown dependencies and host
//!   selectors, given the index;
//! - [`check_all`]: the pieces put together in the order [`crate::check`]
//!   reports, which they must match diagnostic for diagnostic.
//!
//! Invariant: for the same lowered files, [`check_all`] returns exactly what
//! [`crate::check`] returns (`tests::per_file_checks_match_the_whole_check`).

use std::collections::HashMap;

use froyo_diagnostics::{Diagnostic, FileId, Span};
use froyo_ir::Host;

use crate::Lowered;
use crate::checks::{self, dependency_cycle};

/// A resource's id and dependencies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutlineResource {
    pub id: String,
    pub require: Vec<String>,
    pub notify: Vec<String>,
}

/// What the workspace-wide checks read of one file's lowered values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outline {
    /// In declaration order.
    pub resources: Vec<OutlineResource>,
    /// In declaration order, then the unchecked hosts.
    pub hosts: Vec<Host>,
    /// The file's path when it stopped early ([`Lowered::incomplete`]).
    pub incomplete: Option<String>,
    /// [`Lowered::hosts_unknown`].
    pub hosts_unknown: bool,
}

impl Outline {
    pub fn new(lowered: &Lowered) -> Outline {
        Outline {
            resources: lowered
                .checked_resources()
                .map(|(resource, _)| OutlineResource {
                    id: resource.id.clone(),
                    require: resource.require.clone(),
                    notify: resource.notify.clone(),
                })
                .collect(),
            hosts: lowered
                .hosts
                .iter()
                .map(|(host, _)| host)
                .chain(&lowered.unchecked_hosts)
                .cloned()
                .collect(),
            incomplete: lowered.incomplete.clone(),
            hosts_unknown: lowered.hosts_unknown,
        }
    }
}

/// Where a resource is declared: the file (its position in the order the
/// files are checked in) and its position among that file's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration {
    pub file: u32,
    pub position: u32,
}

/// Every file's outline together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Index {
    /// Each id with its first declaration (a later one is a duplicate), in id order.
    resources: Vec<(String, Declaration)>,
    /// Every host of every file, in file order.
    hosts: Vec<Host>,
    /// The files that stopped early, in file order.
    incomplete: Vec<String>,
    /// Whether some host's labels are not known.
    hosts_unknown: bool,
}

impl Index {
    /// The index of the files' outlines, in the order the files are checked in.
    pub fn new(outlines: &[&Outline]) -> Index {
        let mut first: HashMap<&str, Declaration> = HashMap::new();
        for (file, outline) in outlines.iter().enumerate() {
            for (position, resource) in outline.resources.iter().enumerate() {
                first
                    .entry(resource.id.as_str())
                    .or_insert(Declaration { file: file as u32, position: position as u32 });
            }
        }
        let mut resources: Vec<(String, Declaration)> =
            first.into_iter().map(|(id, declaration)| (id.to_string(), declaration)).collect();
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        let hosts = outlines.iter().flat_map(|outline| outline.hosts.iter().cloned()).collect();
        let incomplete = outlines.iter().filter_map(|outline| outline.incomplete.clone()).collect();
        let hosts_unknown = outlines.iter().any(|outline| outline.hosts_unknown);
        Index { resources, hosts, incomplete, hosts_unknown }
    }

    /// The files that stopped before declaring all they would have.
    pub fn incomplete(&self) -> &[String] {
        &self.incomplete
    }

    /// The first declaration of `id`.
    pub fn first(&self, id: &str) -> Option<Declaration> {
        self.resources
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
            .ok()
            .map(|index| self.resources[index].1)
    }

    /// The declared ids, in id order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.resources.iter().map(|(id, _)| id.as_str())
    }

    /// Every declared id with its first declaration, in id order.
    pub fn declarations(&self) -> impl Iterator<Item = (&str, Declaration)> {
        self.resources.iter().map(|(id, declaration)| (id.as_str(), *declaration))
    }

    /// Every host, in file order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The id closest to `target`, when one is close enough to be a typo.
    pub fn suggest(&self, target: &str) -> Option<String> {
        checks::did_you_mean(target, self.ids()).map(str::to_string)
    }

    /// The dependency cycles among the first declarations, whose edges
    /// `outlines` (the same as [`Index::new`]'s) give.
    pub fn cycles(&self, outlines: &[&Outline]) -> Vec<dependency_cycle::Cycle> {
        let resources = self.resources.iter().filter_map(|(id, declaration)| {
            let resource = outlines
                .get(declaration.file as usize)?
                .resources
                .get(declaration.position as usize)?;
            Some((id.as_str(), &resource.require[..], &resource.notify[..]))
        });
        dependency_cycle::find(resources)
    }
}

/// One file's findings, kept apart by check so that a caller can put every
/// file's together in [`crate::check`]'s order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileFindings {
    /// Ids declared again in this file, in declaration order.
    pub duplicates: Vec<Diagnostic>,
    /// Unknown dependencies, each with the id of the resource that has it.
    pub unknown_dependencies: Vec<(String, Diagnostic)>,
    /// Host selectors matching no host, each with the resource's id.
    pub selectors: Vec<(String, Diagnostic)>,
}

/// The findings of the file at position `file` in the check order, whose
/// lowered values are `lowered`. `first_span` gives the span of a first
/// declaration in another file (for duplicates), `suggest` the closest id
/// to an unknown one ([`Index::suggest`], which a caller may cache), and
/// `text_of` a file's text.
pub fn check_file(
    file: u32,
    lowered: &Lowered,
    index: &Index,
    first_span: &dyn Fn(Declaration) -> Option<Span>,
    suggest: &dyn Fn(&str) -> Option<String>,
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> FileFindings {
    let mut findings = FileFindings::default();
    let hosts: Vec<&Host> = index.hosts().iter().collect();
    let exists = |target: &str| index.first(target).is_some();
    for (position, (resource, span)) in lowered.checked_resources().enumerate() {
        let Some(first) = index.first(&resource.id) else { continue };
        if first != (Declaration { file, position: position as u32 }) {
            let first_span = if first.file == file {
                lowered.resource_at(first.position).map(|(_, span)| *span)
            } else {
                first_span(first)
            };
            if let Some(first_span) = first_span {
                findings.duplicates.push(checks::duplicate_id::diagnostic(
                    &resource.id,
                    first_span,
                    *span,
                ));
            }
            continue;
        }
        for diagnostic in checks::unknown_dependency::of_resource(
            resource,
            *span,
            &exists,
            suggest,
            index.incomplete(),
            text_of,
        ) {
            findings.unknown_dependencies.push((resource.id.clone(), diagnostic));
        }
        if index.hosts_unknown {
            continue;
        }
        if let Some(diagnostic) =
            checks::host_selector::of_resource(resource, *span, &hosts, text_of)
        {
            findings.selectors.push((resource.id.clone(), diagnostic));
        }
    }
    findings
}

/// The host problems of the files' hosts (`hosts_of` gives each file's hosts
/// with their spans, in file order): a host declared twice is checked at its
/// last declaration, as [`crate::check`] does.
pub fn check_hosts(
    files: &[&[(Host, Span)]],
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Vec<Diagnostic> {
    let mut spans: HashMap<&str, Span> = HashMap::new();
    let mut hosts = Vec::new();
    for file in files {
        for (host, span) in *file {
            spans.insert(&host.name, *span);
            hosts.push(host);
        }
    }
    let span_of = |name: &str| spans.get(name).copied().unwrap_or(Span::new(FileId(0), 0, 0));
    checks::hosts::of_hosts(&hosts, &span_of, text_of)
}

/// Every file's findings, the host problems and the cycles' diagnostics, in
/// the order of [`crate::check`]: duplicates (file by file), hosts, unknown
/// dependencies and host selectors (by resource id), cycles.
pub fn assemble(
    findings: &[&FileFindings],
    hosts: Vec<Diagnostic>,
    cycles: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> =
        findings.iter().flat_map(|file| file.duplicates.iter().cloned()).collect();
    diagnostics.extend(hosts);
    let unknown = findings.iter().map(|file| &file.unknown_dependencies);
    let selectors = findings.iter().map(|file| &file.selectors);
    for by_resource in [unknown.collect::<Vec<_>>(), selectors.collect()] {
        let mut found: Vec<&(String, Diagnostic)> = by_resource.into_iter().flatten().collect();
        // Stable: one resource's diagnostics keep their order.
        found.sort_by(|a, b| a.0.cmp(&b.0));
        diagnostics.extend(found.into_iter().map(|(_, diagnostic)| diagnostic.clone()));
    }
    diagnostics.extend(cycles);
    diagnostics
}

/// [`crate::check`] computed piece by piece, without caching: what a caller
/// that caches the pieces must return.
pub fn check_all(
    files: &[&Lowered],
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Vec<Diagnostic> {
    let outlines: Vec<Outline> = files.iter().map(|lowered| Outline::new(lowered)).collect();
    let outlines: Vec<&Outline> = outlines.iter().collect();
    let index = Index::new(&outlines);
    let span_at = |declaration: Declaration| {
        let lowered = files.get(declaration.file as usize)?;
        lowered.resource_at(declaration.position).map(|(_, span)| *span)
    };
    let suggest = |target: &str| index.suggest(target);
    let findings: Vec<FileFindings> = files
        .iter()
        .enumerate()
        .map(|(file, lowered)| {
            check_file(file as u32, lowered, &index, &span_at, &suggest, text_of)
        })
        .collect();
    let hosts: Vec<&[(Host, Span)]> = files.iter().map(|lowered| &lowered.hosts[..]).collect();
    let host_diagnostics = check_hosts(&hosts, text_of);
    let span_of =
        |id: &str| index.first(id).and_then(span_at).unwrap_or(Span::new(FileId(0), 0, 0));
    let cycles = index
        .cycles(&outlines)
        .iter()
        .map(|cycle| dependency_cycle::diagnostic(cycle, &span_of, text_of))
        .collect();
    assemble(&findings.iter().collect::<Vec<_>>(), host_diagnostics, cycles)
}
