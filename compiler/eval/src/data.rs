//! Concrete CUE data: what `export` produces and what built-in functions take
//! and return.
//!
//! `Data` is plain, owned, ordered data (struct fields keep their order). It
//! is the boundary between the evaluator and everything that needs concrete
//! values: built-in packages, JSON and YAML output, and later the IR.

use crate::num::Number;

/// A concrete CUE value.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Bytes(Vec<u8>),
    List(Vec<Data>),
    /// Fields in output order.
    Struct(Vec<(String, Data)>),
}

impl Data {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Data::Null => "null",
            Data::Bool(_) => "bool",
            Data::Number(n) if n.is_int() => "int",
            Data::Number(_) => "float",
            Data::String(_) => "string",
            Data::Bytes(_) => "bytes",
            Data::List(_) => "list",
            Data::Struct(_) => "struct",
        }
    }

    pub fn field(&self, name: &str) -> Option<&Data> {
        match self {
            Data::Struct(fields) => {
                fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
            }
            _ => None,
        }
    }
}
