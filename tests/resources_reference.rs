//! The resource reference, `docs/resources.md`, generated from the standard
//! library's schemas (`stdlib/cue/**/*.cue`) and guarded by a test.
//!
//! Each schema definition is read with froyo's own CUE parser: its doc
//! comment, and for every field its name, whether it is optional, its type
//! and bounds (the constraint as written), its default (the `*` disjunct), its
//! doc comment and whether it is `@sensitive()`. The examples are written
//! here, one per type, and a second test checks that they pass `froyo check`
//! in a workspace with a local host.
//!
//! `UPDATE_EXPECT=1 cargo test -p froyo --test resources_reference` rewrites
//! the file; otherwise a difference fails the test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use froyo_syntax::ast::{self, AstNode as _, Constraint, Decl, FieldValue, LabelName};

/// The generated file, relative to the repository root.
const PATH: &str = "docs/resources.md";

/// One example per resource type: the CUE of one entry of `resources`.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "linux.directory",
        r#"app_dir: linux.#Directory & {
	path:  "/srv/app"
	mode:  "0750"
	owner: "www-data"
}"#,
    ),
    (
        "linux.exec",
        r#"migrate: linux.#Exec & {
	command: "/srv/app/bin/migrate --to-latest"
	creates: "/srv/app/.migrated"
	cwd:     "/srv/app"
	timeout: 600
	require: ["app_dir"]
}"#,
    ),
    (
        "linux.file",
        r#"motd: linux.#File & {
	path:    "/etc/motd"
	content: "Managed by froyo.\n"
	mode:    "0644"
}"#,
    ),
    (
        "linux.group",
        r#"deploy_group: linux.#Group & {
	name:   "deploy"
	system: true
}"#,
    ),
    (
        "linux.package",
        r#"nginx: linux.#Package & {
	name:  "nginx"
	state: "latest"
}"#,
    ),
    (
        "linux.service",
        r#"nginx_service: linux.#Service & {
	name:    "nginx"
	enabled: true
	require: ["nginx"]
}"#,
    ),
    (
        "linux.user",
        r#"deploy: linux.#User & {
	name:   "deploy"
	group:  "deploy"
	home:   "/home/deploy"
	shell:  "/bin/bash"
	require: ["deploy_group"]
}"#,
    ),
    (
        "probe.http",
        r#"homepage: probe.#HTTP & {
	url:     "http://localhost/"
	status:  200
	body:    "Welcome"
	require: ["nginx_service"]
}"#,
    ),
];

/// The host example: one entry of `hosts`.
const HOST_EXAMPLE: &str = r#"web1: inventory.#Host & {
	address: "192.0.2.10"
	user:    "admin"
	become:  true
	labels: role: "web"
}"#;

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A schema file: its package name and text.
struct SchemaFile {
    package: String,
    text: String,
}

/// One definition (`#File: { … }`) of a schema file.
struct Definition {
    package: String,
    name: String,
    doc: String,
    /// Definitions embedded in it (`#Resource`).
    embeds: Vec<String>,
    fields: Vec<Field>,
    /// Set for a definition whose value is not a struct (`#Mode: =~"…"`).
    constraint: Option<String>,
}

struct Field {
    name: String,
    optional: bool,
    /// The constraint as written, without the default marker.
    type_text: String,
    default: Option<String>,
    doc: String,
    sensitive: bool,
}

impl Definition {
    /// The fixed `type` of a resource definition (`linux.file`).
    fn resource_type(&self) -> Option<String> {
        let field = self.fields.iter().find(|field| field.name == "type")?;
        let name = field.type_text.strip_prefix('"')?.strip_suffix('"')?;
        Some(name.to_string())
    }
}

fn schema_files() -> Vec<SchemaFile> {
    let mut paths = Vec::new();
    collect_cue_files(&repository_root().join("stdlib/cue"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            let package = path
                .parent()
                .and_then(Path::file_name)
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            SchemaFile { package, text }
        })
        .collect()
}

fn collect_cue_files(directory: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_cue_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "cue") {
            found.push(path);
        }
    }
}

/// The `//` comment lines right above the line holding byte `offset`, joined
/// with spaces.
fn doc_comment_above(text: &str, offset: usize) -> String {
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let mut lines: Vec<&str> = text[..line_start]
        .lines()
        .rev()
        .map_while(|line| line.trim().strip_prefix("//").map(str::trim))
        .collect();
    lines.reverse();
    lines.join(" ")
}

/// The package doc comment: the comment above `package`.
fn package_doc(file: &SchemaFile) -> String {
    file.text
        .find("\npackage ")
        .map(|offset| doc_comment_above(&file.text, offset + 1))
        .or_else(|| file.text.starts_with("package ").then(String::new))
        .unwrap_or_default()
}

fn label_name(label: &ast::Label) -> Option<String> {
    match label.name()? {
        LabelName::Ident(token) | LabelName::String(token) => Some(token.text().to_string()),
        _ => None,
    }
}

/// The top-level members of a disjunction, split at `|` outside brackets and
/// strings.
fn disjuncts(text: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        if in_string {
            match character {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match character {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '|' if depth == 0 => {
                members.push(text[start..index].trim().to_string());
                start = index + 1;
            }
            _ => {}
        }
    }
    members.push(text[start..].trim().to_string());
    members
}

fn is_literal(text: &str) -> bool {
    text.starts_with('"')
        || text.starts_with(|character: char| character.is_ascii_digit())
        || matches!(text, "true" | "false" | "null")
}

/// Splits `*"present" | "absent"` into its type (`"present" | "absent"`) and
/// default (`"present"`); `*22 | int & >=1` into `int & >=1` and `22`.
fn type_and_default(text: &str) -> (String, Option<String>) {
    let members = disjuncts(text);
    let default = members.iter().find_map(|member| member.strip_prefix('*')).map(str::to_string);
    let Some(default) = default else { return (text.to_string(), None) };
    let others: Vec<&str> =
        members.iter().filter(|member| !member.starts_with('*')).map(String::as_str).collect();
    let type_text = if others.iter().all(|member| is_literal(member)) {
        members.iter().map(|member| member.trim_start_matches('*')).collect::<Vec<_>>().join(" | ")
    } else {
        others.join(" | ")
    };
    (type_text, Some(default))
}

fn field_value_text(value: &FieldValue) -> String {
    let text = match value {
        FieldValue::Expr(expr) => expr.syntax().text().to_string(),
        FieldValue::Alias(alias) => alias.syntax().text().to_string(),
        // `on: [string]: string`: a struct with one pattern field.
        FieldValue::Field(field) => format!("{{{}}}", field.syntax().text()),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn definitions() -> (Vec<Definition>, Vec<(String, String)>) {
    let mut definitions = Vec::new();
    let mut packages: Vec<(String, String)> = Vec::new();
    for file in schema_files() {
        let doc = package_doc(&file);
        if !doc.is_empty() && !packages.iter().any(|(name, _)| *name == file.package) {
            packages.push((file.package.clone(), doc));
        }
        let parse = froyo_syntax::parse(&file.text);
        assert!(parse.errors().is_empty(), "{}: {:?}", file.package, parse.errors());
        let Some(source) = ast::SourceFile::cast(parse.syntax_node()) else { continue };
        for decl in source.decls() {
            let Decl::Field(field) = decl else { continue };
            let Some(name) = field.label().as_ref().and_then(label_name) else { continue };
            if !name.starts_with('#') {
                continue;
            }
            let offset = usize::from(field.syntax().text_range().start());
            let mut definition = Definition {
                package: file.package.clone(),
                name,
                doc: doc_comment_above(&file.text, offset),
                embeds: Vec::new(),
                fields: Vec::new(),
                constraint: None,
            };
            match field.value() {
                Some(FieldValue::Expr(ast::Expr::Struct(body))) => {
                    read_struct(&file.text, &body, &mut definition);
                }
                Some(value) => definition.constraint = Some(field_value_text(&value)),
                None => {}
            }
            definitions.push(definition);
        }
    }
    (definitions, packages)
}

fn read_struct(text: &str, body: &ast::StructLit, definition: &mut Definition) {
    for decl in body.decls() {
        match decl {
            Decl::Embedding(embedding) => {
                definition.embeds.push(embedding.syntax().text().to_string().trim().to_string());
            }
            Decl::Field(field) => {
                let Some(label) = field.label() else { continue };
                let Some(name) = label_name(&label) else { continue };
                let value = field.value().map(|value| field_value_text(&value)).unwrap_or_default();
                let (type_text, default) = type_and_default(&value);
                let offset = usize::from(field.syntax().text_range().start());
                definition.fields.push(Field {
                    name,
                    optional: label.constraint() == Constraint::Optional,
                    type_text,
                    default,
                    doc: doc_comment_above(text, offset),
                    sensitive: field
                        .attributes()
                        .any(|token| token.text().starts_with("@sensitive")),
                });
            }
            _ => {}
        }
    }
}

/// A table cell holding code: backticks, with `|` escaped for the table.
fn code_cell(text: &str) -> String {
    format!("`{}`", text.replace('|', "\\|"))
}

/// A table cell of prose.
fn prose_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn field_table(out: &mut String, fields: &[Field]) {
    out.push_str("| Field | Type | Default | Description |\n|---|---|---|---|\n");
    for field in fields {
        // `type` is written by each type's schema, never by hand.
        if field.name == "type" {
            let value = if is_literal(&field.type_text) {
                code_cell(&field.type_text)
            } else {
                "set by each type's schema".to_string()
            };
            let description = if field.doc.is_empty() {
                "The resource type; set by the schema, not written by hand.".to_string()
            } else {
                prose_cell(&field.doc)
            };
            let _ = writeln!(out, "| `type` | {} | {value} | {description} |", code_cell("string"));
            continue;
        }
        let default = match (&field.default, field.optional) {
            (Some(default), _) => code_cell(default),
            (None, true) => "unset".to_string(),
            (None, false) if field.type_text.starts_with('{') => "`{}`".to_string(),
            (None, false) if field.type_text.starts_with('[') => "`[]`".to_string(),
            (None, false) => "**required**".to_string(),
        };
        let mut description = prose_cell(&field.doc);
        if field.sensitive {
            description.push_str(" **Sensitive**: redacted in plans, state and output.");
        }
        let name =
            if field.optional { format!("`{}?`", field.name) } else { code_cell(&field.name) };
        let _ = writeln!(
            out,
            "| {name} | {} | {default} | {} |",
            code_cell(&field.type_text),
            description.trim()
        );
    }
    out.push('\n');
}

fn markdown() -> String {
    let (definitions, packages) = definitions();
    let mut out = String::new();
    out.push_str("# Resource reference\n\n");
    out.push_str(
        "<!-- Generated from stdlib/cue/**/*.cue by tests/resources_reference.rs. Do not edit \
         by hand: change the schemas, then run \
         `UPDATE_EXPECT=1 cargo test -p froyo --test resources_reference`. -->\n\n",
    );
    out.push_str(
        "Every host and resource of a workspace is checked against these schemas, which froyo \
         embeds: import them as `froyo.dev/inventory`, `froyo.dev/linux` and `froyo.dev/probe`.\n\
         In Starlark, each resource type has a constructor of the same name: \
         `linux.file(\"motd\", path = \"/etc/motd\", content = \"hi\")`.\n\
         A field's type is its CUE constraint, bounds included; `field?` is optional \
         (\"unset\" means froyo leaves that aspect alone), and **required** fields must be \
         given.\n\n",
    );
    for (package, doc) in &packages {
        let _ = writeln!(out, "- `froyo.dev/{package}`: {doc}");
    }
    out.push('\n');

    let resource_types: Vec<&Definition> =
        definitions.iter().filter(|definition| definition.resource_type().is_some()).collect();
    out.push_str("| Type | Schema | What it is |\n|---|---|---|\n");
    for definition in &resource_types {
        let type_name = definition.resource_type().unwrap_or_default();
        let _ = writeln!(
            out,
            "| [`{type_name}`](#{}) | `{}.{}` | {} |",
            type_name.replace('.', ""),
            definition.package,
            definition.name,
            prose_cell(&definition.doc)
        );
    }
    out.push('\n');

    if let Some(host) = definitions.iter().find(|definition| definition.name == "#Host") {
        out.push_str("## Hosts\n\n");
        let _ = writeln!(out, "`{}.{}`: {}\n", host.package, host.name, host.doc);
        field_table(&mut out, &host.fields);
        out.push_str("Example:\n\n```cue\nimport \"froyo.dev/inventory\"\n\nhosts: ");
        out.push_str(HOST_EXAMPLE);
        out.push_str("\n```\n\n");
    }

    for common in definitions
        .iter()
        .filter(|definition| definition.resource_type().is_none() && definition.name != "#Host")
    {
        let _ = writeln!(out, "## `{}.{}`\n\n{}\n", common.package, common.name, common.doc);
        if let Some(constraint) = &common.constraint {
            let _ = writeln!(out, "Constraint: `{constraint}`\n");
        } else {
            out.push_str("Every resource type of the package embeds these fields.\n\n");
            field_table(&mut out, &common.fields);
        }
    }

    for definition in resource_types {
        let type_name = definition.resource_type().unwrap_or_default();
        let _ = writeln!(out, "## {type_name}\n");
        let _ = writeln!(out, "{}\n", definition.doc);
        let _ = write!(out, "Schema: `{}.{}`", definition.package, definition.name);
        for embedded in &definition.embeds {
            let _ = write!(
                out,
                ", with the fields of [`{0}.{1}`](#{0}{2})",
                definition.package,
                embedded,
                embedded.trim_start_matches('#').to_lowercase()
            );
        }
        out.push_str(".\n\n");
        field_table(&mut out, &definition.fields);
        if let Some((_, example)) = EXAMPLES.iter().find(|(name, _)| *name == type_name) {
            let _ = writeln!(
                out,
                "Example:\n\n```cue\nimport \"froyo.dev/{}\"\n\nresources: {example}\n```\n",
                definition.package
            );
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Regenerates `docs/resources.md` in check mode; `UPDATE_EXPECT=1` rewrites it.
#[test]
fn docs_resources_md_is_up_to_date() {
    let path = repository_root().join(PATH);
    let expected = markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).expect("write docs/resources.md");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{PATH} is out of date with stdlib/cue: run \
         `UPDATE_EXPECT=1 cargo test -p froyo --test resources_reference` and commit the result"
    );
}

#[test]
fn every_resource_type_has_an_example() {
    let (definitions, _) = definitions();
    let types: Vec<String> =
        definitions.iter().filter_map(Definition::resource_type).collect::<Vec<_>>();
    assert!(types.len() >= 8, "found only {types:?}");
    for type_name in &types {
        assert!(
            EXAMPLES.iter().any(|(name, _)| name == type_name),
            "{type_name} has no example in tests/resources_reference.rs"
        );
    }
}

/// Every example, together in one workspace with a local host, checks clean.
#[test]
fn examples_check_clean() {
    let workspace = tempfile::tempdir().expect("a temporary directory");
    let root = workspace.path();
    std::fs::create_dir_all(root.join("cue.mod")).unwrap();
    std::fs::write(root.join("cue.mod/module.cue"), "module: \"example.com/reference\"\n").unwrap();
    let mut site = String::from(
        "package site\n\nimport (\n\t\"froyo.dev/inventory\"\n\t\"froyo.dev/linux\"\n\t\"froyo.dev/probe\"\n)\n\n\
         hosts: local: inventory.#Host & {transport: \"local\"}\n\nhosts: ",
    );
    site.push_str(HOST_EXAMPLE);
    site.push_str("\n\nresources: {\n");
    for (_, example) in EXAMPLES {
        site.push_str(example);
        site.push('\n');
    }
    site.push_str("}\n");
    std::fs::write(root.join("site.cue"), &site).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(["check", "--color", "never"])
        .arg(root)
        .output()
        .expect("froyo runs");
    assert!(
        output.status.success(),
        "the examples of docs/resources.md do not check clean:\n{site}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
