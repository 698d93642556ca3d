//! Property values: concrete JSON-like data with maps in key order.
//!
//! Not `serde_json::Value`, whose map order depends on a crate feature that
//! any dependency may switch on; the IR's bytes must not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A concrete property value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// The value with every scalar inside replaced by [`crate::REDACTED`]
    /// (keys and shape stay, so that a reader sees what is hidden).
    pub fn redacted(&self) -> Value {
        match self {
            Value::List(items) => Value::List(items.iter().map(Value::redacted).collect()),
            Value::Map(entries) => Value::Map(
                entries.iter().map(|(key, value)| (key.clone(), value.redacted())).collect(),
            ),
            Value::Null => Value::Null,
            _ => Value::String(crate::REDACTED.to_string()),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }
}
