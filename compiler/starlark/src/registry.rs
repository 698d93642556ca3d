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
#[derive(Debug, Default, ProvidesStaticType)]
pub struct Registry {
    declared: RefCell<Vec<Declared>>,
}

impl Registry {
    pub fn declare(&self, declared: Declared) {
        self.declared.borrow_mut().push(declared);
    }

    /// Takes the declarations made so far.
    pub fn take(&self) -> Vec<Declared> {
        self.declared.take()
    }
}
