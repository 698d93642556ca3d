//! `crypto/md5`, `crypto/sha1`, `crypto/sha256`, `crypto/sha512` and
//! `crypto/hmac`.
//!
//! HMAC (RFC 2104) is written out here over the hash functions of the other
//! packages: `hmac.Sign(hmac.SHA256, key, data)` names its hash by the
//! strings the reference uses (`"MD5"`, `"SHA1"`, `"SHA224"`, `"SHA256"`,
//! `"SHA384"`, `"SHA512"`, `"SHA512_224"`, `"SHA512_256"`).

use sha2::Digest;

use super::{Builtin, bytes_arg, function, int, str_arg, string};
use crate::data::Data;

fn digest<D: Digest>(args: &[Data]) -> Result<Data, String> {
    Ok(Data::Bytes(D::digest(&*bytes_arg(args, 0)?).to_vec()))
}

pub(super) fn md5_sum(data: &[u8]) -> Vec<u8> {
    md5::compute(data).0.to_vec()
}

pub(super) fn sha1_sum(data: &[u8]) -> Vec<u8> {
    <sha1::Sha1 as sha1::Digest>::digest(data).to_vec()
}

fn sha2_sum<D: Digest>(data: &[u8]) -> Vec<u8> {
    D::digest(data).to_vec()
}

pub(super) const MD5: &[Builtin] =
    &[function("crypto/md5", "Sum", 1, |a| Ok(Data::Bytes(md5_sum(&bytes_arg(a, 0)?))))];

pub(super) const SHA1: &[Builtin] =
    &[function("crypto/sha1", "Sum", 1, |a| Ok(Data::Bytes(sha1_sum(&bytes_arg(a, 0)?))))];

pub(super) const SHA256: &[Builtin] = &[
    function("crypto/sha256", "Sum256", 1, digest::<sha2::Sha256>),
    function("crypto/sha256", "Sum224", 1, digest::<sha2::Sha224>),
];

pub(super) const SHA512: &[Builtin] = &[
    function("crypto/sha512", "Sum512", 1, digest::<sha2::Sha512>),
    function("crypto/sha512", "Sum384", 1, digest::<sha2::Sha384>),
    function("crypto/sha512", "Sum512_224", 1, digest::<sha2::Sha512_224>),
    function("crypto/sha512", "Sum512_256", 1, digest::<sha2::Sha512_256>),
];

/// A hash function over all of its input.
type HashFunction = fn(&[u8]) -> Vec<u8>;

pub(super) const HMAC: &[Builtin] = &[function("crypto/hmac", "Sign", 3, |a| {
    let hash_name = str_arg(a, 0)?;
    let (hash, block_size): (HashFunction, usize) = match hash_name {
        "MD5" => (md5_sum, 64),
        "SHA1" => (sha1_sum, 64),
        "SHA224" => (sha2_sum::<sha2::Sha224>, 64),
        "SHA256" => (sha2_sum::<sha2::Sha256>, 64),
        "SHA384" => (sha2_sum::<sha2::Sha384>, 128),
        "SHA512" => (sha2_sum::<sha2::Sha512>, 128),
        "SHA512_224" => (sha2_sum::<sha2::Sha512_224>, 128),
        "SHA512_256" => (sha2_sum::<sha2::Sha512_256>, 128),
        _ => return Err("unsupported hash function".to_string()),
    };
    Ok(Data::Bytes(hmac(hash, block_size, &bytes_arg(a, 1)?, &bytes_arg(a, 2)?)))
})];

/// RFC 2104: `H((K ^ opad) || H((K ^ ipad) || data))`, with a key longer
/// than a block hashed first and a shorter one padded with zeros.
fn hmac(hash: HashFunction, block_size: usize, key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut block = if key.len() > block_size { hash(key) } else { key.to_vec() };
    block.resize(block_size, 0);
    let mut inner: Vec<u8> = block.iter().map(|byte| byte ^ 0x36).collect();
    inner.extend_from_slice(data);
    let mut outer: Vec<u8> = block.iter().map(|byte| byte ^ 0x5c).collect();
    outer.extend_from_slice(&hash(&inner));
    hash(&outer)
}

/// The constants of the `crypto` packages.
pub(super) fn constant(package: &str, name: &str) -> Option<Data> {
    let size = match (package, name) {
        ("crypto/md5", "Size") => 16,
        ("crypto/md5", "BlockSize") => 64,
        ("crypto/sha1", "Size") => 20,
        ("crypto/sha1", "BlockSize") => 64,
        ("crypto/sha256", "Size") => 32,
        ("crypto/sha256", "Size224") => 28,
        ("crypto/sha256", "BlockSize") => 64,
        ("crypto/sha512", "Size") => 64,
        ("crypto/sha512", "Size224") => 28,
        ("crypto/sha512", "Size256") => 32,
        ("crypto/sha512", "Size384") => 48,
        ("crypto/sha512", "BlockSize") => 128,
        ("crypto/hmac", _) => {
            return matches!(
                name,
                "MD5"
                    | "SHA1"
                    | "SHA224"
                    | "SHA256"
                    | "SHA384"
                    | "SHA512"
                    | "SHA512_224"
                    | "SHA512_256"
            )
            .then(|| string(name));
        }
        _ => return None,
    };
    Some(int(size))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::data::Data;

    fn hex(result: Result<Data, String>) -> String {
        match result {
            Ok(Data::Bytes(sum)) => sum.iter().map(|b| format!("{b:02x}")).collect(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn digests_and_hmac() {
        assert_eq!(
            hex(call("crypto/sha256", "Sum256", vec![s("abc")])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(call("crypto/md5", "Sum", vec![s("abc")])),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(call("crypto/sha1", "Sum", vec![s("abc")])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        // RFC 4231, test case 2.
        assert_eq!(
            hex(call(
                "crypto/hmac",
                "Sign",
                vec![s("SHA256"), s("Jefe"), s("what do ya want for nothing?")]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 2202, test cases 2 (HMAC-MD5) and 6 (HMAC-SHA1, a key longer than a block).
        assert_eq!(
            hex(call(
                "crypto/hmac",
                "Sign",
                vec![s("MD5"), s("Jefe"), s("what do ya want for nothing?")]
            )),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        let long_key = Data::Bytes(vec![0xaa; 80]);
        assert_eq!(
            hex(call(
                "crypto/hmac",
                "Sign",
                vec![
                    s("SHA1"),
                    long_key,
                    s("Test Using Larger Than Block-Size Key - Hash Key First")
                ]
            )),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
        assert_eq!(
            text(call("crypto/hmac", "Sign", vec![s("SHA3"), s("k"), s("d")])),
            "error: error in call to crypto/hmac.Sign: unsupported hash function"
        );
    }
}
