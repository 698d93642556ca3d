//! Every resource has a known type: `E0300` when it has none (it was not
//! unified with a schema), `E0301` when the type is unknown, with the closest
//! known type suggested.

use froyo_diagnostics::{Diagnostic, Span, registry};

pub fn without_type(id: &str, origin: Span) -> Diagnostic {
    Diagnostic::new(
        &registry::RESOURCE_WITHOUT_TYPE,
        format!("resource `{id}` has no type"),
        origin,
    )
    .with_primary_label("not unified with a resource schema")
    .with_help("unify it with its schema, such as `linux.#File & {…}` (import \"froyo.dev/linux\")")
}

pub fn unknown(id: &str, type_name: &str, origin: Span) -> Diagnostic {
    let known = froyo_stdlib::RESOURCE_TYPES.iter().map(|resource_type| resource_type.name);
    let diagnostic = Diagnostic::new(
        &registry::UNKNOWN_RESOURCE_TYPE,
        format!("resource `{id}` has the unknown type `{type_name}`"),
        origin,
    )
    .with_primary_label("unknown resource type");
    froyo_diagnostics::suggest_or_list(diagnostic, type_name, known, "resource types")
}
