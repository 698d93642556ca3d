//! The dependency graph of instances, its waves and its picture.
//!
//! An edge `a → b` means `a` is applied before `b`: `b` requires `a`, or `a`
//! notifies `b`. A resource id names the instances of that resource on the
//! same host when there are any, otherwise all its instances (ordering across
//! hosts). Waves are longest-path layers: an instance's wave is one more than
//! the latest wave among what it waits for, so everything in a wave can run
//! at once and a host sees one batch per wave.
//!
//! Invariant: the compiler rejects dependency cycles between resources
//! (E0306), so the instance graph is acyclic; [`Graph::new`] still checks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::instance::Key;

/// Why an edge exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Require,
    Notify,
}

/// What the graph needs to know of an instance.
#[derive(Debug, Clone)]
pub struct Node {
    pub key: Key,
    pub address: String,
    pub require: Vec<String>,
    pub notify: Vec<String>,
}

#[derive(Debug)]
pub struct Graph {
    graph: DiGraph<Node, EdgeKind>,
    waves: Vec<usize>,
}

impl Graph {
    /// Builds the graph of `nodes` (index `i` is node `i`). Fails on a cycle,
    /// naming one instance on it.
    pub fn new(nodes: Vec<Node>) -> Result<Graph, String> {
        let mut graph = DiGraph::with_capacity(nodes.len(), nodes.len());
        let mut by_resource: BTreeMap<String, Vec<NodeIndex>> = BTreeMap::new();
        for node in nodes {
            let resource = node.key.resource.clone();
            let index = graph.add_node(node);
            by_resource.entry(resource).or_default().push(index);
        }
        let targets = |graph: &DiGraph<Node, EdgeKind>, from: NodeIndex, id: &str| {
            let all = by_resource.get(id).map(Vec::as_slice).unwrap_or(&[]);
            let host = &graph[from].key.host;
            let same: Vec<NodeIndex> =
                all.iter().copied().filter(|index| &graph[*index].key.host == host).collect();
            if same.is_empty() { all.to_vec() } else { same }
        };
        let mut edges = BTreeSet::new();
        for index in graph.node_indices() {
            for id in graph[index].require.clone() {
                for target in targets(&graph, index, &id) {
                    edges.insert((target, index, 0u8));
                }
            }
            for id in graph[index].notify.clone() {
                for target in targets(&graph, index, &id) {
                    edges.insert((index, target, 1u8));
                }
            }
        }
        for (from, to, kind) in edges {
            if from != to {
                let kind = if kind == 0 { EdgeKind::Require } else { EdgeKind::Notify };
                graph.add_edge(from, to, kind);
            }
        }
        let order = petgraph::algo::toposort(&graph, None)
            .map_err(|cycle| format!("dependency cycle through {}", graph[cycle.node_id()].key))?;
        let mut waves = vec![0usize; graph.node_count()];
        for index in order {
            let wave = graph
                .neighbors_directed(index, Direction::Incoming)
                .map(|before| waves[before.index()] + 1)
                .max()
                .unwrap_or(0);
            waves[index.index()] = wave;
        }
        Ok(Graph { graph, waves })
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn node(&self, index: usize) -> &Node {
        &self.graph[NodeIndex::new(index)]
    }

    /// The wave of node `index` (0 first).
    pub fn wave(&self, index: usize) -> usize {
        self.waves[index]
    }

    /// The number of waves.
    pub fn wave_count(&self) -> usize {
        self.waves.iter().max().map_or(0, |max| max + 1)
    }

    /// Nodes that must be applied before `index` (direct only).
    pub fn before(&self, index: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .graph
            .neighbors_directed(NodeIndex::new(index), Direction::Incoming)
            .map(NodeIndex::index)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Nodes that notify `index` (direct only).
    pub fn notifiers(&self, index: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .graph
            .edges_directed(NodeIndex::new(index), Direction::Incoming)
            .filter(|edge| *edge.weight() == EdgeKind::Notify)
            .map(|edge| petgraph::visit::EdgeRef::source(&edge).index())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Everything that waits on `index`, directly or not.
    pub fn dependents(&self, index: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![NodeIndex::new(index)];
        while let Some(node) = stack.pop() {
            for next in self.graph.neighbors_directed(node, Direction::Outgoing) {
                if seen.insert(next.index()) {
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// The graph in Graphviz's DOT language: a cluster per host, `require`
    /// edges solid, `notify` edges dashed, nodes labelled with their wave.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph froyo {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n",
        );
        let mut hosts: BTreeMap<&str, Vec<NodeIndex>> = BTreeMap::new();
        for index in self.graph.node_indices() {
            hosts.entry(&self.graph[index].key.host).or_default().push(index);
        }
        for (number, (host, nodes)) in hosts.iter().enumerate() {
            let _ = writeln!(out, "  subgraph cluster_{number} {{");
            let _ = writeln!(out, "    label={};", quote(host));
            for index in nodes {
                let node = &self.graph[*index];
                let _ = writeln!(
                    out,
                    "    n{} [label={}];",
                    index.index(),
                    quote(&format!("{}\\nwave {}", node.address, self.waves[index.index()]))
                );
            }
            out.push_str("  }\n");
        }
        let mut edges: Vec<_> = self
            .graph
            .edge_indices()
            .filter_map(|edge| {
                let (from, to) = self.graph.edge_endpoints(edge)?;
                Some((from.index(), to.index(), self.graph[edge]))
            })
            .collect();
        edges.sort_by_key(|(from, to, kind)| (*from, *to, *kind == EdgeKind::Notify));
        for (from, to, kind) in edges {
            let style = match kind {
                EdgeKind::Require => "",
                EdgeKind::Notify => " [style=dashed, label=\"notify\"]",
            };
            let _ = writeln!(out, "  n{from} -> n{to}{style};");
        }
        out.push_str("}\n");
        out
    }
}

/// A DOT string literal. Backslash sequences we put in (`\n`) are kept.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, id: &str, require: &[&str], notify: &[&str]) -> Node {
        Node {
            key: Key { host: host.into(), resource: id.into() },
            address: format!("t.{id}"),
            require: require.iter().map(|s| s.to_string()).collect(),
            notify: notify.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn waves_follow_requires_and_notifies() {
        let graph = Graph::new(vec![
            node("h", "dir", &[], &[]),
            node("h", "conf", &["dir"], &["svc"]),
            node("h", "svc", &[], &[]),
            node("h", "other", &[], &[]),
        ])
        .unwrap();
        assert_eq!((0..4).map(|i| graph.wave(i)).collect::<Vec<_>>(), vec![0, 1, 2, 0]);
        assert_eq!(graph.wave_count(), 3);
        assert_eq!(graph.notifiers(2), vec![1]);
        assert_eq!(graph.dependents(0).into_iter().collect::<Vec<_>>(), vec![1, 2]);
        assert!(graph.to_dot().contains("n1 -> n2 [style=dashed"));
    }

    #[test]
    fn requires_prefer_the_same_host_and_cross_hosts_otherwise() {
        let graph = Graph::new(vec![
            node("a", "db", &[], &[]),
            node("b", "db", &[], &[]),
            node("a", "app", &["db"], &[]),
            node("c", "web", &["db"], &[]),
        ])
        .unwrap();
        assert_eq!(graph.before(2), vec![0]);
        assert_eq!(graph.before(3), vec![0, 1]);
    }

    #[test]
    fn cycles_are_refused() {
        let error =
            Graph::new(vec![node("h", "a", &["b"], &[]), node("h", "b", &["a"], &[])]).unwrap_err();
        assert!(error.starts_with("dependency cycle through"), "{error}");
    }
}
