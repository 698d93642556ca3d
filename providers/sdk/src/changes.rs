//! Building the property-level `changes` of a plan.
//!
//! Invariant: a [`Changes`] holds only properties whose before and after
//! differ, in the order they were compared, so an empty set means converged.

use serde_json::Value;

use crate::Change;

/// Property changes, collected in order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes(pub Vec<Change>);

impl Changes {
    pub fn new() -> Self {
        Changes(Vec::new())
    }

    /// Record `property` going from `before` to `after`, if they differ.
    /// Returns whether it was recorded.
    pub fn diff(&mut self, property: &str, before: Option<Value>, after: Option<Value>) -> bool {
        if before == after {
            return false;
        }
        self.0.push(Change { property: property.to_string(), before, after });
        true
    }

    /// Record a change unconditionally (creation and deletion).
    pub fn push(&mut self, property: &str, before: Option<Value>, after: Option<Value>) {
        self.0.push(Change { property: property.to_string(), before, after });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, property: &str) -> bool {
        self.0.iter().any(|c| c.property == property)
    }

    pub fn into_vec(self) -> Vec<Change> {
        self.0
    }
}

/// `Some(Value::String)` from an optional string.
pub fn opt_string(s: Option<&str>) -> Option<Value> {
    s.map(|s| Value::String(s.to_string()))
}

/// `Some(Value::String)`.
pub fn string(s: &str) -> Option<Value> {
    Some(Value::String(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_differences_are_recorded() {
        let mut c = Changes::new();
        assert!(!c.diff("mode", string("0644"), string("0644")));
        assert!(c.diff("mode", string("0600"), string("0644")));
        assert!(c.contains("mode"));
        assert_eq!(c.into_vec().len(), 1);
    }
}
