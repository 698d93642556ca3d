//! Where a value inside a declaration is written: the span of a property
//! path such as `["mode"]` or `["env", "KEY"]` of a resource, in CUE or
//! Starlark, for diagnostics that concern one value (policy findings).
//!
//! Each step narrows the span to the field `name:` (CUE) or the argument
//! `name =` (Starlark) inside the previous one; when a step is not written
//! there (a default from the schema, a value from a reference, a key inside
//! a Starlark dict), the narrowest span found so far is the answer.

use froyo_diagnostics::{FileId, Span};

/// The span of `path` inside the declaration at `origin`.
pub fn property_span(
    origin: Span,
    path: &[String],
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Span {
    let mut span = origin;
    for name in path {
        match crate::schema::narrow(widened(span, text_of), name, text_of) {
            Some(inner) => span = inner,
            None => break,
        }
    }
    span
}

/// A field's span runs to the end of its first line; a struct value that
/// opens there continues to its closing bracket, which is where its own
/// fields are written.
fn widened(span: Span, text_of: &dyn Fn(FileId) -> Option<String>) -> Span {
    let Some(text) = text_of(span.file) else { return span };
    let Some(written) = text.get(span.start as usize..span.end as usize) else { return span };
    let opens = written.trim_end().ends_with(['{', '(', '[']);
    if !opens {
        return span;
    }
    let mut depth = 0i32;
    for (offset, character) in crate::schema::unquoted(&text[span.start as usize..]) {
        match character {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Span::new(span.file, span.start, span.start + offset as u32 + 1);
                }
            }
            _ => {}
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(text: &str, declaration: &str, path: &[&str]) -> String {
        let start = text.find(declaration).unwrap() as u32;
        let origin = Span::new(FileId(0), start, start + declaration.len() as u32);
        let path: Vec<String> = path.iter().map(|part| part.to_string()).collect();
        let owned = text.to_string();
        let span = property_span(origin, &path, &|_| Some(owned.clone()));
        text[span.start as usize..span.end as usize].to_string()
    }

    #[test]
    fn a_cue_field_and_a_nested_one() {
        let text = "resources: web: linux.#File & {\n\tpath: \"/x\"\n\tmode: \"0666\"\n\tenv: {\n\t\tKEY: \"v\"\n\t}\n}\n";
        let declaration = &text[11..text.len() - 1];
        assert_eq!(located(text, declaration, &["mode"]), "mode: \"0666\"");
        assert_eq!(located(text, declaration, &["env", "KEY"]), "KEY: \"v\"");
        assert_eq!(located(text, declaration, &["owner"]), declaration);
    }

    #[test]
    fn a_starlark_argument() {
        let text = "linux.file(\n    \"web\",\n    path = \"/x\",\n    mode = \"0666\",\n)\n";
        let declaration = text.trim_end();
        assert_eq!(located(text, declaration, &["mode"]), "mode = \"0666\"");
    }
}
