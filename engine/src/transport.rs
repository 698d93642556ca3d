//! The engine's port to hosts: [`Transport`] opens a [`RunnerSession`] on a
//! host, or says why it cannot ([`HostError`]).
//!
//! [`Hosts`] is the transport of a real run: `transport: "local"` starts the
//! runner as a child process (through `sudo -n` for `become`),
//! `transport: "ssh"` starts it over SSH with `froyo-ssh` (created on first
//! use, shared by every host of the run so jump hosts carry all the hosts
//! behind them). Tests give the engine their own transport (an in-memory
//! fake host) instead.
//!
//! Invariant: a session is used by one thread at a time (the engine keeps
//! each in a mutex); every error names the host and carries a stable code.

use std::path::PathBuf;
use std::sync::OnceLock;

use froyo_ir::Host;
use froyo_runner_client::{Hello, Session};
use froyo_runner_protocol::{ApplyItem, ItemOutcome, ProbeItem};
use froyo_ssh::{SshError, SshTransport, Target};

use crate::error::HostError;

/// A runner on a host, after its handshake.
pub trait RunnerSession: Send {
    /// The runner's version, architecture and the host's facts.
    fn hello(&self) -> &Hello;
    /// One batch of probes; results sorted by id, or why the session failed.
    fn probe(&mut self, items: Vec<ProbeItem>) -> Result<Vec<(u64, ItemOutcome)>, String>;
    /// One batch of operations, `on_item` seeing each result as it arrives.
    fn apply(
        &mut self,
        parallelism: u32,
        items: Vec<ApplyItem>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, String>;
    /// Batches sent so far, the handshake included.
    fn round_trips(&self) -> u64;
    /// Ends the session (the runner exits).
    fn close(self: Box<Self>);
}

impl RunnerSession for Session {
    fn hello(&self) -> &Hello {
        Session::hello(self)
    }

    fn probe(&mut self, items: Vec<ProbeItem>) -> Result<Vec<(u64, ItemOutcome)>, String> {
        Session::probe(self, items).map_err(|error| error.to_string())
    }

    fn apply(
        &mut self,
        parallelism: u32,
        items: Vec<ApplyItem>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, String> {
        Session::apply(self, parallelism, items, on_item).map_err(|error| error.to_string())
    }

    fn round_trips(&self) -> u64 {
        Session::round_trips(self)
    }

    fn close(self: Box<Self>) {
        let _ = Session::close(*self);
    }
}

/// Opens runner sessions on hosts.
pub trait Transport: Send + Sync {
    /// Opens a session on `host`; `inventory` is every host of the run (a
    /// `jump_host` may name one of them).
    fn connect(&self, host: &Host, inventory: &[Host])
    -> Result<Box<dyn RunnerSession>, HostError>;
}

/// How a real run reaches hosts.
#[derive(Debug, Clone, Default)]
pub struct HostsOptions {
    /// Accept and record the keys of hosts never seen before.
    pub accept_new_host_keys: bool,
    /// The workspace's `known_hosts` file (consulted first; new keys go there).
    pub workspace_known_hosts: Option<PathBuf>,
    /// The runtime SSH connections run on; none: one of their own per run.
    pub ssh_runtime: Option<std::sync::Arc<tokio::runtime::Runtime>>,
}

/// The transport of a real run: local hosts and SSH hosts.
pub struct Hosts {
    options: HostsOptions,
    ssh: OnceLock<Result<SshTransport, SshError>>,
}

impl Hosts {
    pub fn new(options: HostsOptions) -> Hosts {
        Hosts { options, ssh: OnceLock::new() }
    }

    fn ssh(&self) -> Result<&SshTransport, SshError> {
        self.ssh
            .get_or_init(|| {
                let mut options = froyo_ssh::Options::for_current_user();
                options.accept_new_host_keys = self.options.accept_new_host_keys;
                options.workspace_known_hosts = self.options.workspace_known_hosts.clone();
                options.runtime = self.options.ssh_runtime.clone();
                SshTransport::new(options)
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Transport for Hosts {
    fn connect(
        &self,
        host: &Host,
        inventory: &[Host],
    ) -> Result<Box<dyn RunnerSession>, HostError> {
        match host.transport {
            froyo_ir::Transport::Local => start_local(host.become_root)
                .map(|session| Box::new(session) as Box<dyn RunnerSession>)
                .map_err(|error| HostError::runner(&host.name, error)),
            froyo_ir::Transport::Ssh => {
                let ssh = self.ssh().map_err(|error| HostError::ssh(&host.name, &error))?;
                let target = ssh_target(host, inventory, 0);
                let runner = froyo_ssh::Runner {
                    bytes: froyo_runner_client::runner_binary(),
                    sha256: froyo_runner_client::runner_sha256(),
                };
                ssh.start_runner(&target, &runner)
                    .map(|session| Box::new(session) as Box<dyn RunnerSession>)
                    .map_err(|error| HostError::ssh(&host.name, &error))
            }
        }
    }
}

/// What froyo-ssh needs to reach `host`; a `jump_host` that names another
/// host of the inventory is reached as that host is (its address, user,
/// key, and its own jump host), up to a depth that stops cycles.
fn ssh_target(host: &Host, inventory: &[Host], depth: usize) -> Target {
    let named = host.jump_host.as_deref().and_then(|jump| {
        inventory.iter().find(|other| other.name == jump && other.name != host.name)
    });
    let mut jump_targets = Vec::new();
    if let Some(jump) = named
        && depth < 8
    {
        let hop = ssh_target(jump, inventory, depth + 1);
        jump_targets.extend(hop.jump_targets.iter().cloned());
        jump_targets.push(Target { jump_targets: Vec::new(), ..hop });
    }
    Target {
        name: host.name.clone(),
        address: host.address.clone(),
        port: host.port,
        user: host.user.clone(),
        identity_file: host.identity_file.as_ref().map(PathBuf::from),
        jump: if named.is_some() { None } else { host.jump_host.clone() },
        jump_targets,
        become_root: host.become_root,
        become_password: host.become_password.clone(),
    }
}

/// Starts the runner on this machine; with `become`, as root through
/// `sudo -n` unless froyo already runs as root.
fn start_local(become_root: bool) -> Result<Session, String> {
    let session = Session::start_local().map_err(|error| error.to_string())?;
    if !become_root || session.hello().facts.uid == 0 {
        return Ok(session);
    }
    let _ = session.close();
    let runner = froyo_runner_client::install_runner().map_err(|error| error.to_string())?;
    let mut command = std::process::Command::new("sudo");
    command.arg("-n").arg(runner);
    let session = Session::spawn(command)
        .map_err(|error| format!("`become` needs passwordless sudo (`sudo -n`): {error}"))?;
    if session.hello().facts.uid != 0 {
        return Err(
            "`become` asked for root, but the runner started through sudo is not root".to_string()
        );
    }
    Ok(session)
}
