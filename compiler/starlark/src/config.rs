//! `config`: the evaluated CUE data, read-only, as a Starlark value.
//!
//! The data is not copied into the Starlark heap: a [`ConfigValue`] is a
//! shared pointer to the whole data plus a path into it, and each attribute
//! access or index builds the next view (scalars become plain Starlark
//! values). A workspace of 10,000 resources costs nothing here until a
//! script reads it.
//!
//! Structs read as attributes (`config.vhost.name`) and as keys
//! (`config.hosts["web1"]`); iterating a struct gives its field names, as a
//! dict does; lists index, iterate and have a length.

// The `ProvidesStaticType` derive implements an unsafe marker trait of the
// starlark crate; that is the crate's documented way to define a value type.
#![allow(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use allocative::Allocative;
use froyo_eval::Data;
use starlark::any::ProvidesStaticType;
use starlark::starlark_simple_value;
use starlark::values::{Heap, NoSerialize, StarlarkValue, Value, ValueLike, starlark_value};

/// A read-only view of part of the evaluated CUE data.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub struct ConfigValue {
    #[allocative(skip)]
    root: Arc<Data>,
    /// Indexes from the root: the field of a struct, the element of a list.
    path: Box<[u32]>,
}

starlark_simple_value!(ConfigValue);

impl ConfigValue {
    pub fn root(data: Arc<Data>) -> ConfigValue {
        ConfigValue { root: data, path: Box::new([]) }
    }

    /// The data this view shows.
    pub fn data(&self) -> &Data {
        let mut data: &Data = &self.root;
        for &index in self.path.iter() {
            data = match data {
                Data::Struct(fields) => &fields[index as usize].1,
                Data::List(items) => &items[index as usize],
                // Paths are built only through structs and lists.
                other => other,
            };
        }
        data
    }

    fn child<'v>(&self, index: usize, heap: Heap<'v>) -> Value<'v> {
        let data = match self.data() {
            Data::Struct(fields) => &fields[index].1,
            Data::List(items) => &items[index],
            other => other,
        };
        match data {
            Data::Struct(_) | Data::List(_) => {
                let mut path = self.path.to_vec();
                path.push(index as u32);
                heap.alloc(ConfigValue { root: self.root.clone(), path: path.into() })
            }
            scalar => scalar_value(scalar, heap),
        }
    }

    fn field_index(&self, name: &str) -> Option<usize> {
        match self.data() {
            Data::Struct(fields) => fields.iter().position(|(label, _)| label == name),
            _ => None,
        }
    }
}

/// A scalar as a Starlark value: numbers as int (or float when not integral),
/// bytes as a string of their UTF-8 reading.
pub fn scalar_value<'v>(data: &Data, heap: Heap<'v>) -> Value<'v> {
    match data {
        Data::Null => Value::new_none(),
        Data::Bool(value) => Value::new_bool(*value),
        Data::Number(number) => {
            if number.is_int() || number.is_integral() {
                if let Some(value) = number.to_i64() {
                    return heap.alloc(value);
                }
                if let Some(big) = number.to_bigint() {
                    return heap.alloc(big);
                }
            }
            heap.alloc(number.to_f64())
        }
        Data::String(text) => heap.alloc(text.as_str()),
        Data::Bytes(bytes) => heap.alloc(String::from_utf8_lossy(bytes).as_ref()),
        Data::List(_) | Data::Struct(_) => heap.alloc(ConfigValue::root(Arc::new(data.clone()))),
    }
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&froyo_eval::builtins::cue_text(self.data()))
    }
}

#[starlark_value(type = "config")]
impl<'v> StarlarkValue<'v> for ConfigValue {
    fn to_bool(&self) -> bool {
        match self.data() {
            Data::Struct(fields) => !fields.is_empty(),
            Data::List(items) => !items.is_empty(),
            _ => true,
        }
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        self.field_index(attribute).map(|index| self.child(index, heap))
    }

    fn has_attr(&self, attribute: &str, _heap: Heap<'v>) -> bool {
        self.field_index(attribute).is_some()
    }

    fn dir_attr(&self) -> Vec<String> {
        match self.data() {
            Data::Struct(fields) => fields.iter().map(|(label, _)| label.clone()).collect(),
            _ => Vec::new(),
        }
    }

    fn at(&self, index: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        match self.data() {
            Data::Struct(_) => {
                let Some(key) = index.unpack_str() else {
                    return Err(starlark::Error::new_value(anyhow::anyhow!(
                        "config structs are indexed by field name, not by {}",
                        index.get_type()
                    )));
                };
                match self.field_index(key) {
                    Some(position) => Ok(self.child(position, heap)),
                    None => Err(starlark::Error::new_value(anyhow::anyhow!(
                        "config has no field `{key}` here"
                    ))),
                }
            }
            Data::List(items) => {
                let Some(position) = index.unpack_i32() else {
                    return Err(starlark::Error::new_value(anyhow::anyhow!(
                        "config lists are indexed by int, not by {}",
                        index.get_type()
                    )));
                };
                let length = items.len() as i64;
                let resolved =
                    if position < 0 { length + i64::from(position) } else { i64::from(position) };
                if resolved < 0 || resolved >= length {
                    return Err(starlark::Error::new_value(anyhow::anyhow!(
                        "index {position} out of range for a list of {length}"
                    )));
                }
                Ok(self.child(resolved as usize, heap))
            }
            _ => Err(starlark::Error::new_value(anyhow::anyhow!(
                "this config value cannot be indexed"
            ))),
        }
    }

    fn length(&self) -> starlark::Result<i32> {
        match self.data() {
            Data::Struct(fields) => Ok(fields.len() as i32),
            Data::List(items) => Ok(items.len() as i32),
            _ => {
                Err(starlark::Error::new_value(anyhow::anyhow!("this config value has no length")))
            }
        }
    }

    fn iterate_collect(&self, heap: Heap<'v>) -> starlark::Result<Vec<Value<'v>>> {
        match self.data() {
            Data::Struct(fields) => {
                Ok(fields.iter().map(|(label, _)| heap.alloc(label.as_str())).collect())
            }
            Data::List(items) => {
                Ok((0..items.len()).map(|index| self.child(index, heap)).collect())
            }
            _ => Err(starlark::Error::new_value(anyhow::anyhow!(
                "this config value is not iterable"
            ))),
        }
    }

    fn is_in(&self, other: Value<'v>) -> starlark::Result<bool> {
        match (self.data(), other.unpack_str()) {
            (Data::Struct(_), Some(key)) => Ok(self.field_index(key).is_some()),
            (Data::List(items), _) => {
                let wanted = crate::convert::to_data(other).ok();
                Ok(wanted.is_some_and(|wanted| items.contains(&wanted)))
            }
            _ => Ok(false),
        }
    }

    fn equals(&self, other: Value<'v>) -> starlark::Result<bool> {
        match other.downcast_ref::<ConfigValue>() {
            Some(other) => Ok(self.data() == other.data()),
            None => Ok(false),
        }
    }
}
