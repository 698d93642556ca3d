//! Resource ids are unique across CUE and Starlark (`E0304`). Two CUE
//! declarations of one id are one resource, since CUE unifies them; a
//! Starlark declaration of an id already taken is an error at the second
//! declaration, pointing at the first.

use froyo_diagnostics::{Diagnostic, Span, registry};

pub fn diagnostic(id: &str, first: Span, second: Span) -> Diagnostic {
    Diagnostic::new(
        &registry::DUPLICATE_RESOURCE_ID,
        format!("the resource id `{id}` is declared twice"),
        second,
    )
    .with_primary_label("declared again here")
    .with_secondary(first, "first declared here")
    .with_help("rename one of the two resources")
}
