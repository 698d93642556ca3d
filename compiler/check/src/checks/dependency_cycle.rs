//! `require` and `notify` edges form no cycle (`E0306`). Each cycle is
//! reported once, at its first resource by id, with every resource of the
//! cycle and the edge that leads on from it.

use std::collections::HashMap;

use froyo_diagnostics::{Diagnostic, registry};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::Context;

pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    // Edges point from what goes first to what goes after.
    let mut graph: DiGraph<&str, &str> = DiGraph::new();
    let mut nodes: HashMap<&str, NodeIndex> = HashMap::new();
    for resource in &context.ir.resources {
        nodes.insert(&resource.id, graph.add_node(&resource.id));
    }
    for resource in &context.ir.resources {
        let this = nodes[resource.id.as_str()];
        for required in &resource.require {
            if let Some(&first) = nodes.get(required.as_str()) {
                graph.add_edge(first, this, "require");
            }
        }
        for notified in &resource.notify {
            if let Some(&after) = nodes.get(notified.as_str()) {
                graph.add_edge(this, after, "notify");
            }
        }
    }
    let mut diagnostics = Vec::new();
    for component in tarjan_scc(&graph) {
        let is_cycle = component.len() > 1
            || component.first().is_some_and(|&node| graph.contains_edge(node, node));
        if !is_cycle {
            continue;
        }
        let cycle = order_cycle(&graph, &component);
        let names: Vec<&str> = cycle.iter().map(|&node| graph[node]).collect();
        let first = names[0];
        let mut chain = names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>();
        chain.push(format!("`{first}`"));
        let mut diagnostic = Diagnostic::new(
            &registry::DEPENDENCY_CYCLE,
            format!("resources depend on each other in a cycle: {}", chain.join(" → ")),
            context.resource_span(first),
        )
        .with_primary_label(format!("`{first}` is in the cycle"));
        for window in
            cycle.windows(2).chain(std::iter::once(&[cycle[cycle.len() - 1], cycle[0]][..]))
        {
            let (from, to) = (window[0], window[1]);
            let kind = graph.find_edge(from, to).map(|edge| graph[edge]).unwrap_or("require");
            // The edge is written in the resource that requires (at `to`) or notifies (at `from`).
            let (written_in, target) =
                if kind == "require" { (graph[to], graph[from]) } else { (graph[from], graph[to]) };
            let declaration = context.resource_span(written_in);
            let span = context.quoted_in(declaration, target).unwrap_or(declaration);
            let message = if kind == "require" {
                format!("`{written_in}` requires `{target}`")
            } else {
                format!("`{written_in}` notifies `{target}`")
            };
            diagnostic = diagnostic.with_secondary(span, message);
        }
        diagnostics.push(diagnostic.with_help("remove one of these edges"));
    }
    diagnostics.sort_by(|a, b| a.message.cmp(&b.message));
    diagnostics
}

/// The nodes of a strongly connected component in the order of one cycle
/// through them, starting from the smallest name.
fn order_cycle(graph: &DiGraph<&str, &str>, component: &[NodeIndex]) -> Vec<NodeIndex> {
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
