//! Opening SSH connections: TCP (or a jump host's forwarded channel), host
//! key verification, authentication.
//!
//! Host keys are checked in [`Verifier::check_server_key`] before any
//! authentication and before a single byte of work: an unknown key is
//! refused unless the user accepted new keys (then a hashed entry is written
//! under a file lock), a changed or revoked key always is.
//!
//! Authentication tries, in order: the identity files named for the host
//! (with their `-cert.pub` certificates), then the keys of the ssh-agent
//! (`SSH_AUTH_SOCK`, unless `IdentitiesOnly`), then OpenSSH's default key
//! files. An encrypted key file is used through the agent when the agent
//! holds it, or decrypted with `FROYO_SSH_PASSPHRASE`; passwords are never
//! tried.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use russh::MethodKind;
use russh::client::{self, AuthResult, Handle};
use russh::keys::PublicKeyOrCertificate;
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{Certificate, PrivateKey, PrivateKeyWithHashAlg, PublicKey};

use crate::SshError;
use crate::known_hosts::{self, KnownHosts, ServerKey, Verdict};

/// The environment variable that holds the passphrase of encrypted key files.
pub const PASSPHRASE_VAR: &str = "FROYO_SSH_PASSPHRASE";

/// Where one hop of a connection goes and how its key is judged.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The name the user gave (inventory name or ssh_config alias), for messages.
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    pub certificate_files: Vec<PathBuf>,
    pub identities_only: bool,
    pub use_agent: bool,
    /// known_hosts files, in the order they are consulted.
    pub known_hosts: Vec<PathBuf>,
    /// Where a new key is recorded when new keys are accepted; none: refuse.
    pub accept_new_into: Option<PathBuf>,
}

/// The handler russh calls: verifies the host key, remembers why it refused.
pub struct Verifier {
    hop: Hop,
    refused: Arc<Mutex<Option<SshError>>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let known = KnownHosts::load(&self.hop.known_hosts);
        let names = self.names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let key = ServerKey::from(server_key);
        let public = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(certificate) => {
                PublicKey::from(certificate.public_key().clone())
            }
        };
        let public = &public;
        let fingerprint = known_hosts::fingerprint(public);
        let (address, port) = (self.hop.address.clone(), self.hop.port);
        let problem = match known.verify(&names, port, &key, now) {
            Verdict::Trusted { .. } | Verdict::TrustedByAuthority { .. } => return Ok(true),
            Verdict::Unknown => match &self.hop.accept_new_into {
                Some(file) => match known_hosts::append_hashed(file, &names, port, public) {
                    Ok(()) => return Ok(true),
                    Err(error) => SshError::HostKeyUnknown {
                        address,
                        port,
                        fingerprint,
                        trust: format!("(recording it in {} failed: {error})", file.display()),
                    },
                },
                None => SshError::HostKeyUnknown {
                    trust: self
                        .hop
                        .known_hosts
                        .first()
                        .and_then(|file| known_hosts::trust_command(&names, port, public, file))
                        .unwrap_or_else(|| "add its key to a known_hosts file".to_string()),
                    address,
                    port,
                    fingerprint,
                },
            },
            Verdict::CertificateRejected { file, line, reason } => SshError::HostKeyUnknown {
                trust: format!(
                    "its certificate, signed by the authority of {}:{line}, is not valid for it: {reason}",
                    file.display()
                ),
                address,
                port,
                fingerprint,
            },
            Verdict::Changed { file, line, expected } => {
                SshError::HostKeyChanged { address, port, fingerprint, expected, file, line }
            }
            Verdict::Revoked { file, line } => {
                SshError::HostKeyRevoked { address, port, fingerprint, file, line }
            }
        };
        *self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(problem);
        Ok(false)
    }
}

impl Verifier {
    /// The names the host may be recorded under: the user's name for it and its address.
    fn names(&self) -> Vec<String> {
        let mut names = vec![self.hop.address.clone()];
        if self.hop.name != self.hop.address {
            names.push(self.hop.name.clone());
        }
        names
    }
}

/// An authenticated connection.
pub type Connection = Handle<Verifier>;

/// Connects to `hop` over `stream` (TCP, or a channel of a jump host),
/// verifies its key and authenticates.
pub async fn establish<S>(
    config: Arc<client::Config>,
    stream: S,
    hop: &Hop,
    timeout: Duration,
) -> Result<Connection, SshError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let refused = Arc::new(Mutex::new(None));
    let verifier = Verifier { hop: hop.clone(), refused: Arc::clone(&refused) };
    let handshake = tokio::time::timeout(timeout, client::connect_stream(config, stream, verifier));
    let mut handle = match handshake.await {
        Err(_) => {
            return Err(SshError::Unreachable {
                address: hop.address.clone(),
                port: hop.port,
                reason: format!("no SSH handshake within {} s", timeout.as_secs()),
            });
        }
        Ok(Err(error)) => {
            if let Some(problem) =
                refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
            {
                return Err(problem);
            }
            return Err(SshError::Unreachable {
                address: hop.address.clone(),
                port: hop.port,
                reason: format!("SSH handshake failed: {error}"),
            });
        }
        Ok(Ok(handle)) => handle,
    };
    authenticate(&mut handle, hop).await?;
    Ok(handle)
}

/// Opens a TCP connection with `TCP_NODELAY` and keepalive.
pub async fn tcp(hop: &Hop, timeout: Duration) -> Result<tokio::net::TcpStream, SshError> {
    let unreachable = |reason: String| SshError::Unreachable {
        address: hop.address.clone(),
        port: hop.port,
        reason,
    };
    let connect = tokio::net::TcpStream::connect((hop.address.as_str(), hop.port));
    let stream = match tokio::time::timeout(timeout, connect).await {
        Err(_) => return Err(unreachable(format!("timed out after {} s", timeout.as_secs()))),
        Ok(Err(error)) => return Err(unreachable(error.to_string())),
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// What authentication tried so far, and what the server said it allows.
struct Attempts {
    tried: Vec<String>,
    methods: String,
}

impl Attempts {
    /// Notes the result of trying `what`: `Some(true)` authenticated,
    /// `Some(false)` the server allows no more public keys, `None` go on.
    fn note(&mut self, result: Result<AuthResult, String>, what: String) -> Option<bool> {
        match result {
            Ok(AuthResult::Success) => Some(true),
            Ok(AuthResult::Failure { remaining_methods, .. }) => {
                let names: Vec<&str> = remaining_methods.iter().map(<&'static str>::from).collect();
                self.methods = names.join(", ");
                self.tried.push(what);
                if remaining_methods.contains(&MethodKind::PublicKey) { None } else { Some(false) }
            }
            Err(error) => {
                self.tried.push(format!("{what} ({error})"));
                None
            }
        }
    }

    fn refused(self, hop: &Hop) -> SshError {
        SshError::Authentication {
            user: hop.user.clone(),
            address: hop.address.clone(),
            tried: self.tried,
            methods: self.methods,
        }
    }
}

/// Ends authentication when `outcome` is final.
macro_rules! settle {
    ($attempts:ident, $hop:ident, $outcome:expr) => {
        match $outcome {
            Some(true) => return Ok(()),
            Some(false) => return Err($attempts.refused($hop)),
            None => {}
        }
    };
}

async fn authenticate(handle: &mut Connection, hop: &Hop) -> Result<(), SshError> {
    let mut attempts = Attempts { tried: Vec::new(), methods: String::new() };
    let mut agent = if hop.use_agent { AgentClient::connect_env().await.ok() } else { None };
    let agent_identities: Vec<AgentIdentity> = match agent.as_mut() {
        Some(agent) => agent.request_identities().await.unwrap_or_default(),
        None => Vec::new(),
    };
    let explicit = !hop.identity_files.is_empty();
    let files: Vec<PathBuf> =
        if explicit { hop.identity_files.clone() } else { default_identities() };

    for file in &files {
        let Some(identity) = read_identity(file, explicit, &mut attempts.tried) else { continue };
        match identity {
            Identity::Key(key) => {
                let key = Arc::new(*key);
                for certificate in certificates_for(file, &hop.certificate_files) {
                    let result = handle
                        .authenticate_openssh_cert(&hop.user, Arc::clone(&key), certificate)
                        .await
                        .map_err(|error| error.to_string());
                    settle!(
                        attempts,
                        hop,
                        attempts.note(result, format!("certificate of {}", file.display()))
                    );
                }
                let hash = rsa_hash(handle, &key).await;
                let result = handle
                    .authenticate_publickey(&hop.user, PrivateKeyWithHashAlg::new(key, hash))
                    .await
                    .map_err(|error| error.to_string());
                settle!(attempts, hop, attempts.note(result, file.display().to_string()));
            }
            Identity::Encrypted(public) => {
                // Usable through the agent when the agent holds it.
                let held = agent_identities.iter().any(|held| *held.public_key() == public);
                match agent.as_mut() {
                    Some(agent) if held => {
                        let hash = if public.algorithm().is_rsa() {
                            rsa_hash_of(handle).await
                        } else {
                            None
                        };
                        let result = handle
                            .authenticate_publickey_with(&hop.user, public.clone(), hash, agent)
                            .await
                            .map_err(|error| error.to_string());
                        settle!(
                            attempts,
                            hop,
                            attempts
                                .note(result, format!("{} (through ssh-agent)", file.display()))
                        );
                    }
                    _ => attempts.tried.push(format!(
                        "{} (encrypted: not in ssh-agent, and {PASSPHRASE_VAR} is not set)",
                        file.display()
                    )),
                }
            }
        }
    }

    if !hop.identities_only
        && let Some(agent) = agent.as_mut()
    {
        for identity in &agent_identities {
            let result = match identity {
                AgentIdentity::PublicKey { key, .. } => {
                    let hash =
                        if key.algorithm().is_rsa() { rsa_hash_of(handle).await } else { None };
                    handle
                        .authenticate_publickey_with(&hop.user, key.clone(), hash, agent)
                        .await
                        .map_err(|error| error.to_string())
                }
                AgentIdentity::Certificate { certificate, .. } => handle
                    .authenticate_certificate_with(&hop.user, certificate.clone(), None, agent)
                    .await
                    .map_err(|error| error.to_string()),
            };
            let what =
                format!("ssh-agent key {}", known_hosts::fingerprint(&identity.public_key()));
            settle!(attempts, hop, attempts.note(result, what));
        }
    }
    Err(attempts.refused(hop))
}

/// A key file as read: usable, or encrypted with only its public half known.
enum Identity {
    Key(Box<PrivateKey>),
    Encrypted(PublicKey),
}

/// Reads an identity file; a missing default file is skipped silently, any
/// other problem is noted in `tried`.
fn read_identity(file: &Path, explicit: bool, tried: &mut Vec<String>) -> Option<Identity> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !explicit => return None,
        Err(error) => {
            tried.push(format!("{} (cannot read it: {error})", file.display()));
            return None;
        }
    };
    match russh::keys::decode_secret_key(&text, None) {
        Ok(key) => Some(Identity::Key(Box::new(key))),
        Err(_) => {
            if let Some(passphrase) = std::env::var(PASSPHRASE_VAR).ok().filter(|p| !p.is_empty())
                && let Ok(key) = russh::keys::decode_secret_key(&text, Some(&passphrase))
            {
                return Some(Identity::Key(Box::new(key)));
            }
            // Encrypted (or not a key): its public half may still match an agent key.
            let public = PrivateKey::from_openssh(&text)
                .map(|key| key.public_key().clone())
                .ok()
                .or_else(|| russh::keys::load_public_key(public_path(file)).ok());
            match public {
                Some(public) => Some(Identity::Encrypted(public)),
                None => {
                    tried.push(format!("{} (not a private key froyo can read)", file.display()));
                    None
                }
            }
        }
    }
}

fn public_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// The certificates to offer with `file`: `FILE-cert.pub` and the configured ones.
fn certificates_for(file: &Path, configured: &[PathBuf]) -> Vec<Certificate> {
    let mut name = file.as_os_str().to_owned();
    name.push("-cert.pub");
    std::iter::once(PathBuf::from(name))
        .chain(configured.iter().cloned())
        .filter_map(|path| russh::keys::load_openssh_certificate(path).ok())
        .collect()
}

fn default_identities() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else { return Vec::new() };
    ["id_ed25519", "id_ecdsa", "id_rsa"].iter().map(|name| home.join(".ssh").join(name)).collect()
}

async fn rsa_hash(handle: &Connection, key: &PrivateKey) -> Option<russh::keys::HashAlg> {
    if key.algorithm().is_rsa() { rsa_hash_of(handle).await } else { None }
}

/// rsa-sha2-512 or -256 when the server announces them (never SHA-1 by choice).
async fn rsa_hash_of(handle: &Connection) -> Option<russh::keys::HashAlg> {
    match handle.best_supported_rsa_hash().await {
        Ok(Some(hash)) => hash,
        _ => Some(russh::keys::HashAlg::Sha256),
    }
}
