//! Logs and traces: the `tracing` subscriber of the process.
//!
//! Two optional outputs, each with its own filter, both off unless asked for:
//!
//! - **logs** on standard error, `--log-format human|json` (JSON: one object
//!   per line with the current span and its parents), filtered by
//!   `--log-level LEVEL` or `FROYO_LOG` (a level, or `tracing` directives such
//!   as `froyo_engine::apply=debug`); on when either is given, or by default
//!   for `froyo drift --watch` (at `info`); at `debug` and `trace` the end of
//!   every span is logged too, with how long it took;
//! - **traces** sent over OTLP/HTTP (protobuf) when `OTEL_EXPORTER_OTLP_ENDPOINT`
//!   or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (and `OTEL_SDK_DISABLED`
//!   is not `true`, nor `OTEL_TRACES_EXPORTER` `none`); the service is named
//!   `froyo` unless `OTEL_SERVICE_NAME` says otherwise; spans at `info` and
//!   above unless `FROYO_TRACE_LEVEL` says otherwise (`debug` adds one span
//!   per provider call). Spans are batched and
//!   flushed by [`Telemetry::finish`], which `main` calls whatever the outcome,
//!   also when SIGINT or SIGTERM interrupts a command: spans still open then
//!   (the run, its phase, the wave in progress) are ended with an error status
//!   `interrupted`, so that the trace keeps its tree.
//!
//! With neither, no subscriber is installed and every span and event in the
//! code costs one relaxed atomic load.
//!
//! What the engine puts into spans and events is names (hosts, addresses,
//! resource types, actions, outcomes) and messages that were scrubbed of
//! sensitive values as they entered it (`froyo_engine::scrub`), never
//! property values; `tests/telemetry.rs` plants a secret and looks for it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry};

use crate::args::{LogFormat, LogLevel};

/// What the subscriber writes where, from the command line and environment.
pub struct Settings {
    pub format: Option<LogFormat>,
    pub level: Option<LogLevel>,
    /// Log at `info` when neither a level nor a format was given.
    pub logs_by_default: bool,
    pub color: bool,
}

/// The installed subscriber's exporter, flushed by [`Telemetry::finish`].
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    /// The spans open now (only while exporting).
    open: Arc<OpenSpans>,
}

/// How long the exporter may take to send the last spans at exit.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

impl Telemetry {
    /// Installs the subscriber the settings and environment ask for (none
    /// when nothing is asked for). Problems are printed as warnings: a run
    /// never fails because its telemetry could not be set up.
    pub fn init(settings: &Settings) -> Telemetry {
        let logs = log_filter(settings);
        let provider = otlp_provider();
        if logs.is_none() && provider.is_none() {
            return Telemetry::default();
        }
        let log_layer = logs.map(|filter| {
            let format = settings.format.unwrap_or(LogFormat::Human);
            // At debug and trace, every span's end is logged with its timing.
            let span_events =
                if filter.max_level_hint().is_some_and(|level| level >= LevelFilter::DEBUG) {
                    FmtSpan::CLOSE
                } else {
                    FmtSpan::NONE
                };
            let layer: Box<dyn Layer<Registry> + Send + Sync> = match format {
                LogFormat::Human => tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(settings.color)
                    .with_target(false)
                    .with_span_events(span_events)
                    .with_filter(filter)
                    .boxed(),
                LogFormat::Json => tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_span_events(span_events)
                    .with_filter(filter)
                    .boxed(),
            };
            layer
        });
        let trace_layer = provider.as_ref().map(|provider| {
            let tracer = provider.tracer("froyo");
            // froyo's own spans, never other crates'; at `debug` also one
            // span per provider call of every instance (about 5% more work
            // on a 1,000-resource apply, docs/benchmarks.md).
            let filter = EnvFilter::new(format!("froyo={}", trace_level()));
            tracing_opentelemetry::layer().with_tracer(tracer).with_filter(filter).boxed()
        });
        let open = Arc::new(OpenSpans::default());
        // The exporter's filter: spans of other crates stay disabled.
        let open_layer = provider.as_ref().map(|_| {
            OpenSpansLayer(open.clone())
                .with_filter(EnvFilter::new(format!("froyo={}", trace_level())))
        });
        let installed = tracing_subscriber::registry()
            .with(log_layer)
            .with(trace_layer)
            .with(open_layer)
            .try_init()
            .is_ok();
        if !installed {
            eprintln!("warning: cannot install the log subscriber; logging is off");
        }
        Telemetry { provider, open }
    }

    /// Whether spans are exported (and so must be flushed on a signal).
    pub fn exports(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends the spans not yet exported (bounded by a timeout) and stops the
    /// exporter. Called once, at exit, also when the command failed or was
    /// interrupted; spans still open (an interrupted command's, an abandoned
    /// check's) are ended first, with an error status `interrupted`.
    pub fn finish(self) {
        if let Some(provider) = self.provider {
            let ended = self.open.end_all();
            if ended > 0 {
                tracing::debug!(spans = ended, "ended the spans still open at exit");
            }
            if let Err(error) = provider.force_flush() {
                eprintln!("warning: could not send traces to the OTLP endpoint: {error}");
            }
            let _ = provider.shutdown_with_timeout(FLUSH_TIMEOUT);
        }
    }
}

/// The ids of the spans that are open, kept while exporting so that the ones
/// still open at exit can be ended and sent.
#[derive(Default)]
struct OpenSpans {
    ids: Mutex<BTreeSet<u64>>,
}

impl OpenSpans {
    /// Ends every open span's OpenTelemetry span as interrupted; returns how many.
    fn end_all(&self) -> usize {
        let ids: Vec<u64> = match self.ids.lock() {
            Ok(mut ids) => std::mem::take(&mut *ids).into_iter().collect(),
            Err(_) => return 0,
        };
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let mut ended = 0;
        for id in ids {
            let Some(id) = std::num::NonZeroU64::new(id).map(tracing::span::Id::from_non_zero_u64)
            else {
                continue;
            };
            // None for spans the exporter filtered out.
            let Some(context) = tracing_opentelemetry::get_otel_context(&id, &dispatch) else {
                continue;
            };
            let span = context.span();
            if !span.span_context().is_valid() {
                continue;
            }
            span.set_attribute(opentelemetry::KeyValue::new("outcome", "interrupted"));
            span.set_status(opentelemetry::trace::Status::error("interrupted"));
            span.end();
            ended += 1;
        }
        ended
    }
}

/// Keeps [`OpenSpans`] up to date.
struct OpenSpansLayer(Arc<OpenSpans>);

impl<S: tracing::Subscriber> Layer<S> for OpenSpansLayer {
    fn on_new_span(
        &self,
        _attributes: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Ok(mut ids) = self.0.ids.lock() {
            ids.insert(id.into_u64());
        }
    }

    fn on_close(&self, id: tracing::span::Id, _context: tracing_subscriber::layer::Context<'_, S>) {
        if let Ok(mut ids) = self.0.ids.lock() {
            ids.remove(&id.into_u64());
        }
    }
}

/// The log filter the settings and `FROYO_LOG` ask for, or none (logs off).
fn log_filter(settings: &Settings) -> Option<EnvFilter> {
    let from_env = std::env::var("FROYO_LOG").ok().filter(|value| !value.trim().is_empty());
    let directives = match (settings.level, from_env) {
        (Some(level), _) => directives_for(level.as_str()),
        (None, Some(value)) => directives_for(value.trim()),
        (None, None) if settings.format.is_some() || settings.logs_by_default => {
            directives_for("info")
        }
        (None, None) => return None,
    };
    match EnvFilter::builder().with_default_directive(LevelFilter::OFF.into()).parse(&directives) {
        Ok(filter) => Some(filter),
        Err(error) => {
            eprintln!(
                "warning: FROYO_LOG `{directives}` is not a level or filter ({error}); logging at `info`"
            );
            EnvFilter::builder().parse("froyo=info").ok()
        }
    }
}

/// A bare level applies to froyo's own crates (whose targets all start with
/// `froyo`); anything else is taken as `tracing` filter directives.
fn directives_for(value: &str) -> String {
    match value.to_ascii_lowercase().as_str() {
        "off" => "off".to_string(),
        level @ ("error" | "warn" | "info" | "debug" | "trace") => format!("froyo={level}"),
        _ => value.to_string(),
    }
}

/// The level of the spans exported: `FROYO_TRACE_LEVEL` (`info` by
/// default; `debug` adds the provider calls, `trace` everything).
fn trace_level() -> &'static str {
    match std::env::var("FROYO_TRACE_LEVEL").map(|level| level.trim().to_ascii_lowercase()) {
        Ok(level) if level == "debug" => "debug",
        Ok(level) if level == "trace" => "trace",
        Ok(level) if level == "warn" => "warn",
        Ok(level) if level == "error" => "error",
        _ => "info",
    }
}

/// Whether an OpenTelemetry variable is set to something.
fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}

/// The tracer provider exporting to the OTLP endpoint of the environment, or
/// none when no endpoint is set or tracing is disabled.
fn otlp_provider() -> Option<SdkTracerProvider> {
    let endpoint_set =
        env_set("OTEL_EXPORTER_OTLP_ENDPOINT") || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|value| value.trim() == "true")
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|value| value.trim() == "none");
    if !endpoint_set || disabled {
        return None;
    }
    // The traces endpoint wins over the general one, as in the exporter.
    let (variable, endpoint) =
        ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
            .into_iter()
            .find_map(|name| {
                std::env::var(name)
                    .ok()
                    .filter(|value| !value.is_empty())
                    .map(|value| (name, value))
            })?;
    if endpoint.trim().get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")) {
        eprintln!(
            "warning: {variable} `{endpoint}`: this froyo has no TLS in its OTLP client, so traces are not sent; \
             send them over http:// to an OpenTelemetry Collector on this machine or network, which can forward them over TLS"
        );
        return None;
    }
    if let Ok(protocol) = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL")
        && !matches!(protocol.trim(), "" | "http/protobuf")
    {
        eprintln!(
            "warning: OTEL_EXPORTER_OTLP_PROTOCOL `{protocol}`: froyo sends OTLP over HTTP with protobuf (`http/protobuf`) only; using that"
        );
    }
    // The exporter reads the endpoint, headers, timeout and compression
    // variables itself.
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
    {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!(
                "warning: cannot export traces over OTLP ({error}); check OTEL_EXPORTER_OTLP_ENDPOINT"
            );
            return None;
        }
    };
    let mut resource = opentelemetry_sdk::Resource::builder()
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if !env_set("OTEL_SERVICE_NAME") {
        resource = resource.with_service_name("froyo");
    }
    Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::directives_for;

    #[test]
    fn a_bare_level_is_for_froyo_and_directives_pass_through() {
        assert_eq!(directives_for("debug"), "froyo=debug");
        assert_eq!(directives_for("WARN"), "froyo=warn");
        assert_eq!(directives_for("off"), "off");
        assert_eq!(directives_for("froyo_engine=trace"), "froyo_engine=trace");
    }
}
