//! Typed access to a resource's properties, with errors that name the
//! resource type and the property.
//!
//! Properties were validated by the compiler against the type's schema, so a
//! wrong shape is a bug somewhere upstream; it still ends in an error, never a
//! panic.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Properties;

/// A resource's properties, read on behalf of `type_name`.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    pub type_name: &'a str,
    pub map: &'a Properties,
}

impl<'a> Props<'a> {
    pub fn new(type_name: &'a str, map: &'a Properties) -> Self {
        Props { type_name, map }
    }

    fn wrong(&self, name: &str, expected: &str, got: &Value) -> String {
        format!(
            "{}: property `{name}` must be {expected}, got {}",
            self.type_name,
            describe_value(got)
        )
    }

    /// A required string.
    pub fn str(&self, name: &str) -> Result<&'a str, String> {
        self.opt_str(name)?
            .ok_or_else(|| format!("{}: property `{name}` is required", self.type_name))
    }

    /// An optional string (`null` counts as unset).
    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong(name, "a string", v)),
        }
    }

    /// A string with a default.
    pub fn str_or(&self, name: &str, default: &'a str) -> Result<&'a str, String> {
        Ok(self.opt_str(name)?.unwrap_or(default))
    }

    /// A boolean with a default.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.wrong(name, "a boolean", v)),
        }
    }

    /// An optional non-negative integer.
    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                v.as_u64().map(Some).ok_or_else(|| self.wrong(name, "a non-negative integer", v))
            }
        }
    }

    /// A non-negative integer with a default.
    pub fn u64_or(&self, name: &str, default: u64) -> Result<u64, String> {
        Ok(self.opt_u64(name)?.unwrap_or(default))
    }

    /// A map of strings (`env`, `headers`); unset is empty.
    pub fn str_map(&self, name: &str) -> Result<BTreeMap<String, String>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(self.wrong(&format!("{name}.{k}"), "a string", other)),
                })
                .collect(),
            Some(v) => Err(self.wrong(name, "an object of strings", v)),
        }
    }

    /// An optional list of strings.
    pub fn opt_str_list(&self, name: &str) -> Result<Option<Vec<String>>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.wrong(&format!("{name}[{i}]"), "a string", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(self.wrong(name, "a list of strings", v)),
        }
    }

    /// A string restricted to `allowed`, with a default.
    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, String> {
        let v = self.str_or(name, default)?;
        if allowed.contains(&v) {
            Ok(v)
        } else {
            Err(format!(
                "{}: property `{name}` must be one of {}, got \"{v}\"",
                self.type_name,
                allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
            ))
        }
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Properties {
        match v {
            Value::Object(m) => m,
            _ => Properties::new(),
        }
    }

    #[test]
    fn getters_name_the_type_and_property() {
        let m = props(json!({"path": 3, "state": "gone", "env": {"A": 1}, "ok": true}));
        let p = Props::new("linux.file", &m);
        assert_eq!(
            p.str("path").unwrap_err(),
            "linux.file: property `path` must be a string, got the number 3"
        );
        assert_eq!(p.str("nope").unwrap_err(), "linux.file: property `nope` is required");
        assert_eq!(
            p.one_of("state", &["present", "absent"], "present").unwrap_err(),
            "linux.file: property `state` must be one of \"present\", \"absent\", got \"gone\""
        );
        assert_eq!(
            p.str_map("env").unwrap_err(),
            "linux.file: property `env.A` must be a string, got the number 1"
        );
        assert!(p.bool_or("ok", false).unwrap());
        assert!(!p.bool_or("missing", false).unwrap());
    }
}
