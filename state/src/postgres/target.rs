//! [`PostgresTarget`]: a PostgreSQL state location as the user wrote it
//! (`postgres://user@host:port/db?workspace=ID`), checked, and turned into a
//! connection configuration with the password from the environment or
//! `~/.pgpass`.
//!
//! Invariant: a target never holds a password. A URL with one (in its user
//! part or as `password=`) is refused: it would end up in shell history,
//! process lists and logs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use crate::error::StateError;

/// The froyo-only query parameters, removed before the rest goes to the driver.
const WORKSPACE_PARAMETER: &str = "workspace";
const ROOT_CERTIFICATE_PARAMETER: &str = "sslrootcert";

/// One workspace's state in a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTarget {
    /// What the user wrote (it holds no password): for messages.
    written: String,
    /// The URL the driver parses: without froyo's own parameters.
    driver_url: String,
    workspace: String,
    root_certificate: Option<PathBuf>,
    /// The team key's file, when the caller names it instead of the environment.
    key_file: Option<PathBuf>,
}

impl PostgresTarget {
    /// Reads `postgres://[user@]host[:port]/database?workspace=ID[&…]`.
    ///
    /// `workspace` names the workspace's state in the database (letters,
    /// digits, `.`, `_`, `-`, `/`; up to 200 characters); every controller
    /// of one workspace uses the same id. `sslmode` is `disable`, `prefer`
    /// (the default) or `require`; `verify-ca` and `verify-full` mean
    /// `require`, since froyo always verifies the server's certificate
    /// (against `sslrootcert=FILE` when given, else the public roots).
    /// Other parameters are the driver's (`host=/run/postgresql` for a Unix
    /// socket, `connect_timeout`, `application_name`, ...).
    pub fn parse(text: &str) -> Result<PostgresTarget, StateError> {
        let invalid = |detail: String| StateError::InvalidLocation { detail };
        let (base, query) = match text.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (text, None),
        };
        let authority = base.split_once("://").map_or("", |(_, rest)| rest);
        let authority = authority.split('/').next().unwrap_or("");
        if let Some((user_part, _)) = authority.rsplit_once('@')
            && user_part.contains(':')
        {
            return Err(invalid(
                "the URL holds a password, which would end up in shell history, process \
                 lists and logs: remove it, and give it in PGPASSWORD or ~/.pgpass instead"
                    .to_string(),
            ));
        }
        let mut workspace = None;
        let mut root_certificate = None;
        let mut kept = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = percent_decode(value).ok_or_else(|| {
                invalid(format!("the value of `{name}` is not valid percent-encoding"))
            })?;
            match name {
                WORKSPACE_PARAMETER => workspace = Some(decoded),
                ROOT_CERTIFICATE_PARAMETER => root_certificate = Some(PathBuf::from(decoded)),
                "password" => {
                    return Err(invalid(
                        "the URL holds a password (`password=`), which would end up in shell \
                         history, process lists and logs: give it in PGPASSWORD or ~/.pgpass"
                            .to_string(),
                    ));
                }
                "sslmode" if matches!(decoded.as_str(), "verify-ca" | "verify-full") => {
                    kept.push("sslmode=require".to_string());
                }
                _ => kept.push(pair.to_string()),
            }
        }
        let workspace = workspace.ok_or_else(|| {
            invalid(
                "name the workspace in the URL, for example `?workspace=web-prod`: one \
                 database holds the state of many workspaces, and every controller of one \
                 workspace must use the same id"
                    .to_string(),
            )
        })?;
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/');
        if workspace.is_empty() || workspace.len() > 200 || !workspace.chars().all(valid) {
            return Err(invalid(format!(
                "workspace id `{}` is not usable: use 1 to 200 letters, digits, `.`, `_`, `-` or `/`",
                workspace.escape_debug()
            )));
        }
        let driver_url =
            if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        // The driver's own checks, now, so a typo shows before anything connects.
        postgres::Config::from_str(&driver_url)
            .map_err(|error| invalid(format!("the driver cannot read it: {error}")))?;
        Ok(PostgresTarget {
            written: text.to_string(),
            driver_url,
            workspace,
            root_certificate,
            key_file: None,
        })
    }

    /// The workspace's id in the database.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// Takes the team key from `path` instead of `FROYO_STATE_KEY_FILE` or
    /// `FROYO_STATE_KEY`.
    pub fn with_key_file(mut self, path: PathBuf) -> PostgresTarget {
        self.key_file = Some(path);
        self
    }

    /// The file the team key is read from when the caller named one.
    pub(crate) fn key_file(&self) -> Option<&Path> {
        self.key_file.as_deref()
    }

    /// The CA certificate file (PEM) the server's certificate is checked against.
    pub(crate) fn root_certificate(&self) -> Option<&Path> {
        self.root_certificate.as_deref()
    }

    /// The driver's configuration: the user from the URL, else `PGUSER`,
    /// else the login name; the password from `PGPASSWORD`, else the
    /// password file (`PGPASSFILE`, else `~/.pgpass`).
    pub(crate) fn config(&self, login: &str) -> Result<postgres::Config, StateError> {
        let mut config = postgres::Config::from_str(&self.driver_url).map_err(|error| {
            StateError::InvalidLocation { detail: format!("the driver cannot read it: {error}") }
        })?;
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER").ok().filter(|user| !user.is_empty());
            config.user(user.as_deref().unwrap_or(login));
        }
        if config.get_application_name().is_none() {
            config.application_name("froyo");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if let Some(password) = std::env::var("PGPASSWORD").ok().filter(|value| !value.is_empty()) {
            config.password(password);
        } else if let Some(password) = password_from_file(&config)? {
            config.password(password);
        }
        Ok(config)
    }
}

impl fmt::Display for PostgresTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// `%XX` sequences decoded; `None` for a malformed one or text that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The password for `config` in the password file, in libpq's format:
/// `host:port:database:user:password` lines, `*` matching anything,
/// `\:` and `\\` escaped, `#` comments; `localhost` also matches a Unix
/// socket. The file is ignored unless only its owner can read it, as libpq does.
fn password_from_file(config: &postgres::Config) -> Result<Option<String>, StateError> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(".pgpass"),
            None => return Ok(None),
        },
    };
    let Ok(metadata) = std::fs::metadata(&path) else {
        return Ok(None);
    };
    {
        use std::os::unix::fs::PermissionsExt as _;
        if !metadata.is_file() || metadata.permissions().mode() & 0o077 != 0 {
            return Ok(None);
        }
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|error| StateError::io(&path, "read the password file", error))?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        Some(postgres::config::Host::Unix(_)) | None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or_default();
    let database = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), database, user];
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let fields = split_password_line(line);
        let [h, p, d, u, password] = fields.as_slice() else { continue };
        let matches = [h, p, d, u]
            .iter()
            .zip(wanted)
            .all(|(field, wanted)| field.as_str() == "*" || field.as_str() == wanted);
        if matches {
            return Ok(Some(password.clone()));
        }
    }
    Ok(None)
}

/// The colon-separated fields of a password file line, unescaped.
fn split_password_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut characters = line.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => {
                if let Some(next) = characters.next()
                    && let Some(field) = fields.last_mut()
                {
                    field.push(next);
                }
            }
            ':' => fields.push(String::new()),
            other => {
                if let Some(field) = fields.last_mut() {
                    field.push(other);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_and_root_certificate_are_ours_the_rest_the_drivers() {
        let target = PostgresTarget::parse(
            "postgres://froyo@db.example:5433/state?workspace=web%2Fprod&sslmode=verify-full&sslrootcert=/etc/ca.pem",
        )
        .unwrap();
        assert_eq!(target.workspace(), "web/prod");
        assert_eq!(target.root_certificate(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(target.driver_url, "postgres://froyo@db.example:5433/state?sslmode=require");
    }

    #[test]
    fn passwords_and_missing_or_odd_workspaces_are_refused() {
        for (url, expected) in [
            ("postgres://froyo:hunter2@db/state?workspace=w", "holds a password"),
            ("postgres://db/state?workspace=w&password=hunter2", "holds a password"),
            ("postgres://db/state", "name the workspace"),
            ("postgres://db/state?workspace=", "not usable"),
            ("postgres://db/state?workspace=a%20b", "not usable"),
            ("postgres://db/state?workspace=%zz", "percent-encoding"),
            ("postgres://db/state?workspace=w&sslmode=sometimes", "driver cannot read"),
        ] {
            let error = PostgresTarget::parse(url).unwrap_err().to_string();
            assert!(error.contains(expected), "{url}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn password_file_lines_unescape_and_match_with_wildcards() {
        assert_eq!(split_password_line(r"h:5432:d:u:p\:w\\d"), ["h", "5432", "d", "u", r"p:w\d"]);
        assert_eq!(split_password_line("*:*:*:*:x"), ["*", "*", "*", "*", "x"]);
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        fn escape(field: &str) -> String {
            field.replace('\\', "\\\\").replace(':', "\\:")
        }

        proptest! {
            #[test]
            fn any_text_is_read_or_refused_never_a_panic(text in "\\PC{0,80}") {
                let _ = PostgresTarget::parse(&text);
                let _ = PostgresTarget::parse(&format!("postgres://{text}"));
                let _ = percent_decode(&text);
                let _ = split_password_line(&text);
            }

            #[test]
            fn a_password_in_the_url_is_refused_and_never_repeated(
                user in "[a-z][a-z0-9_]{0,8}",
                password in "[A-Za-z0-9!$*+,;=~._-]{1,16}",
                host in "[a-z][a-z0-9.-]{0,12}",
                workspace in "[a-z0-9][a-z0-9._/-]{0,20}",
            ) {
                let url = format!("postgres://{user}:{password}@{host}/state?workspace={workspace}");
                let error = PostgresTarget::parse(&url).unwrap_err().to_string();
                prop_assert!(error.contains("PGPASSWORD"), "{}", error);
                prop_assert!(!error.contains(&format!(":{password}@")), "{}", error);
                let url = format!("postgres://{user}@{host}/state?password={password}&workspace={workspace}");
                prop_assert!(PostgresTarget::parse(&url).is_err());
            }

            #[test]
            fn workspace_ids_round_trip_percent_encoded(
                workspace in "[A-Za-z0-9._/-]{1,40}",
                port in 1u16..,
            ) {
                let encoded: String = workspace
                    .bytes()
                    .map(|byte| format!("%{byte:02X}"))
                    .collect();
                let url = format!("postgres://froyo@db:{port}/state?workspace={encoded}");
                let target = PostgresTarget::parse(&url).unwrap();
                prop_assert_eq!(target.workspace(), workspace.as_str());
                prop_assert_eq!(target.to_string(), url);
            }

            #[test]
            fn password_file_fields_unescape_to_what_was_escaped(
                fields in proptest::collection::vec("[^\\n]{0,12}", 5),
            ) {
                let line = fields.iter().map(|field| escape(field)).collect::<Vec<_>>().join(":");
                prop_assert_eq!(split_password_line(&line), fields);
            }
        }
    }
}
