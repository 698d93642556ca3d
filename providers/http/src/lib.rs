//! `probe.http`: an HTTP request made from the host after changes are
//! applied, whose answer must match, retried until it does.
//!
//! No plan-time probe: the plan is `Action::Check` with one `Check` of an
//! `Http` probe (`url`, `method`, `headers`, `timeout` in ms), `retries` and
//! `interval`. `verify` passes when the status equals `status` and, when
//! `body` is set, the body matches it as a regular expression (unanchored,
//! the `regex` crate's syntax). An invalid regular expression is an error at
//! plan time.
//!
//! Boundary: the pure logic is [`plan_http`] and [`verify_http`].

use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Check, Descriptor, PlanRequest, PlanResponse, Probe, ProbeOutcome, ProbeRequest,
    ProbeResponse, ProbeResult, Properties, Provider, VerifyRequest, VerifyResponse, descriptor,
};
use regex_automata::meta::Regex;

pub const TYPE: &str = "probe.http";

pub struct HttpProvider;

impl Provider for HttpProvider {
    fn describe() -> Descriptor {
        descriptor(TYPE, &[], &[], &[], &["url"])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        let _ = request;
        Ok(ProbeResponse::default())
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_http(&request)
    }
    fn verify(request: VerifyRequest) -> Result<VerifyResponse, String> {
        verify_http(&request)
    }
}

froyo_provider_sdk::export!(HttpProvider);

/// The `body` pattern, compiled. `regex-automata` without its `std` feature:
/// with `std` it keeps capture names in a `HashMap` whose `RandomState` asks
/// WASI for a random seed, which providers are not granted.
fn body_regex(properties: &Properties) -> Result<Option<(&str, Regex)>, String> {
    let p = Props::new(TYPE, properties);
    match p.opt_str("body")? {
        None => Ok(None),
        Some(pattern) => Regex::builder()
            .configure(Regex::config().nfa_size_limit(Some(1 << 20)))
            .build(pattern)
            .map(|re| Some((pattern, re)))
            .map_err(|e| match e.syntax_error() {
                Some(syntax) => {
                    format!("{TYPE}: `body` is not a valid regular expression:\n{syntax}")
                }
                None => format!("{TYPE}: `body` is not a valid regular expression: {e}"),
            }),
    }
}

/// One check of the URL.
pub fn plan_http(request: &PlanRequest) -> Result<PlanResponse, String> {
    let p = Props::new(TYPE, &request.properties);
    let url = p.str("url")?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{TYPE}: url {url:?} is not http:// or https://"));
    }
    body_regex(&request.properties)?;
    let probe = Probe::Http {
        url: url.to_string(),
        method: p.str_or("method", "GET")?.to_string(),
        headers: p.str_map("headers")?,
        timeout_ms: p.u64_or("timeout", 10)?.saturating_mul(1000),
    };
    let retries = u32::try_from(p.u64_or("retries", 3)?).unwrap_or(u32::MAX);
    Ok(PlanResponse {
        observed: None,
        action: Action::Check,
        changes: Vec::new(),
        ops: Vec::new(),
        checks: vec![Check {
            probe,
            retries,
            interval_ms: p.u64_or("interval", 2)?.saturating_mul(1000),
        }],
        notes: Vec::new(),
    })
}

/// Status, then body.
pub fn verify_http(request: &VerifyRequest) -> Result<VerifyResponse, String> {
    let p = Props::new(TYPE, &request.properties);
    let want = p.u64_or("status", 200)?;
    let response = match &request.result {
        ProbeOutcome::Error(e) => {
            return Ok(VerifyResponse { ok: false, message: format!("the request failed: {e}") });
        }
        ProbeOutcome::Ok(ProbeResult::Http(r)) => r,
        ProbeOutcome::Ok(_) => return Err(format!("{TYPE}: verify expects an HTTP result")),
    };
    if u64::from(response.status) != want {
        return Ok(VerifyResponse {
            ok: false,
            message: format!("status {} (expected {want})", response.status),
        });
    }
    if let Some((pattern, re)) = body_regex(&request.properties)?
        && !re.is_match(response.body.as_str())
    {
        return Ok(VerifyResponse {
            ok: false,
            message: format!("the body does not match /{pattern}/"),
        });
    }
    Ok(VerifyResponse { ok: true, message: String::new() })
}
