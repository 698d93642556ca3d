//! `froyo-ssh`: the SSH transport of the runner.
//!
//! froyo reaches a remote host over SSH with no agent installed there: it
//! opens one connection per host (through jump hosts when asked, every host
//! behind one bastion sharing that bastion's connection), checks the host's
//! key strictly against `known_hosts`, authenticates with the user's keys or
//! agent, and starts the micro-runner over **one exec channel**, uploading it
//! first only when the host does not already have this build cached.
//!
//! Reading order: [`config`] (what `~/.ssh/config` says about a host), then
//! [`known_hosts`] (whether a host key is trusted).
//!
//! Invariants: no host key that is unknown, changed or revoked is ever
//! accepted without the user's explicit say; no secret travels on a command
//! line; nothing here panics on what a server sends.

pub mod config;
pub mod known_hosts;

pub use config::{
    ConfigError, HostConfig, JumpHop, LocalUser, ProxyJump, SshConfig, StrictHostKeyChecking,
};
pub use known_hosts::{KnownHosts, ServerKey, Verdict, append_hashed, fingerprint, trust_command};
