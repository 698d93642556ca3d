//! Where hosts and resources are declared in CUE, read from the one
//! declaration index ([`crate::declarations`]).
//!
//! The evaluated data says what a resource is, not where it came from; this
//! walk of the package's files finds, for each `hosts: <name>` and
//! `resources: <id>` written out as a field (in a struct literal or in the
//! `resources: id: …` short form), the span of its declaration. A resource
//! made by a comprehension has no field of its own: it gets the span of the
//! comprehension's `resources` field.

use std::collections::HashMap;

use froyo_diagnostics::{FileId, Span};
use froyo_syntax::SyntaxNode;
use froyo_syntax::ast;

/// Declaration spans, by name, of the members of one top-level field.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    /// The first declaration of each member.
    pub members: HashMap<String, Span>,
    /// The first declaration of the top-level field itself.
    pub whole: Option<Span>,
}

impl Origins {
    /// The declaration of `name`, or of the whole field when `name` has none.
    pub fn of(&self, name: &str) -> Option<Span> {
        self.members.get(name).copied().or(self.whole)
    }
}

/// The origins of the members of the top-level field `top` (`hosts`,
/// `resources`) in the files given.
pub fn collect(files: &[(FileId, &str)], top: &str) -> Origins {
    let trees: Vec<(FileId, SyntaxNode)> =
        files.iter().map(|(file, text)| (*file, froyo_syntax::parse(text).syntax_node())).collect();
    let [origins] = collect_each(&trees, [top]);
    origins
}

/// The origins of the members of each top-level field of `tops` in the
/// files given as syntax trees, read from each file's declaration index
/// ([`crate::declarations`]).
pub fn collect_each<const N: usize>(
    files: &[(FileId, SyntaxNode)],
    tops: [&str; N],
) -> [Origins; N] {
    let mut all: [Origins; N] = std::array::from_fn(|_| Origins::default());
    for (file, tree) in files {
        let index = crate::declarations::index_cue(tree);
        for (which, top) in tops.iter().enumerate() {
            let origins = &mut all[which];
            if let Some((_, start, end)) = index.tops.iter().find(|(name, ..)| name == top) {
                origins.whole.get_or_insert(Span::new(*file, *start, *end));
            }
            let members = match *top {
                "hosts" => &index.hosts,
                "resources" => &index.resources,
                _ => continue,
            };
            for named in members.iter().filter(|named| named.top_level) {
                origins
                    .members
                    .entry(named.name.clone())
                    .or_insert_with(|| Span::new(*file, named.full_start, named.full_end));
            }
        }
    }
    all
}

/// A field's label as a plain name: identifiers as written, simple quoted
/// strings without their quotes; other labels have none.
pub fn label_text(field: &ast::Field) -> Option<String> {
    crate::cue::field_name(field).map(|(name, ..)| name)
}
