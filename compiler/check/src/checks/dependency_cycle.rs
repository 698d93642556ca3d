//! `require` and `notify` edges form no cycle (`E0306`). Each cycle is
//! reported once, at its first resource by id, with every resource of the
//! cycle and the edge that leads on from it.
//!
//! Finding cycles ([`find`]) reads only ids and edges, so that a caller can
//! cache it while they do not change; [`diagnostic`] then points at the
//! declarations.

use std::collections::HashMap;

use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::Context;

/// One dependency cycle: its resources in the order of the cycle, starting
/// from the smallest id, and the kind of each edge (`"require"` or
/// `"notify"`) from a resource to the next (the last to the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub names: Vec<String>,
    pub kinds: Vec<&'static str>,
}

impl Cycle {
    fn message(&self) -> String {
        let mut chain = self.names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>();
        if let Some(first) = self.names.first() {
            chain.push(format!("`{first}`"));
        }
        format!("resources depend on each other in a cycle: {}", chain.join(" → "))
    }
}

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let resources = context
        .ir
        .resources
        .iter()
        .map(|resource| (resource.id.as_str(), &resource.require[..], &resource.notify[..]));
    find(resources)
        .iter()
        .map(|cycle| diagnostic(cycle, &|id| context.resource_span(id), context.text_of))
        .collect()
}

/// The cycles among `resources` (id, `require`, `notify`; in id order, ids
/// unique), ordered by their diagnostics' messages.
pub fn find<'a>(
    resources: impl Iterator<Item = (&'a str, &'a [String], &'a [String])>,
) -> Vec<Cycle> {
    let resources: Vec<_> = resources.collect();
    // Edges point from what goes first to what goes after.
    let mut graph: DiGraph<&str, &'static str> = DiGraph::new();
    let mut nodes: HashMap<&str, NodeIndex> = HashMap::new();
    for (id, ..) in &resources {
        nodes.insert(id, graph.add_node(id));
    }
    for (id, require, notify) in &resources {
        let this = nodes[id];
        for required in *require {
            if let Some(&first) = nodes.get(required.as_str()) {
                graph.add_edge(first, this, "require");
            }
        }
        for notified in *notify {
            if let Some(&after) = nodes.get(notified.as_str()) {
                graph.add_edge(this, after, "notify");
            }
        }
    }
    let mut cycles = Vec::new();
    for component in tarjan_scc(&graph) {
        let is_cycle = component.len() > 1
            || component.first().is_some_and(|&node| graph.contains_edge(node, node));
        if !is_cycle {
            continue;
        }
        let cycle = order_cycle(&graph, &component);
        if cycle.is_empty() {
            continue;
        }
        let kinds = (0..cycle.len())
            .map(|index| {
                let (from, to) = (cycle[index], cycle[(index + 1) % cycle.len()]);
                graph.find_edge(from, to).map(|edge| graph[edge]).unwrap_or("require")
            })
            .collect();
        let names = cycle.iter().map(|&node| graph[node].to_string()).collect();
        cycles.push(Cycle { names, kinds });
    }
    cycles.sort_by_cached_key(Cycle::message);
    cycles
}

/// The diagnostic of `cycle`: `span_of` gives a resource's declaration,
/// `text_of` a file's text (to point at the id in a `require`).
pub fn diagnostic(
    cycle: &Cycle,
    span_of: &dyn Fn(&str) -> Span,
    text_of: &dyn Fn(FileId) -> Option<String>,
) -> Diagnostic {
    let first = cycle.names.first().map(String::as_str).unwrap_or("");
    let mut diagnostic =
        Diagnostic::new(&registry::DEPENDENCY_CYCLE, cycle.message(), span_of(first))
            .with_primary_label(format!("`{first}` is in the cycle"));
    for (index, kind) in cycle.kinds.iter().enumerate() {
        let from = &cycle.names[index];
        let to = &cycle.names[(index + 1) % cycle.names.len()];
        // The edge is written in the resource that requires (at `to`) or notifies (at `from`).
        let (written_in, target) = if *kind == "require" { (to, from) } else { (from, to) };
        let declaration = span_of(written_in);
        let span = super::quoted_in(text_of, declaration, target).unwrap_or(declaration);
        let message = if *kind == "require" {
            format!("`{written_in}` requires `{target}`")
        } else {
            format!("`{written_in}` notifies `{target}`")
        };
        diagnostic = diagnostic.with_secondary(span, message);
    }
    diagnostic.with_help("remove one of these edges")
}

/// The nodes of a strongly connected component in the order of one cycle
/// through them, starting from the smallest name.
fn order_cycle(graph: &DiGraph<&str, &'static str>, component: &[NodeIndex]) -> Vec<NodeIndex> {
    let Some(&start) = component.iter().min_by_key(|&&node| graph[node]) else {
        return Vec::new();
    };
    // Walk edges inside the component, always to the smallest unvisited
    // neighbour, until back at the start.
    let mut cycle = vec![start];
    let mut current = start;
    loop {
        let mut next: Vec<NodeIndex> =
            graph.neighbors(current).filter(|node| component.contains(node)).collect();
        next.sort_by_key(|&node| graph[node]);
        if next.contains(&start)
            && (cycle.len() == component.len() || next.iter().all(|node| cycle.contains(node)))
        {
            break;
        }
        match next.into_iter().find(|node| !cycle.contains(node)) {
            Some(node) => {
                cycle.push(node);
                current = node;
            }
            None => break,
        }
    }
    cycle
}
