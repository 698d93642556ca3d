//! Printing values in CUE syntax (`froyo eval`), concrete or not.

use std::fmt::Write;

use super::Evaluator;
use super::vertex::LabelKind;
use crate::value::{EvalError, Value, VertexId, quote};

/// A label as CUE source writes it: an identifier as is, anything else
/// quoted (a regular field named `_x` is `"_x"`).
fn label(text: &str) -> String {
    let name = super::labels::label_name(text);
    if name.len() == text.len() && super::labels::is_identifier(name) {
        name.to_string()
    } else {
        quote(name)
    }
}

impl Evaluator {
    /// The package's value in CUE syntax, as `cue eval` prints it.
    pub(super) fn print_root(&mut self, root: VertexId) -> Result<String, Vec<EvalError>> {
        self.evaluate(root);
        let mut out = String::new();
        if let Some(expression) = self.expression.clone() {
            let env = self.root_env(root);
            let value = self.eval_expr(&expression, &env);
            self.print_value(value, 0, &mut out);
            out.push('\n');
            return Ok(out);
        }
        let root = self.resolve(root);
        self.print_fields(root, 0, &mut out);
        Ok(out)
    }

    fn print_fields(&mut self, id: VertexId, indent: usize, out: &mut String) {
        let arcs = self.vertices[id as usize].arcs.clone();
        for arc in arcs {
            let (name, kind, marker) = {
                let v = &self.vertices[arc as usize];
                let marker = match (v.optional, v.required) {
                    (true, true) => "!",
                    (true, false) => "?",
                    (false, _) => "",
                };
                (v.label.clone(), v.label_kind, marker)
            };
            if kind == LabelKind::Hidden {
                continue;
            }
            let _ = write!(out, "{}{}{}: ", "\t".repeat(indent), label(&name), marker);
            let value = self.value_of(arc);
            self.print_value(value, indent, out);
            out.push('\n');
        }
    }

    fn print_value(&mut self, value: Value, indent: usize, out: &mut String) {
        if indent > 100 {
            out.push_str("...");
            return;
        }
        match value {
            Value::Struct(id, _) => {
                let id = self.resolve(id);
                if self.vertices[id as usize].arcs.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push_str("{\n");
                self.print_fields(id, indent + 1, out);
                let _ = write!(out, "{}}}", "\t".repeat(indent));
            }
            Value::List(id, _) => {
                let items = self.list_values(id);
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (index, item) in items.into_iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    self.print_value(item, indent + 1, out);
                }
                out.push(']');
            }
            Value::Bottom(error) => {
                let _ = write!(out, "_|_ // {}", error.message);
            }
            other => {
                let text = self.describe(&other);
                out.push_str(&text);
            }
        }
    }
}
