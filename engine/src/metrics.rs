//! Prometheus metrics of runs: what an operator alerts on and graphs.
//!
//! One [`Metrics`] lives for a process: a one-shot `apply` or `drift` writes
//! it as a textfile at the end (node_exporter's textfile collector), `drift
//! --watch` serves it over HTTP and updates it after every check. The engine
//! times its phases into it ([`Engine::set_metrics`](crate::Engine::set_metrics));
//! the results of a run are recorded from its report ([`Metrics::record_apply`],
//! [`Metrics::record_drift`]), so the numbers always agree with what was printed.
//!
//! Encoded as OpenMetrics text by `prometheus-client`. The names and labels
//! are a public interface (docs/operations.md lists them): add, never rename.
//! Labels carry host names, resource types, phases and outcomes, never
//! property values, so nothing sensitive can reach a scrape.
//!
//! Not here: serving HTTP (the CLI's edge) and tracing (spans are in each phase).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::report::{ApplyReport, DriftReport, Outcome};

/// What kind of run a sample is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Apply,
    Drift,
}

impl RunKind {
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Apply => "apply",
            RunKind::Drift => "drift",
        }
    }
}

/// How a run ended, as `froyo_runs_total` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Everything applied; or drift found nothing.
    Succeeded,
    /// Drift found instances that changed.
    Drifted,
    /// Some instance failed, was skipped or could not be probed.
    Failed,
    /// Another run held the lock; nothing was done.
    Locked,
    /// The run could not be done at all (state, runtime).
    Error,
}

impl RunOutcome {
    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Drifted => "drifted",
            RunOutcome::Failed => "failed",
            RunOutcome::Locked => "locked",
            RunOutcome::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InstanceLabels {
    action: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    kind: &'static str,
    phase: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct HostLabels {
    host: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct DriftLabels {
    host: String,
    resource_type: String,
}

type Histograms = Family<PhaseLabels, Histogram, fn() -> Histogram>;

/// The metrics of this process's runs. Shared between threads (every metric
/// is atomic; the two label sets remembered for zeroing are behind a mutex).
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    instances: Family<InstanceLabels, Counter>,
    phase_seconds: Histograms,
    hosts_unreachable: Family<KindLabels, Gauge>,
    host_up: Family<HostLabels, Gauge>,
    drifted: Family<DriftLabels, Gauge>,
    last_success: Family<KindLabels, Gauge<f64, AtomicU64>>,
    last_run: Family<KindLabels, Gauge<f64, AtomicU64>>,
    /// Every (host, type) ever reported drifted, set back to 0 when it is not.
    drift_series: Mutex<BTreeSet<DriftLabels>>,
    /// Runs recorded so far.
    recorded: AtomicU64,
}

fn phase_histogram() -> Histogram {
    // 5 ms to about 10 minutes.
    Histogram::new(exponential_buckets(0.005, 2.0, 18))
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let runs = Family::<RunLabels, Counter>::default();
        registry.register(
            "froyo_runs",
            "Runs of froyo by kind (apply, drift) and outcome (succeeded, drifted, failed, locked, error)",
            runs.clone(),
        );
        let instances = Family::<InstanceLabels, Counter>::default();
        registry.register(
            "froyo_instances",
            "Resource instances handled by applies, by planned action and outcome",
            instances.clone(),
        );
        let phase_seconds: Histograms = Family::new_with_constructor(phase_histogram);
        registry.register(
            "froyo_phase_duration_seconds",
            "How long each phase of a run took (connect, probe, plan, apply, drift, run)",
            phase_seconds.clone(),
        );
        let hosts_unreachable = Family::<KindLabels, Gauge>::default();
        registry.register(
            "froyo_hosts_unreachable",
            "Hosts that could not be reached or were lost in the last run",
            hosts_unreachable.clone(),
        );
        let host_up = Family::<HostLabels, Gauge>::default();
        registry.register(
            "froyo_host_up",
            "Whether the host was reached in the last run that used it (1) or not (0)",
            host_up.clone(),
        );
        let drifted = Family::<DriftLabels, Gauge>::default();
        registry.register(
            "froyo_drifted_instances",
            "Instances whose host no longer matches the recorded state, by host and resource type, as of the last drift check",
            drifted.clone(),
        );
        let last_success = Family::<KindLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "froyo_last_success_timestamp_seconds",
            "When a run of this kind last succeeded (Unix time)",
            last_success.clone(),
        );
        let last_run = Family::<KindLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "froyo_last_run_timestamp_seconds",
            "When a run of this kind last ended, whatever its outcome (Unix time)",
            last_run.clone(),
        );
        Metrics {
            registry,
            runs,
            instances,
            phase_seconds,
            hosts_unreachable,
            host_up,
            drifted,
            last_success,
            last_run,
            drift_series: Mutex::new(BTreeSet::new()),
            recorded: AtomicU64::new(0),
        }
    }

    /// Records how long `phase` of a `kind` run took.
    pub fn observe_phase(&self, kind: RunKind, phase: &'static str, took: Duration) {
        self.phase_seconds
            .get_or_create(&PhaseLabels { kind: kind.label(), phase })
            .observe(took.as_secs_f64());
    }

    /// Counts a run that ended with `outcome` (also one that could not start).
    pub fn record_run(&self, kind: RunKind, outcome: RunOutcome) {
        self.recorded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.runs.get_or_create(&RunLabels { kind: kind.label(), outcome: outcome.label() }).inc();
        let now = unix_now();
        self.last_run.get_or_create(&KindLabels { kind: kind.label() }).set(now);
        if outcome == RunOutcome::Succeeded {
            self.last_success.get_or_create(&KindLabels { kind: kind.label() }).set(now);
        }
    }

    /// Records an apply's results: its instances, hosts and outcome.
    /// `actions` gives each instance's planned action, in the report's order.
    pub fn record_apply(&self, report: &ApplyReport, actions: &[froyo_provider_api::Action]) {
        for (index, instance) in report.instances.iter().enumerate() {
            let action = match (&instance.outcome, actions.get(index)) {
                (Outcome::Forgotten, _) => "forget".to_string(),
                (_, Some(action)) => format!("{action:?}").to_lowercase(),
                (_, None) => "none".to_string(),
            };
            let outcome = instance.outcome.status().to_string();
            self.instances.get_or_create(&InstanceLabels { action, outcome }).inc();
        }
        let hosts = report.instances.iter().map(|instance| instance.key.host.as_str());
        self.record_hosts(RunKind::Apply, hosts, &report.host_errors);
        self.observe_phase(RunKind::Apply, "run", Duration::from_millis(report.duration_ms));
        let outcome = if report.failed() { RunOutcome::Failed } else { RunOutcome::Succeeded };
        self.record_run(RunKind::Apply, outcome);
    }

    /// Records a drift check: drifted instances per host and resource type
    /// (series seen before and not drifted now go back to 0), its hosts and
    /// its outcome. `types` gives the resource type of each checked
    /// instance's address.
    pub fn record_drift(&self, report: &DriftReport, checked: &[(String, String)]) {
        let mut counts: std::collections::BTreeMap<DriftLabels, i64> = Default::default();
        for (host, resource_type) in checked {
            counts
                .entry(DriftLabels { host: host.clone(), resource_type: resource_type.clone() })
                .or_insert(0);
        }
        for item in report.drifted.iter().filter(|item| !item.differences.is_empty()) {
            let resource_type = item
                .address
                .rsplit_once('.')
                .map_or(item.address.as_str(), |(resource_type, _)| resource_type);
            *counts
                .entry(DriftLabels {
                    host: item.key.host.clone(),
                    resource_type: resource_type.to_string(),
                })
                .or_insert(0) += 1;
        }
        let mut series = self.drift_series.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for labels in series.iter() {
            if !counts.contains_key(labels) {
                self.drifted.get_or_create(labels).set(0);
            }
        }
        for (labels, count) in counts {
            self.drifted.get_or_create(&labels).set(count);
            series.insert(labels);
        }
        drop(series);
        let hosts = checked.iter().map(|(host, _)| host.as_str());
        self.record_hosts(RunKind::Drift, hosts, &report.host_errors);
        let outcome = if report.has_drift() {
            RunOutcome::Drifted
        } else if report.has_errors() || !report.host_errors.is_empty() {
            RunOutcome::Failed
        } else {
            RunOutcome::Succeeded
        };
        self.record_run(RunKind::Drift, outcome);
    }

    fn record_hosts<'a>(
        &self,
        kind: RunKind,
        hosts: impl Iterator<Item = &'a str>,
        errors: &'a [crate::HostError],
    ) {
        let unreachable: BTreeSet<&str> = errors.iter().map(|error| error.host.as_str()).collect();
        let hosts: BTreeSet<&str> = hosts.chain(unreachable.iter().copied()).collect();
        for host in hosts {
            let up = i64::from(!unreachable.contains(host));
            self.host_up.get_or_create(&HostLabels { host: host.to_string() }).set(up);
        }
        self.hosts_unreachable
            .get_or_create(&KindLabels { kind: kind.label() })
            .set(unreachable.len() as i64);
    }

    /// How many runs were recorded (by [`Metrics::record_run`] and the reports).
    pub fn runs_recorded(&self) -> u64 {
        self.recorded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The metrics as OpenMetrics text (ends with `# EOF`).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// OpenMetrics text as Prometheus' older text format (0.0.4), which
/// node_exporter's textfile collector and `promtool check metrics` read: a
/// counter family is named with its `_total` suffix, and there are no
/// `# UNIT` or `# EOF` lines.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: BTreeSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let comment = ["# HELP ", "# TYPE "].into_iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        match comment {
            Some(comment) => out.push_str(&comment),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_appear_with_their_first_sample() {
        let metrics = Metrics::new();
        assert_eq!(metrics.encode(), "# EOF\n");
        metrics.record_run(RunKind::Apply, RunOutcome::Failed);
        let text = metrics.encode();
        assert!(text.contains("# TYPE froyo_runs counter"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn prometheus_text_names_counters_with_their_suffix() {
        let metrics = Metrics::new();
        metrics.record_run(RunKind::Apply, RunOutcome::Succeeded);
        let text = prometheus_text(&metrics.encode());
        assert!(text.contains("# TYPE froyo_runs_total counter\n"), "{text}");
        assert!(text.contains("# HELP froyo_runs_total Runs"), "{text}");
        assert!(text.contains("# TYPE froyo_last_run_timestamp_seconds gauge\n"), "{text}");
        assert!(!text.contains("# EOF"), "{text}");
    }

    #[test]
    fn runs_phases_and_timestamps_are_recorded() {
        let metrics = Metrics::new();
        metrics.observe_phase(RunKind::Apply, "probe", Duration::from_millis(20));
        metrics.record_run(RunKind::Drift, RunOutcome::Succeeded);
        metrics.record_run(RunKind::Apply, RunOutcome::Locked);
        let text = metrics.encode();
        assert!(text.contains(r#"froyo_runs_total{kind="drift",outcome="succeeded"} 1"#), "{text}");
        assert!(text.contains(r#"froyo_runs_total{kind="apply",outcome="locked"} 1"#), "{text}");
        assert!(
            text.contains(r#"froyo_phase_duration_seconds_count{kind="apply",phase="probe"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"froyo_last_success_timestamp_seconds{kind="drift"}"#), "{text}");
        assert!(!text.contains(r#"froyo_last_success_timestamp_seconds{kind="apply"}"#), "{text}");
    }
}
