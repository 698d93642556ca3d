//! Reading configuration files into a flat list of [`Item`]s: conditions
//! (`Host`, `Match`), typed settings, and markers around included files.
//!
//! With [`super::files`] (opening files, expanding globs), this is the only
//! part of [`crate::config`] that touches the file system.
//! It follows `Include` (globs in the file-name parts of a path, sorted as
//! glob(3) sorts them), bounded three ways so that hostile files cannot make
//! it loop or explode: a nesting depth of 16 (OpenSSH's limit), no file
//! included from itself (directly or through others), and a budget of bytes
//! read in total.
//! Every problem becomes a warning naming the file and line.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::files::{MAX_GLOB_MATCHES, ReadError, canonical, glob, read_config_file};
use super::values;
use super::{ConfigError, ProxyJump, StrictHostKeyChecking};

/// OpenSSH's `READCONF_MAX_DEPTH`.
const MAX_INCLUDE_DEPTH: usize = 16;
/// All files read for one top-level file, includes counted each time.
const MAX_TOTAL_BYTES: u64 = 32 << 20;

#[derive(Clone, Debug)]
pub(super) enum Item {
    Condition(Condition),
    Setting(Setting),
    /// The items between this and the matching `LeaveInclude` come from an
    /// included file.
    EnterInclude,
    LeaveInclude,
}

#[derive(Clone, Debug)]
pub(super) enum Condition {
    /// `Host` patterns, negated ones starting with `!`.
    Host(Vec<String>),
    /// `Match` criteria, all of which must hold.
    Match(Vec<Criterion>),
    /// A `Match` line froyo cannot evaluate: its block never applies.
    Never,
}

#[derive(Clone, Debug)]
pub(super) enum Criterion {
    All,
    /// Matched against `HostName` once set, else the original name.
    Host {
        negated: bool,
        patterns: String,
    },
    OriginalHost {
        negated: bool,
        patterns: String,
    },
}

#[derive(Clone, Debug)]
pub(super) enum Setting {
    HostName(String),
    Port(u16),
    User(String),
    IdentityFile(String),
    CertificateFile(String),
    IdentitiesOnly(bool),
    IdentityAgent(String),
    ProxyJump(ProxyJump),
    ProxyCommand(String),
    StrictHostKeyChecking(StrictHostKeyChecking),
    UserKnownHostsFile(Vec<String>),
    GlobalKnownHostsFile(Vec<String>),
    ConnectTimeout(Duration),
    ServerAliveInterval(Duration),
    ServerAliveCountMax(u32),
    BatchMode(bool),
    PasswordAuthentication(bool),
}

#[derive(Default)]
pub(super) struct Loaded {
    pub(super) items: Vec<Item>,
    pub(super) warnings: Vec<String>,
}

struct Loader<'a> {
    home: &'a Path,
    /// Where relative `Include` paths point: `~/.ssh` or `/etc/ssh`.
    base_dir: &'a Path,
    /// The user's files must not be writable by others.
    check_permissions: bool,
    /// Files being read, outermost first, to refuse include cycles.
    stack: Vec<PathBuf>,
    /// Includes open around the line being read (0 in a top-level file).
    depth: usize,
    bytes_read: u64,
    out: Loaded,
}

/// Reads a top-level file; a missing one gives an empty list.
pub(super) fn load_top_level(
    file: &Path,
    base_dir: &Path,
    check_permissions: bool,
    home: &Path,
) -> Result<Loaded, ConfigError> {
    let text = match read_config_file(file, check_permissions) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Loaded::default()),
        Err(ReadError::Io(error)) => {
            return Err(ConfigError::Read { file: file.to_path_buf(), error });
        }
        Err(ReadError::Permissions(mode)) => {
            return Err(ConfigError::BadPermissions { file: file.to_path_buf(), mode });
        }
        Err(ReadError::TooLarge) => {
            return Err(ConfigError::Read {
                file: file.to_path_buf(),
                error: io::Error::new(io::ErrorKind::InvalidData, "larger than 4 MiB"),
            });
        }
    };
    let mut loader = Loader {
        home,
        base_dir,
        check_permissions,
        stack: vec![canonical(file)],
        depth: 0,
        bytes_read: text.len() as u64,
        out: Loaded::default(),
    };
    loader.parse_text(&text, file);
    Ok(loader.out)
}

/// Parses a text as if it were a top-level file named `name`.
pub(super) fn load_text(
    text: &str,
    name: &Path,
    base_dir: &Path,
    check_permissions: bool,
    home: &Path,
) -> Loaded {
    let mut loader = Loader {
        home,
        base_dir,
        check_permissions,
        stack: Vec::new(),
        depth: 0,
        bytes_read: text.len() as u64,
        out: Loaded::default(),
    };
    loader.parse_text(text, name);
    loader.out
}

impl Loader<'_> {
    fn warn(&mut self, file: &Path, line: usize, message: impl std::fmt::Display) {
        self.out.warnings.push(format!("{}:{line}: {message}", file.display()));
    }

    fn parse_text(&mut self, text: &str, file: &Path) {
        for (index, raw_line) in text.split('\n').enumerate() {
            let line_number = index + 1;
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            let (keyword, args) = match split_line(line) {
                Ok(Some(split)) => split,
                Ok(None) => continue,
                Err(message) => {
                    self.warn(file, line_number, message);
                    continue;
                }
            };
            let keyword = keyword.to_ascii_lowercase();
            match keyword.as_str() {
                "host" => {
                    if args.is_empty() {
                        self.warn(file, line_number, "Host without patterns: block ignored");
                        self.out.items.push(Item::Condition(Condition::Never));
                    } else {
                        self.out.items.push(Item::Condition(Condition::Host(args)));
                    }
                }
                "match" => {
                    let condition = match parse_match(&args) {
                        Ok(criteria) => Condition::Match(criteria),
                        Err(message) => {
                            self.warn(
                                file,
                                line_number,
                                format!("{message}: this Match block is ignored"),
                            );
                            Condition::Never
                        }
                    };
                    self.out.items.push(Item::Condition(condition));
                }
                "include" => self.include(&args, file, line_number),
                _ => match parse_setting(&keyword, &args) {
                    Ok(Some(setting)) => self.out.items.push(Item::Setting(setting)),
                    Ok(None) => {}
                    Err(message) => self.warn(file, line_number, message),
                },
            }
        }
    }

    fn include(&mut self, args: &[String], file: &Path, line_number: usize) {
        if args.is_empty() {
            self.warn(file, line_number, "Include without a file");
        }
        for arg in args {
            let expanded = super::expand_tilde(arg, self.home);
            let path = Path::new(&expanded);
            let path =
                if path.is_absolute() { path.to_path_buf() } else { self.base_dir.join(path) };
            let (matches, truncated) = glob(&path);
            if truncated {
                self.warn(
                    file,
                    line_number,
                    format!("Include {arg}: more than {MAX_GLOB_MATCHES} files, the rest ignored"),
                );
            }
            for included in matches {
                self.include_file(&included, file, line_number);
            }
        }
    }

    fn include_file(&mut self, included: &Path, file: &Path, line_number: usize) {
        if self.depth >= MAX_INCLUDE_DEPTH {
            self.warn(
                file,
                line_number,
                format!(
                    "Include {}: nested more than {MAX_INCLUDE_DEPTH} deep, ignored",
                    included.display()
                ),
            );
            return;
        }
        let key = canonical(included);
        if self.stack.contains(&key) {
            self.warn(
                file,
                line_number,
                format!("Include {}: includes itself, ignored", included.display()),
            );
            return;
        }
        let text = match read_config_file(included, self.check_permissions) {
            Ok(Some(text)) => text,
            Ok(None) => return,
            Err(ReadError::Io(error)) => {
                self.warn(file, line_number, format!("Include {}: {error}", included.display()));
                return;
            }
            Err(ReadError::Permissions(mode)) => {
                self.warn(
                    file,
                    line_number,
                    format!(
                        "Include {}: mode {mode:o} is writable by group or others, ignored",
                        included.display()
                    ),
                );
                return;
            }
            Err(ReadError::TooLarge) => {
                self.warn(
                    file,
                    line_number,
                    format!("Include {}: larger than 4 MiB, ignored", included.display()),
                );
                return;
            }
        };
        self.bytes_read = self.bytes_read.saturating_add(text.len() as u64);
        if self.bytes_read > MAX_TOTAL_BYTES {
            self.warn(
                file,
                line_number,
                format!(
                    "Include {}: more than 32 MiB of configuration read in total, ignored",
                    included.display()
                ),
            );
            return;
        }
        self.stack.push(key);
        self.depth += 1;
        self.out.items.push(Item::EnterInclude);
        self.parse_text(&text, included);
        self.out.items.push(Item::LeaveInclude);
        self.stack.pop();
        self.depth -= 1;
    }
}

/// Splits a line into its keyword and arguments, as OpenSSH does: the
/// keyword ends at whitespace or `=`; arguments are separated by
/// whitespace, may be quoted with `"` or `'`, and `\` escapes a quote,
/// a backslash or a space; an unquoted `#` starting a word ends the line.
/// `Ok(None)` for blank lines and comments.
fn split_line(line: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let line = line.trim_start_matches([' ', '\t', '\x0c']);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let keyword_end =
        line.find(|c: char| c == '=' || c.is_ascii_whitespace()).unwrap_or(line.len());
    let (keyword, mut rest) = line.split_at(keyword_end);
    rest = rest.trim_start_matches([' ', '\t', '\x0c', '\r']);
    if let Some(after_equals) = rest.strip_prefix('=') {
        rest = after_equals;
    }
    let args = split_arguments(rest)?;
    Ok(Some((keyword.to_owned(), args)))
}

fn split_arguments(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(args);
        };
        if first == '#' {
            return Ok(args);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = chars.peek() {
            if quote.is_none() && c.is_ascii_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\\' => match chars.peek() {
                    Some(&next)
                        if next == '\\'
                            || next == '"'
                            || next == '\''
                            || (next == ' ' && quote.is_none()) =>
                    {
                        word.push(next);
                        chars.next();
                    }
                    _ => word.push('\\'),
                },
                '"' | '\'' if quote == Some(c) => quote = None,
                '"' | '\'' if quote.is_none() => quote = Some(c),
                _ => word.push(c),
            }
        }
        if quote.is_some() {
            return Err("unterminated quote: line ignored".to_owned());
        }
        args.push(word);
    }
}

fn parse_match(args: &[String]) -> Result<Vec<Criterion>, String> {
    if args.is_empty() {
        return Err("Match without criteria".to_owned());
    }
    let mut criteria = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (negated, name) = match word.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, word.as_str()),
        };
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "all" => {
                if negated || args.len() != 1 {
                    return Err("'all' must stand alone".to_owned());
                }
                criteria.push(Criterion::All);
            }
            "host" | "originalhost" => {
                let Some(patterns) = words.next() else {
                    return Err(format!("Match {name} without patterns"));
                };
                let patterns = patterns.clone();
                criteria.push(if name == "host" {
                    Criterion::Host { negated, patterns }
                } else {
                    Criterion::OriginalHost { negated, patterns }
                });
            }
            other => {
                return Err(format!("froyo does not evaluate Match criterion '{other}'"));
            }
        }
    }
    Ok(criteria)
}

/// `Ok(None)` for keywords froyo does not use.
fn parse_setting(keyword: &str, args: &[String]) -> Result<Option<Setting>, String> {
    let one = || match args {
        [value] => Ok(value.as_str()),
        [] => Err(format!("{keyword} without a value: ignored")),
        _ => Err(format!("{keyword} takes one value: line ignored")),
    };
    let at_least_one = || {
        if args.is_empty() {
            Err(format!("{keyword} without a value: ignored"))
        } else {
            Ok(args.to_vec())
        }
    };
    let with_context = |message: String| format!("{keyword}: {message}: line ignored");
    let setting = match keyword {
        "hostname" => Setting::HostName(one()?.to_owned()),
        "port" => Setting::Port(values::parse_port(one()?).map_err(with_context)?),
        "user" => Setting::User(one()?.to_owned()),
        "identityfile" => Setting::IdentityFile(one()?.to_owned()),
        "certificatefile" => Setting::CertificateFile(one()?.to_owned()),
        "identitiesonly" => {
            Setting::IdentitiesOnly(values::parse_flag(one()?).map_err(with_context)?)
        }
        "identityagent" => Setting::IdentityAgent(one()?.to_owned()),
        "proxyjump" => Setting::ProxyJump(values::parse_proxy_jump(one()?).map_err(with_context)?),
        "proxycommand" => Setting::ProxyCommand(at_least_one()?.join(" ")),
        "stricthostkeychecking" => Setting::StrictHostKeyChecking(
            values::parse_strict_host_key_checking(one()?).map_err(with_context)?,
        ),
        "userknownhostsfile" => Setting::UserKnownHostsFile(known_hosts_files(at_least_one()?)),
        "globalknownhostsfile" => Setting::GlobalKnownHostsFile(known_hosts_files(at_least_one()?)),
        "connecttimeout" => {
            Setting::ConnectTimeout(values::parse_time(one()?).map_err(with_context)?)
        }
        "serveraliveinterval" => {
            Setting::ServerAliveInterval(values::parse_time(one()?).map_err(with_context)?)
        }
        "serveralivecountmax" => Setting::ServerAliveCountMax(
            one()?.parse::<u32>().map_err(|_| with_context("not a count".to_owned()))?,
        ),
        "batchmode" => Setting::BatchMode(values::parse_flag(one()?).map_err(with_context)?),
        "passwordauthentication" => {
            Setting::PasswordAuthentication(values::parse_flag(one()?).map_err(with_context)?)
        }
        _ => return Ok(None),
    };
    Ok(Some(setting))
}

/// `none` (alone) means no file at all.
fn known_hosts_files(args: Vec<String>) -> Vec<String> {
    match args.as_slice() {
        [only] if only.eq_ignore_ascii_case("none") => Vec::new(),
        _ => args,
    }
}
