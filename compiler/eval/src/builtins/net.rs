//! `net`: IP addresses as strings or lists of bytes, host names, host:port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Builtin, arg, function, int, str_arg, string, strings_list, validator};
use crate::data::Data;

const P: &str = "net";

/// An IP from a string or a list of 4 or 16 bytes.
fn ip(value: &Data) -> Option<IpAddr> {
    match value {
        Data::String(text) => text.parse().ok(),
        Data::Bytes(bytes) => from_bytes(bytes),
        Data::List(items) => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|item| match item {
                    Data::Number(n) => n.to_i64().and_then(|b| u8::try_from(b).ok()),
                    _ => None,
                })
                .collect();
            from_bytes(&bytes?)
        }
        _ => None,
    }
}

fn from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

fn to4(address: IpAddr) -> Option<Ipv4Addr> {
    match address {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}

fn to16(address: IpAddr) -> [u8; 16] {
    match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn bytes_list(bytes: &[u8]) -> Data {
    Data::List(bytes.iter().map(|&b| int(i64::from(b))).collect())
}

fn check(args: &[Data], test: fn(IpAddr) -> bool) -> Result<Data, String> {
    Ok(Data::Bool(ip(arg(args, 0)?).is_some_and(test)))
}

/// Go's `net.IP.String`: dotted for IPv4 (and IPv4-mapped), RFC 5952 for IPv6.
fn ip_string(address: IpAddr) -> String {
    match to4(address) {
        Some(v4) => v4.to_string(),
        None => address.to_string(),
    }
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    function(P, "SplitHostPort", 1, |a| {
        let text = str_arg(a, 0)?;
        let missing = || format!("address {text}: missing port in address");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("address {text}: missing ']' in address"))?;
            (host, after.strip_prefix(':').ok_or_else(missing)?)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(missing)?;
            if host.contains(':') {
                return Err(format!("address {text}: too many colons in address"));
            }
            (host, port)
        };
        Ok(strings_list([host, port]))
    }),
    function(P, "JoinHostPort", 2, |a| {
        let part = |index: usize| -> Result<String, String> {
            match arg(a, index)? {
                Data::String(text) => Ok(text.clone()),
                Data::Number(n) => Ok(n.to_string()),
                other => {
                    ip(other).map(ip_string).ok_or_else(|| super::arg_error(a, index, "string"))
                }
            }
        };
        let (host, port) = (part(0)?, part(1)?);
        Ok(string(if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }))
    }),
    validator(P, "FQDN", 1, |a| Ok(Data::Bool(is_fqdn(str_arg(a, 0)?)))),
    function(P, "ParseIP", 1, |a| {
        let text = str_arg(a, 0)?;
        let address: IpAddr = text.parse().map_err(|_| format!("invalid IP address {text:?}"))?;
        Ok(bytes_list(&to16(address)))
    }),
    validator(P, "IPv4", 1, |a| check(a, |ip| to4(ip).is_some())),
    validator(P, "IP", 1, |a| check(a, |_| true)),
    validator(P, "LoopbackIP", 1, |a| {
        check(a, |ip| to4(ip).map_or(ip.is_loopback(), |v4| v4.is_loopback()))
    }),
    validator(P, "MulticastIP", 1, |a| {
        check(a, |ip| to4(ip).map_or(ip.is_multicast(), |v4| v4.is_multicast()))
    }),
    validator(P, "InterfaceLocalMulticastIP", 1, |a| {
        check(a, |ip| to4(ip).is_none() && to16(ip)[0] == 0xff && to16(ip)[1] & 0x0f == 0x01)
    }),
    validator(P, "LinkLocalMulticastIP", 1, |a| {
        check(a, |ip| match to4(ip) {
            Some(v4) => v4.octets()[..3] == [224, 0, 0],
            None => to16(ip)[0] == 0xff && to16(ip)[1] & 0x0f == 0x02,
        })
    }),
    validator(P, "LinkLocalUnicastIP", 1, |a| {
        check(a, |ip| match to4(ip) {
            Some(v4) => v4.is_link_local(),
            None => to16(ip)[0] == 0xfe && to16(ip)[1] & 0xc0 == 0x80,
        })
    }),
    validator(P, "GlobalUnicastIP", 1, |a| {
        check(a, |ip| match to4(ip) {
            Some(v4) => {
                !(v4.is_broadcast()
                    || v4.is_unspecified()
                    || v4.is_loopback()
                    || v4.is_multicast()
                    || v4.is_link_local())
            }
            None => {
                let b = to16(ip);
                !(ip.is_unspecified()
                    || ip.is_loopback()
                    || b[0] == 0xff
                    || (b[0] == 0xfe && b[1] & 0xc0 == 0x80))
            }
        })
    }),
    validator(P, "UnspecifiedIP", 1, |a| {
        check(a, |ip| to4(ip).map_or(ip.is_unspecified(), |v4| v4.is_unspecified()))
    }),
    function(P, "ToIP4", 1, |a| {
        let address = ip(arg(a, 0)?).ok_or_else(|| "invalid IP".to_string())?;
        to4(address)
            .map(|v4| bytes_list(&v4.octets()))
            .ok_or_else(|| "cannot convert to IPv4".to_string())
    }),
    function(P, "ToIP16", 1, |a| {
        let address = ip(arg(a, 0)?).ok_or_else(|| "invalid IP".to_string())?;
        Ok(bytes_list(&to16(address)))
    }),
    function(P, "IPString", 1, |a| {
        let address = ip(arg(a, 0)?).ok_or_else(|| "invalid IP".to_string())?;
        Ok(string(ip_string(address)))
    }),
];

/// A fully qualified domain name: dot-separated labels of letters, digits
/// and hyphens, each 1–63 long and not starting or ending with a hyphen.
fn is_fqdn(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("net", name, args))
    }

    #[test]
    fn net_like_the_reference() {
        assert_eq!(t("IPv4", vec![s("10.0.0.1")]), "true");
        assert_eq!(t("IPv4", vec![s("::1")]), "false");
        assert_eq!(t("IPv4", vec![s("203.0.113.300")]), "false");
        assert_eq!(t("IP", vec![s("192.168.1.1")]), "true");
        assert_eq!(t("FQDN", vec![s("foo.example.com")]), "true");
        assert_eq!(t("FQDN", vec![s("-foo.com")]), "false");
        assert_eq!(t("LoopbackIP", vec![s("127.0.0.1")]), "true");
        assert_eq!(
            t("IPString", vec![list(vec![n("10"), n("0"), n("0"), n("7")])]),
            r#""10.0.0.7""#
        );
        assert_eq!(t("ParseIP", vec![s("10.1.2.3")]), "[0,0,0,0,0,0,0,0,0,0,255,255,10,1,2,3]");
        assert_eq!(t("SplitHostPort", vec![s("[::1]:80")]), r#"["::1","80"]"#);
        assert_eq!(t("JoinHostPort", vec![s("::1"), n("80")]), r#""[::1]:80""#);
    }
}
