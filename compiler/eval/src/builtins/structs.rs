//! `struct`.

use super::{Builtin, int_arg, struct_arg, validator};
use crate::data::Data;

pub(super) const FUNCTIONS: &[Builtin] = &[
    validator("struct", "MinFields", 2, |a| {
        Ok(Data::Bool(struct_arg(a, 0)?.len() as i64 >= int_arg(a, 1)?))
    }),
    validator("struct", "MaxFields", 2, |a| {
        Ok(Data::Bool(struct_arg(a, 0)?.len() as i64 <= int_arg(a, 1)?))
    }),
];

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::data::Data;

    #[test]
    fn field_counts() {
        let value = Data::Struct(vec![("x".into(), n("1")), ("y".into(), n("2"))]);
        assert_eq!(text(call("struct", "MaxFields", vec![value.clone(), n("1")])), "false");
        assert_eq!(text(call("struct", "MinFields", vec![value, n("2")])), "true");
    }
}
