//! `crypto/sha256` and `crypto/sha512`.

use sha2::Digest;

use super::{Builtin, bytes_arg, function};
use crate::data::Data;

fn digest<D: Digest>(args: &[Data]) -> Result<Data, String> {
    Ok(Data::Bytes(D::digest(&*bytes_arg(args, 0)?).to_vec()))
}

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

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::data::Data;

    #[test]
    fn sha256() {
        let Ok(Data::Bytes(sum)) = call("crypto/sha256", "Sum256", vec![s("abc")]) else {
            panic!()
        };
        let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
