//! Parsing single `ssh_config` values: ports, yes/no flags, OpenSSH time
//! intervals (`90`, `1m30s`), `StrictHostKeyChecking` and `ProxyJump`.
//!
//! Each function takes the argument as the line splitter produced it and
//! returns a message (without file or line) when the value is malformed.

use std::time::Duration;

use super::{JumpHop, ProxyJump, StrictHostKeyChecking};

pub(super) fn parse_port(value: &str) -> Result<u16, String> {
    match value.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(format!("'{value}' is not a port")),
    }
}

pub(super) fn parse_flag(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("'{value}' is neither yes nor no")),
    }
}

pub(super) fn parse_strict_host_key_checking(value: &str) -> Result<StrictHostKeyChecking, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(StrictHostKeyChecking::Yes),
        "accept-new" => Ok(StrictHostKeyChecking::AcceptNew),
        "no" | "off" | "false" => Ok(StrictHostKeyChecking::No),
        "ask" => Ok(StrictHostKeyChecking::Ask),
        _ => Err(format!("'{value}' is not yes, accept-new, no, off or ask")),
    }
}

/// OpenSSH's time format: a sequence of numbers each with an optional unit
/// (`s`, `m`, `h`, `d`, `w`, either case; none means seconds), summed.
pub(super) fn parse_time(value: &str) -> Result<Duration, String> {
    let malformed = || format!("'{value}' is not a time interval");
    if value.is_empty() {
        return Err(malformed());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in value.chars() {
        if let Some(digit) = c.to_digit(10) {
            let so_far = number.unwrap_or(0);
            number = Some(
                so_far
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(digit)))
                    .ok_or_else(malformed)?,
            );
            continue;
        }
        let multiplier = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(malformed()),
        };
        let amount = number.take().ok_or_else(malformed)?;
        total = amount
            .checked_mul(multiplier)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(malformed)?;
    }
    if let Some(amount) = number {
        total = total.checked_add(amount).ok_or_else(malformed)?;
    }
    // OpenSSH keeps times in an int.
    if total > i32::MAX as u64 {
        return Err(malformed());
    }
    Ok(Duration::from_secs(total))
}

/// `none`, or comma-separated hops, each `[user@]host[:port]` or
/// `ssh://[user@]host[:port]`; an IPv6 address goes in brackets
/// (`[2001:db8::1]:2222`).
pub fn parse_proxy_jump(value: &str) -> Result<ProxyJump, String> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(ProxyJump::None);
    }
    let hops = value.split(',').map(parse_hop).collect::<Result<Vec<_>, _>>()?;
    Ok(ProxyJump::Hops(hops))
}

fn parse_hop(hop: &str) -> Result<JumpHop, String> {
    let malformed = |why: &str| format!("jump host '{hop}' {why}");
    let (is_uri, rest) = match hop.strip_prefix("ssh://") {
        Some(rest) => (true, rest.strip_suffix('/').unwrap_or(rest)),
        None => (false, hop),
    };
    if rest.contains(['/', ' ', '\t']) || rest.chars().any(char::is_control) {
        return Err(malformed("has a character a host cannot have"));
    }
    // The user is everything before the last `@`, as OpenSSH splits it.
    let (user, host_port) = match rest.rsplit_once('@') {
        Some((user, host_port)) => {
            if user.is_empty() {
                return Err(malformed("has an empty user"));
            }
            (Some(user.to_owned()), host_port)
        }
        None => (None, rest),
    };
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(malformed("has an unclosed '['"));
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(malformed("has text after ']'")),
            },
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() || host.contains(['[', ']', '@']) {
        return Err(malformed("has no valid host"));
    }
    if !is_uri && host.starts_with('-') {
        return Err(malformed("starts with '-'"));
    }
    let port = match port {
        Some(port) => Some(parse_port(port).map_err(|message| malformed(&message))?),
        None => None,
    };
    Ok(JumpHop { user, host: host.to_owned(), port })
}
