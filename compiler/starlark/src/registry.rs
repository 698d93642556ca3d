//! The registry a running file declares its resources into: what the
//! prelude's constructors write and [`crate::run()`] reads back.
// The `ProvidesStaticType` derive implements an unsafe marker trait of the
// starlark crate; that is how the crate lets an evaluator carry host data.
#![allow(unsafe_code)]

use std::cell::RefCell;

use froyo_eval::Data;
use starlark::any::ProvidesStaticType;

/// A resource declared by a constructor call.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub type_name: &'static str,
    pub id: String,
    /// The resource as a struct: `type` first, then the arguments in order.
    pub value: Data,
    /// File name and byte range of the constructor call.
    pub location: Option<(String, u32, u32)>,
}

/// The resources the running file declares.
#[derive(Debug, ProvidesStaticType)]
pub struct Registry {
    declared: RefCell<Vec<Declared>>,
    limit: usize,
}

impl Registry {
    /// A registry that takes at most `limit` declarations: a loop that makes
    /// more is refused rather than left to take minutes and gigabytes.
    pub fn with_limit(limit: usize) -> Registry {
        Registry { declared: RefCell::default(), limit }
    }

    /// Records a declaration; `false` when the limit is reached already.
    pub fn declare(&self, declared: Declared) -> bool {
        let mut all = self.declared.borrow_mut();
        if all.len() >= self.limit {
            return false;
        }
        all.push(declared);
        true
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes the declarations made so far.
    pub fn take(&self) -> Vec<Declared> {
        self.declared.take()
    }
}
