//! Runs froyo's providers: WebAssembly components, under wasmtime, granted
//! nothing, with fuel and memory limits, and with their answers checked
//! against their declared capabilities.
//!
//! One [`Host`] holds one wasmtime [`Engine`] (fuel metering on) and, per
//! provider, its [`Descriptor`] and a pre-linked instance. Every call gets a
//! fresh `Store` (memory cap, fuel) and a fresh instance, so providers keep
//! no state between calls and calls may run concurrently from many threads.
//!
//! Granted nothing: the linker defines no functions of ours; every import a
//! component has (the WASI interfaces Rust's standard library links) is
//! defined to trap when called, and imported resource types are defined as
//! opaque host resources that no function can produce
//! ([`wasmtime::component::Linker::define_unknown_imports_as_traps`]).
//!
//! [`Host::probe`] and [`Host::plan`] enforce [`check_capabilities`] before
//! returning, so the engine cannot forget to.
//!
//! Compiled components are cached on disk ([`cache`]). Instances come from
//! wasmtime's pooling allocator (see `engine`), so a call's fresh instance
//! costs microseconds.
//!
//! Boundary: the engine codes against [`Host`], [`HostOptions`],
//! [`ProviderError`] and [`check_capabilities`]; the WIT bindings are private.

pub mod builtin;
pub mod cache;
mod capabilities;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use froyo_provider_api::{
    Capabilities, Descriptor, PlanRequest, PlanResponse, ProbeRequest, ProbeResponse,
    VerifyRequest, VerifyResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap};

pub use cache::Source;
pub use capabilities::{CapabilityViolation, check_capabilities, normalize};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/provider.wit",
        world: "provider",
    });
}

/// Default fuel per call. A `linux.file` plan burns well under 1% of it;
/// a runaway loop is stopped within a second or two.
pub const DEFAULT_FUEL: u64 = 2_000_000_000;
/// Default memory cap per call (all linear memories and tables of the instance).
pub const DEFAULT_MEMORY_BYTES: usize = 64 * 1024 * 1024;

/// How a [`Host`] runs providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOptions {
    /// Where compiled components are cached; `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// Fuel each call may burn (roughly, wasm instructions).
    pub fuel: u64,
    /// Memory each call's instance may grow to, in bytes.
    pub memory_bytes: usize,
}

impl Default for HostOptions {
    /// The cache at [`cache::default_dir`] (off with `FROYO_WASM_CACHE=off`),
    /// [`DEFAULT_FUEL`], [`DEFAULT_MEMORY_BYTES`].
    fn default() -> Self {
        HostOptions {
            cache_dir: cache::default_dir(),
            fuel: DEFAULT_FUEL,
            memory_bytes: DEFAULT_MEMORY_BYTES,
        }
    }
}

/// A provider could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// wasmtime refused the engine configuration.
    Engine(String),
    /// A component did not compile, link or describe itself.
    Load { what: String, message: String },
    /// Two components implement the same type.
    Duplicate(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Engine(m) => write!(f, "cannot set up the WebAssembly engine: {m}"),
            HostError::Load { what, message } => {
                write!(f, "cannot load provider {what}: {message}")
            }
            HostError::Duplicate(t) => write!(f, "two providers implement the type {t}"),
        }
    }
}

impl std::error::Error for HostError {}

/// A provider call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// No provider implements this type.
    UnknownType { type_name: String, known: Vec<String> },
    /// The provider trapped (a bug, a panic, or a call to a WASI import it is not granted).
    Trap { type_name: String, function: &'static str, message: String },
    /// The call burnt all its fuel (an endless loop, or far too much work).
    OutOfFuel { type_name: String, function: &'static str, fuel: u64 },
    /// The call tried to grow its memory beyond the cap.
    MemoryLimit { type_name: String, function: &'static str, limit_bytes: usize },
    /// The provider answered something that is not the expected JSON document.
    BadJson { type_name: String, function: &'static str, message: String },
    /// The provider's own error message.
    Provider { type_name: String, function: &'static str, message: String },
    /// The answer goes beyond the provider's declared capabilities.
    Capability(CapabilityViolation),
    /// The host could not make the call (encode the request, instantiate).
    Host { type_name: String, function: &'static str, message: String },
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::UnknownType { type_name, known } => {
                write!(f, "no provider for resource type {type_name} (known: {})", known.join(", "))
            }
            ProviderError::Trap { type_name, function, message } => {
                write!(f, "provider {type_name} crashed in {function}: {message}")
            }
            ProviderError::OutOfFuel { type_name, function, fuel } => write!(
                f,
                "provider {type_name} ran out of fuel in {function} (limit {fuel}): it loops or does far too much work"
            ),
            ProviderError::MemoryLimit { type_name, function, limit_bytes } => write!(
                f,
                "provider {type_name} exceeded its memory limit of {} MiB in {function}",
                limit_bytes / (1024 * 1024)
            ),
            ProviderError::BadJson { type_name, function, message } => {
                write!(f, "provider {type_name} answered {function} with invalid JSON: {message}")
            }
            ProviderError::Provider { message, .. } => f.write_str(message),
            ProviderError::Capability(v) => write!(f, "refused: {v}"),
            ProviderError::Host { type_name, function, message } => {
                write!(f, "cannot call {function} of provider {type_name}: {message}")
            }
        }
    }
}

impl std::error::Error for ProviderError {}

/// Calls that may run at once with the pooling allocator; more at once fail
/// to instantiate ("limit reached"), which [`Host`] reports as a host error.
fn pool_slots() -> u32 {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
    u32::try_from(cores.saturating_mul(4)).unwrap_or(u32::MAX).clamp(64, 1024)
}

/// The engine: fuel metering, and (when `pooling`) wasmtime's pooling instance
/// allocator, which makes the fresh instance of every call cheap (memory
/// slots are reserved once and reset in place, see [`KEEP_RESIDENT_BYTES`],
/// instead of one `mmap` per call). Falls back to the on-demand allocator
/// when the pool's address space cannot be reserved.
fn engine(options: &HostOptions, pooling: bool) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(true);
    config.wasm_component_model(true);
    if pooling {
        let slots = pool_slots();
        let mut pool = wasmtime::PoolingAllocationConfig::new();
        // A Rust provider is one component of a few core instances (its code
        // and the shims of its imports) with one memory and a few tables.
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(8))
            .max_core_instances_per_component(16)
            .total_memories(slots.saturating_mul(2))
            .max_memories_per_component(2)
            .total_tables(slots.saturating_mul(4))
            .max_tables_per_component(4)
            // The store's limiter refuses growth beyond `memory_bytes` first;
            // the pool only needs room for it.
            .max_memory_size(options.memory_bytes.saturating_add(1 << 16))
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(64 << 10)
            .pagemap_scan(wasmtime::Enabled::Auto);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config)
}

/// How much of a memory slot stays resident between the instances that use
/// it. wasmtime resets a freed slot with `madvise`, so the next instance
/// page-faults every page it touches again (a Rust provider touches its
/// stack, data and a little heap: most of the first 1.5 MiB); kept resident,
/// the touched pages are found with `PAGEMAP_SCAN` (Linux 6.7 and later;
/// otherwise the low `KEEP_RESIDENT_BYTES` are cleared) and zeroed with
/// `memset`. Every instance still starts from a clean memory. This halved the
/// provider overhead of a resource (`benches/calls.rs`: p50 70 → 32 µs).
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// Per-call store data: the memory limits, and whether they refused a growth.
struct CallState {
    limits: StoreLimits,
    memory_refused: bool,
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = self.limits.memory_growing(current, desired, maximum)?;
        self.memory_refused |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }
    fn tables(&self) -> usize {
        self.limits.tables()
    }
    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

struct Loaded {
    descriptor: Descriptor,
    pre: bindings::ProviderPre<CallState>,
    source: Source,
}

/// Loaded providers, ready to call. `Send + Sync`; calls take `&self`.
pub struct Host {
    engine: Engine,
    options: HostOptions,
    providers: BTreeMap<String, Loaded>,
}

impl Host {
    /// An engine and the built-in providers ([`builtin::ALL`]), compiled in
    /// parallel or loaded from the cache.
    pub fn new(options: HostOptions) -> Result<Host, HostError> {
        Host::with_builtins(options, |_| true)
    }

    /// An engine and the built-in providers whose type `wanted` accepts: a
    /// run that uses two resource types compiles (or loads) two providers.
    pub fn with_builtins(
        options: HostOptions,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Host, HostError> {
        let engine = engine(&options, true)
            .or_else(|_| engine(&options, false))
            .map_err(|e| HostError::Engine(format!("{e:#}")))?;
        let mut host = Host { engine, options, providers: BTreeMap::new() };
        let selected: Vec<&(&str, &[u8])> =
            builtin::ALL.iter().filter(|(name, _)| wanted(name)).collect();
        let components = std::thread::scope(|scope| {
            let handles: Vec<_> = selected
                .iter()
                .map(|(name, bytes)| scope.spawn(|| host.compile(name, bytes)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(HostError::Load {
                            what: "(built-in)".into(),
                            message: "compilation panicked".into(),
                        })
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        for ((name, _), (component, source)) in selected.into_iter().zip(components) {
            host.link(name, component, source)?;
        }
        Ok(host)
    }

    /// Load one more provider component; returns its descriptor.
    pub fn load(&mut self, component_bytes: &[u8]) -> Result<Descriptor, HostError> {
        let (component, source) = self.compile("(component)", component_bytes)?;
        self.link("(component)", component, source)
    }

    fn compile(&self, what: &str, bytes: &[u8]) -> Result<(Component, Source), HostError> {
        cache::load_or_compile(&self.engine, self.options.cache_dir.as_deref(), bytes)
            .map_err(|e| HostError::Load { what: what.to_string(), message: format!("{e:#}") })
    }

    fn link(
        &mut self,
        what: &str,
        component: Component,
        source: Source,
    ) -> Result<Descriptor, HostError> {
        let load_err = |message: String| HostError::Load { what: what.to_string(), message };
        let mut linker: Linker<CallState> = Linker::new(&self.engine);
        linker
            .define_unknown_imports_as_traps(&component)
            .map_err(|e| load_err(format!("{e:#}")))?;
        let instance_pre =
            linker.instantiate_pre(&component).map_err(|e| load_err(format!("{e:#}")))?;
        let pre = bindings::ProviderPre::new(instance_pre).map_err(|e| {
            load_err(format!("it does not implement the froyo:provider world: {e:#}"))
        })?;
        // `describe` is ours to trust in size: it gets the default budget
        // even when calls are given less.
        let mut store = self.store(self.options.fuel.max(DEFAULT_FUEL));
        let instance = pre.instantiate(&mut store).map_err(|e| load_err(format!("{e:#}")))?;
        let d = instance
            .call_describe(&mut store)
            .map_err(|e| load_err(format!("describe failed: {e:#}")))?;
        let descriptor = Descriptor {
            type_name: d.type_name,
            version: d.version,
            capabilities: Capabilities {
                commands: d.capabilities.commands,
                path_properties: d.capabilities.path_properties,
                command_properties: d.capabilities.command_properties,
                url_properties: d.capabilities.url_properties,
            },
        };
        if self.providers.contains_key(&descriptor.type_name) {
            return Err(HostError::Duplicate(descriptor.type_name));
        }
        self.providers.insert(
            descriptor.type_name.clone(),
            Loaded { descriptor: descriptor.clone(), pre, source },
        );
        Ok(descriptor)
    }

    fn store(&self, fuel: u64) -> Store<CallState> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.options.memory_bytes)
            .instances(64)
            .tables(64)
            .memories(16)
            .build();
        let mut store = Store::new(&self.engine, CallState { limits, memory_refused: false });
        store.limiter(|s| s);
        // Only fails when fuel is not enabled, which `new` always does.
        let _ = store.set_fuel(fuel);
        store
    }

    /// The types of the loaded providers, sorted.
    pub fn types(&self) -> Vec<String> {
        self.providers.keys().cloned().collect()
    }

    /// A loaded provider's descriptor.
    pub fn descriptor(&self, type_name: &str) -> Option<&Descriptor> {
        self.providers.get(type_name).map(|l| &l.descriptor)
    }

    /// Whether a provider's compiled code came from the on-disk cache.
    pub fn from_cache(&self, type_name: &str) -> Option<bool> {
        self.providers.get(type_name).map(|l| l.source == Source::Cache)
    }

    /// The probes a resource needs, checked against the provider's capabilities.
    pub fn probe(
        &self,
        type_name: &str,
        request: &ProbeRequest,
    ) -> Result<ProbeResponse, ProviderError> {
        let (loaded, response): (_, ProbeResponse) = self.call(type_name, "probe", request)?;
        capabilities::check_items(
            &loaded.descriptor,
            &request.properties,
            response.probes.iter().map(|p| ("probe", p)),
            &[],
        )
        .map_err(ProviderError::Capability)?;
        Ok(response)
    }

    /// The plan of a resource, checked against the provider's capabilities
    /// (its operations and the probes of its checks).
    pub fn plan(
        &self,
        type_name: &str,
        request: &PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let (loaded, response): (_, PlanResponse) = self.call(type_name, "plan", request)?;
        capabilities::check_items(
            &loaded.descriptor,
            &request.properties,
            response.checks.iter().map(|c| ("check", &c.probe)),
            &response.ops,
        )
        .map_err(ProviderError::Capability)?;
        Ok(response)
    }

    /// Judge an apply-time check's result.
    pub fn verify(
        &self,
        type_name: &str,
        request: &VerifyRequest,
    ) -> Result<VerifyResponse, ProviderError> {
        self.call(type_name, "verify", request).map(|(_, r)| r)
    }

    fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        type_name: &str,
        function: &'static str,
        request: &Req,
    ) -> Result<(&Loaded, Resp), ProviderError> {
        let loaded = self.providers.get(type_name).ok_or_else(|| ProviderError::UnknownType {
            type_name: type_name.to_string(),
            known: self.types(),
        })?;
        let host_err = |message: String| ProviderError::Host {
            type_name: type_name.to_string(),
            function,
            message,
        };
        let json = serde_json::to_string(request).map_err(|e| host_err(e.to_string()))?;
        let mut store = self.store(self.options.fuel);
        let instance =
            loaded.pre.instantiate(&mut store).map_err(|e| host_err(format!("{e:#}")))?;
        let result = match function {
            "probe" => instance.call_probe(&mut store, &json),
            "plan" => instance.call_plan(&mut store, &json),
            _ => instance.call_verify(&mut store, &json),
        };
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => return Err(self.classify(type_name, function, &store, e)),
        };
        let text = answer.map_err(|message| ProviderError::Provider {
            type_name: type_name.to_string(),
            function,
            message,
        })?;
        let response = serde_json::from_str(&text).map_err(|e| ProviderError::BadJson {
            type_name: type_name.to_string(),
            function,
            message: e.to_string(),
        })?;
        Ok((loaded, response))
    }

    fn classify(
        &self,
        type_name: &str,
        function: &'static str,
        store: &Store<CallState>,
        e: wasmtime::Error,
    ) -> ProviderError {
        let type_name = type_name.to_string();
        if matches!(e.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
            return ProviderError::OutOfFuel { type_name, function, fuel: self.options.fuel };
        }
        if store.data().memory_refused {
            return ProviderError::MemoryLimit {
                type_name,
                function,
                limit_bytes: self.options.memory_bytes,
            };
        }
        let mut message = trap_message(&e);
        if message.contains("unknown import") {
            message.push_str(
                "\n(providers are granted no imports; a Rust provider calls one when it panics, \
                 reads the clock or the environment, or uses HashMap's RandomState)",
            );
        }
        ProviderError::Trap { type_name, function, message }
    }
}

/// The cause of a trap first, then the first frames of the wasm backtrace
/// (the embedded components are stripped, so frames are offsets).
fn trap_message(e: &wasmtime::Error) -> String {
    const FRAMES: usize = 6;
    let full = format!("{e:?}");
    let (head, cause) = match full.split_once("\n\nCaused by:\n") {
        Some((head, cause)) => (head, cause.trim()),
        None => (full.as_str(), ""),
    };
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let frames: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut message = if cause.is_empty() { first.to_string() } else { cause.to_string() };
    if !frames.is_empty() {
        message.push_str("\nwasm backtrace:");
        for frame in frames.iter().take(FRAMES) {
            message.push_str("\n  ");
            message.push_str(frame);
        }
        if frames.len() > FRAMES {
            message.push_str(&format!("\n  … {} more frames", frames.len() - FRAMES));
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Host>();
    }
}
