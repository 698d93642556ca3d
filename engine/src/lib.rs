//! The engine: turns the resource IR into changes on hosts.
//!
//! ```text
//! IR ──expand──▶ instances (resource × host) ──graph──▶ waves
//!      providers.probe ──▶ runner probe batch ──▶ providers.plan ──▶ Plan
//!      Plan ──▶ per wave: runner operations batch ──▶ re-probe ──▶ state
//! ```
//!
//! - [`instance`]: instances and their properties (`source` resolved);
//! - [`graph`]: the petgraph DAG from `require` and `notify`, waves, DOT;
//! - [`plan`]: the plan model and the plan file;
//! - [`engine`]: the orchestration on tokio (sessions, batches, failure isolation);
//! - [`render`]: plans, apply results and drift as text;
//! - [`report`]: progress events and results.
//!
//! Invariants: providers never touch a host (they are pure WebAssembly, and
//! `froyo-providers` checks every operation against their capabilities); the
//! runner is the only thing that does. Nothing sensitive is printed or stored
//! in clear: printing goes through [`plan::Plan::redacted`], state through
//! `State::protect`.

pub mod canonical;
pub mod engine;
pub mod graph;
pub mod instance;
pub mod plan;
pub mod render;
pub mod report;

pub use engine::{Engine, Error, Options};
pub use instance::Key;
pub use plan::{Plan, PlannedInstance, Summary};
pub use report::{ApplyReport, DriftReport, Outcome, Phase, Reporter, Silent};

/// The dependency graph of `ir`'s instances (for `froyo graph`).
pub fn graph_of(
    ir: &froyo_ir::Ir,
    workspace_root: &std::path::Path,
) -> Result<graph::Graph, String> {
    let nodes = instance::expand(ir, workspace_root)
        .into_iter()
        .map(|(instance, _)| graph::Node {
            address: instance.address(),
            key: instance.key,
            require: instance.require,
            notify: instance.notify,
        })
        .collect();
    graph::Graph::new(nodes)
}
