//! Who we are (user, host, process id) and whether a process on this host
//! still exists: what the lock, runs and audit log record about their writer.
//!
//! This is the crate's only `unsafe`: two libc calls with no Rust equivalent
//! (`gethostname`, `kill(pid, 0)`).
//! Invariant: nothing here sends a signal; `kill` is only called with signal 0,
//! which checks for existence, and only with a positive process id.

/// The process that writes: recorded with locks, runs and audit entries.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    pub(crate) user: String,
    pub(crate) host: String,
    pub(crate) pid: u32,
}

impl Writer {
    pub(crate) fn current() -> Writer {
        Writer { user: user_name(), host: host_name(), pid: std::process::id() }
    }
}

/// A token no other `State` on any host shares: host, pid, time, counter.
pub(crate) fn new_session(host: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!(
        "{host}/{}/{nanos}/{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// The user from `USER` or `LOGNAME`, else `uid <n>`.
fn user_name() -> String {
    for variable in ["USER", "LOGNAME"] {
        if let Ok(name) = std::env::var(variable)
            && !name.is_empty()
        {
            return name;
        }
    }
    format!("uid {}", user_id())
}

#[allow(unsafe_code)]
fn user_id() -> u32 {
    // SAFETY: getuid takes no arguments, cannot fail and touches no memory of ours.
    unsafe { libc::getuid() }
}

/// This machine's host name, or `localhost` when it cannot be read.
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    if !read_host_name(&mut buffer) {
        return "localhost".to_string();
    }
    let length = buffer.iter().position(|&byte| byte == 0).unwrap_or(buffer.len());
    match std::str::from_utf8(&buffer[..length]) {
        Ok(name) if !name.is_empty() => name.to_string(),
        _ => "localhost".to_string(),
    }
}

#[allow(unsafe_code)]
fn read_host_name(buffer: &mut [u8; 256]) -> bool {
    // SAFETY: the pointer and length describe `buffer`, which outlives the call;
    // gethostname writes at most that many bytes. The last byte is kept for a
    // terminating NUL (the caller also stops at the buffer's end).
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len() - 1) };
    result == 0
}

/// Whether process `pid` exists on this host (and, on Linux, is not a zombie
/// waiting to be reaped).
pub(crate) fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    if !signal_zero(pid) {
        return false;
    }
    !is_zombie(pid)
}

#[allow(unsafe_code)]
fn signal_zero(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 delivers nothing; the kernel only checks that `pid`
    // (positive, checked by the caller) names a process we could signal.
    let result = unsafe { libc::kill(pid, 0) };
    if result == 0 {
        return true;
    }
    // EPERM: it exists but belongs to someone else.
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// A killed process whose parent has not reaped it yet still answers signal 0.
fn is_zombie(pid: libc::pid_t) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name, which may contain spaces.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_exists_and_nonsense_pids_do_not() {
        assert!(process_exists(std::process::id()));
        assert!(!process_exists(0));
        assert!(!process_exists(u32::MAX));
    }

    #[test]
    fn writer_has_a_host_and_user() {
        let writer = Writer::current();
        assert!(!writer.host.is_empty());
        assert!(!writer.user.is_empty());
    }
}
