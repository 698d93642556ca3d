//! Where a diagnostic belongs, decided once for every host of the compiler
//! (the CLI and the editor print the same place), and the fix that goes
//! with it.
//!
//! The evaluator reports a value nobody wrote (a required field left out,
//! `resources.web.path: incomplete value string`) at the schema's
//! constraint in the standard library, which the user cannot edit. Such a
//! diagnostic is moved to the declaration of the host or resource its path
//! names (the label of the CUE field, or the Starlark id), the schema's
//! constraint becoming its first secondary label. A required field left out
//! (`E0201` with a path `resources.<id>.<field>`) gets a [`Fix`] that adds
//! the field to the declaration with a placeholder of its type.
//!
//! The path is read from the message, which the evaluator starts with it;
//! this module is the one place that reads it.

use froyo_diagnostics::{Applicability, Diagnostic, Edit, FileId, Fix, Label, Span};

use crate::declarations::{FileIndex, Named};

/// One user file's declarations, for placing diagnostics.
pub struct DeclaredFile<'a> {
    pub id: FileId,
    pub index: &'a FileIndex,
    pub starlark: bool,
    pub text: &'a str,
}

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

/// Whether [`place`] has anything to do with `diagnostic`: its primary span
/// is in the standard library (`is_stdlib`), or it may get a fix.
pub fn needs_placing(diagnostic: &Diagnostic, is_stdlib: &dyn Fn(FileId) -> bool) -> bool {
    is_stdlib(diagnostic.primary.span.file)
        || (diagnostic.code.code == "E0201" && diagnostic.fix.is_none())
}

/// `diagnostic` at the declaration it is about, when the evaluator put it
/// in the standard library, with a fix when it reports a required field
/// left out. `files` are the user's files in the workspace's order (CUE
/// files first, then Starlark); the first declaration wins.
pub fn place(
    mut diagnostic: Diagnostic,
    files: &[DeclaredFile<'_>],
    is_stdlib: &dyn Fn(FileId) -> bool,
) -> Diagnostic {
    let path = message_path(&diagnostic.message);
    if is_stdlib(diagnostic.primary.span.file)
        && let Some(span) = declaration_of(files, &path)
    {
        let schema =
            std::mem::replace(&mut diagnostic.primary, Label { span, message: String::new() });
        diagnostic
            .secondary
            .insert(0, Label { span: schema.span, message: "constraint from the schema".into() });
    }
    if diagnostic.code.code == "E0201"
        && diagnostic.fix.is_none()
        && let Some(fix) = missing_field_fix(files, &path, diagnostic.primary.span)
    {
        diagnostic.fix = Some(fix);
    }
    diagnostic
}

/// The first declaration of the resource or host `path` names: its label
/// (or Starlark id); for a resource no field declares (made by a
/// comprehension), the top-level `resources` field.
fn declaration_of(files: &[DeclaredFile<'_>], path: &[String]) -> Option<Span> {
    let (top, name) = (path.first()?.as_str(), path.get(1)?);
    let named = |file: &DeclaredFile<'_>| -> Option<Span> {
        let list = match top {
            "resources" => &file.index.resources,
            "hosts" => &file.index.hosts,
            _ => return None,
        };
        let found = list.iter().find(|named| &named.name == name)?;
        Some(Span::new(file.id, found.start, found.end))
    };
    if let Some(span) = files.iter().find_map(named) {
        return Some(span);
    }
    files.iter().find_map(|file| {
        let (_, start, end) = file.index.tops.iter().find(|(name, ..)| name == top)?;
        Some(Span::new(file.id, *start, *end))
    })
}

/// The declaration of resource `id` the diagnostic at `at` is about, with
/// its file: the one `at` is in, else the only one (an id declared twice,
/// and reported elsewhere, names no declaration in particular).
fn resource<'a>(
    files: &'a [DeclaredFile<'a>],
    id: &str,
    at: Span,
) -> Option<(&'a DeclaredFile<'a>, &'a Named)> {
    let mut declarations = files.iter().flat_map(|file| {
        file.index.resources.iter().filter(|named| named.name == id).map(move |named| (file, named))
    });
    let inside = |(file, named): &(&DeclaredFile<'_>, &Named)| {
        file.id == at.file && named.full_start <= at.start && at.end <= named.full_end
    };
    let first = declarations.next()?;
    if inside(&first) {
        return Some(first);
    }
    let rest: Vec<_> = declarations.collect();
    match rest.iter().find(|declaration| inside(declaration)) {
        Some(found) => Some(*found),
        None if rest.is_empty() => Some(first),
        None => None,
    }
}

/// A fix that adds the field `resources.<id>.<field>` to the resource's
/// declaration, with a placeholder value of the field's type.
fn missing_field_fix(files: &[DeclaredFile<'_>], path: &[String], at: Span) -> Option<Fix> {
    let [resources, id, field] = path else { return None };
    if resources != "resources" {
        return None;
    }
    let (file, named) = resource(files, id, at)?;
    let definition = named.type_name.as_deref().and_then(crate::definitions::resource_schema)?;
    let schema_field = definition.field(field)?;
    let placeholder = placeholder(&schema_field.type_text);
    let declaration = file.text.get(named.full_start as usize..named.full_end as usize)?;
    let (at, replacement) = if file.starlark {
        // Before the call's closing parenthesis.
        let close = declaration.rfind(')')? as u32 + named.full_start;
        (close, format!(", {field} = {placeholder}"))
    } else {
        let open = declaration.rfind('{').filter(|_| declaration.trim_end().ends_with('}'))?;
        let after = &declaration[open + 1..];
        let at = named.full_start + open as u32 + 1;
        let label = crate::cue::label_text(field);
        match after.strip_prefix('\n') {
            Some(rest) => {
                let indent: String = rest.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
                (at, format!("\n{indent}{label}: {placeholder}"))
            }
            None => (at, format!("{label}: {placeholder}, ")),
        }
    };
    Some(Fix {
        title: format!("add the required field `{field}`"),
        // The value is a placeholder of the right type, to be filled in.
        applicability: Applicability::MaybeIncorrect,
        edits: vec![Edit { span: Span::new(file.id, at, at), replacement }],
    })
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
    use froyo_diagnostics::registry;

    use super::*;

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

    fn placed(text: &str, starlark: bool, message: &str) -> (String, Option<String>) {
        let index = if starlark {
            // A Starlark declaration as the editor's index has it: the id and the call.
            let start = text.find('"').unwrap() as u32;
            let end = start + text[start as usize + 1..].find('"').unwrap() as u32 + 2;
            FileIndex {
                resources: vec![Named {
                    name: "d".into(),
                    start,
                    end,
                    full_start: 0,
                    full_end: text.trim_end().len() as u32,
                    type_name: Some("linux.directory".into()),
                    top_level: true,
                }],
                ..FileIndex::default()
            }
        } else {
            crate::declarations::index_cue_text(text)
        };
        let files = [DeclaredFile { id: FileId(0), index: &index, starlark, text }];
        let schema = Span::new(FileId(9), 1, 2);
        let diagnostic = Diagnostic::new(&registry::INCOMPLETE_VALUE, message, schema);
        let placed = place(diagnostic, &files, &|file| file == FileId(9));
        let primary = &text[placed.primary.span.start as usize..placed.primary.span.end as usize];
        let fix = placed.fix.map(|fix| {
            let edit = &fix.edits[0];
            let mut fixed = text.to_string();
            fixed.insert_str(edit.span.start as usize, &edit.replacement);
            fixed
        });
        (primary.to_string(), fix)
    }

    #[test]
    fn the_fix_of_an_id_declared_twice_goes_to_the_declaration_the_diagnostic_is_at() {
        let cue = "resources: curl: linux.#Package & {name: \"curl\"}\n";
        let star = "linux.package(\"curl\", nmae = \"curl\")\n";
        let cue_index = crate::declarations::index_cue_text(cue);
        let start = star.find('"').unwrap() as u32;
        let star_index = FileIndex {
            resources: vec![Named {
                name: "curl".into(),
                start,
                end: start + 6,
                full_start: 0,
                full_end: star.trim_end().len() as u32,
                type_name: Some("linux.package".into()),
                top_level: true,
            }],
            ..FileIndex::default()
        };
        let files = [
            DeclaredFile { id: FileId(0), index: &cue_index, starlark: false, text: cue },
            DeclaredFile { id: FileId(1), index: &star_index, starlark: true, text: star },
        ];
        let message = "resources.curl.name: incomplete value string";
        let at_starlark = Span::new(FileId(1), 0, star.trim_end().len() as u32);
        let diagnostic = Diagnostic::new(&registry::INCOMPLETE_VALUE, message, at_starlark);
        let fix = place(diagnostic, &files, &|_| false).fix.expect("a fix");
        assert_eq!(fix.edits[0].span.file, FileId(1));
        assert_eq!(fix.edits[0].replacement, ", name = \"\"");
        // At neither declaration: no fix rather than one at a guess.
        let elsewhere = Span::new(FileId(2), 0, 1);
        let diagnostic = Diagnostic::new(&registry::INCOMPLETE_VALUE, message, elsewhere);
        assert_eq!(place(diagnostic, &files, &|_| false).fix, None);
    }

    #[test]
    fn a_required_field_left_out_is_placed_at_the_declaration_with_a_fix() {
        let text =
            "import \"froyo.dev/linux\"\nresources: motd: linux.#File & {\n\tcontent: \"hi\"\n}\n";
        let (primary, fixed) = placed(text, false, "resources.motd.path: incomplete value string");
        assert_eq!(primary, "motd");
        assert_eq!(
            fixed.as_deref(),
            Some(
                "import \"froyo.dev/linux\"\nresources: motd: linux.#File & {\n\tpath: \"\"\n\tcontent: \"hi\"\n}\n"
            )
        );
        let star = "linux.directory(\"d\", mode = \"0755\")\n";
        let (primary, fixed) = placed(star, true, "resources.d.path: incomplete value string");
        assert_eq!(primary, "\"d\"");
        assert_eq!(
            fixed.as_deref(),
            Some("linux.directory(\"d\", mode = \"0755\", path = \"\")\n")
        );
    }

    #[test]
    fn a_resource_without_a_field_of_its_own_is_placed_at_resources() {
        let text = "resources: {for n in [\"a\"] {(n): {type: \"linux.file\"}}}\n";
        let (primary, fixed) = placed(text, false, "resources.a.path: incomplete value string");
        assert_eq!(primary, text.trim_end());
        assert_eq!(fixed, None);
    }
}
