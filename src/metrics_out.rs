//! Where Prometheus metrics leave the process: a textfile replaced
//! atomically (node_exporter's textfile collector reads `*.prom` files in
//! its directory) and a small HTTP endpoint serving `/metrics` for
//! `drift --watch`.
//!
//! The textfile is in Prometheus' text format (what the collector reads).
//! The endpoint answers `GET /metrics` (and `/`) with the OpenMetrics text
//! (or the older text format when the client does not ask for OpenMetrics)
//! and anything else with 404; one request per connection, each connection
//! bounded in time, so a slow or hostile client cannot hold the watch up.

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use froyo_engine::Metrics;

/// The content type Prometheus asks for and prometheus-client writes.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Prometheus' older text format, for clients that do not ask for OpenMetrics.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes `metrics` to `path`: a temporary file beside it, then a rename, so
/// a collector never reads half a file.
pub fn write_file(path: &Path, metrics: &Metrics) -> io::Result<()> {
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Not `*.prom`: the collector must not read the temporary file.
    let temporary = directory.join(format!(".{name}.{}.tmp", std::process::id()));
    let text = froyo_engine::metrics::prometheus_text(&metrics.encode());
    let result = std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Writes the metrics file when one was asked for, printing a warning when
/// it cannot be written (the run itself is not failed by it).
pub fn write_requested(path: Option<&Path>, metrics: &Metrics) {
    if let Some(path) = path
        && let Err(error) = write_file(path, metrics)
    {
        crate::output::print_error(&format!(
            "E1221 cannot write the metrics file {}: {error}; check that its directory exists and is writable",
            path.display()
        ));
    }
}

/// Ends a one-shot command's metrics: a run that ended before the engine
/// recorded it (the lock was held, the workspace had errors) still counts,
/// as `locked` or `error`; then the file is written when one was asked for.
pub fn finish(
    path: Option<&Path>,
    metrics: &Metrics,
    kind: froyo_engine::metrics::RunKind,
    status: &io::Result<crate::ExitStatus>,
) {
    use froyo_engine::metrics::RunOutcome;
    if metrics.runs_recorded() == 0 {
        let outcome = match status {
            Ok(crate::ExitStatus::Locked) => RunOutcome::Locked,
            _ => RunOutcome::Error,
        };
        metrics.record_run(kind, outcome);
    }
    write_requested(path, metrics);
}

/// Listens on `address` and serves `metrics` from a thread of its own;
/// returns the address actually bound (port 0 picks one).
pub fn serve(address: SocketAddr, metrics: Arc<Metrics>) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(address)?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new().name("froyo-metrics".to_string()).spawn(move || {
        loop {
            match listener.accept() {
                // A broken client affects that client only.
                Ok((stream, _)) => {
                    let _ = answer(stream, &metrics);
                }
                // Out of descriptors, say: wait rather than spin.
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    })?;
    Ok(bound)
}

/// How long a client may take to send its request and read the answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

fn answer(stream: TcpStream, metrics: &Metrics) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    // Bounded: a request line longer than 8 KiB is refused.
    (&mut reader).take(8192).read_line(&mut request_line)?;
    // Read the headers (bounded too): only `Accept` matters.
    let mut header = String::new();
    let mut header_bytes = 0usize;
    let mut openmetrics = false;
    loop {
        header.clear();
        let read = (&mut reader).take(8192).read_line(&mut header)?;
        header_bytes += read;
        if read == 0 || header == "\r\n" || header == "\n" || header_bytes > 65536 {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("accept")
        {
            openmetrics |= value.contains("application/openmetrics-text");
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        // Prometheus asks for OpenMetrics; anything else gets the older text format.
        ("GET" | "HEAD", "/metrics" | "/") if openmetrics => {
            ("200 OK", OPENMETRICS, metrics.encode())
        }
        ("GET" | "HEAD", "/metrics" | "/") => {
            ("200 OK", PROMETHEUS_TEXT, froyo_engine::metrics::prometheus_text(&metrics.encode()))
        }
        ("GET" | "HEAD", _) => {
            ("404 Not Found", "text/plain; charset=utf-8", "not found: try /metrics\n".to_string())
        }
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET /metrics is served\n".to_string(),
        ),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}
