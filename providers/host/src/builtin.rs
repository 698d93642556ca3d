//! The providers built into froyo: WebAssembly components built by `build.rs`
//! for `wasm32-wasip2` and embedded here.
//!
//! Invariant: every constant is a component (checked by `build.rs`); the
//! overreach provider is for tests and is not in [`ALL`].

macro_rules! embed {
    ($stem:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $stem, ".wasm"))
    };
}

/// `linux.file`.
pub const FILE: &[u8] = embed!("froyo_provider_file");
/// `linux.directory`.
pub const DIRECTORY: &[u8] = embed!("froyo_provider_directory");
/// `linux.exec`.
pub const EXEC: &[u8] = embed!("froyo_provider_exec");
/// `linux.package`.
pub const PACKAGE: &[u8] = embed!("froyo_provider_package");
/// `linux.service`.
pub const SERVICE: &[u8] = embed!("froyo_provider_service");
/// `linux.user`.
pub const USER: &[u8] = embed!("froyo_provider_user");
/// `linux.group`.
pub const GROUP: &[u8] = embed!("froyo_provider_group");
/// `probe.http`.
pub const HTTP: &[u8] = embed!("froyo_provider_http");
/// `test.overreach`: a provider that acts outside its capabilities, for tests.
pub const OVERREACH: &[u8] = embed!("froyo_provider_overreach");

/// The providers [`crate::Host::new`] loads, with the type each implements.
pub const ALL: &[(&str, &[u8])] = &[
    ("linux.file", FILE),
    ("linux.directory", DIRECTORY),
    ("linux.exec", EXEC),
    ("linux.package", PACKAGE),
    ("linux.service", SERVICE),
    ("linux.user", USER),
    ("linux.group", GROUP),
    ("probe.http", HTTP),
];
