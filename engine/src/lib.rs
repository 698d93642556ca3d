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
//! - [`engine`]: the engine and its connections to hosts, then one module per
//!   phase: `planning` (probe and plan), `apply` (waves, operations, checks),
//!   `drift`, `probe` (batches and observations) and `record` (what state keeps);
//!   `parents` warns about new files whose directory is missing;
//! - [`transport`]: the port to hosts (local runner, SSH, or a test's fake);
//! - [`error`]: run and host errors with stable codes, rendered with miette;
//! - [`render`]: plans, apply results and drift as text;
//! - [`report`]: progress events and results;
//! - [`policy`]: plan-time policies: the plan as their input, their
//!   findings beside the changes, and the gate that refuses a denied plan;
//! - [`metrics`]: Prometheus metrics of runs (phase durations, outcomes,
//!   drift per host and resource type);
//! - [`scrub`]: the doors through which hosts' and providers' text enters
//!   the engine, where the run's sensitive values are scrubbed from it.
//!
//! Invariants: providers never touch a host (they are pure WebAssembly, and
//! `froyo-providers` checks every operation against their capabilities); the
//! runner is the only thing that does, and the engine checks every probe and
//! operation against its provider's capabilities again right before sending
//! it. Nothing sensitive is printed or stored in clear: printing goes through
//! [`plan::Plan::redacted`], state through `State::protect`, and what hosts
//! and providers say is scrubbed of the run's sensitive values as it enters
//! ([`scrub`]).

mod apply;
pub mod canonical;
pub mod drift;
pub mod engine;
pub mod error;
pub mod fanout;
pub mod graph;
pub mod instance;
pub mod metrics;
mod parents;
pub mod plan;
mod planning;
pub mod policy;
mod probe;
mod record;
pub mod render;
pub mod report;
pub mod scrub;
pub mod transport;

pub use drift::DriftCheck;
pub use engine::{Engine, Options, Runtimes, scheduler};
pub use error::{Error, HostError};
pub use instance::Key;
pub use metrics::Metrics;
pub use plan::{Plan, PlannedInstance, Summary};
pub use report::{ApplyReport, DriftReport, HostSteps, Outcome, Phase, Reporter, Silent};
pub use transport::{Hosts, HostsOptions, RunnerSession, Transport};

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
