//! What `~/.ssh/config` and the system configuration say about a host.
