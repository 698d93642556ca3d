//! `json.Validate`, `yaml.Validate` and `yaml.ValidatePartial`: decode a
//! text and unify it with a schema, a CUE value that need not be concrete —
//! so they live in the evaluator, not in [`crate::builtins`].
//!
//! Called with two arguments they give `true` or an error; with one (the
//! schema) they are a validator for a string or bytes value, kept in
//! [`Constraint::schemas`] and applied when the value is known
//! (`vertex.rs`, `check_scalar`). `yaml.Validate` also wants every field of
//! every document of the stream concrete; the other two only that the data
//! unifies with the schema.

use froyo_diagnostics::registry;
use froyo_syntax::ast;

use super::vertex::{Conjunct, ConjunctKind};
use super::{Env, Evaluator};
use crate::value::{Constraint, Kinds, Scalar, Span, Value};

/// Which of the three functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemaFunction {
    Json,
    Yaml,
    YamlPartial,
}

impl SchemaFunction {
    pub fn of(name: &str) -> Option<SchemaFunction> {
        match name {
            "encoding/json.Validate" => Some(SchemaFunction::Json),
            "encoding/yaml.Validate" => Some(SchemaFunction::Yaml),
            "encoding/yaml.ValidatePartial" => Some(SchemaFunction::YamlPartial),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SchemaFunction::Json => "encoding/json.Validate",
            SchemaFunction::Yaml => "encoding/yaml.Validate",
            SchemaFunction::YamlPartial => "encoding/yaml.ValidatePartial",
        }
    }
}

impl Evaluator {
    pub(super) fn call_validate(
        &mut self,
        function: SchemaFunction,
        args: &[ast::Expr],
        env: &Env,
        span: Span,
    ) -> Value {
        match args {
            [schema] => {
                let schema = self.eval_expr(schema.syntax(), env);
                if let Value::Bottom(error) = schema {
                    return Value::Bottom(error);
                }
                Value::Constraint(std::rc::Rc::new(Constraint {
                    kinds: Kinds(Kinds::STRING.0 | Kinds::BYTES.0),
                    bounds: Vec::new(),
                    validators: Vec::new(),
                    schemas: vec![(function, schema)],
                    spans: vec![span],
                }))
            }
            [text, schema] => {
                let text_value = self.eval_expr(text.syntax(), env);
                let text = match self.default_of(text_value) {
                    Value::Scalar(Scalar::String(text)) => text.as_bytes().to_vec(),
                    Value::Scalar(Scalar::Bytes(bytes)) => bytes.to_vec(),
                    Value::Bottom(error) => return Value::Bottom(error),
                    other @ (Value::Struct(..) | Value::List(..) | Value::Scalar(_)) => {
                        let text = self.describe(&other);
                        return Value::error(
                            &registry::BUILTIN_ERROR,
                            format!(
                                "cannot use {text} (type {}) as bytes in argument 1 to {}",
                                other.kind_name(),
                                function.name()
                            ),
                            vec![span],
                        );
                    }
                    other => {
                        let text = self.describe(&other);
                        return Value::incomplete(
                            format!("non-concrete argument 1 to {}: {text}", function.name()),
                            vec![span],
                        );
                    }
                };
                let schema = self.eval_expr(schema.syntax(), env);
                match self.validate_text(function, &text, &schema, Some(span)) {
                    Ok(()) => Value::bool(true),
                    Err(error) => error,
                }
            }
            _ => Value::error(
                &registry::INVALID_OPERATION,
                format!("{}: expected 2 arguments, got {}", function.name(), args.len()),
                vec![span],
            ),
        }
    }

    /// Decodes `text` and unifies each document with `schema`; the error
    /// is wrapped as `error in call to encoding/json.Validate: …`.
    pub(super) fn validate_text(
        &mut self,
        function: SchemaFunction,
        text: &[u8],
        schema: &Value,
        span: Option<Span>,
    ) -> Result<(), Value> {
        let spans: Vec<Span> = span.into_iter().collect();
        let wrap = |code, message: &str, spans: Vec<Span>| {
            Value::error(code, format!("error in call to {}: {message}", function.name()), spans)
        };
        let documents = match function {
            SchemaFunction::Json => crate::builtins::decode_json(text).map(|data| vec![data]),
            SchemaFunction::Yaml | SchemaFunction::YamlPartial => {
                crate::builtins::decode_yaml_stream(&String::from_utf8_lossy(text))
            }
        }
        .map_err(|message| wrap(&registry::BUILTIN_ERROR, &message, spans.clone()))?;
        for document in &documents {
            let data = self.data_value(document);
            let unified = self.vertex_with(
                None,
                "".into(),
                vec![
                    Conjunct { kind: ConjunctKind::Value(schema.clone(), span), close: None },
                    Conjunct { kind: ConjunctKind::Value(data, span), close: None },
                ],
            );
            let value = self.value_of(unified);
            let check = match value {
                Value::Bottom(error) => Err(error),
                Value::Struct(id, _) | Value::List(id, _) => match self.first_error(id, 0) {
                    Some(error) => Err(error),
                    None => Ok(()),
                },
                _ => Ok(()),
            };
            // `yaml.Validate` wants the document complete: every field concrete.
            let check = match check {
                Ok(()) if function == SchemaFunction::Yaml => {
                    let at = spans
                        .first()
                        .copied()
                        .unwrap_or(Span { file: 0, range: Default::default() });
                    let whole = self.value_of(unified);
                    match self.data_of(whole, at) {
                        Ok(_) => Ok(()),
                        Err(Value::Bottom(error)) => Err(error),
                        Err(other) => {
                            let text = self.describe(&other);
                            return Err(wrap(
                                &registry::INCOMPLETE_VALUE,
                                &format!("incomplete value {text}"),
                                spans.clone(),
                            ));
                        }
                    }
                }
                other => other,
            };
            if let Err(error) = check {
                let mut all_spans = error.spans.clone();
                all_spans.extend(spans.iter().copied());
                return Err(wrap(error.code, &error.message, all_spans));
            }
        }
        Ok(())
    }
}
