//! What OpenSSH's client configuration (`~/.ssh/config`, then
//! `/etc/ssh/ssh_config`) says about one host.
//!
//! Start at [`SshConfig::load`] and [`SshConfig::resolve`].
//! Loading reads the files once (following `Include`, with globs, a depth
//! limit and cycle protection) into a flat list of conditions and typed
//! settings; resolving walks that list for one host name, applying
//! OpenSSH's rule that the first obtained value wins (except `IdentityFile`
//! and `CertificateFile`, which accumulate), then expands `~` and `%`
//! tokens.
//! Resolving does no IO.
//!
//! This is a small hand-written parser rather than the `ssh2-config` crate:
//! that crate files `Match` lines under unknown fields, so a `Match` block's
//! settings would be attributed to the `Host` block before it, and it does
//! not parse `StrictHostKeyChecking`, `UserKnownHostsFile` or conditional
//! `Include`.
//! For a transport whose job is to be strict about host keys those are the
//! settings that matter most, and the grammar is small, so owning it is
//! cheaper than working around it.
//!
//! What it is not: a complete `ssh_config` implementation.
//! Only the keywords in [`HostConfig`] are interpreted; others are skipped
//! silently, as they do not change how froyo connects.
//! `Match` understands `all`, `host` and `originalhost` (each may be negated
//! with `!`); a block with any other criterion (`exec`, `user`, `final`, ...)
//! never applies and is reported in [`SshConfig::warnings`].
//! Where OpenSSH would refuse a malformed line, this module records a warning
//! and ignores the line instead; it never panics, whatever the files hold.

// Files and servers are hostile input: errors are values, never panics.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::indexing_slicing
)]

mod files;
mod parse;
mod resolve;
mod values;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parse::Item;
use resolve::{Resolver, expand_tilde};
pub use values::parse_proxy_jump;

/// The local account whose configuration is read: `~` and `%d` expand to
/// `home`, `%u` (and `%r` when no `User` is set) to `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalUser {
    pub home: PathBuf,
    pub name: String,
}

/// The parsed user and system configuration files.
#[derive(Clone, Debug, Default)]
pub struct SshConfig {
    user_items: Vec<Item>,
    system_items: Vec<Item>,
    local: Option<LocalUser>,
    warnings: Vec<String>,
}

/// Why the configuration could not be loaded at all.
/// Problems inside a file are warnings, not errors.
#[derive(Debug)]
pub enum ConfigError {
    /// A top-level file exists but could not be read.
    Read { file: PathBuf, error: std::io::Error },
    /// The user's file is writable by group or others; OpenSSH refuses such
    /// a file because someone else could point `ProxyCommand` anywhere.
    BadPermissions { file: PathBuf, mode: u32 },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { file, error } => {
                write!(f, "cannot read {}: {error}", file.display())
            }
            ConfigError::BadPermissions { file, mode } => write!(
                f,
                "bad permissions {mode:o} on {}: it must not be writable by group or others (chmod go-w)",
                file.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// One hop of `ProxyJump`: `[user@]host[:port]` or `ssh://[user@]host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpHop {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// The value of `ProxyJump`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyJump {
    /// `ProxyJump none`: connect directly (and ignore later values).
    None,
    /// Hops in the order they are traversed.
    Hops(Vec<JumpHop>),
}

/// The value of `StrictHostKeyChecking`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrictHostKeyChecking {
    Yes,
    AcceptNew,
    No,
    /// OpenSSH asks interactively; froyo has no one to ask, so callers treat
    /// it as [`StrictHostKeyChecking::Yes`].
    Ask,
}

/// Everything the configuration says about one host.
/// `None` means the files do not say, and the caller picks the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_files: Vec<PathBuf>,
    pub certificate_files: Vec<PathBuf>,
    pub identities_only: Option<bool>,
    /// `none`, `SSH_AUTH_SOCK`, or a socket path (with `~` and tokens expanded).
    pub identity_agent: Option<String>,
    pub proxy_jump: Option<ProxyJump>,
    /// froyo does not run proxy commands; this is here so that callers can
    /// refuse a host that needs one instead of silently connecting directly.
    /// Whichever of `ProxyJump` and `ProxyCommand` comes first wins, as in
    /// OpenSSH; `ProxyCommand none` is kept as `"none"` and means no proxy.
    pub proxy_command: Option<String>,
    pub strict_host_key_checking: Option<StrictHostKeyChecking>,
    /// `UserKnownHostsFile none` gives an empty list.
    pub user_known_hosts_files: Option<Vec<PathBuf>>,
    pub global_known_hosts_files: Option<Vec<PathBuf>>,
    pub connect_timeout: Option<Duration>,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: Option<u32>,
    pub batch_mode: Option<bool>,
    pub password_authentication: Option<bool>,
}

impl SshConfig {
    /// Reads `user_config` (normally `~/.ssh/config`), then `system_config`
    /// (normally `/etc/ssh/ssh_config`).
    /// Missing files are fine.
    /// Relative `Include` paths are resolved against `~/.ssh` for the user
    /// file, and against the directory holding `system_config` for the system
    /// file (`/etc/ssh` for the standard one, as OpenSSH does).
    pub fn load(
        user_config: Option<&Path>,
        system_config: Option<&Path>,
        local: &LocalUser,
    ) -> Result<SshConfig, ConfigError> {
        let mut config = SshConfig { local: Some(local.clone()), ..SshConfig::default() };
        if let Some(file) = user_config {
            let base = local.home.join(".ssh");
            let loaded = parse::load_top_level(file, &base, true, &local.home)?;
            config.user_items = loaded.items;
            config.warnings.extend(loaded.warnings);
        }
        if let Some(file) = system_config {
            let base = file.parent().unwrap_or(Path::new("/")).to_path_buf();
            let loaded = parse::load_top_level(file, &base, false, &local.home)?;
            config.system_items = loaded.items;
            config.warnings.extend(loaded.warnings);
        }
        Ok(config)
    }

    /// Parses configuration texts (the user's, then the system's) without
    /// reading them from disk; `Include` lines still read the file system
    /// (relative ones from `~/.ssh` and `/etc/ssh`).
    pub fn from_texts(user_text: &str, system_text: &str, local: &LocalUser) -> SshConfig {
        let user = parse::load_text(
            user_text,
            Path::new("<user config>"),
            &local.home.join(".ssh"),
            true,
            &local.home,
        );
        let system = parse::load_text(
            system_text,
            Path::new("<system config>"),
            Path::new("/etc/ssh"),
            false,
            &local.home,
        );
        let mut warnings = user.warnings;
        warnings.extend(system.warnings);
        SshConfig {
            user_items: user.items,
            system_items: system.items,
            local: Some(local.clone()),
            warnings,
        }
    }

    /// Lines that were ignored, and why (`file:line: message`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Everything the configuration says for `host`, the name as given on
    /// the command line or in the inventory.
    /// The user file is read before the system file; the first obtained
    /// value wins.
    pub fn resolve(&self, host: &str) -> HostConfig {
        let mut resolver = Resolver::new(host);
        resolver.walk(&self.user_items);
        resolver.walk(&self.system_items);
        let fallback = LocalUser { home: PathBuf::new(), name: String::new() };
        resolver.finish(self.local.as_ref().unwrap_or(&fallback))
    }
}

/// Case-insensitive glob with `*` (any run) and `?` (one character), as
/// OpenSSH matches host names.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    glob_match(pattern, text, true)
}

/// Glob with `*` and `?`; iterative with one backtrack point, so it takes
/// at most `pattern.len() * text.len()` steps whatever the input.
pub(crate) fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |c: char| if ignore_case { c.to_ascii_lowercase() } else { c };
    let pattern: Vec<char> = pattern.chars().map(fold).collect();
    let text: Vec<char> = text.chars().map(fold).collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&current) = text.get(t) {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == current => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).unwrap_or(&[]).iter().all(|&c| c == '*')
}
