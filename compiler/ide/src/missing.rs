//! Diagnostics the compiler reports at a schema (a required field nobody
//! set: `resources.web.path: incomplete value string`) are moved to the
//! user's declaration, and a quick fix adds the missing field.
//!
//! The field path is read from the diagnostic's message, which starts with
//! it (`resources."site-conf".path: …`).

use super::schema;
use super::{FileRange, indexes, resource_declarations};
use crate::{FileKind, Project};
use froyo_db::Database;

/// The field path a message starts with, unquoted: `["resources", "web", "path"]`.
pub fn message_path(message: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = message.chars();
    while let Some(character) = chars.next() {
        match character {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '.' if !quoted => segments.push(std::mem::take(&mut current)),
            ':' | ' ' if !quoted => break,
            other => current.push(other),
        }
    }
    segments.push(current);
    segments.retain(|segment| !segment.is_empty());
    segments
}

/// Where in the user's files the host or resource a message is about is
/// declared: its label (or Starlark id).
pub fn user_location(db: &Database, project: &Project, message: &str) -> Option<FileRange> {
    let path = message_path(message);
    match path.first().map(String::as_str) {
        Some("resources") => {
            let (file, named) =
                resource_declarations(db, project, path.get(1)?).into_iter().next()?;
            Some(FileRange { file, start: named.start, end: named.end })
        }
        Some("hosts") => indexes(db, project).into_iter().find_map(|(file, index)| {
            let named = index.hosts.iter().find(|host| Some(&host.name) == path.get(1))?;
            Some(FileRange { file, start: named.start, end: named.end })
        }),
        _ => None,
    }
}

/// An edit that adds the field a message says is missing to the resource
/// it names (a placeholder value of the field's type), with a title.
pub fn add_missing_field(
    db: &Database,
    project: &Project,
    message: &str,
) -> Option<(String, FileRange, String)> {
    let path = message_path(message);
    let [resources, id, field] = path.as_slice() else { return None };
    if resources != "resources" {
        return None;
    }
    let (file, named) = resource_declarations(db, project, id).into_iter().next()?;
    let definition = named.type_name.as_deref().and_then(schema::resource_schema)?;
    let schema_field = definition.field(field)?;
    let placeholder = placeholder(&schema_field.type_text);
    let source = project.file(file)?.source?;
    let text = source.text(db);
    let declaration = text.get(named.full_start as usize..named.full_end as usize)?;
    let title = format!("add the required field `{field}`");
    if project.file(file)?.kind == FileKind::Starlark {
        // Before the call's closing parenthesis.
        let close = declaration.rfind(')')? as u32 + named.full_start;
        let edit = FileRange { file, start: close, end: close };
        return Some((title, edit, format!(", {field} = {placeholder}")));
    }
    let open = declaration.rfind('{').filter(|_| declaration.trim_end().ends_with('}'))?;
    let after = &declaration[open + 1..];
    let at = named.full_start + open as u32 + 1;
    let edit = FileRange { file, start: at, end: at };
    let label = super::cue::label_text(field);
    if let Some(rest) = after.strip_prefix('\n') {
        let indent: String = rest.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        Some((title, edit, format!("\n{indent}{label}: {placeholder}")))
    } else {
        Some((title, edit, format!("{label}: {placeholder}, ")))
    }
}

/// A value of a constraint's type to start from.
fn placeholder(type_text: &str) -> &'static str {
    if type_text.contains("bool") {
        "false"
    } else if type_text.contains("int") || type_text.contains("number") {
        "0"
    } else if type_text.contains('[') {
        "[]"
    } else {
        "\"\""
    }
}

#[cfg(test)]
mod tests {
    use super::message_path;

    #[test]
    fn paths_are_read_from_messages() {
        assert_eq!(
            message_path("resources.f.path: incomplete value string"),
            vec!["resources", "f", "path"]
        );
        assert_eq!(
            message_path("resources.\"c0-1.x\".mode: invalid"),
            vec!["resources", "c0-1.x", "mode"]
        );
    }
}
