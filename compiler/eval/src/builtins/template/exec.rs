//! Executing a parsed template over data, as Go's `text/template` does over
//! the value CUE decodes for it: structs are maps (ranged in key order),
//! lists are slices, ints are Go ints, floats are `float64`, `null` is nil.
//!
//! Functions: `and`, `or`, `not`, `len`, `index`, `eq`, `ne`, `lt`, `le`,
//! `gt`, `ge`, `print`, `printf`, `println`, `html`, `js`, `urlquery`.
//! Output and loops are bounded ([`MAX_OUTPUT`], [`MAX_STEPS`]).

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use super::format::{self, Value};
use super::parse::{Node, Operand, Pipeline};

/// Largest text a template may produce.
const MAX_OUTPUT: usize = 1 << 26;
/// Most nodes one execution may run.
const MAX_STEPS: usize = 10_000_000;

pub(super) fn execute(nodes: &[Node], data: Value) -> Result<String, String> {
    let mut state =
        State { out: String::new(), variables: vec![("$".to_string(), data.clone())], steps: 0 };
    state.walk(nodes, &data)?;
    Ok(state.out)
}

struct State {
    out: String,
    /// A stack: a block's variables are popped when it ends.
    variables: Vec<(String, Value)>,
    steps: usize,
}

impl State {
    fn walk(&mut self, nodes: &[Node], dot: &Value) -> Result<(), String> {
        for node in nodes {
            self.steps += 1;
            if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
                return Err("template output or work too large".to_string());
            }
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Action(pipeline) => {
                    let value = self.pipeline(pipeline, dot)?;
                    if pipeline.variables.is_empty() {
                        format::print_value(&mut self.out, &value);
                    }
                }
                Node::If { branches, otherwise } => {
                    let mark = self.variables.len();
                    let mut chosen = None;
                    for (condition, body) in branches {
                        if self.pipeline(condition, dot)?.truth() {
                            chosen = Some(body);
                            break;
                        }
                    }
                    self.walk(chosen.unwrap_or(otherwise), dot)?;
                    self.variables.truncate(mark);
                }
                Node::With { pipeline, body, otherwise } => {
                    let mark = self.variables.len();
                    let value = self.pipeline(pipeline, dot)?;
                    if value.truth() {
                        self.walk(body, &value)?;
                    } else {
                        self.walk(otherwise, dot)?;
                    }
                    self.variables.truncate(mark);
                }
                Node::Range { pipeline, body, otherwise } => {
                    self.range(pipeline, body, otherwise, dot)?
                }
            }
        }
        Ok(())
    }

    fn range(
        &mut self,
        pipeline: &Pipeline,
        body: &[Node],
        otherwise: &[Node],
        dot: &Value,
    ) -> Result<(), String> {
        let mark = self.variables.len();
        let declared = Pipeline { variables: Vec::new(), ..pipeline.clone() };
        let value = self.pipeline(&declared, dot)?;
        let items: Vec<(Value, Value)> = match value {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| (Value::Int(BigInt::from(index)), item))
                .collect(),
            Value::Map(fields) => {
                fields.into_iter().map(|(key, item)| (Value::String(key), item)).collect()
            }
            Value::Nil => Vec::new(),
            other => return Err(format!("range can't iterate over {}", format::sprint(&[other]))),
        };
        if items.is_empty() {
            self.walk(otherwise, dot)?;
        }
        for (key, item) in items {
            let iteration = self.variables.len();
            match pipeline.variables.as_slice() {
                [element] => self.variables.push((element.clone(), item.clone())),
                [index, element] => {
                    self.variables.push((index.clone(), key));
                    self.variables.push((element.clone(), item.clone()));
                }
                _ => {}
            }
            self.walk(body, &item)?;
            self.variables.truncate(iteration);
        }
        self.variables.truncate(mark);
        Ok(())
    }

    fn pipeline(&mut self, pipeline: &Pipeline, dot: &Value) -> Result<Value, String> {
        let mut value: Option<Value> = None;
        for command in &pipeline.commands {
            value = Some(self.command(command, dot, value)?);
        }
        let value = value.unwrap_or(Value::Nil);
        for name in &pipeline.variables {
            if pipeline.assign {
                match self.variables.iter_mut().rev().find(|(existing, _)| existing == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => return Err(format!("undefined variable: {name}")),
                }
            } else {
                self.variables.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn command(
        &mut self,
        operands: &[Operand],
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, String> {
        if let Some(Operand::Function(name)) = operands.first() {
            return self.call(name, &operands[1..], dot, piped);
        }
        if operands.len() > 1 || piped.is_some() {
            return Err("can't give argument to non-function".to_string());
        }
        match operands.first() {
            Some(operand) => self.operand(operand, dot),
            None => Ok(Value::Nil),
        }
    }

    fn operand(&mut self, operand: &Operand, dot: &Value) -> Result<Value, String> {
        match operand {
            Operand::Dot(fields) => select(dot.clone(), fields),
            Operand::Variable(name, fields) => {
                let value = self
                    .variables
                    .iter()
                    .rev()
                    .find(|(existing, _)| existing == name)
                    .map(|(_, value)| value.clone())
                    .ok_or_else(|| format!("undefined variable: {name}"))?;
                select(value, fields)
            }
            Operand::Function(name) => self.call(name, &[], dot, None),
            Operand::String(text) => Ok(Value::String(text.clone())),
            Operand::Int(value) => Ok(Value::Int(value.clone())),
            Operand::Float(value) => Ok(Value::Float(*value)),
            Operand::Bool(value) => Ok(Value::Bool(*value)),
            Operand::Nil => Err("nil is not a command".to_string()),
            Operand::Pipeline(pipeline, fields) => {
                let value = self.pipeline(pipeline, dot)?;
                select(value, fields)
            }
        }
    }

    fn arguments(
        &mut self,
        operands: &[Operand],
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Vec<Value>, String> {
        let mut values = Vec::with_capacity(operands.len() + 1);
        for operand in operands {
            values.push(match operand {
                Operand::Nil => Value::Nil,
                other => self.operand(other, dot)?,
            });
        }
        values.extend(piped);
        Ok(values)
    }

    fn call(
        &mut self,
        name: &str,
        operands: &[Operand],
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, String> {
        // `and` and `or` stop at the first argument that decides them.
        if name == "and" || name == "or" {
            let count = operands.len() + usize::from(piped.is_some());
            if count == 0 {
                return Err(format!("wrong number of args for {name}: want at least 1 got 0"));
            }
            let mut last = Value::Nil;
            for operand in operands {
                last = self.operand(operand, dot)?;
                if last.truth() != (name == "and") {
                    return Ok(last);
                }
            }
            return Ok(piped.unwrap_or(last));
        }
        let args = self.arguments(operands, dot, piped)?;
        let want = |count: usize| {
            if args.len() == count {
                Ok(())
            } else {
                Err(format!("wrong number of args for {name}: want {count} got {}", args.len()))
            }
        };
        match name {
            "not" => {
                want(1)?;
                Ok(Value::Bool(!args[0].truth()))
            }
            "len" => {
                want(1)?;
                let length = match &args[0] {
                    Value::String(text) => text.len(),
                    Value::Bytes(bytes) => bytes.len(),
                    Value::List(items) => items.len(),
                    Value::Map(fields) => fields.len(),
                    other => return Err(format!("len of type {}", other.type_name())),
                };
                Ok(Value::Int(BigInt::from(length)))
            }
            "index" => {
                let Some((first, keys)) = args.split_first() else {
                    return Err("wrong number of args for index: want at least 1 got 0".to_string());
                };
                let mut value = first.clone();
                for key in keys {
                    value = index(value, key)?;
                }
                Ok(value)
            }
            "eq" => {
                if args.len() < 2 {
                    return Err("missing argument for comparison".to_string());
                }
                let mut equal = false;
                for other in &args[1..] {
                    equal |= compare(&args[0], other, true)? == Some(std::cmp::Ordering::Equal);
                }
                Ok(Value::Bool(equal))
            }
            "ne" | "lt" | "le" | "gt" | "ge" => {
                want(2)?;
                let ordering = compare(&args[0], &args[1], name == "ne")?;
                use std::cmp::Ordering::*;
                Ok(Value::Bool(match (name, ordering) {
                    ("ne", ordering) => ordering != Some(Equal),
                    ("lt", Some(Less)) | ("le", Some(Less | Equal)) => true,
                    ("gt", Some(Greater)) | ("ge", Some(Greater | Equal)) => true,
                    _ => false,
                }))
            }
            "print" => Ok(Value::String(format::sprint(&args))),
            "println" => Ok(Value::String(format::sprintln(&args))),
            "printf" => {
                let Some((Value::String(pattern), rest)) = args.split_first() else {
                    return Err("printf needs a format string".to_string());
                };
                Ok(Value::String(format::sprintf(pattern, rest)))
            }
            "html" => Ok(Value::String(format::html_escape(&escaper_input(&args)))),
            "js" => Ok(Value::String(format::js_escape(&escaper_input(&args)))),
            "urlquery" => Ok(Value::String(format::query_escape(&escaper_input(&args)))),
            _ => Err(format!("function {name:?} not defined")),
        }
    }
}

/// The text the escaping functions work on: a lone string as is, anything
/// else as `print` writes it.
fn escaper_input(args: &[Value]) -> String {
    match args {
        [Value::String(text)] => text.clone(),
        _ => format::sprint(args),
    }
}

fn select(mut value: Value, fields: &[String]) -> Result<Value, String> {
    for (depth, field) in fields.iter().enumerate() {
        value = match value {
            Value::Map(entries) => entries
                .into_iter()
                .find(|(key, _)| key == field)
                .map_or(Value::Nil, |(_, value)| value),
            Value::Nil => return Err(format!("nil pointer evaluating interface {{}}.{field}")),
            other => {
                // A value found in a map has the static type `interface {}` in Go.
                let type_name = if depth == 0 { other.type_name() } else { "interface {}" };
                return Err(format!("can't evaluate field {field} in type {type_name}"));
            }
        };
    }
    Ok(value)
}

fn index(value: Value, key: &Value) -> Result<Value, String> {
    let position = |length: usize| -> Result<usize, String> {
        match key {
            Value::Int(number) => number
                .to_usize()
                .filter(|&index| index < length)
                .ok_or_else(|| format!("index out of range: {number}")),
            other => Err(format!("cannot index slice/array with type {}", other.type_name())),
        }
    };
    match value {
        Value::List(items) => {
            let index = position(items.len())?;
            Ok(items.into_iter().nth(index).unwrap_or(Value::Nil))
        }
        Value::String(text) => {
            let index = position(text.len())?;
            Ok(Value::Int(BigInt::from(text.as_bytes()[index])))
        }
        Value::Bytes(bytes) => {
            let index = position(bytes.len())?;
            Ok(Value::Int(BigInt::from(bytes[index])))
        }
        Value::Map(entries) => match key {
            Value::String(name) => Ok(entries
                .into_iter()
                .find(|(existing, _)| existing == name)
                .map_or(Value::Nil, |(_, value)| value)),
            other => Err(format!("value has type {}; should be string", other.type_name())),
        },
        Value::Nil => Err("index of untyped nil".to_string()),
        other => Err(format!("can't index item of type {}", other.type_name())),
    }
}

/// How `a` compares with `b`: values of the same basic kind only (`eq`
/// and `ne` also take bools and nils).
fn compare(a: &Value, b: &Value, equality: bool) -> Result<Option<std::cmp::Ordering>, String> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(Some(x.cmp(y))),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y)),
        (Value::String(x), Value::String(y)) => Ok(Some(x.cmp(y))),
        (Value::Bool(x), Value::Bool(y)) if equality => Ok(Some(x.cmp(y))),
        (Value::Nil, Value::Nil) if equality => Ok(Some(std::cmp::Ordering::Equal)),
        (Value::Bool(_), Value::Bool(_)) => Err("invalid type for comparison".to_string()),
        _ => Err("incompatible types for comparison".to_string()),
    }
}
