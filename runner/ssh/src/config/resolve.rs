//! Resolving the parsed configuration for one host: walking conditions and
//! settings in order (first obtained value wins), then expanding `~` and `%`
//! tokens once every setting they depend on is known.
//!
//! No IO happens here; [`super::parse`] has read every file already.

use std::path::{Path, PathBuf};

use super::parse::{Condition, Criterion, Item, Setting};
use super::{HostConfig, LocalUser, glob_match};

/// Walks the parsed items for one host; values that take tokens are kept
/// raw until every setting is known, as `%h`, `%r` and `%p` depend on them.
pub(super) struct Resolver<'a> {
    original_host: &'a str,
    out: HostConfig,
    raw_identity_files: Vec<String>,
    raw_certificate_files: Vec<String>,
    raw_identity_agent: Option<String>,
    raw_user_known_hosts: Option<Vec<String>>,
    raw_global_known_hosts: Option<Vec<String>>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(original_host: &'a str) -> Self {
        Resolver {
            original_host,
            out: HostConfig::default(),
            raw_identity_files: Vec::new(),
            raw_certificate_files: Vec::new(),
            raw_identity_agent: None,
            raw_user_known_hosts: None,
            raw_global_known_hosts: None,
        }
    }

    pub(super) fn walk(&mut self, items: &[Item]) {
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
            Condition::Host(patterns) => host_patterns_match(patterns, self.original_host, false),
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
                    // OpenSSH lowercases the name it connects to.
                    let expanded = expand_host_name(value, self.original_host);
                    out.host_name = Some(expanded.to_ascii_lowercase());
                }
            }
            Setting::Port(port) => {
                out.port.get_or_insert(*port);
            }
            Setting::User(user) => {
                out.user.get_or_insert_with(|| user.clone());
            }
            // OpenSSH lists each file once, where it first appears.
            Setting::IdentityFile(file) => {
                if !self.raw_identity_files.contains(file) {
                    self.raw_identity_files.push(file.clone());
                }
            }
            Setting::CertificateFile(file) => {
                if !self.raw_certificate_files.contains(file) {
                    self.raw_certificate_files.push(file.clone());
                }
            }
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

    pub(super) fn finish(mut self, local: &LocalUser) -> HostConfig {
        let tokens = Tokens {
            home: local.home.to_string_lossy().into_owned(),
            local_user: local.name.clone(),
            host: self
                .out
                .host_name
                .clone()
                .unwrap_or_else(|| self.original_host.to_ascii_lowercase()),
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
pub(super) fn expand_tilde(raw: &str, home: &Path) -> String {
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
/// OpenSSH matches `Host` patterns case-sensitively against the name as
/// given (`Host web1` does not apply to `WEB1`), but `Match host` and
/// `Match originalhost` case-insensitively; `ssh -G` shows both.
fn host_patterns_match(patterns: &[String], host: &str, ignore_case: bool) -> bool {
    let mut matched = false;
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob_match(negated, host, ignore_case) {
                return false;
            }
        } else if glob_match(pattern, host, ignore_case) {
            matched = true;
        }
    }
    matched
}

/// A comma-separated pattern list (as in `Match host a,!b`), with the same
/// negation rule as a `Host` line, ignoring case.
fn pattern_list_matches(list: &str, host: &str) -> bool {
    let patterns: Vec<String> = list.split(',').map(str::to_owned).collect();
    host_patterns_match(&patterns, host, true)
}
