//! The one reader of the standard library's schemas as written: each
//! definition's fields with their doc comment, type text, default, enum
//! members and `@sensitive()` mark, and where in the library they are. The
//! checks read the sensitive marks from it ([`crate::schema::sensitive_fields`]),
//! the editor everything else (completion, hover, hints, quick fixes).
//!
//! Read once from the embedded CUE of `froyo-stdlib` with the syntax tree
//! (no evaluation): a definition's embedded definitions (`#Resource`)
//! contribute their fields, overridden by the definition's own.

use std::sync::OnceLock;

use froyo_syntax::ast::{self, AstNode as _, Decl, FieldValue};

use crate::cue;

/// One field of a schema definition.
#[derive(Debug, Clone)]
pub struct SchemaField {
    pub name: String,
    pub doc: String,
    /// The constraint as written, e.g. `*"present" | "absent"`.
    pub type_text: String,
    /// `?`: may be left out.
    pub optional: bool,
    /// The default (the `*` member), as written.
    pub default: Option<String>,
    /// The members of a disjunction, as written, without the default's `*`.
    pub members: Vec<String>,
    pub sensitive: bool,
    /// The standard library file (`froyo.dev/linux/file.cue`) and byte range
    /// of the field's label.
    pub file: &'static str,
    pub start: u32,
    pub end: u32,
}

/// One definition (`#File`) of a standard library package.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The package's import path, `froyo.dev/linux`.
    pub package: &'static str,
    pub name: String,
    pub doc: String,
    /// Empty for definitions that are not structs (`#Mode`).
    pub fields: Vec<SchemaField>,
    /// The definition's value as written, for those that are not structs.
    pub value_text: String,
    pub file: &'static str,
    pub start: u32,
    pub end: u32,
}

impl Definition {
    pub fn field(&self, name: &str) -> Option<&SchemaField> {
        self.fields.iter().find(|field| field.name == name)
    }
}

/// Every definition of the standard library.
pub fn definitions() -> &'static [Definition] {
    static DEFINITIONS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFINITIONS.get_or_init(read_all)
}

/// The definition `name` of the package `import_path`.
pub fn definition(import_path: &str, name: &str) -> Option<&'static Definition> {
    definitions()
        .iter()
        .find(|definition| definition.package == import_path && definition.name == name)
}

/// The schema of the resource type `type_name` (`linux.file`).
pub fn resource_schema(type_name: &str) -> Option<&'static Definition> {
    let resource_type = froyo_stdlib::resource_type_named(type_name)?;
    definition(resource_type.package, resource_type.definition)
}

/// The schema of hosts.
pub fn host_schema() -> Option<&'static Definition> {
    definition(froyo_stdlib::HOST_SCHEMA.0, froyo_stdlib::HOST_SCHEMA.1)
}

/// The package doc comment (above `package`) of a standard library package.
pub fn package_doc(import_path: &str) -> String {
    let Some(package) = froyo_stdlib::package(import_path) else { return String::new() };
    package
        .files
        .iter()
        .find_map(|file| {
            let offset = file
                .text
                .find("\npackage ")
                .map(|index| index + 1)
                .or_else(|| file.text.starts_with("package ").then_some(0))?;
            let doc = cue::doc_comment_above(file.text, offset);
            (!doc.is_empty()).then_some(doc)
        })
        .unwrap_or_default()
}

struct RawDefinition {
    definition: Definition,
    embeds: Vec<String>,
}

fn read_all() -> Vec<Definition> {
    let mut raw = Vec::new();
    for package in froyo_stdlib::PACKAGES {
        for file in package.files {
            let parse = froyo_syntax::parse(file.text);
            let Some(root) = ast::SourceFile::cast(parse.syntax_node()) else { continue };
            for declaration in root.decls() {
                let Decl::Field(field) = declaration else { continue };
                let Some((name, start, end)) = cue::field_name(&field) else { continue };
                if !name.starts_with('#') {
                    continue;
                }
                let doc = cue::doc_comment_above(file.text, start as usize);
                let mut definition = Definition {
                    package: package.import_path,
                    name,
                    doc,
                    fields: Vec::new(),
                    value_text: String::new(),
                    file: file.name,
                    start,
                    end,
                };
                let mut embeds = Vec::new();
                match field.value() {
                    Some(FieldValue::Expr(ast::Expr::Struct(body))) => {
                        for inner in body.decls() {
                            match inner {
                                Decl::Field(inner) => {
                                    if let Some(field) = schema_field(&inner, file.name, file.text)
                                    {
                                        definition.fields.push(field);
                                    }
                                }
                                Decl::Embedding(embedding) => {
                                    if let Some(ast::Expr::Name(name)) = embedding.expr()
                                        && let Some(ident) = name.ident()
                                    {
                                        embeds.push(ident.text().to_string());
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    Some(value) => {
                        definition.value_text = value_text(&value);
                    }
                    None => {}
                }
                raw.push(RawDefinition { definition, embeds });
            }
        }
    }
    // Embedded definitions' fields, unless the definition has its own.
    let snapshot: Vec<Definition> = raw.iter().map(|raw| raw.definition.clone()).collect();
    raw.into_iter()
        .map(|RawDefinition { mut definition, embeds }| {
            for embed in embeds {
                let Some(embedded) = snapshot
                    .iter()
                    .find(|other| other.package == definition.package && other.name == embed)
                else {
                    continue;
                };
                for field in &embedded.fields {
                    if definition.field(&field.name).is_none() {
                        definition.fields.push(field.clone());
                    }
                }
            }
            definition
        })
        .collect()
}

fn value_text(value: &FieldValue) -> String {
    let node = match value {
        FieldValue::Expr(expr) => expr.syntax().clone(),
        FieldValue::Alias(alias) => alias.syntax().clone(),
        FieldValue::Field(field) => field.syntax().clone(),
    };
    node.text().to_string().trim().to_string()
}

fn schema_field(field: &ast::Field, file: &'static str, text: &str) -> Option<SchemaField> {
    let (name, start, end) = cue::field_name(field)?;
    let type_text = field.value().map(|value| value_text(&value)).unwrap_or_default();
    let mut members = Vec::new();
    let mut default = None;
    for member in cue::disjuncts(&type_text) {
        match member.strip_prefix('*') {
            Some(marked) => {
                default = Some(marked.trim().to_string());
                members.push(marked.trim().to_string());
            }
            None => members.push(member),
        }
    }
    if members.len() < 2 {
        members.clear();
    }
    let optional =
        field.label().is_some_and(|label| label.constraint() == ast::Constraint::Optional);
    let sensitive = field.attributes().any(|attribute| attribute.text().starts_with("@sensitive"));
    Some(SchemaField {
        name,
        doc: cue::doc_comment_above(text, start as usize),
        type_text,
        optional,
        default,
        members,
        sensitive,
        file,
        start,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_schema_has_its_own_and_embedded_fields() {
        let file = resource_schema("linux.file").expect("linux.file");
        let state = file.field("state").expect("state");
        assert_eq!(state.default.as_deref(), Some("\"present\""));
        assert_eq!(state.members, vec!["\"present\"", "\"absent\""]);
        assert!(state.doc.contains("the file exists"));
        assert!(file.field("require").is_some(), "embedded from #Resource");
        assert!(file.field("mode").is_some_and(|mode| mode.optional));
        let host = host_schema().expect("#Host");
        assert_eq!(host.field("become").and_then(|field| field.default.as_deref()), Some("false"));
        assert!(host.field("port").is_some_and(|port| port.optional && port.default.is_none()));
    }
}
