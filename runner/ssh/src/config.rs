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

mod parse;
mod values;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parse::{Condition, Criterion, Item, Setting};
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
    /// OpenSSH.
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
        let mut resolver = Resolver {
            original_host: host,
            out: HostConfig::default(),
            raw_identity_files: Vec::new(),
            raw_certificate_files: Vec::new(),
            raw_identity_agent: None,
            raw_user_known_hosts: None,
            raw_global_known_hosts: None,
        };
        resolver.walk(&self.user_items);
        resolver.walk(&self.system_items);
        let fallback = LocalUser { home: PathBuf::new(), name: String::new() };
        resolver.finish(self.local.as_ref().unwrap_or(&fallback))
    }
}

/// Walks the parsed items for one host; values that take tokens are kept
/// raw until every setting is known, as `%h`, `%r` and `%p` depend on them.
struct Resolver<'a> {
    original_host: &'a str,
    out: HostConfig,
    raw_identity_files: Vec<String>,
    raw_certificate_files: Vec<String>,
    raw_identity_agent: Option<String>,
    raw_user_known_hosts: Option<Vec<String>>,
    raw_global_known_hosts: Option<Vec<String>>,
}

impl Resolver<'_> {
    fn walk(&mut self, items: &[Item]) {
        // OpenSSH starts every top-level file active; an `Include` inside an
        // inactive block can never activate, and the state before an
        // `Include` comes back after it.
        let mut active = true;
        let mut never_match = false;
        let mut saved: Vec<(bool, bool)> = Vec::new();
        for item in items {
            match item {
                Item::EnterInclude => {
                    saved.push((active, never_match));
                    never_match |= !active;
                }
                Item::LeaveInclude => {
                    if let Some((was_active, was_never)) = saved.pop() {
                        active = was_active;
                        never_match = was_never;
                    }
                }
                Item::Condition(condition) => {
                    active = !never_match && self.matches(condition);
                }
                Item::Setting(setting) => {
                    if active {
                        self.apply(setting);
                    }
                }
            }
        }
    }

    fn matches(&self, condition: &Condition) -> bool {
        match condition {
            Condition::Host(patterns) => host_patterns_match(patterns, self.original_host),
            Condition::Never => false,
            Condition::Match(criteria) => criteria.iter().all(|criterion| match criterion {
                Criterion::All => true,
                Criterion::Host { negated, patterns } => {
                    let target = self.out.host_name.as_deref().unwrap_or(self.original_host);
                    pattern_list_matches(patterns, target) != *negated
                }
                Criterion::OriginalHost { negated, patterns } => {
                    pattern_list_matches(patterns, self.original_host) != *negated
                }
            }),
        }
    }

    fn apply(&mut self, setting: &Setting) {
        let out = &mut self.out;
        match setting {
            Setting::HostName(value) => {
                if out.host_name.is_none() {
                    out.host_name = Some(expand_host_name(value, self.original_host));
                }
            }
            Setting::Port(port) => {
                out.port.get_or_insert(*port);
            }
            Setting::User(user) => {
                out.user.get_or_insert_with(|| user.clone());
            }
            Setting::IdentityFile(file) => self.raw_identity_files.push(file.clone()),
            Setting::CertificateFile(file) => self.raw_certificate_files.push(file.clone()),
            Setting::IdentitiesOnly(flag) => {
                out.identities_only.get_or_insert(*flag);
            }
            Setting::IdentityAgent(agent) => {
                self.raw_identity_agent.get_or_insert_with(|| agent.clone());
            }
            Setting::ProxyJump(jump) => {
                if out.proxy_jump.is_none() && out.proxy_command.is_none() {
                    out.proxy_jump = Some(jump.clone());
                }
            }
            Setting::ProxyCommand(command) => {
                if out.proxy_jump.is_none() && out.proxy_command.is_none() {
                    out.proxy_command = Some(command.clone());
                }
            }
            Setting::StrictHostKeyChecking(mode) => {
                out.strict_host_key_checking.get_or_insert(*mode);
            }
            Setting::UserKnownHostsFile(files) => {
                self.raw_user_known_hosts.get_or_insert_with(|| files.clone());
            }
            Setting::GlobalKnownHostsFile(files) => {
                self.raw_global_known_hosts.get_or_insert_with(|| files.clone());
            }
            Setting::ConnectTimeout(duration) => {
                out.connect_timeout.get_or_insert(*duration);
            }
            Setting::ServerAliveInterval(duration) => {
                out.server_alive_interval.get_or_insert(*duration);
            }
            Setting::ServerAliveCountMax(count) => {
                out.server_alive_count_max.get_or_insert(*count);
            }
            Setting::BatchMode(flag) => {
                out.batch_mode.get_or_insert(*flag);
            }
            Setting::PasswordAuthentication(flag) => {
                out.password_authentication.get_or_insert(*flag);
            }
        }
    }

    fn finish(mut self, local: &LocalUser) -> HostConfig {
        let tokens = Tokens {
            home: local.home.to_string_lossy().into_owned(),
            local_user: local.name.clone(),
            host: self.out.host_name.clone().unwrap_or_else(|| self.original_host.to_owned()),
            original_host: self.original_host.to_owned(),
            remote_user: self.out.user.clone().unwrap_or_else(|| local.name.clone()),
            port: self.out.port.unwrap_or(22).to_string(),
        };
        let expand_path = |raw: &str| PathBuf::from(tokens.expand(&expand_tilde(raw, &local.home)));
        self.out.identity_files = self.raw_identity_files.iter().map(|f| expand_path(f)).collect();
        self.out.certificate_files =
            self.raw_certificate_files.iter().map(|f| expand_path(f)).collect();
        self.out.identity_agent = self.raw_identity_agent.map(|agent| {
            if agent == "none" || agent == "SSH_AUTH_SOCK" {
                agent
            } else {
                tokens.expand(&expand_tilde(&agent, &local.home))
            }
        });
        self.out.user_known_hosts_files =
            self.raw_user_known_hosts.map(|files| files.iter().map(|f| expand_path(f)).collect());
        self.out.global_known_hosts_files = self.raw_global_known_hosts.map(|files| {
            files.iter().map(|f| PathBuf::from(expand_tilde(f, &local.home))).collect()
        });
        self.out
    }
}

/// The values `%` tokens expand to.
struct Tokens {
    home: String,
    local_user: String,
    host: String,
    original_host: String,
    remote_user: String,
    port: String,
}

impl Tokens {
    /// Expands `%%`, `%d`, `%u`, `%h`, `%r`, `%p`, `%n` and `%k` (froyo has
    /// no `HostKeyAlias`, so `%k` is the original name).
    /// Tokens froyo does not know (`%C`, `%i`, `%l`, `%L`) stay as written,
    /// so a path that uses them names a file that does not exist rather than
    /// a different one.
    fn expand(&self, raw: &str) -> String {
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('d') => out.push_str(&self.home),
                Some('u') => out.push_str(&self.local_user),
                Some('h') => out.push_str(&self.host),
                Some('r') => out.push_str(&self.remote_user),
                Some('p') => out.push_str(&self.port),
                Some('n') | Some('k') => out.push_str(&self.original_host),
                Some(other) => {
                    out.push('%');
                    out.push(other);
                }
                None => out.push('%'),
            }
        }
        out
    }
}

/// `HostName` accepts only `%%` and `%h` (the original name).
fn expand_host_name(raw: &str, original_host: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('h') => out.push_str(original_host),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// `~` and `~/...` become the home directory; `~user/...` stays as written.
fn expand_tilde(raw: &str, home: &Path) -> String {
    if raw == "~" {
        return home.to_string_lossy().into_owned();
    }
    match raw.strip_prefix("~/") {
        Some(rest) => home.join(rest).to_string_lossy().into_owned(),
        None => raw.to_owned(),
    }
}

/// A `Host` line: it applies when some pattern matches and no negated
/// pattern does.
fn host_patterns_match(patterns: &[String], host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(negated, host) {
                return false;
            }
        } else if wildcard_match(pattern, host) {
            matched = true;
        }
    }
    matched
}

/// A comma-separated pattern list (as in `Match host a,!b`), with the same
/// negation rule as a `Host` line.
fn pattern_list_matches(list: &str, host: &str) -> bool {
    let patterns: Vec<String> = list.split(',').map(str::to_owned).collect();
    host_patterns_match(&patterns, host)
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
