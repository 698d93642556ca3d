//! `uuid`: RFC 4122 UUIDs as strings. Version 5 (`SHA1`) and version 3
//! (`MD5`) UUIDs are generated from a name space and data; `Parse` accepts the
//! standard form, `urn:uuid:…`, `{…}` and 32 hex digits.
//!
//! `ToInt` gives the UUID's 128-bit value, as today's CUE documents it
//! (v0.4 converted the bytes of the string instead).

use num_bigint::{BigInt, Sign};

use super::{Builtin, bigint_arg, bytes_arg, function, str_arg, string, validator};
use crate::data::Data;
use crate::num::Number;

const P: &str = "uuid";

type Uuid = [u8; 16];

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Sixteen bytes from 32 hex digits, skipping the dashes of the standard
/// form at their places.
fn parse(text: &str) -> Result<Uuid, String> {
    let bytes = text.as_bytes();
    let standard = match bytes.len() {
        36 => bytes,
        45 => {
            let (prefix, rest) = bytes.split_at(9);
            if !prefix.eq_ignore_ascii_case(b"urn:uuid:") {
                return Err(format!("invalid urn prefix: {:?}", String::from_utf8_lossy(prefix)));
            }
            rest
        }
        38 => {
            if bytes[0] != b'{' || bytes[37] != b'}' {
                return Err("invalid UUID format".to_string());
            }
            &bytes[1..37]
        }
        32 => {
            let mut uuid = [0u8; 16];
            for (index, pair) in bytes.chunks(2).enumerate() {
                uuid[index] = hex_pair(pair)?;
            }
            return Ok(uuid);
        }
        length => return Err(format!("invalid UUID length: {length}")),
    };
    if [8, 13, 18, 23].iter().any(|&index| standard[index] != b'-') {
        return Err("invalid UUID format".to_string());
    }
    let digits: Vec<u8> = standard.iter().copied().filter(|&byte| byte != b'-').collect();
    if digits.len() != 32 {
        return Err("invalid UUID format".to_string());
    }
    let mut uuid = [0u8; 16];
    for (index, pair) in digits.chunks(2).enumerate() {
        uuid[index] = hex_pair(pair)?;
    }
    Ok(uuid)
}

fn hex_pair(pair: &[u8]) -> Result<u8, String> {
    match (pair.first().and_then(|&b| hex_value(b)), pair.get(1).and_then(|&b| hex_value(b))) {
        (Some(high), Some(low)) => Ok(high << 4 | low),
        _ => Err("invalid UUID format".to_string()),
    }
}

/// The standard lower-case form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
fn format(uuid: &Uuid) -> String {
    let mut out = String::with_capacity(36);
    for (index, byte) in uuid.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A name-based UUID: the hash of the name space's bytes and the data, with
/// the version and the RFC 4122 variant set.
fn name_based(args: &[Data], hash: fn(&[u8]) -> Vec<u8>, version: u8) -> Result<Data, String> {
    let space = parse(str_arg(args, 0)?)?;
    let mut input = space.to_vec();
    input.extend_from_slice(&bytes_arg(args, 1)?);
    let digest = hash(&input);
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&digest[..16]);
    uuid[6] = (uuid[6] & 0x0f) | (version << 4);
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    Ok(string(format(&uuid)))
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    validator(P, "Valid", 1, |a| Ok(Data::Bool(parse(str_arg(a, 0)?).is_ok()))),
    function(P, "Parse", 1, |a| Ok(string(format(&parse(str_arg(a, 0)?)?)))),
    function(P, "ToString", 1, |a| Ok(string(str_arg(a, 0)?))),
    function(P, "URN", 1, |a| Ok(string(format!("urn:uuid:{}", format(&parse(str_arg(a, 0)?)?))))),
    function(P, "FromInt", 1, |a| {
        let value = bigint_arg(a, 0)?;
        let (sign, bytes) = value.to_bytes_be();
        if sign == Sign::Minus || bytes.len() > 16 {
            return Err(format!("{value} is not a 128-bit unsigned integer"));
        }
        let mut uuid = [0u8; 16];
        uuid[16 - bytes.len()..].copy_from_slice(&bytes);
        Ok(string(format(&uuid)))
    }),
    function(P, "ToInt", 1, |a| {
        let uuid = parse(str_arg(a, 0)?)?;
        Ok(Data::Number(Number::from_bigint(BigInt::from_bytes_be(Sign::Plus, &uuid))))
    }),
    function(P, "Variant", 1, |a| {
        let uuid = parse(str_arg(a, 0)?)?;
        // Reserved (NCS) 2, RFC 4122 1, Microsoft 3, future 4, as Google's uuid numbers them.
        let variant = match uuid[8] {
            byte if byte & 0xc0 == 0x80 => 1,
            byte if byte & 0xe0 == 0xc0 => 3,
            byte if byte & 0xe0 == 0xe0 => 4,
            _ => 2,
        };
        Ok(super::int(variant))
    }),
    function(P, "Version", 1, |a| Ok(super::int(i64::from(parse(str_arg(a, 0)?)?[6] >> 4)))),
    function(P, "SHA1", 2, |a| name_based(a, super::crypto::sha1_sum, 5)),
    function(P, "MD5", 2, |a| name_based(a, super::crypto::md5_sum, 3)),
];

/// `uuid.ns`: the name spaces of RFC 4122, appendix C, and the nil UUID.
pub(super) fn constant(name: &str) -> Option<Data> {
    (name == "ns").then(|| {
        Data::Struct(
            [
                ("DNS", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                ("URL", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
                ("OID", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
                ("X500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
                ("Nil", "00000000-0000-0000-0000-000000000000"),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_string(), string(value)))
            .collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn t(name: &str, args: Vec<crate::data::Data>) -> String {
        text(call("uuid", name, args))
    }

    #[test]
    fn uuids() {
        let dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
        assert_eq!(
            t("SHA1", vec![s(dns), s("cuelang.org")]),
            r#""052ef62d-7223-58b6-a551-c1deee46d401""#
        );
        assert_eq!(
            t("Parse", vec![s("{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}")]),
            format!("{dns:?}")
        );
        assert_eq!(
            t("Parse", vec![s("URN:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8")]),
            format!("{dns:?}")
        );
        assert_eq!(
            t("Parse", vec![s("urn:uuxd:6ba7b810-9dad-11d1-80b4-00c04fd430c8")]),
            r#"error: error in call to uuid.Parse: invalid urn prefix: "urn:uuxd:""#
        );
        assert_eq!(t("Parse", vec![s("6ba7b8109dad11d180b400c04fd430c8")]), format!("{dns:?}"));
        assert_eq!(
            t("Parse", vec![s("abc")]),
            "error: error in call to uuid.Parse: invalid UUID length: 3"
        );
        assert_eq!(
            t("Parse", vec![s("6ba7b810-9dad-11d1-80b4-00c04fd430cg")]),
            "error: error in call to uuid.Parse: invalid UUID format"
        );
        assert_eq!(t("ToInt", vec![s("00000000-0000-0000-0000-000000000101")]), "257");
        assert_eq!(t("FromInt", vec![n("257")]), r#""00000000-0000-0000-0000-000000000101""#);
        assert_eq!(
            t("FromInt", vec![n("-1")]),
            "error: error in call to uuid.FromInt: -1 is not a 128-bit unsigned integer"
        );
        // 45 bytes whose ninth is inside a character: no panic, an error.
        let wide = format!("urn:uuid{}", "é".repeat(18));
        assert_eq!(wide.len(), 44);
        assert!(
            t("Parse", vec![s(&format!("{wide}x"))])
                .starts_with("error: error in call to uuid.Parse: invalid urn prefix")
        );
        assert_eq!(t("Version", vec![s(dns)]), "1");
        assert_eq!(t("Variant", vec![s(dns)]), "1");
        assert_eq!(t("Variant", vec![s("00000000-0000-0000-c000-000000000000")]), "3");
        assert_eq!(t("Valid", vec![s("nope")]), "false");
    }
}
