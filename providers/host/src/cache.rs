//! The on-disk cache of compiled components.
//!
//! Compiling a component with Cranelift takes far longer than loading its
//! serialized artifact, so each component is compiled once per machine and
//! stored as `<dir>/<sha256 of the bytes>-<engine hash>.cwasm`, where the
//! engine hash covers wasmtime's version and the engine configuration
//! ([`wasmtime::Engine::precompile_compatibility_hash`]) plus [`CONFIG_TAG`].
//!
//! Invariants: files are written to a unique temporary name and renamed into
//! place, so a reader never sees a partial file; only files this module wrote
//! under that name are deserialized (and mapped into memory: a cache file is
//! never rewritten in place, only replaced by rename, or a live host would
//! fault); any error loading one means "recompile and
//! overwrite", never a failure. Cache errors are never fatal.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Changes whenever how we configure the engine changes in a way the
/// compatibility hash might not see.
pub const CONFIG_TAG: &str = "froyo-1";

/// The default cache directory: `$XDG_CACHE_HOME/froyo/wasm`, else
/// `$HOME/.cache/froyo/wasm`; `None` when `FROYO_WASM_CACHE=off` or neither is set.
pub fn default_dir() -> Option<PathBuf> {
    if std::env::var_os("FROYO_WASM_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(x) if !x.is_empty() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?).join(".cache"),
    };
    Some(base.join("froyo").join("wasm"))
}

/// The file a component's artifact is cached in.
pub fn path_for(dir: &Path, engine: &Engine, bytes: &[u8]) -> PathBuf {
    let digest = Sha256::digest(bytes);
    let mut name = String::with_capacity(100);
    for b in digest {
        name.push_str(&format!("{b:02x}"));
    }
    // A fixed-key SipHash: stable for one build of froyo, which is all a
    // cache key needs (another build hashing differently only recompiles).
    let mut hasher = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    CONFIG_TAG.hash(&mut hasher);
    name.push_str(&format!("-wasmtime48-{:016x}.cwasm", hasher.finish()));
    dir.join(name)
}

/// How a component was obtained, for tests and measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Deserialized from the cache file.
    Cache,
    /// Compiled (no cache, a miss, or an unusable cache file).
    Compiled,
}

/// Load `bytes`' compiled artifact from `dir`, or compile it and store it there.
pub fn load_or_compile(
    engine: &Engine,
    dir: Option<&Path>,
    bytes: &[u8],
) -> wasmtime::Result<(Component, Source)> {
    let Some(dir) = dir else {
        return Ok((Component::new(engine, bytes)?, Source::Compiled));
    };
    let path = path_for(dir, engine, bytes);
    if path.is_file() {
        // SAFETY: `path` is named after the sha256 of the component and the
        // engine's compatibility hash, inside froyo's own cache directory, and
        // only `store` below writes such names (atomically, from
        // `Component::serialize` of the same engine configuration). wasmtime
        // checks the header and compatibility; a corrupt or foreign file is an
        // error here, after which we recompile and overwrite it.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        if let Ok(component) = loaded {
            return Ok((component, Source::Cache));
        }
    }
    let component = Component::new(engine, bytes)?;
    if let Ok(serialized) = component.serialize() {
        store(dir, &path, &serialized);
    }
    Ok((component, Source::Compiled))
}

/// Write `data` to `path` through a unique temporary file and a rename.
/// Failures leave the cache without this entry, which is harmless.
fn store(dir: &Path, path: &Path, data: &[u8]) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let ok = std::fs::write(&tmp, data).is_ok() && std::fs::rename(&tmp, path).is_ok();
    if !ok {
        let _ = std::fs::remove_file(&tmp);
    }
}
