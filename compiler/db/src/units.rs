//! The queries that evaluate a workspace's CUE package in independent units
//! (see [`crate::partition`] for how units are found and why that is sound).
//!
//! [`unit_export`] evaluates one unit with the package's imports and the
//! standard library, with diagnostics moved to the package's file ids;
//! [`partitioned_export`] merges the units' values into the package's value,
//! falling back to [`crate::export_package`] (the whole package at once)
//! when there is one unit or the merge meets a conflict. An edit to one file
//! re-evaluates its unit only, as long as the edit leaves the file's
//! declarations and references as they were (a changed value does).

use froyo_diagnostics::{Diagnostic, FileId};
use froyo_eval::{Data, Partial};

use crate::partition::{self, Summary};
use crate::{Package, SourceFile, export_package};

/// A file's declarations and references.
#[salsa::tracked(returns(ref))]
pub fn file_summary(db: &dyn salsa::Database, file: SourceFile) -> Summary {
    partition::summarize(crate::parse_file(db, file))
}

/// The package's files in units, by index.
#[salsa::tracked(returns(ref))]
pub fn package_units(db: &dyn salsa::Database, package: Package) -> Vec<Vec<u32>> {
    let summaries: Vec<&Summary> =
        package.files(db).iter().map(|file| file_summary(db, *file)).collect();
    partition::units(&summaries)
        .into_iter()
        .map(|unit| unit.into_iter().map(|index| index as u32).collect())
        .collect()
}

/// How many units the package evaluates in.
pub fn unit_count(db: &dyn salsa::Database, package: Package) -> usize {
    package_units(db, package).len()
}

/// One unit of a package: the indexes of its files.
#[salsa::interned(debug)]
pub struct Unit<'db> {
    pub package: Package,
    #[returns(ref)]
    pub files: Vec<u32>,
}

/// The value of one unit, diagnostics in the package's file ids: `Ok` when
/// it evaluates without errors (see [`unit_partial`]).
pub fn unit_export<'db>(
    db: &'db dyn salsa::Database,
    unit: Unit<'db>,
) -> Result<&'db Data, &'db [Diagnostic]> {
    let partial = unit_partial(db, unit);
    match &partial.data {
        Some(data) if partial.diagnostics.is_empty() => Ok(data),
        _ => Err(&partial.diagnostics),
    }
}

/// The value of one unit as far as it evaluates, with its diagnostics in
/// the package's file ids and where each error is
/// ([`froyo_eval::export_partial`]): evaluated once for both the checks of
/// what is valid and the report of what is not.
#[salsa::tracked(returns(ref))]
pub fn unit_partial<'db>(db: &'db dyn salsa::Database, unit: Unit<'db>) -> Partial {
    let package = *unit.package(db);
    let all = package.files(db);
    let indexes = unit.files(db);
    let files: Vec<SourceFile> =
        indexes.iter().filter_map(|index| all.get(*index as usize).copied()).collect();
    let (sources, mut options) = crate::evaluator_input_of(db, &files, package);
    // The package's file ids: its files, its module imports, then the
    // standard library's packages, all of them.
    let module_files: u32 = package.imports(db).iter().map(|(_, files)| files.len() as u32).sum();
    let mut ids: Vec<FileId> = indexes.iter().map(|index| FileId(*index)).collect();
    ids.extend((0..module_files).map(|index| FileId(all.len() as u32 + index)));
    // Of the standard library, only the packages the unit's files name: each
    // evaluation parses every package it is given.
    let module_count = package.imports(db).len();
    let mut stdlib_start = all.len() as u32 + module_files;
    let mut kept = options.imports[..module_count].to_vec();
    for (import, stdlib) in options.imports[module_count..].iter().zip(froyo_stdlib::PACKAGES) {
        let quoted = format!("\"{}\"", stdlib.import_path);
        if sources.iter().any(|source| source.text.contains(&quoted)) {
            ids.extend((0..stdlib.files.len() as u32).map(|index| FileId(stdlib_start + index)));
            kept.push(import.clone());
        }
        stdlib_start += stdlib.files.len() as u32;
    }
    options.imports = kept;
    let mut partial = froyo_eval::export_partial(&sources, &options);
    partial.diagnostics = std::mem::take(&mut partial.diagnostics)
        .into_iter()
        .map(|diagnostic| {
            crate::map_files(diagnostic, |file| ids.get(file.0 as usize).copied().unwrap_or(file))
        })
        .collect();
    partial
}

/// The package's value, evaluated unit by unit when it splits.
#[salsa::tracked(returns(ref))]
pub fn partitioned_export(
    db: &dyn salsa::Database,
    package: Package,
) -> Result<Data, Vec<Diagnostic>> {
    if package_units(db, package).len() <= 1 {
        return export_package(db, package).clone();
    }
    merged_units(db, package, None, false)
}

/// The package's value restricted to the top-level fields `wanted` (all of
/// them for `None`): the merge of the units that declare one of them. Only
/// those units are evaluated, so the result depends on no other. When the
/// units disagree the analysis missed an interaction, and the package
/// evaluated whole decides. With `partial`, a unit with errors gives what
/// of its value evaluates (see [`unit_partial`]) instead of failing.
pub fn merged_units(
    db: &dyn salsa::Database,
    package: Package,
    wanted: Option<&[String]>,
    partial: bool,
) -> Result<Data, Vec<Diagnostic>> {
    let is_wanted = |name: &String| wanted.is_none_or(|wanted| wanted.contains(name));
    let restrict = |fields: &[(String, Data)]| {
        Data::Struct(fields.iter().filter(|(name, _)| is_wanted(name)).cloned().collect())
    };
    let files = package.files(db);
    let mut values = Vec::new();
    let mut diagnostics = Vec::new();
    for unit in package_units(db, package) {
        let declares = |name: &String| {
            unit.iter().any(|index| {
                files.get(*index as usize).is_some_and(|file| {
                    let summary = file_summary(db, *file);
                    summary.declared.opaque || summary.declared.children.contains_key(name)
                })
            })
        };
        if let Some(wanted) = wanted
            && !wanted.iter().any(declares)
        {
            continue;
        }
        let unit = Unit::new(db, package, unit.clone());
        let value = if partial {
            unit_partial(db, unit).data.as_ref().ok_or(&[][..])
        } else {
            unit_export(db, unit)
        };
        match value {
            Ok(Data::Struct(fields)) => values.push(restrict(fields)),
            Ok(other) => values.push(other.clone()),
            Err(unit_diagnostics) => diagnostics.push(unit_diagnostics.to_vec()),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics.concat());
    }
    let summaries: Vec<&Summary> = files.iter().map(|file| file_summary(db, *file)).collect();
    match partition::merge(values, &summaries) {
        Some(value) => Ok(value),
        None => match export_package(db, package) {
            Ok(Data::Struct(fields)) => Ok(restrict(fields)),
            other => other.clone(),
        },
    }
}
