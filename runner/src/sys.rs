//! The runner's only calls into libc that need `unsafe`: who we are, killing a
//! process group, and switching user in a child between `fork` and `exec`.
//!
//! Invariant: every `unsafe` block of the runner lives in this file, each on the
//! smallest function, each with its `SAFETY:` argument. Everything else uses
//! safe `std` APIs (`std::os::unix::fs::{chown, lchown, fchown}`, …).

use std::io;
use std::os::unix::process::CommandExt;

/// The effective user id of the runner.
#[allow(unsafe_code)]
pub fn effective_uid() -> u32 {
    // SAFETY: `geteuid` takes no arguments, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

/// The effective group id of the runner.
#[allow(unsafe_code)]
pub fn effective_gid() -> u32 {
    // SAFETY: `getegid` takes no arguments, touches no memory of ours and cannot fail.
    unsafe { libc::getegid() }
}

/// Sends `SIGKILL` to every process of the process group `group`.
#[allow(unsafe_code)]
pub fn kill_process_group(group: u32) -> io::Result<()> {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return Err(io::Error::other(format!("process group {group} is out of range")));
    };
    if group <= 1 {
        // `kill(-1)` or `kill(0)` would hit far more than the command's group.
        return Err(io::Error::other(format!("refusing to kill process group {group}")));
    }
    // SAFETY: `kill` only takes integers; a negative pid addresses a process group.
    // The group is the command's own (it was started with `process_group(0)`), and
    // the guard above excludes the "every process" and "our own group" forms.
    let result = unsafe { libc::kill(-group, libc::SIGKILL) };
    if result == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Makes `command` drop to `uid`, `gid` and supplementary `groups` in the child,
/// after `fork` and before `exec`. Only works when the runner is root.
#[allow(unsafe_code)]
pub fn switch_user_in_child(
    command: &mut std::process::Command,
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
) {
    let groups: Vec<libc::gid_t> = groups;
    // SAFETY: the closure runs in the forked child, where only async-signal-safe
    // functions may be called. It calls `setgroups`, `setgid` and `setuid`
    // (plain system calls) and `io::Error::last_os_error` (reads errno); it does
    // not allocate: `groups` was allocated before the fork and is only read.
    // The order matters: groups and gid must change while we are still root.
    unsafe {
        command.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::setgid(gid) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::setuid(uid) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
