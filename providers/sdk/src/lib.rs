//! Write a froyo provider in Rust.
//!
//! A provider crate implements [`Provider`] on a unit struct and calls
//! [`export!`]; the SDK owns the WIT bindings (`providers/wit/provider.wit`)
//! and the JSON (de)serialisation of requests and responses, so a provider
//! works only with the typed documents of `froyo-provider-api`.
//!
//! ```ignore
//! struct P;
//! impl froyo_provider_sdk::Provider for P { /* describe, probe, plan */ }
//! froyo_provider_sdk::export!(P);
//! ```
//!
//! The helpers in [`props`], [`changes`] and [`content`] are the logic
//! providers share: property getters with errors that name the property,
//! `Change` builders, mode normalisation and content hashing.
//!
//! Invariants: nothing here touches a clock, the environment, files, stdio or
//! randomness (providers run with every WASI import trapping), so maps are
//! `BTreeMap`s and hashing is `sha2`. The WIT export is emitted only for
//! `wasm32` targets; natively the crate is plain Rust for unit tests.

extern crate self as froyo_provider_sdk;

pub use froyo_provider_api as api;
pub use froyo_provider_api::{
    Action, Capabilities, Change, Check, Command, CommandOutput, Descriptor, Facts, HttpResponse,
    Op, PlanRequest, PlanResponse, Probe, ProbeOutcome, ProbeRequest, ProbeResponse, ProbeResult,
    Properties, Stat, VerifyRequest, VerifyResponse,
};
pub use serde_json::{Map, Value, json};

pub mod changes;
pub mod content;
pub mod props;

/// The WIT bindings; used by [`export!`] only.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/provider.wit",
        world: "provider",
        pub_export_macro: true,
        export_macro_name: "__froyo_export_world",
        default_bindings_module: "froyo_provider_sdk::bindings",
        runtime_path: "froyo_provider_sdk::__wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

/// The logic of one resource type: pure functions from documents to documents.
///
/// Errors are messages for the user; they should name the resource type and
/// what is wrong (`linux.file: /etc/x is a directory`).
pub trait Provider {
    /// The type it implements, its version and its capabilities.
    fn describe() -> Descriptor;
    /// What to ask the host about the desired resource.
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String>;
    /// Given the probes' results: what is there, what changes, and how.
    fn plan(request: PlanRequest) -> Result<PlanResponse, String>;
    /// Judge the result of an apply-time check. Default: no checks, so it
    /// is never asked and answers "nothing to verify".
    fn verify(request: VerifyRequest) -> Result<VerifyResponse, String> {
        let _ = request;
        Ok(VerifyResponse { ok: true, message: "nothing to verify".to_string() })
    }
}

/// Decode a request, call `f`, encode its answer: the JSON boundary of every
/// exported function.
pub fn call_json<Req, Resp>(
    function: &str,
    request: &str,
    f: impl FnOnce(Req) -> Result<Resp, String>,
) -> Result<String, String>
where
    Req: serde::de::DeserializeOwned,
    Resp: serde::Serialize,
{
    let request: Req = serde_json::from_str(request)
        .map_err(|e| format!("{function}: the request is not valid JSON of its type: {e}"))?;
    let response = f(request)?;
    serde_json::to_string(&response)
        .map_err(|e| format!("{function}: the response could not be encoded: {e}"))
}

#[doc(hidden)]
pub fn __describe<P: Provider>() -> bindings::Descriptor {
    let d = P::describe();
    bindings::Descriptor {
        type_name: d.type_name,
        version: d.version,
        capabilities: bindings::Capabilities {
            commands: d.capabilities.commands,
            path_properties: d.capabilities.path_properties,
            command_properties: d.capabilities.command_properties,
            url_properties: d.capabilities.url_properties,
        },
    }
}

/// Export `$ty` (which implements [`Provider`]) as the component's
/// `froyo:provider/provider` world. Emits nothing on non-wasm targets, so
/// provider crates also build natively for their unit tests.
#[macro_export]
macro_rules! export {
    ($ty:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __FroyoProviderExport;
            impl $crate::bindings::Guest for __FroyoProviderExport {
                fn describe() -> $crate::bindings::Descriptor {
                    $crate::__describe::<$ty>()
                }
                fn probe(request: ::std::string::String) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::call_json("probe", &request, <$ty as $crate::Provider>::probe)
                }
                fn plan(request: ::std::string::String) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::call_json("plan", &request, <$ty as $crate::Provider>::plan)
                }
                fn verify(request: ::std::string::String) -> ::std::result::Result<::std::string::String, ::std::string::String> {
                    $crate::call_json("verify", &request, <$ty as $crate::Provider>::verify)
                }
            }
            $crate::bindings::__froyo_export_world!(__FroyoProviderExport with_types_in $crate::bindings);
        };
    };
}

/// A descriptor from plain string lists (a convenience for `describe`).
pub fn descriptor(
    type_name: &str,
    commands: &[&str],
    path_properties: &[&str],
    command_properties: &[&str],
    url_properties: &[&str],
) -> Descriptor {
    let own = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    Descriptor {
        type_name: type_name.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        capabilities: Capabilities {
            commands: own(commands),
            path_properties: own(path_properties),
            command_properties: own(command_properties),
            url_properties: own(url_properties),
        },
    }
}

/// The result of probe `index`, or an error naming the provider and probe.
pub fn probe_result<'a>(
    type_name: &str,
    request: &'a PlanRequest,
    index: usize,
    what: &str,
) -> Result<&'a ProbeResult, String> {
    match request.probes.get(index) {
        None => Err(format!("{type_name}: the result of probe {index} ({what}) is missing")),
        Some(ProbeOutcome::Error(e)) => Err(format!("{type_name}: {what} failed: {e}")),
        Some(ProbeOutcome::Ok(r)) => Ok(r),
    }
}

/// The result of a `Stat` probe.
pub fn stat_result<'a>(
    type_name: &str,
    request: &'a PlanRequest,
    index: usize,
    what: &str,
) -> Result<&'a Stat, String> {
    match probe_result(type_name, request, index, what)? {
        ProbeResult::Stat(s) => Ok(s),
        other => {
            Err(format!("{type_name}: {what}: expected a stat result, got {}", kind_of(other)))
        }
    }
}

/// The result of a `Command` probe.
pub fn command_result<'a>(
    type_name: &str,
    request: &'a PlanRequest,
    index: usize,
    what: &str,
) -> Result<&'a CommandOutput, String> {
    match probe_result(type_name, request, index, what)? {
        ProbeResult::Command(c) => Ok(c),
        other => {
            Err(format!("{type_name}: {what}: expected a command result, got {}", kind_of(other)))
        }
    }
}

fn kind_of(r: &ProbeResult) -> &'static str {
    match r {
        ProbeResult::Stat(_) => "a stat result",
        ProbeResult::Command(_) => "a command result",
        ProbeResult::Http(_) => "an HTTP result",
    }
}

/// A plan response with nothing to do.
pub fn converged(observed: Option<Properties>) -> PlanResponse {
    PlanResponse {
        observed,
        action: Action::None,
        changes: Vec::new(),
        ops: Vec::new(),
        checks: Vec::new(),
        notes: Vec::new(),
    }
}
