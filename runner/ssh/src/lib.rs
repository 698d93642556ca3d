//! `froyo-ssh`: the SSH transport of the runner.
//!
//! froyo reaches a remote host over SSH with no agent installed there: it
//! opens one connection per host (through jump hosts when asked, every host
//! behind one bastion sharing that bastion's connection), checks the host's
//! key strictly against `known_hosts`, authenticates with the user's keys or
//! agent, and starts the micro-runner over **one exec channel**, uploading it
//! first only when the host does not already have this build cached
//! ([`bootstrap`]). The runner's stdio then carries the runner protocol, as
//! for a local runner ([`froyo_runner_client::Session`]).
//!
//! Reading order: [`SshTransport::start_runner`], then [`config`] (what
//! `~/.ssh/config` says about a host), [`known_hosts`] (whether a host key is
//! trusted), `connect` (TCP, host keys, authentication), [`bootstrap`] (the
//! runner's start) and `stream` (blocking stdio over a channel).
//!
//! Invariants: no host key that is unknown, changed or revoked is accepted
//! without the user's explicit say, and the check happens before any
//! authentication or work; no secret travels on a command line; nothing here
//! panics on what a server sends.

pub mod bootstrap;
pub mod config;
mod connect;
mod error;
pub mod known_hosts;
mod stream;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use froyo_runner_client::Session;
use russh::client::{self, Msg};
use russh::{ChannelReadHalf, ChannelWriteHalf};

pub use bootstrap::{Become, Runner, Terminal};
pub use config::{
    ConfigError, HostConfig, JumpHop, LocalUser, ProxyJump, SshConfig, StrictHostKeyChecking,
};
pub use connect::PASSPHRASE_VAR;
pub use error::SshError;
pub use known_hosts::{KnownHosts, ServerKey, Verdict, append_hashed, fingerprint, trust_command};

use crate::connect::{Connection, Hop};

/// How the transport connects, for every host of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// TCP connect and SSH handshake, each (ssh_config's `ConnectTimeout` wins).
    pub connect_timeout: Duration,
    /// How long the runner may take to start (upload included).
    pub start_timeout: Duration,
    /// Accept and record keys of hosts never seen (OpenSSH's `accept-new`).
    pub accept_new_host_keys: bool,
    /// The workspace's `known_hosts`: consulted first, and where new keys are recorded.
    pub workspace_known_hosts: Option<PathBuf>,
    /// `~/.ssh/config`; none: not read.
    pub user_config: Option<PathBuf>,
    /// `/etc/ssh/ssh_config`; none: not read.
    pub system_config: Option<PathBuf>,
    /// The home directory (`~` in configurations, default key files).
    pub home: PathBuf,
    /// Keepalive interval on idle connections.
    pub keepalive: Duration,
    /// Each channel's receive window, in bytes.
    pub window_size: u32,
    /// Largest SSH packet sent or accepted, in bytes.
    pub maximum_packet_size: u32,
    /// The runtime connections run on; none: the transport starts its own
    /// (see [`runtime`]). A long-running process shares one between its
    /// transports so that each does not start threads of its own.
    pub runtime: Option<Arc<tokio::runtime::Runtime>>,
}

impl Options {
    /// OpenSSH's locations for the current user.
    pub fn for_current_user() -> Options {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
        Options {
            connect_timeout: Duration::from_secs(10),
            start_timeout: Duration::from_secs(60),
            accept_new_host_keys: false,
            workspace_known_hosts: None,
            user_config: Some(home.join(".ssh").join("config")),
            system_config: Some(PathBuf::from("/etc/ssh/ssh_config")),
            home,
            keepalive: Duration::from_secs(15),
            // Large windows: the runner and its batches go through in one
            // go (bench/ssh-window compares them with russh's defaults).
            window_size: 16 * 1024 * 1024,
            maximum_packet_size: 65535,
            runtime: None,
        }
    }
}

/// One host to reach, as the inventory describes it; what it leaves out
/// comes from ssh_config, then OpenSSH's defaults.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The inventory's name for the host.
    pub name: String,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<PathBuf>,
    /// `[user@]host[:port]` hops, comma-separated, or `none`.
    pub jump: Option<String>,
    /// Jump hosts the inventory describes itself (instead of `jump`), first hop first.
    pub jump_targets: Vec<Target>,
    pub become_root: bool,
    pub become_password: Option<String>,
}

/// The one connection to a jump host, made by the first host that needs it.
type JumpCell = tokio::sync::OnceCell<Result<Arc<Connection>, SshError>>;

/// A runtime for SSH connections: two worker threads (the work is waiting
/// on the network).
pub fn runtime() -> Result<Arc<tokio::runtime::Runtime>, SshError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("froyo-ssh")
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|error| SshError::Config {
            message: format!("cannot start the SSH runtime: {error}"),
        })
}

/// Connections to hosts over SSH, shared by every host of a run: jump hosts
/// are connected once and carry every host behind them.
pub struct SshTransport {
    runtime: Arc<tokio::runtime::Runtime>,
    options: Options,
    config: SshConfig,
    client_config: Arc<client::Config>,
    /// Authenticated connections to jump hosts, by their chain of hops.
    jumps: Mutex<HashMap<String, Arc<JumpCell>>>,
}

impl SshTransport {
    pub fn new(options: Options) -> Result<SshTransport, SshError> {
        let runtime = match &options.runtime {
            Some(runtime) => runtime.clone(),
            None => runtime()?,
        };
        let local = config::LocalUser { home: options.home.clone(), name: local_user() };
        let config = SshConfig::load(
            options.user_config.as_deref(),
            options.system_config.as_deref(),
            &local,
        )
        .map_err(|error| SshError::Config { message: error.to_string() })?;
        let client_config = Arc::new(client::Config {
            window_size: options.window_size,
            maximum_packet_size: options.maximum_packet_size,
            nodelay: true,
            keepalive_interval: Some(options.keepalive),
            keepalive_max: 3,
            inactivity_timeout: None,
            ..client::Config::default()
        });
        Ok(SshTransport {
            runtime,
            options,
            config,
            client_config,
            jumps: Mutex::new(HashMap::new()),
        })
    }

    /// Warnings about the SSH configuration (lines ignored, and why).
    pub fn config_warnings(&self) -> Vec<String> {
        self.config.warnings().to_vec()
    }

    /// Connects to `target` and starts `runner` there over one exec channel;
    /// blocking. The connection lives as long as the session.
    pub fn start_runner(&self, target: &Target, runner: &Runner<'_>) -> Result<Session, SshError> {
        let hop = self.hop_for(target)?;
        let jumps = self.jump_chain(target)?;
        let become_mode = match (target.become_root, &target.become_password) {
            (false, _) => Become::No,
            (true, None) => Become::Sudo,
            (true, Some(_)) => Become::SudoWithPassword,
        };
        let become_mode =
            if target.become_root && hop.user == "root" { Become::No } else { become_mode };
        let timeout = self.connect_timeout(&hop);
        let runtime = self.runtime.handle().clone();
        let (reader, writer, leftover, connection) = self.runtime.block_on(async {
            let connection = self.connect(&hop, &jumps, timeout).await?;
            let start =
                |terminal| self.bootstrap(&connection, &hop, target, runner, become_mode, terminal);
            let (reader, writer, leftover) = match start(Terminal::No).await {
                // Only a sudo that insists on a terminal gets one.
                Err(error) if bootstrap::wants_terminal(&error) => start(Terminal::Raw).await?,
                started => started?,
            };
            Ok::<_, SshError>((reader, writer, leftover, connection))
        })?;
        let streams = stream::streams(&runtime, reader, writer, leftover, connection);
        Session::over(streams)
            .map_err(|error| SshError::Deploy { reason: error.to_string(), stderr: Vec::new() })
    }

    /// Runs the bootstrap script on a new channel of `connection`; the
    /// channel's halves once the runner speaks, and what it already said.
    async fn bootstrap(
        &self,
        connection: &Connection,
        hop: &Hop,
        target: &Target,
        runner: &Runner<'_>,
        become_mode: Become,
        terminal: Terminal,
    ) -> Result<(ChannelReadHalf, ChannelWriteHalf<Msg>, Vec<u8>), SshError> {
        let failed = |what: &str, error: russh::Error| SshError::Session {
            address: hop.address.clone(),
            reason: format!("{what}: {error}"),
        };
        let channel = connection
            .channel_open_session()
            .await
            .map_err(|error| failed("cannot open a channel", error))?;
        let (mut reader, writer) = channel.split();
        if terminal == Terminal::Raw {
            writer
                .request_pty(true, "dumb", 80, 24, 0, 0, bootstrap::RAW_MODES)
                .await
                .map_err(|error| failed("cannot get a terminal", error))?;
        }
        writer
            .exec(true, bootstrap::command(runner, become_mode, terminal))
            .await
            .map_err(|error| failed("exec failed", error))?;
        let leftover = bootstrap::run(
            &mut reader,
            &writer,
            runner,
            &hop.user,
            target.become_password.as_deref(),
            terminal,
            self.options.start_timeout,
        )
        .await?;
        Ok((reader, writer, leftover))
    }

    fn connect_timeout(&self, hop: &Hop) -> Duration {
        self.config.resolve(&hop.name).connect_timeout.unwrap_or(self.options.connect_timeout)
    }

    /// A connection to `hop`, directly or through `jumps` (shared).
    async fn connect(
        &self,
        hop: &Hop,
        jumps: &[Hop],
        timeout: Duration,
    ) -> Result<Arc<Connection>, SshError> {
        match jumps.split_last() {
            None => {
                let stream = connect::tcp(hop, timeout).await?;
                Ok(Arc::new(
                    connect::establish(Arc::clone(&self.client_config), stream, hop, timeout)
                        .await?,
                ))
            }
            Some((last, before)) => {
                let bastion = self.jump(last, before, timeout).await?;
                let channel = bastion
                    .channel_open_direct_tcpip(
                        hop.address.clone(),
                        u32::from(hop.port),
                        "127.0.0.1",
                        0,
                    )
                    .await
                    .map_err(|error| SshError::Jump {
                        jump: format!("{}@{}:{}", last.user, last.address, last.port),
                        reason: format!("cannot forward to {}:{}: {error}", hop.address, hop.port),
                    })?;
                let connection = connect::establish(
                    Arc::clone(&self.client_config),
                    channel.into_stream(),
                    hop,
                    timeout,
                )
                .await?;
                Ok(Arc::new(connection))
            }
        }
    }

    /// The one connection to a jump host (itself reached through `before`).
    fn jump<'a>(
        &'a self,
        hop: &'a Hop,
        before: &'a [Hop],
        timeout: Duration,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Arc<Connection>, SshError>> + Send + 'a>,
    > {
        Box::pin(async move {
            let key = before
                .iter()
                .chain(std::iter::once(hop))
                .map(|hop| format!("{}@{}:{}", hop.user, hop.address, hop.port))
                .collect::<Vec<_>>()
                .join(",");
            let cell = {
                let mut jumps = self.jumps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                Arc::clone(jumps.entry(key.clone()).or_default())
            };
            cell.get_or_init(|| async {
                self.connect(hop, before, timeout).await.map_err(|error| SshError::Jump {
                    jump: key.clone(),
                    reason: error.to_string(),
                })
            })
            .await
            .clone()
        })
    }

    /// The first hop's settings for `target`: inventory, then ssh_config, then defaults.
    fn hop_for(&self, target: &Target) -> Result<Hop, SshError> {
        let alias = target.address.clone().unwrap_or_else(|| target.name.clone());
        let config = self.config.resolve(&alias);
        if let (Some(command), None) = (&config.proxy_command, &target.jump)
            && config.proxy_jump.is_none()
        {
            return Err(SshError::Config {
                message: format!(
                    "~/.ssh/config gives host `{alias}` a ProxyCommand (`{command}`), which froyo does not run; use ProxyJump, or the host's `jump_host`"
                ),
            });
        }
        let identity_files = match &target.identity_file {
            Some(file) => vec![file.clone()],
            None => config.identity_files.clone(),
        };
        // The inventory's address is what a user would type after `ssh`:
        // ssh_config's `HostName` for it, when there is one, is where to go.
        Ok(self.hop(
            target.name.clone(),
            config.host_name.clone().unwrap_or(alias),
            target.port.or(config.port).unwrap_or(22),
            target.user.clone().or_else(|| config.user.clone()).unwrap_or_else(local_user),
            identity_files,
            &config,
        ))
    }

    fn hop(
        &self,
        name: String,
        address: String,
        port: u16,
        user: String,
        identity_files: Vec<PathBuf>,
        config: &HostConfig,
    ) -> Hop {
        let home = &self.options.home;
        let mut known_hosts: Vec<PathBuf> =
            self.options.workspace_known_hosts.iter().cloned().collect();
        known_hosts.extend(config.user_known_hosts_files.clone().unwrap_or_else(|| {
            vec![home.join(".ssh/known_hosts"), home.join(".ssh/known_hosts2")]
        }));
        known_hosts.extend(config.global_known_hosts_files.clone().unwrap_or_else(|| {
            vec![
                PathBuf::from("/etc/ssh/ssh_known_hosts"),
                PathBuf::from("/etc/ssh/ssh_known_hosts2"),
            ]
        }));
        // A changed key is refused whatever the setting; `no` only lets new keys in.
        let accept_new = self.options.accept_new_host_keys
            || matches!(
                config.strict_host_key_checking,
                Some(StrictHostKeyChecking::AcceptNew | StrictHostKeyChecking::No)
            );
        let accept_new_into = accept_new.then(|| {
            self.options
                .workspace_known_hosts
                .clone()
                .or_else(|| known_hosts.first().cloned())
                .unwrap_or_else(|| home.join(".ssh/known_hosts"))
        });
        Hop {
            name,
            address,
            port,
            user,
            identity_files,
            certificate_files: config.certificate_files.clone(),
            identities_only: config.identities_only.unwrap_or(false),
            use_agent: !matches!(config.identity_agent.as_deref(), Some("none")),
            known_hosts,
            accept_new_into,
        }
    }

    /// The jump hosts before `target`, first hop first.
    fn jump_chain(&self, target: &Target) -> Result<Vec<Hop>, SshError> {
        if !target.jump_targets.is_empty() {
            return target.jump_targets.iter().map(|jump| self.hop_for(jump)).collect();
        }
        let alias = target.address.clone().unwrap_or_else(|| target.name.clone());
        let jump = match &target.jump {
            Some(text) => {
                Some(config::parse_proxy_jump(text).map_err(|message| SshError::Config {
                    message: format!("host `{}`: jump_host `{text}`: {message}", target.name),
                })?)
            }
            None => self.config.resolve(&alias).proxy_jump.clone(),
        };
        let hops = match jump {
            None | Some(ProxyJump::None) => return Ok(Vec::new()),
            Some(ProxyJump::Hops(hops)) => hops,
        };
        Ok(hops
            .into_iter()
            .map(|jump| {
                let config = self.config.resolve(&jump.host);
                self.hop(
                    jump.host.clone(),
                    config.host_name.clone().unwrap_or_else(|| jump.host.clone()),
                    jump.port.or(config.port).unwrap_or(22),
                    jump.user.clone().or_else(|| config.user.clone()).unwrap_or_else(local_user),
                    config.identity_files.clone(),
                    &config,
                )
            })
            .collect())
    }
}

/// The local user's name, OpenSSH's default login name.
fn local_user() -> String {
    std::env::var("USER").ok().filter(|user| !user.is_empty()).unwrap_or_else(|| "root".to_string())
}

/// The default workspace known_hosts file of a workspace.
pub fn workspace_known_hosts(workspace_root: &Path) -> PathBuf {
    workspace_root.join("known_hosts")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transport reading `config` as the user's ssh_config, in a home of its own.
    fn transport(
        config: &str,
        options: impl FnOnce(&mut Options),
    ) -> (tempfile::TempDir, SshTransport) {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/config"), config).unwrap();
        let mut settings = Options::for_current_user();
        settings.home = home.path().to_path_buf();
        settings.user_config = Some(home.path().join(".ssh/config"));
        settings.system_config = None;
        options(&mut settings);
        let transport = SshTransport::new(settings).unwrap();
        (home, transport)
    }

    const CONFIG: &str = "Host web1\n  HostName 192.0.2.7\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/web\n  ProxyJump ops@bastion:2200\n\nHost bastion\n  User jumper\n  StrictHostKeyChecking accept-new\n";

    #[test]
    fn ssh_config_fills_in_what_the_inventory_leaves_out() {
        let (home, transport) = transport(CONFIG, |_| {});
        let hop = transport.hop_for(&Target { name: "web1".into(), ..Target::default() }).unwrap();
        assert_eq!(
            (hop.address.as_str(), hop.port, hop.user.as_str()),
            ("192.0.2.7", 2222, "deploy")
        );
        assert_eq!(hop.identity_files, [home.path().join(".ssh/web")]);
        assert_eq!(hop.accept_new_into, None, "strict by default");
        let jumps =
            transport.jump_chain(&Target { name: "web1".into(), ..Target::default() }).unwrap();
        let jumps: Vec<String> =
            jumps.iter().map(|hop| format!("{}@{}:{}", hop.user, hop.address, hop.port)).collect();
        assert_eq!(jumps, ["ops@bastion:2200"]);
    }

    #[test]
    fn the_inventory_wins_over_ssh_config() {
        let (_home, transport) = transport(CONFIG, |_| {});
        let target = Target {
            name: "web1".into(),
            address: None,
            port: Some(22),
            user: Some("root".into()),
            identity_file: Some(PathBuf::from("/keys/id")),
            jump: Some("none".into()),
            ..Target::default()
        };
        let hop = transport.hop_for(&target).unwrap();
        assert_eq!((hop.address.as_str(), hop.port, hop.user.as_str()), ("192.0.2.7", 22, "root"));
        assert_eq!(hop.identity_files, [PathBuf::from("/keys/id")]);
        assert!(
            transport.jump_chain(&target).unwrap().is_empty(),
            "`none` disables ssh_config's ProxyJump"
        );
        // An address of its own: ssh_config's `Host web1` block is matched against the address, as `ssh ADDRESS` would.
        let direct = Target {
            name: "web1".into(),
            address: Some("198.51.100.9".into()),
            ..Target::default()
        };
        let hop = transport.hop_for(&direct).unwrap();
        assert_eq!((hop.address.as_str(), hop.port), ("198.51.100.9", 22));
        // An address that is an ssh_config alias goes where its `HostName` says, as `ssh web1` would.
        let alias =
            Target { name: "www".into(), address: Some("web1".into()), ..Target::default() };
        let hop = transport.hop_for(&alias).unwrap();
        assert_eq!(
            (hop.address.as_str(), hop.port, hop.user.as_str()),
            ("192.0.2.7", 2222, "deploy")
        );
    }

    #[test]
    fn new_keys_are_accepted_only_when_asked_and_recorded_in_the_workspace() {
        let workspace = PathBuf::from("/work/site/known_hosts");
        let (home, strict) = transport(CONFIG, |options| {
            options.workspace_known_hosts = Some(workspace.clone());
        });
        let hop = strict.hop_for(&Target { name: "web1".into(), ..Target::default() }).unwrap();
        assert_eq!(hop.accept_new_into, None);
        assert_eq!(
            hop.known_hosts,
            [
                workspace.clone(),
                home.path().join(".ssh/known_hosts"),
                home.path().join(".ssh/known_hosts2"),
                PathBuf::from("/etc/ssh/ssh_known_hosts"),
                PathBuf::from("/etc/ssh/ssh_known_hosts2"),
            ]
        );
        // ssh_config's `accept-new` for the bastion.
        let bastion =
            strict.hop_for(&Target { name: "bastion".into(), ..Target::default() }).unwrap();
        assert_eq!(bastion.accept_new_into, Some(workspace.clone()));
        let (_home, accepting) = transport(CONFIG, |options| {
            options.workspace_known_hosts = Some(workspace.clone());
            options.accept_new_host_keys = true;
        });
        let hop = accepting.hop_for(&Target { name: "web1".into(), ..Target::default() }).unwrap();
        assert_eq!(hop.accept_new_into, Some(workspace));
    }
}
