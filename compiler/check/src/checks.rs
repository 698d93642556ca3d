//! The checks that run on the whole IR, one per module, each with the
//! diagnostic it reports.

pub mod dependency_cycle;
pub mod duplicate_id;
pub mod host_selector;
pub mod hosts;
pub mod resource_type;
pub mod unknown_dependency;

use std::collections::HashMap;

use std::collections::BTreeMap;

use froyo_diagnostics::{FileId, Span};
use froyo_ir::{Host, Resource};

/// What a check reads: the workspace's hosts and resources, each
/// declaration's span (keyed by host-or-not and name), and file texts to
/// point inside a declaration.
pub struct Context<'a> {
    pub ir: View<'a>,
    pub spans: &'a HashMap<(bool, String), Span>,
    pub text_of: &'a dyn Fn(FileId) -> Option<String>,
}

/// The hosts and resources the checks read, borrowed (checks run without
/// building the IR); resources in id order.
pub struct View<'a> {
    pub hosts: Vec<&'a Host>,
    pub resources: Vec<&'a Resource>,
}

impl<'a> View<'a> {
    pub fn new(hosts: Vec<&'a Host>, mut resources: Vec<&'a Resource>) -> View<'a> {
        resources.sort_by(|a, b| a.id.cmp(&b.id));
        View { hosts, resources }
    }

    /// The resource with this id.
    pub fn resource(&self, id: &str) -> Option<&'a Resource> {
        self.resources
            .binary_search_by(|resource| resource.id.as_str().cmp(id))
            .ok()
            .map(|index| self.resources[index])
    }

    /// The hosts whose labels include every label of `selector`.
    pub fn matching_hosts<'s>(
        &'s self,
        selector: &'s BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'a Host> + 's {
        self.hosts.iter().copied().filter(move |host| host.matches(selector))
    }
}

impl Context<'_> {
    pub fn resource_span(&self, id: &str) -> Span {
        self.spans.get(&(false, id.to_string())).copied().unwrap_or(Span::new(FileId(0), 0, 0))
    }

    pub fn host_span(&self, name: &str) -> Span {
        self.spans.get(&(true, name.to_string())).copied().unwrap_or(Span::new(FileId(0), 0, 0))
    }

    /// The span of the quoted string `"text"` inside `within`, if written there.
    pub fn quoted_in(&self, within: Span, text: &str) -> Option<Span> {
        quoted_in(self.text_of, within, text)
    }
}

/// The span of the quoted string `"text"` inside `within` of a file whose
/// text `text_of` gives, if written there.
pub fn quoted_in(
    text_of: &dyn Fn(FileId) -> Option<String>,
    within: Span,
    text: &str,
) -> Option<Span> {
    let source = text_of(within.file)?;
    let inside = source.get(within.start as usize..within.end as usize)?;
    for quote in ['"', '\''] {
        let needle = format!("{quote}{text}{quote}");
        if let Some(at) = inside.find(&needle) {
            let start = within.start + at as u32;
            return Some(Span::new(within.file, start, start + needle.len() as u32));
        }
    }
    None
}

pub use froyo_diagnostics::did_you_mean;
